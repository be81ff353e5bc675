'use strict';
// The addon loads and serves a WebSocket echo in the main thread and in three
// worker_threads at once, in one process; every worker exits with code 0.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('path');
const { Worker } = require('worker_threads');
const WS = require('ws');
const { impl, startServer, within, cleanupAll } = require('../helpers');

after(cleanupAll);

const implPath = path.join(__dirname, '..', 'helpers', 'impl.js');
const workerSource = `
  const { parentPort, workerData } = require('worker_threads');
  const http = require('http');
  const { impl } = require(${JSON.stringify(implPath)});
  const server = http.createServer();
  server.on('upgrade', (req, socket, head) => {
    const ws = new impl(req, socket, head, ['echo']);
    ws.on('message', (e) => ws.send(typeof e.data === 'string' ? e.data + ' from ' + workerData.name : e.data));
    ws.on('close', (e) => { parentPort.postMessage({ closed: e.code }); server.close(); });
  });
  server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
`;

function startWorker(name) {
  const w = new Worker(workerSource, { eval: true, workerData: { name } });
  const exited = new Promise((resolve, reject) => {
    w.once('exit', resolve);
    w.once('error', reject);
  });
  const port = new Promise((resolve, reject) => {
    w.on('message', (m) => {
      if (m.port) resolve(m.port);
    });
    w.once('error', reject);
  });
  return { w, exited, port };
}

async function talk(port, name, n = 50) {
  const c = new WS(`ws://127.0.0.1:${port}/`, ['echo']);
  await new Promise((resolve, reject) => {
    c.once('open', resolve);
    c.once('error', reject);
  });
  assert.equal(c.protocol, 'echo');
  const got = [];
  const done = new Promise((r) =>
    c.on('message', (d, bin) => {
      got.push(bin ? Buffer.from(d).toString('hex') : d.toString());
      if (got.length === n + 1) r();
    })
  );
  for (let i = 0; i < n; i++) c.send(`m${i}`);
  c.send(Buffer.from([1, 2, 3]));
  await done;
  assert.deepEqual(got, [...Array.from({ length: n }, (_, i) => `m${i} from ${name}`), '010203']);
  const closed = new Promise((r) => c.once('close', (code) => r(code)));
  c.close(1000);
  assert.equal(await closed, 1000);
}

test('main thread + 3 workers serve echo at the same time', { timeout: 30000 }, async () => {
  const workers = ['w1', 'w2', 'w3'].map((name) => ({ name, ...startWorker(name) }));
  let terminate = true;
  try {
    const main = await startServer(
      impl,
      (ws) => {
        ws.on('message', (e) => ws.send(typeof e.data === 'string' ? `${e.data} from main` : e.data));
      },
      { protocols: ['echo'] }
    );
    const ports = await Promise.all(workers.map((w) => w.port));
    assert.equal(new Set([main.port, ...ports]).size, 4);
    await Promise.all([talk(main.port, 'main'), ...workers.map((w, i) => talk(ports[i], w.name))]);
    await main.close();
    const codes = await within(Promise.all(workers.map((w) => w.exited)), 10000, 'timeout');
    assert.deepEqual(codes, [0, 0, 0], 'workers exit by themselves with code 0');
    terminate = false;
  } finally {
    if (terminate) await Promise.all(workers.map((w) => w.w.terminate()));
  }
});
