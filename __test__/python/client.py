"""Python `websockets` as a client of a faye-websocket-native echo server.

    python client.py <ws://url> deflate|none

Runs, over one connection: text and binary messages of 0 B to 4 MiB, the same
sent fragmented (websockets sends an iterable as fragments), 1000 messages in a
row (context takeover), then asks the server to close with 4002; a second
connection is closed by this side with 4001. Prints one JSON object:
{"extensions": <negotiated header or null>, "checks": n, "errors": [...],
 "serverClose": [code, reason]}. Every wait has a timeout.
"""
import json
import sys

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from payloads import SIZES, FRAGMENTED_SIZES, binary, fragments, text

url, compression = sys.argv[1], sys.argv[2]
TIMEOUT = 60
result = {"extensions": None, "checks": 0, "errors": [], "serverClose": None}


def check(ok, what):
    result["checks"] += 1
    if not ok:
        result["errors"].append(what)


def echo(ws, message, sent, what):
    ws.send(message)
    got = ws.recv(timeout=TIMEOUT)
    check(type(got) is type(sent) and got == sent, "%s: echo differs (%s of %d)" % (what, type(got).__name__, len(got)))


def session():
    kwargs = dict(compression=None if compression == "none" else "deflate", max_size=None,
                  open_timeout=TIMEOUT, close_timeout=TIMEOUT)
    with connect(url, **kwargs) as ws:
        result["extensions"] = ws.response.headers.get("Sec-WebSocket-Extensions")
        for n in SIZES:
            for make in (text, binary):
                data = make(n)
                echo(ws, data, data, "%s %d B" % (make.__name__, n))
        for n in FRAGMENTED_SIZES:
            for make in (text, binary):
                data = make(n)
                echo(ws, fragments(data), data, "fragmented %s %d B" % (make.__name__, n))
        for i in range(1000):
            data = '{"seq": %d, "user": "alice", "text": "message number %d in a row"}' % (i, i)
            ws.send(data)
            got = ws.recv(timeout=TIMEOUT)
            if got != data:
                check(False, "message %d of 1000 differs" % i)
                break
        else:
            check(True, "")
        ws.send("close 4002 server-bye")
        try:
            ws.recv(timeout=TIMEOUT)
            check(False, "server did not close")
        except ConnectionClosed as e:
            result["serverClose"] = [e.rcvd.code, e.rcvd.reason] if e.rcvd else None
    with connect(url, **kwargs) as ws:
        echo(ws, "last", "last", "second connection")
        ws.close(4001, "client-bye")


try:
    session()
except Exception as e:  # reported, so the Node test shows it
    result["errors"].append("exception: %r" % e)
print(json.dumps(result))
