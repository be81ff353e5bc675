'use strict';
// Echo servers under test, one implementation per process, on 127.0.0.1:
//
//   node bench/servers/echo.js native|baseline|ws|faye|tcp [--deflate] [--port N]
//
// native, ws and faye take the README's shape: an http server whose
// 'upgrade' handler wraps the socket and sends every message back. tcp is a
// plain `net` byte echo, the ceiling for anything built on Node sockets.
// Prints one JSON line {"ready":true,"port":N,...} when listening. SIGUSR2
// runs a full GC (with --expose-gc) so that memory readings are comparable.
const http = require('http');
const net = require('net');
const { packageOf } = require('./package_of');

const impl = process.argv[2];
const deflate = process.argv.includes('--deflate');
const portArg = process.argv.indexOf('--port');
const port = portArg > 0 ? Number(process.argv[portArg + 1]) : 0;
const info = { impl, deflate };

process.on('SIGUSR2', () => {
  if (global.gc) global.gc();
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));

let server;
if (impl === 'tcp') {
  server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', (data) => socket.write(data));
    socket.on('error', () => socket.destroy());
  });
} else if (impl === 'native' || impl === 'baseline' || impl === 'faye') {
  const WebSocket = require(packageOf(impl));
  info.version = require(`${packageOf(impl)}/package.json`).version;
  let options = {};
  if (deflate) {
    // The same plugin object for both: faye runs its JS, ours recognises it
    // and drives the native codec.
    options = { extensions: [require('permessage-deflate')] };
    info.permessageDeflate = require('permessage-deflate/package.json').version;
  }
  server = http.createServer();
  server.on('upgrade', (request, socket, body) => {
    if (WebSocket.isWebSocket(request)) {
      let ws = new WebSocket(request, socket, body, [], options);
      ws.on('message', (event) => {
        ws.send(event.data);
      });
      ws.on('close', () => {
        ws = null;
      });
    }
  });
} else if (impl === 'ws') {
  const { WebSocketServer } = require('ws');
  info.version = require('ws/package.json').version;
  try {
    require('bufferutil');
    info.bufferutil = require('bufferutil/package.json').version;
  } catch {
    info.bufferutil = null;
  }
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: deflate });
  server = http.createServer();
  server.on('upgrade', (request, socket, head) => {
    wss.handleUpgrade(request, socket, head, (ws) => {
      ws.on('message', (data, isBinary) => {
        ws.send(data, { binary: isBinary });
      });
    });
  });
} else {
  console.error(`unknown implementation ${impl}`);
  process.exit(2);
}

// A deep accept queue: thousands of clients connect at once.
server.listen(port, '127.0.0.1', 4096, () => {
  info.ready = true;
  info.port = server.address().port;
  info.node = process.version;
  process.stdout.write(JSON.stringify(info) + '\n');
});
