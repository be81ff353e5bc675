'use strict';
// sockjs 0.3.24 passes `faye_server_options` to the WebSocket constructor:
// with `{allowDrafts: true}` it serves a hixie-76 client end to end, as
// sockjs's own protocol suite expects (its draft-76 case), with this
// implementation in place of the faye-websocket it requires.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('http');
const net = require('net');
const Module = require('module');
const path = require('path');
const H = require('../helpers');
const { impl, isOriginal } = H;
const { BODY, ANSWER, hixie76, text } = require('../helpers/drafts');

after(H.cleanupAll);

// sockjs's require('faye-websocket') gets the implementation under test.
function loadSockjs() {
  const sockjsDir = path.dirname(require.resolve('sockjs/package.json')) + path.sep;
  const load = Module._load;
  Module._load = function (request, parent, ...rest) {
    if (request === 'faye-websocket' && parent && parent.filename.startsWith(sockjsDir)) return impl;
    return load.call(this, request, parent, ...rest);
  };
  try {
    return require('sockjs');
  } finally {
    Module._load = load;
  }
}

/** Reads from `socket` until `bytes` ends with `expected`, or fails after 3 s. */
function until(socket, received, expected) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out waiting for ' + JSON.stringify(expected))), 3000);
    const check = () => {
      if (Buffer.concat(received).toString('latin1').endsWith(expected)) {
        clearTimeout(timer);
        socket.off('data', check);
        resolve();
      }
    };
    socket.on('data', check);
    check();
  });
}

test('a hixie-76 client through sockjs 0.3.24 with allowDrafts', { timeout: 15000, skip: isOriginal }, async () => {
  const sockjs = loadSockjs();
  const echo = sockjs.createServer({ faye_server_options: { allowDrafts: true }, log: () => {} });
  const closed = [];
  echo.on('connection', (conn) => {
    conn.on('data', (data) => conn.write(data));
    conn.on('close', () => closed.push(conn.protocol));
  });
  const server = http.createServer();
  echo.installHandlers(server, { prefix: '/echo' });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const socket = net.connect(server.address().port, '127.0.0.1');
    const received = [];
    socket.on('data', (d) => received.push(d));
    const socketClosed = new Promise((resolve) => socket.on('close', resolve));
    socket.write(hixie76({ path: '/echo/000/abcdefgh/websocket' }));
    socket.write(BODY);
    // The answer, then sockjs's open frame.
    await until(socket, received, text('o').toString('latin1'));
    const response = Buffer.concat(received).toString('latin1');
    assert.match(response, /^HTTP\/1\.1 101 WebSocket Protocol Handshake\r\n/);
    assert.ok(response.includes('Sec-WebSocket-Location: ws://example.com/echo/000/abcdefgh/websocket\r\n'));
    assert.ok(response.endsWith('\r\n\r\n' + ANSWER.toString('latin1') + text('o').toString('latin1')));

    socket.write(text('["hello","caf\u00e9"]'));
    await until(socket, received, text('a["hello"]').toString('latin1') + text('a["caf\u00e9"]').toString('latin1'));

    socket.write(Buffer.from([0xff, 0x00]));
    await socketClosed;
    assert.ok(Buffer.concat(received).toString('latin1').endsWith('\xff\x00'));
    for (let i = 0; i < 50 && closed.length === 0; i += 1) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(closed, ['websocket']);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
