'use strict';
// A client that stops reading while the application ignores send()'s answer
// and goes on sending 128 MiB: without maxBufferedAmount everything is kept
// (faye's behaviour), with it the connection closes with 1008 and the memory
// is freed. Each test prints its RSS growth.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const v8 = require('v8');
const vm = require('vm');
const { impl, isOriginal, startServer, RawClient, delay, cleanupAll } = require('../helpers');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

after(cleanupAll);

const MESSAGE = 64 * 1024;
const TOTAL = 128 * 1024 * 1024;
const MiB = 1024 * 1024;
// One string for every message: the only memory that grows is what the
// connection holds for the peer.
const TEXT = 'x'.repeat(MESSAGE);

async function flood(options) {
  let ws;
  const srv = await startServer(
    impl,
    (w) => {
      ws = w;
      w.on('error', () => {});
    },
    { options }
  );
  const c = await RawClient.connect(srv.port);
  try {
    await c.sendHandshake({});
    await c.waitHead();
    c.socket.pause();
    await new Promise((resolve) => (ws.readyState === 1 ? resolve() : ws.on('open', resolve)));
    gc();
    const before = process.memoryUsage().rss;
    let peak = before;
    for (let sent = 0; sent < TOTAL; sent += MESSAGE) {
      ws.send(TEXT);
      if ((sent / MESSAGE) % 64 === 63) {
        await delay(1);
        peak = Math.max(peak, process.memoryUsage().rss);
      }
    }
    await delay(100);
    gc();
    const after = process.memoryUsage().rss;
    return { ws, peakGrowth: (peak - before) / MiB, growth: (after - before) / MiB };
  } finally {
    c.destroy();
    await srv.close();
  }
}

// The capped run first: the uncapped one leaves RSS high (freed, not returned).
test(
  'with maxBufferedAmount 4 MiB, the connection closes with 1008 and RSS stays flat',
  { skip: isOriginal && 'an option of ours' },
  async () => {
    const { ws, peakGrowth, growth } = await flood({ maxBufferedAmount: 4 * MiB });
    console.log(`# 4 MiB cap: RSS +${peakGrowth.toFixed(1)} MiB at peak, +${growth.toFixed(1)} MiB held after GC`);
    assert.equal(ws.readyState, 3);
    assert.equal(ws.bufferedAmount, 0);
    assert.ok(growth < 16, `RSS held ${growth.toFixed(1)} MiB after GC`);
  }
);

test('without maxBufferedAmount, a non-reading peer keeps everything queued', async () => {
  const { ws, peakGrowth, growth } = await flood({});
  console.log(`# no cap: RSS +${peakGrowth.toFixed(1)} MiB at peak, +${growth.toFixed(1)} MiB held after GC`);
  assert.equal(ws.readyState, 1);
  assert.ok(growth > 64, `RSS grew by ${growth.toFixed(1)} MiB only`);
});
