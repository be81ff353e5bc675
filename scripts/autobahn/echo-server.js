'use strict';

// Autobahn|Testsuite echo server: the README's server with the implementation
// swappable. Echoes every message back; listens on 127.0.0.1 only.
//
//   IMPL=faye-websocket node scripts/autobahn/echo-server.js [port] [--deflate | --deflate=native]
//
// IMPL is the module to test (default: this package). Port 0 (the default)
// picks a free port. Prints "listening <port>" once it accepts connections.
// --deflate passes `extensions: [require('permessage-deflate')]`, as faye's users
// do; --deflate=native passes this package's own plugin instead
// (require('faye-websocket-native').deflate). Without either, no extensions.
const http = require('http');
const path = require('path');

const WS = require(process.env.IMPL || path.join(__dirname, '..', '..'));
const args = process.argv.slice(2);
const port = Number(args.find((a) => !a.startsWith('--')) || 0);
const deflateArg = args.find((a) => a === '--deflate' || a.startsWith('--deflate='));
let options = {};
if (deflateArg === '--deflate') options = { extensions: [require('permessage-deflate')] };
else if (deflateArg === '--deflate=native')
  options = { extensions: [require(path.join(__dirname, '..', '..')).deflate] };
else if (deflateArg) throw new Error(`unknown option ${deflateArg}`);

const server = http.createServer((req, res) => {
  res.writeHead(404);
  res.end();
});
server.on('upgrade', (req, socket, body) => {
  if (!WS.isWebSocket(req)) return socket.destroy();
  const ws = new WS(req, socket, body, [], options);
  ws.on('message', (e) => ws.send(e.data));
});
server.listen(port, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
