'use strict';
// hixie-75/76 on the server: faye-websocket 0.11.4 on websocket-driver 0.7.4
// (the last driver that served drafts, installed as websocket-driver-074),
// a raw draft client that writes chunks and collects every byte, and a
// runner that records the server's events.
const Module = require('module');
const net = require('net');
const { startServer } = require('./server');

// draft-ietf-hybi-thewebsocketprotocol-00 §1.3's example: two keys, the 8
// key bytes and the 16-byte answer.
const KEY1 = '4 @1  46546xW%0l 1 5';
const KEY2 = '12998 5 Y3 1  .P00';
const BODY = Buffer.from('^n:ds[4U', 'latin1');
const ANSWER = Buffer.from("8jKS'y:G*Co,Wxa-", 'latin1');

// faye-websocket loaded a second time, with 'websocket-driver' resolved to
// 0.7.4 for its files; the copy on 0.8.0 stays in the module cache as it was.
function loadFaye074() {
  const fayeDir = require.resolve('faye-websocket').replace(/lib[\\/]faye[\\/]websocket\.js$/, '');
  const saved = new Map();
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(fayeDir)) {
      saved.set(key, require.cache[key]);
      delete require.cache[key];
    }
  }
  // Module._load, not _resolveFilename: _load answers from a cache keyed by
  // the requiring directory and the name before resolving.
  const load = Module._load;
  Module._load = function (request, parent, ...rest) {
    if (request === 'websocket-driver' && parent && parent.filename.startsWith(fayeDir)) {
      request = 'websocket-driver-074';
    }
    return load.call(this, request, parent, ...rest);
  };
  try {
    const faye = require('faye-websocket');
    for (const key of Object.keys(require.cache)) if (key.startsWith(fayeDir)) delete require.cache[key];
    return faye;
  } finally {
    Module._load = load;
    for (const [key, value] of saved) require.cache[key] = value;
  }
}

/** A draft handshake request head; `key1`/`key2` undefined leave the header out. */
function draftRequest({ path = '/demo', host = 'example.com', origin = 'http://example.com', key1, key2, extra = '' }) {
  const lines = [`GET ${path} HTTP/1.1`, `Host: ${host}`, 'Connection: Upgrade', 'Upgrade: WebSocket'];
  if (origin !== undefined) lines.push(`Origin: ${origin}`);
  if (key1 !== undefined) lines.push(`Sec-WebSocket-Key1: ${key1}`);
  if (key2 !== undefined) lines.push(`Sec-WebSocket-Key2: ${key2}`);
  return Buffer.from(lines.join('\r\n') + '\r\n' + extra + '\r\n', 'latin1');
}

const hixie76 = (options = {}) => draftRequest({ key1: KEY1, key2: KEY2, ...options });

/** A text frame, `00 <utf8> FF`. */
const text = (string) => Buffer.concat([Buffer.from([0x00]), Buffer.from(string), Buffer.from([0xff])]);

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs one connection: `construct(req, socket, head)` builds the server
 * socket; the client writes `chunks` (Buffers, `GAP` ms apart), then ends
 * the connection after `linger` ms unless the server closed it first.
 * `react(ws, event)` may act on the server's events (default: echo
 * messages as `echo:<data>`, close on `close`).
 * Resolves to { bytes, log, serverClosed }.
 */
async function runDraft(construct, { chunks, linger = 150, react = echo }) {
  const log = [];
  let finished;
  const done = new Promise((resolve) => (finished = resolve));
  const server = await startServer(
    function (req, socket, head) {
      return construct(req, socket, head);
    },
    (ws, req, socket, head, error) => {
      if (!ws) return log.push({ threw: error.message });
      log.push({ version: ws.version, url: ws.url, readyState: ws.readyState });
      ws.on('open', () => {
        log.push({ event: 'open', readyState: ws.readyState, protocol: ws.protocol });
        react(ws, { event: 'open' });
      });
      ws.on('message', (e) => {
        log.push({ event: 'message', data: e.data });
        react(ws, { event: 'message', data: e.data });
      });
      ws.on('error', (e) => log.push({ event: 'error', message: e.message }));
      ws.on('close', (e) => {
        log.push({ event: 'close', code: e.code, reason: e.reason, readyState: ws.readyState });
        finished();
      });
    }
  );
  const received = [];
  let serverClosed = false;
  const socket = net.connect(server.port, '127.0.0.1');
  socket.on('data', (d) => received.push(d));
  socket.on('error', () => {});
  const socketClosed = new Promise((resolve) => socket.on('close', resolve));
  socket.on('end', () => (serverClosed = true));
  await new Promise((resolve) => socket.once('connect', resolve));
  for (const chunk of chunks) {
    if (socket.destroyed) break;
    socket.write(chunk);
    await delay(GAP);
  }
  await Promise.race([socketClosed, delay(linger)]);
  socket.end();
  await Promise.race([Promise.all([socketClosed, done]), delay(2000)]);
  socket.destroy();
  await server.close();
  return { bytes: Buffer.concat(received), log, serverClosed };
}

const GAP = 40;

function echo(ws, { event, data }) {
  if (event !== 'message') return;
  if (data === 'close') ws.close();
  else ws.send('echo:' + data);
}

module.exports = { KEY1, KEY2, BODY, ANSWER, loadFaye074, draftRequest, hixie76, text, runDraft, delay };
