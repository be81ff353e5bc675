'use strict';
// A message started and never finished, then a flood of zero-length
// continuation frames, many times over with varied chunking while another
// process keeps a core busy. The server must go on reading while the peer
// sends: under the fragment limit a ping after the flood gets its pong, and
// past it the 1008 close frame reaches the peer, followed by a FIN, even when
// the peer reads slowly (the close frame used to be lost to a reset: a socket
// destroyed with unread input answers with RST, and the peer's kernel drops
// what it had not read yet, so the connection looked as if it had stopped
// being read).
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('child_process');
const { F, impl, isOriginal, startServer, RawClient, cleanupAll } = require('../helpers');

after(cleanupAll);

const RUNS = Number(process.env.FLOOD_RUNS) || 10;
const MAX_FRAGMENTS = 131_072;
const EMPTY = F.cont('', { fin: false });
// Blocks of whole frames, and sizes that cut frame headers apart.
const CHUNKINGS = [7, 333, 4096, 8192 * 6 + 1, 65_537];

const immediate = () => new Promise((resolve) => setImmediate(resolve));

function busyCore() {
  const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  return () => child.kill();
}

async function connect(srv) {
  const c = await RawClient.connect(srv.port);
  await c.sendHandshake({});
  assert.ok(await c.waitHead(5000), 'handshake answered');
  await c.write(F.text('a', { fin: false }));
  return c;
}

// Writes `frames` empty continuation frames in writes of `bytes` bytes; every
// write must drain within 5 s unless the connection ended meanwhile.
async function flood(c, frames, bytes) {
  const all = Buffer.concat(Array(frames).fill(EMPTY));
  for (let at = 0; at < all.length && !c.ended && !c.closed; at += bytes) {
    if (!c.socket.write(all.subarray(at, at + bytes))) {
      const drained = new Promise((resolve) => c.socket.once('drain', () => resolve(true)));
      const ok = await Promise.race([drained, c.waitEnd(5000)]);
      assert.ok(ok, `writes stalled after ${at} bytes: the server stopped reading`);
    } else if ((at / bytes) % 64 === 0) {
      await immediate();
    }
  }
}

test('under the fragment limit, the server keeps reading: a ping after the flood is answered', async () => {
  const stop = busyCore();
  try {
    for (let run = 0; run < RUNS; run += 1) {
      const bytes = CHUNKINGS[run % CHUNKINGS.length];
      const srv = await startServer(impl, (ws) => ws.on('error', () => {}));
      const c = await connect(srv);
      try {
        await flood(c, MAX_FRAGMENTS - 10, bytes);
        c.socket.write(F.ping('after'));
        const pong = await c.waitFor(() => c.frames.some((f) => f.opcode === 10), 10000);
        assert.ok(pong, `run ${run} (writes of ${bytes} bytes): no pong`);
        assert.equal(c.ended, false);
      } finally {
        c.destroy();
        await srv.close();
      }
    }
  } finally {
    stop();
  }
});

test(
  'past the limit, a slow reader still gets the 1008 close frame and a FIN',
  { skip: isOriginal && 'faye has no fragment limit' },
  async () => {
    const stop = busyCore();
    try {
      for (let run = 0; run < RUNS; run += 1) {
        const bytes = CHUNKINGS[run % CHUNKINGS.length];
        const closes = [];
        const srv = await startServer(impl, (ws) => {
          ws.on('error', () => {});
          ws.on('close', (event) => closes.push(event.code));
        });
        const c = await connect(srv);
        try {
          // The peer reads nothing until its flood is written, as a client
          // busy writing on a loaded machine.
          c.socket.pause();
          await flood(c, MAX_FRAGMENTS + 50_000, bytes);
          await new Promise((resolve) => setTimeout(resolve, 100));
          c.socket.resume();
          assert.ok(await c.waitEnd(10000), `run ${run}: the server never ended the connection`);
          const close = c.frames.find((f) => f.opcode === 8);
          assert.ok(close, `run ${run} (writes of ${bytes} bytes): no close frame (${c.error && c.error.code})`);
          assert.equal(close.code, 1008);
          assert.equal(close.reason, 'Too many fragments in one message');
          assert.equal(c.ended, true, 'a FIN, not a reset');
          assert.deepEqual(closes, [1008]);
        } finally {
          c.destroy();
          await srv.close();
        }
      }
    } finally {
      stop();
    }
  }
);
