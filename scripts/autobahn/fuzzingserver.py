# Runs `wstest -m fuzzingserver` bound to 127.0.0.1 instead of every interface.
# wstest's fuzzingserver calls autobahn's listenWS() with its default interface
# '' (0.0.0.0), and has no option to change it; this wrapper rebinds it to
# loopback, lets the port in the spec's url be 0 (any free port) and prints
# "fuzzingserver listening <port>" once it accepts connections. It exits when
# its stdin closes, so it cannot outlive run.js even if run.js is killed.
#
#   <wstest venv>/bin/python fuzzingserver.py -s spec.json   (Python 2.7, like wstest)
import os
import sys
import threading

from autobahntestsuite import fuzzing, wstest


def listen_loopback(factory, contextFactory=None, backlog=50, interface=''):
    from twisted.internet import reactor
    port = reactor.listenTCP(factory.port, factory, backlog, '127.0.0.1')
    sys.stdout.write('fuzzingserver listening %d\n' % port.getHost().port)
    sys.stdout.flush()
    return port


def exit_with_stdin():
    while sys.stdin.read(4096):
        pass
    os._exit(1)


fuzzing.listenWS = listen_loopback
watcher = threading.Thread(target=exit_with_stdin)
watcher.daemon = True
watcher.start()
sys.argv = ['wstest', '-m', 'fuzzingserver', '-u', '0'] + sys.argv[1:]
sys.exit(wstest.run())
