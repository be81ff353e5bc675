'use strict';

// Autobahn|Testsuite echo server: the README's server with the implementation
// swappable. Echoes every message back; listens on 127.0.0.1 only.
//
//   IMPL=faye-websocket node scripts/autobahn/echo-server.js [port]
//
// IMPL is the module to test (default: this package). Port 0 (the default)
// picks a free port. Prints "listening <port>" once it accepts connections.
const http = require('http');
const path = require('path');

const WS = require(process.env.IMPL || path.join(__dirname, '..', '..'));
const port = Number(process.argv[2] || 0);

const server = http.createServer((req, res) => {
  res.writeHead(404);
  res.end();
});
server.on('upgrade', (req, socket, body) => {
  if (!WS.isWebSocket(req)) return socket.destroy();
  const ws = new WS(req, socket, body);
  ws.on('message', (e) => ws.send(e.data));
});
server.listen(port, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
