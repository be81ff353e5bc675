'use strict';
// Soak: for SOAK_SECONDS (120 by default), many clients at once connect to
// our server, half of them through a CONNECT proxy (npm `proxy`), half with
// permessage-deflate, send numbered messages of mixed sizes (some large
// enough to be compressed on the thread pool) and either close cleanly or
// destroy their socket at a random point. Every message accepted by `send`
// on a connection that stayed open arrives once and in order, both ways; on
// a connection cut short, what arrived is a prefix, in order, without
// duplicates.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const deflate = require('permessage-deflate');
const { impl, startServer, cleanupAll } = require('../helpers');
const { startProxy, cleanup } = require('../helpers/client');

after(cleanupAll);
after(cleanup);

const SECONDS = Number(process.env.SOAK_SECONDS) || 120;
const LANES = 24;

// A small deterministic generator, so a failing run can be repeated.
let seed = Number(process.env.SOAK_SEED) || 12345;
function random() {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
}

const SIZES = [10, 200, 4000, 20_000, 70_000];
const filler = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(2000);

function message(id, seq) {
  const size = SIZES[Math.floor(random() * SIZES.length)];
  const head = `${id}:${seq}:`;
  return random() < 0.5 ? head + filler.slice(0, size) : Buffer.from(head + filler.slice(0, size));
}

function parse(data) {
  const text = Buffer.isBuffer(data) ? data.subarray(0, 40).toString('latin1') : data.slice(0, 40);
  const [id, seq] = text.split(':');
  return { id: Number(id), seq: Number(seq) };
}

test(
  `soak: ${SECONDS} s of mixed traffic, every accepted message arrives once, in order`,
  {
    timeout: (SECONDS + 60) * 1000,
  },
  async () => {
    const problems = [];
    const server = new Map(); // connection id → { received, closed }
    const srv = await startServer(
      impl,
      (ws) => {
        let record = null;
        ws.on('error', () => {});
        ws.on('message', (event) => {
          const { id, seq } = parse(event.data);
          if (record === null) {
            record = server.get(id) || { received: 0, closed: null };
            server.set(id, record);
          }
          if (seq !== record.received)
            problems.push(`server: connection ${id} got ${seq} after ${record.received - 1}`);
          record.received = seq + 1;
          ws.send(event.data);
        });
        ws.on('close', () => record && record.closed && record.closed());
      },
      { options: { extensions: [deflate] } }
    );
    const proxy = await startProxy();
    const stats = { clean: 0, cut: 0, messages: 0 };
    let nextId = 0;
    const deadline = Date.now() + SECONDS * 1000;

    async function connection() {
      const id = nextId++;
      const options = {};
      if (random() < 0.5) options.extensions = [deflate];
      if (random() < 0.5) options.proxy = { origin: proxy.origin };
      const ws = new impl.Client(`${srv.url}/`, [], options);
      const count = 1 + Math.floor(random() * 40);
      const cutAt = random() < 0.3 ? Math.floor(random() * count) : -1;
      let echoed = 0;
      let sent = 0;
      let finish;
      const done = new Promise((resolve) => (finish = resolve));
      ws.on('error', () => {});
      ws.on('close', () => finish());
      ws.on('message', (event) => {
        const { seq } = parse(event.data);
        if (seq !== echoed) problems.push(`client: connection ${id} got ${seq} after ${echoed - 1}`);
        echoed = seq + 1;
        if (echoed === count) ws.close();
      });
      ws.on('open', () => {
        for (; sent < count; sent += 1) {
          if (sent === cutAt) {
            ws._stream.destroy();
            return;
          }
          if (!ws.send(message(id, sent)) && ws.readyState !== 1) break;
        }
      });
      await done;
      stats.messages += echoed;
      if (cutAt >= 0) {
        stats.cut += 1;
        return;
      }
      // Stayed open until the clean close: every message went both ways.
      if (echoed !== count) problems.push(`client: connection ${id} got ${echoed} of ${count} echoes`);
      const record = server.get(id);
      if (record && record.closed === null) {
        await new Promise((resolve) => {
          record.closed = resolve;
          setTimeout(resolve, 5000);
        });
      }
      if (!record || record.received !== count) {
        problems.push(`server: connection ${id} got ${record ? record.received : 0} of ${count}`);
      }
      server.delete(id);
      stats.clean += 1;
    }

    async function lane() {
      while (Date.now() < deadline && problems.length === 0) await connection();
    }

    try {
      await Promise.all(Array.from({ length: LANES }, lane));
      console.log(`# soak: ${stats.clean} clean, ${stats.cut} cut short, ${stats.messages} messages echoed`);
      assert.deepEqual(problems.slice(0, 10), []);
      assert.ok(stats.clean > LANES, `only ${stats.clean} connections closed cleanly`);
    } finally {
      await srv.close();
    }
  }
);
