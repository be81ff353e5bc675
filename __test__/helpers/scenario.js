'use strict';
// Runs one scripted conversation between a raw client and a server built
// with a given implementation, and returns plain values: the server-side
// event record and every byte the client received.
const { startServer } = require('./server');
const { record } = require('./recorder');
const { RawClient, handshakeRequest } = require('./raw');
const F = require('./frames');

const delay = (ms) => new Promise((r) => setTimeout(r, ms));

/** Resolve with `promise`'s value, or `fallback` after `ms`; the timer is cleared either way. */
function within(promise, ms, fallback) {
  let timer;
  const t = new Promise((r) => {
    timer = setTimeout(() => r(fallback), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

/**
 * spec:
 *   protocols, options            passed to the constructor
 *   request                       handshakeRequest() options, or a raw string/Buffer
 *   head                          Buffer written in the same write as the request
 *   onConstruct(ws, log)          runs right after the constructor (before open)
 *   onOpen(ws, log)               runs on `open`
 *   onFrame(frame, client)        raw-client reaction to each frame the server sends
 *   writes                        Buffers (or async (client) => {}) written once the
 *                                 101 head has arrived
 *   bytewise                      write every `writes` Buffer one byte per write
 *   finish                        'server' (default): wait for the server to close TCP;
 *                                 'client-close': after `settle` ms send close 1000 and wait;
 *                                 'half-close': after `settle` ms end our side and wait;
 *                                 'none': wait `settle` ms and stop
 *   settle                        ms (default 100)
 *   timeout                       ms to wait for the server to close (default 3000)
 * returns { log, bytes (Buffer), head, frames (described), ended, threw }
 */
async function runScenario(Impl, spec) {
  const settle = spec.settle === undefined ? 100 : spec.settle;
  const timeout = spec.timeout || 3000;
  let log = null;
  let threw = null;
  let gotSocket;
  const socketSeen = new Promise((r) => {
    gotSocket = r;
  });
  const srv = await startServer(
    Impl,
    (ws, req, socket, head, error) => {
      if (error) {
        threw = { name: error.name, message: error.message };
        gotSocket();
        return;
      }
      log = record(ws);
      if (spec.onConstruct) spec.onConstruct(ws, log);
      if (spec.onOpen) ws.on('open', () => spec.onOpen(ws, log));
      gotSocket();
    },
    { protocols: spec.protocols, options: spec.options }
  );

  const client = await RawClient.connect(srv.port);
  try {
    if (spec.onFrame) client.onFrame = spec.onFrame;
    const req =
      typeof spec.request === 'string' || Buffer.isBuffer(spec.request)
        ? Buffer.from(spec.request)
        : Buffer.from(handshakeRequest(spec.request || {}));
    await client.write(spec.head ? Buffer.concat([req, spec.head]) : req);
    await within(socketSeen, timeout);
    await client.waitHead(timeout);

    if (client.status === 101 && !client.ended) {
      for (const w of spec.writes || []) {
        if (typeof w === 'function') await w(client);
        else if (spec.bytewise) await client.writeInPieces(w, 1);
        else await client.write(w);
      }
    }

    const finish = spec.finish || 'server';
    if (finish === 'client-close') {
      await delay(settle);
      if (!client.ended) await client.write(F.close(1000));
      await client.waitEnd(timeout);
    } else if (finish === 'half-close') {
      await delay(settle);
      client.socket.end();
      await client.waitEnd(timeout);
    } else if (finish === 'none') {
      await delay(settle);
    } else {
      await client.waitEnd(timeout);
    }
    if (log && finish !== 'none') await within(log.closed, timeout);
    await delay(20); // let any straggling event arrive so it is recorded too
  } finally {
    client.destroy();
    await srv.close();
  }
  const bytes = client.bytes;
  const headEnd = client.headEnd();
  return {
    log: log ? log.slice() : null,
    threw,
    bytes,
    head: client.head,
    status: client.status,
    frames: client.status === 101 ? F.parseFrames(bytes.subarray(headEnd)).frames.map(F.describe) : [],
    ended: client.ended || client.closed,
  };
}

module.exports = { runScenario, delay, within };
