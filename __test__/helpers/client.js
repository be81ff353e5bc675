'use strict';
// Helpers for the WebSocket.Client suites: peers (ws, faye-websocket and our
// own server), raw TCP servers that answer the handshake by hand, real CONNECT
// proxies (the npm `proxy` package), certificates made at run time, and an
// event recorder. Everything listens on 127.0.0.1 and is closed by `cleanup`.

const crypto = require('crypto');
const http = require('http');
const https = require('https');
const net = require('net');
const WS = require('ws');
const { makeCertificate } = require('./certificate');
const faye = require('faye-websocket');
const impl = require('../..');

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const live = new Set();

function track(server) {
  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('secureConnection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const handle = {
    server,
    sockets,
    close() {
      live.delete(handle);
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  live.add(handle);
  return handle;
}

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });
}

async function cleanup() {
  await Promise.all([...live].map((handle) => handle.close()));
}

function acceptFor(key) {
  return crypto
    .createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Every event a client dispatches, in order, plus the state seen in each.
function record(ws) {
  const events = [];
  let resolveClosed;
  const closed = new Promise((resolve) => (resolveClosed = resolve));
  const waiters = [];
  const push = (event) => {
    events.push(event);
    for (const waiter of waiters.splice(0)) waiter();
  };
  ws.on('open', () => push({ type: 'open', protocol: ws.protocol, statusCode: ws.statusCode }));
  ws.on('message', (event) => push({ type: 'message', data: event.data }));
  ws.on('error', (event) => push({ type: 'error', message: event.message }));
  ws.on('close', (event) => {
    push({ type: 'close', code: event.code, reason: event.reason });
    resolveClosed(events);
  });
  // Resolves once `count` events of `type` were seen.
  const waitFor = (type, count = 1) =>
    new Promise((resolve) => {
      const check = () => {
        const seen = events.filter((event) => event.type === type);
        if (seen.length >= count) resolve(seen);
        else waiters.push(check);
      };
      check();
    });
  return { events, closed, waitFor };
}

// A WebSocket echo server of one of three kinds, with protocols echo/chat.
// `connections` collects a uniform handle per server-side socket.
async function startEchoServer(kind, { tls: tlsOptions, protocols = ['echo', 'chat'] } = {}) {
  const server = tlsOptions ? https.createServer(tlsOptions) : http.createServer();
  const connections = [];
  const waiting = [];
  const added = (peer) => {
    connections.push(peer);
    for (const check of waiting.splice(0)) check();
  };
  let taken = 0;
  // The server side of the next client to connect (in connection order).
  const nextConnection = () => {
    const index = taken++;
    return new Promise((resolve) => {
      const check = () => (connections[index] ? resolve(connections[index]) : waiting.push(check));
      check();
    });
  };

  if (kind === 'ws') {
    const wss = new WS.WebSocketServer({
      server,
      handleProtocols: (offered) => [...offered].find((p) => protocols.includes(p)) || false,
    });
    wss.on('connection', (socket, request) => {
      socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
      added({
        request,
        closed: new Promise((resolve) =>
          socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))
        ),
        send: (data) => socket.send(data),
        ping: (payload) =>
          new Promise((resolve) => {
            socket.once('pong', (data) => resolve(data.toString()));
            socket.ping(payload);
          }),
        close: (code, reason) => socket.close(code, reason),
        fragments: (parts, binary) =>
          parts.forEach((part, i) => socket.send(part, { binary, fin: i === parts.length - 1 })),
      });
    });
  } else {
    const Impl = kind === 'faye' ? faye : impl;
    server.on('upgrade', (request, socket, body) => {
      const ws = new Impl(request, socket, body, protocols);
      ws.on('message', (event) => ws.send(event.data));
      added({
        request,
        closed: new Promise((resolve) => ws.on('close', (e) => resolve({ code: e.code, reason: e.reason }))),
        send: (data) => ws.send(data),
        ping: (payload) => new Promise((resolve) => ws.ping(payload, () => resolve(payload))),
        close: (code, reason) => ws.close(code, reason),
      });
    });
  }

  const handle = track(server);
  const port = await listen(server);
  return Object.assign(handle, {
    port,
    url: `${tlsOptions ? 'wss' : 'ws'}://${tlsOptions ? 'localhost' : '127.0.0.1'}:${port}`,
    connections,
    nextConnection,
  });
}

// A TCP server that reads each request head and hands it to
// `answer(request, socket)`; `request` has `head` (text), `key`, `accept`.
async function startRawServer(answer) {
  const requests = [];
  const server = net.createServer((socket) => {
    let buffered = Buffer.alloc(0);
    let answered = false;
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      if (answered) return;
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      answered = true;
      const head = buffered.subarray(0, end + 4).toString('latin1');
      const match = /\r\nSec-WebSocket-Key: ([^\r]*)\r\n/i.exec(head);
      const key = match ? match[1] : '';
      const request = { head, key, accept: acceptFor(key), rest: buffered.subarray(end + 4) };
      requests.push(request);
      answer(request, socket);
    });
  });
  const handle = track(server);
  const port = await listen(server);
  return Object.assign(handle, { port, url: `ws://127.0.0.1:${port}`, requests });
}

// A real HTTP CONNECT proxy (npm `proxy`, ESM only, hence the import).
// `auth`: 'user:pass' required in Proxy-Authorization; `tls`: serve https.
async function startProxy({ auth, tls: tlsOptions } = {}) {
  const { createProxy } = await import('proxy');
  const server = createProxy(tlsOptions ? https.createServer(tlsOptions) : http.createServer());
  const connects = [];
  server.prependListener('connect', (request) => connects.push(request));
  if (auth) {
    server.authenticate = (request) =>
      request.headers['proxy-authorization'] === 'Basic ' + Buffer.from(auth).toString('base64');
  }
  const handle = track(server);
  const port = await listen(server);
  return Object.assign(handle, {
    port,
    origin: `${tlsOptions ? 'https' : 'http'}://${auth ? auth + '@' : ''}${tlsOptions ? 'localhost' : '127.0.0.1'}:${port}`,
    connects,
  });
}

// Sockets and servers this process holds, to check that nothing leaked.
function activeSockets() {
  return process._getActiveHandles().filter((handle) => handle instanceof net.Socket).length;
}

module.exports = {
  WS,
  faye,
  impl,
  Client: impl.Client,
  FayeClient: faye.Client,
  acceptFor,
  activeSockets,
  cleanup,
  delay,
  within,
  record,
  makeCertificate,
  startEchoServer,
  startRawServer,
  startProxy,
};
