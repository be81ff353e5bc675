'use strict';
// EventSource fan-out server: one process, every client gets every event.
//
//   node bench/servers/sse.js native|baseline|faye [--burst 1] [--pad 48] [--clients N] [--port N]
//
// The same program for both implementations: each round publishes `burst`
// events, each one sent to every connected client (es.send), then waits
// until no client's socket holds more than 64 KiB before the next round
// (setImmediate), so that a slow client bounds memory the same way for
// both. Event n is `id: n` with data {"id":n,"pad":"xxx…"}; the load
// generator checks each one and that ids rise by one. With `--clients N`
// publishing starts once N clients are connected (or 10 s after the first),
// so that connecting clients do not compete with a running fan-out.
const http = require('http');

const impl = process.argv[2];
const arg = (name, d) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : d;
};
const burst = Number(arg('--burst', 1));
const pad = 'x'.repeat(Number(arg('--pad', 48)));
const port = Number(arg('--port', 0));
const expected = Number(arg('--clients', 0));
const HIGH = 64 * 1024;

const { packageOf } = require('./package_of');
const EventSource = require(packageOf(impl)).EventSource;
const version = require(`${packageOf(impl)}/package.json`).version;

process.on('SIGUSR2', () => {
  if (global.gc) global.gc();
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));

const clients = new Set();
let seq = 0;
let running = false;
let startTimer = null;

function maybeStart() {
  if (running) return;
  if (clients.size < expected) {
    if (!startTimer) startTimer = setTimeout(start, 10000);
    return;
  }
  start();
}

function start() {
  if (startTimer) clearTimeout(startTimer);
  startTimer = null;
  if (running) return;
  running = true;
  setImmediate(round);
}

function round() {
  if (clients.size === 0) {
    running = false;
    return;
  }
  for (let b = 0; b < burst; b += 1) {
    seq += 1;
    const data = '{"id":' + seq + ',"pad":"' + pad + '"}';
    const options = { id: String(seq) };
    for (const c of clients) c.es.send(data, options);
  }
  let waiting = 0;
  const done = () => {
    waiting -= 1;
    if (waiting === 0) setImmediate(round);
  };
  for (const c of clients) {
    if (c.socket.writableLength > HIGH && !c.socket.destroyed) {
      waiting += 1;
      let once = false;
      const fire = () => {
        if (once) return;
        once = true;
        c.socket.removeListener('drain', fire);
        c.socket.removeListener('close', fire);
        done();
      };
      c.socket.on('drain', fire);
      c.socket.on('close', fire);
    }
  }
  if (waiting === 0) setImmediate(round);
}

const server = http.createServer((request, response) => {
  if (!EventSource.isEventSource(request)) {
    response.writeHead(404);
    response.end();
    return;
  }
  const socket = response.socket;
  const es = new EventSource(request, response);
  const c = { es, socket };
  clients.add(c);
  es.onclose = () => clients.delete(c);
  socket.on('close', () => clients.delete(c));
  maybeStart();
});

// A deep accept queue: thousands of clients connect at once.
server.listen(port, '127.0.0.1', 4096, () => {
  process.stdout.write(
    JSON.stringify({
      ready: true,
      impl,
      version,
      burst,
      clients: expected,
      port: server.address().port,
      node: process.version,
    }) + '\n'
  );
});
