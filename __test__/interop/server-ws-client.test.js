'use strict';
// The `ws` npm client against the server under test.
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('crypto');
const WS = require('ws');
const { impl, startServer, record, delay, within, cleanupAll } = require('../helpers');

after(cleanupAll);

const T = { timeout: 20000 };

function connect(url, protocols, opts) {
  return new Promise((resolve, reject) => {
    const c = new WS(url, protocols, opts);
    c.once('open', () => resolve(c));
    c.once('error', reject);
  });
}

function nextMessage(c) {
  return new Promise((resolve, reject) => {
    c.once('message', (data, isBinary) => resolve({ data, isBinary }));
    c.once('close', (code) => reject(new Error(`closed ${code} before a message`)));
  });
}

function closed(c) {
  return new Promise((resolve) => c.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
}

const SIZES = [0, 125, 126, 65535, 65536, 1024 * 1024];

function textOf(n) {
  // printable ASCII with a deterministic but non-repeating-looking pattern
  const b = crypto.randomBytes(n);
  for (let i = 0; i < n; i++) b[i] = 0x20 + (b[i] % 95);
  return b.toString('latin1');
}

for (const mode of ['pipe', 'message']) {
  describe(`echo server (${mode === 'pipe' ? 'ws.pipe(ws)' : "on('message') → send"})`, () => {
    let srv;
    before(async () => {
      srv = await startServer(impl, (ws) => {
        if (mode === 'pipe') ws.pipe(ws);
        else ws.on('message', (e) => ws.send(e.data));
      });
    });
    after(() => srv.close());

    for (const n of SIZES) {
      test(`text of ${n} bytes round-trips`, T, async () => {
        const c = await connect(srv.url);
        try {
          const s = textOf(n);
          const p = nextMessage(c);
          c.send(s);
          const { data, isBinary } = await p;
          assert.equal(isBinary, false);
          assert.equal(data.length, n);
          assert.ok(data.equals(Buffer.from(s, 'latin1')), 'byte-exact');
        } finally {
          c.terminate();
        }
      });
      test(`binary of ${n} bytes round-trips`, T, async () => {
        const c = await connect(srv.url);
        try {
          const b = crypto.randomBytes(n);
          const p = nextMessage(c);
          c.send(b);
          const { data, isBinary } = await p;
          assert.equal(isBinary, true);
          assert.ok(Buffer.from(data).equals(b), 'byte-exact');
        } finally {
          c.terminate();
        }
      });
    }

    test('multi-byte UTF-8 text round-trips', T, async () => {
      const c = await connect(srv.url);
      try {
        const s = 'héllo wörld — 😀 𝄞 \u0000 \uffff'.repeat(1000);
        const p = nextMessage(c);
        c.send(s);
        const { data, isBinary } = await p;
        assert.equal(isBinary, false);
        assert.equal(data.toString('utf8'), s);
      } finally {
        c.terminate();
      }
    });

    test('many messages keep their order', T, async () => {
      const c = await connect(srv.url);
      try {
        const got = [];
        const done = new Promise((r) =>
          c.on('message', (d) => {
            got.push(d.toString());
            if (got.length === 500) r();
          })
        );
        for (let i = 0; i < 500; i++) c.send(String(i));
        await done;
        assert.deepEqual(
          got,
          Array.from({ length: 500 }, (_, i) => String(i))
        );
      } finally {
        c.terminate();
      }
    });

    test('fragmented messages from the client are reassembled', T, async () => {
      const c = await connect(srv.url);
      try {
        let p = nextMessage(c);
        c.send('abc', { fin: false });
        c.send('déf', { fin: false });
        c.send('ghi', { fin: true });
        let m = await p;
        assert.equal(m.isBinary, false);
        assert.equal(m.data.toString(), 'abcdéfghi');

        p = nextMessage(c);
        const parts = [crypto.randomBytes(100), crypto.randomBytes(70000), crypto.randomBytes(1)];
        c.send(parts[0], { binary: true, fin: false });
        c.send(parts[1], { binary: true, fin: false });
        c.send(parts[2], { binary: true, fin: true });
        m = await p;
        assert.equal(m.isBinary, true);
        assert.ok(Buffer.from(m.data).equals(Buffer.concat(parts)));
      } finally {
        c.terminate();
      }
    });
  });
}

describe('sends of one tick, small and large', () => {
  // Binary payloads from 16 KiB on leave without being copied, between the
  // frames queued around them: order, bytes and bufferedAmount must hold.
  test('mixed sizes sent in one tick arrive in order, byte-exact; bufferedAmount returns to 0', T, async () => {
    const payloads = [
      'a',
      crypto.randomBytes(16384),
      crypto.randomBytes(16383),
      'b',
      crypto.randomBytes(20000),
      crypto.randomBytes(20000),
      crypto.randomBytes(3),
      crypto.randomBytes(70000),
      'c',
      crypto.randomBytes(16384),
    ];
    let server;
    const srv = await startServer(impl, (ws) => {
      server = ws;
      ws.on('message', () => {
        for (const p of payloads) ws.send(p);
        ws.ping('after');
      });
    });
    const c = await connect(srv.url);
    try {
      const got = [];
      const done = new Promise((resolve, reject) => {
        c.on('ping', (d) => resolve(d.toString()));
        c.once('close', (code) => reject(new Error(`closed ${code} before the ping`)));
      });
      c.on('message', (data, isBinary) => got.push(isBinary ? Buffer.from(data) : data.toString()));
      c.send('go');
      assert.equal(await done, 'after');
      assert.equal(got.length, payloads.length);
      payloads.forEach((p, i) => assert.deepEqual(got[i], p, `message ${i}`));
      for (let waited = 0; server.bufferedAmount !== 0 && waited < 2000; waited += 10) await delay(10);
      assert.equal(server.bufferedAmount, 0);
    } finally {
      c.terminate();
      await srv.close();
    }
  });
});

describe('ping, close and subprotocols', () => {
  test('client ping gets a pong with the same payload', T, async () => {
    const srv = await startServer(impl, () => {});
    const c = await connect(srv.url);
    try {
      const pong = new Promise((r) => c.once('pong', (d) => r(d)));
      c.ping(Buffer.from('ping-payload'));
      assert.equal((await pong).toString(), 'ping-payload');
      const pong2 = new Promise((r) => c.once('pong', (d) => r(d)));
      c.ping();
      assert.equal((await pong2).length, 0);
    } finally {
      c.terminate();
      await srv.close();
    }
  });

  test('server ping(payload, cb): the client sees the payload, cb fires on its pong', T, async () => {
    let fired;
    const cbFired = new Promise((r) => {
      fired = r;
    });
    const srv = await startServer(impl, (ws) => {
      ws.on('open', () => {
        assert.equal(
          ws.ping('srv-ping', () => fired('called')),
          true
        );
      });
    });
    const ping = new Promise((r) => {
      const c = new WS(srv.url);
      c.on('ping', (d) => r({ c, d: d.toString() }));
    });
    const { c, d } = await ping;
    try {
      assert.equal(d, 'srv-ping');
      assert.equal(await within(cbFired, 3000, 'timeout'), 'called');
    } finally {
      c.terminate();
      await srv.close();
    }
  });

  test('client close(4000, "bye") → server close {4000, "bye"}, client sees the echo', T, async () => {
    let log;
    const srv = await startServer(impl, (ws) => {
      log = record(ws);
    });
    const c = await connect(srv.url);
    try {
      const cc = closed(c);
      c.close(4000, 'bye');
      const serverClose = (await log.closed).find((e) => e.event === 'close');
      assert.deepEqual(serverClose, { event: 'close', code: 4000, reason: 'bye', readyState: 3 });
      assert.deepEqual(await cc, { code: 4000, reason: 'bye' });
      assert.deepEqual(
        log.map((e) => e.event),
        ['open', 'end', 'close']
      );
    } finally {
      c.terminate();
      await srv.close();
    }
  });

  test('server close(3000, "x") → client sees 3000 "x", server close event after the echo', T, async () => {
    let log;
    const srv = await startServer(impl, (ws) => {
      log = record(ws);
      ws.on('open', () => ws.close(3000, 'x'));
    });
    const c = new WS(srv.url);
    try {
      assert.deepEqual(await closed(c), { code: 3000, reason: 'x' });
      const serverClose = (await log.closed).find((e) => e.event === 'close');
      // ws echoes the code and reason it received
      assert.deepEqual([serverClose.code, serverClose.reason], [3000, 'x']);
    } finally {
      c.terminate();
      await srv.close();
    }
  });

  test('client terminates TCP → server close 1006', T, async () => {
    let log;
    const srv = await startServer(impl, (ws) => {
      log = record(ws);
    });
    const c = await connect(srv.url);
    try {
      c.terminate();
      const serverClose = (await log.closed).find((e) => e.event === 'close');
      assert.deepEqual([serverClose.code, serverClose.reason], [1006, '']);
    } finally {
      await srv.close();
    }
  });

  test('subprotocol negotiation: client [a, b], server [b, a] → a', T, async () => {
    let server;
    const srv = await startServer(
      impl,
      (ws) => {
        server = ws;
      },
      { protocols: ['b', 'a'] }
    );
    let c;
    try {
      c = await connect(srv.url, ['a', 'b']);
      assert.equal(c.protocol, 'a');
      await delay(10);
      assert.equal(server.protocol, 'a');
    } finally {
      if (c) c.terminate();
      await srv.close();
    }
  });

  test('subprotocol negotiation: no overlap → 101 without a protocol header', T, async () => {
    let server;
    const srv = await startServer(
      impl,
      (ws) => {
        server = ws;
      },
      { protocols: ['z'] }
    );
    try {
      // ws refuses a 101 with no Sec-WebSocket-Protocol when it offered some:
      // that error proves the server answered 101 without the header.
      await assert.rejects(connect(srv.url, ['a', 'b']), { message: 'Server sent no subprotocol' });
      await delay(20);
      assert.equal(server.protocol, '');
      // a client offering nothing gets protocol '' too
      const c = await connect(srv.url);
      c.terminate();
      assert.equal(c.protocol, '');
    } finally {
      await srv.close();
    }
  });
});
