'use strict';
// faye-websocket's own WebSocket.Client (the original npm package) against
// the server under test.
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('crypto');
const { impl, faye, startServer, record, delay, cleanupAll } = require('../helpers');

after(cleanupAll);
const T = { timeout: 15000 };

function open(url, protocols) {
  return new Promise((resolve, reject) => {
    const c = new faye.Client(url, protocols);
    c.on('open', () => resolve(c));
    c.on('close', (e) => reject(new Error(`closed ${e.code} ${e.reason}`)));
  });
}
const nextMessage = (c) => new Promise((r) => c.once('message', (e) => r(e.data)));
const closed = (c) => new Promise((r) => c.once('close', (e) => r({ code: e.code, reason: e.reason })));

describe('faye Client ↔ echo server (ws.pipe(ws))', () => {
  let srv;
  before(async () => {
    srv = await startServer(impl, (ws) => ws.pipe(ws), { protocols: ['echo'] });
  });
  after(() => srv.close());

  test('open: status 101, Upgrade header, protocol "echo" chosen from [foo, echo]', T, async () => {
    const c = await open(srv.url + '/path?q=1', ['foo', 'echo']);
    try {
      assert.equal(c.statusCode, 101);
      assert.equal(c.headers.upgrade, 'websocket');
      assert.equal(c.protocol, 'echo');
    } finally {
      c.close();
    }
  });

  for (const s of ['', 'hello', 'héllo 😀', 'x'.repeat(126), 'y'.repeat(70000)]) {
    test(`echoes a string of ${Buffer.byteLength(s)} bytes`, T, async () => {
      const c = await open(srv.url);
      try {
        const p = nextMessage(c);
        assert.equal(c.send(s), true);
        assert.equal(await p, s);
      } finally {
        c.close();
      }
    });
  }

  for (const n of [0, 1, 125, 65536, 1024 * 1024]) {
    test(`echoes ${n} bytes of binary`, T, async () => {
      const c = await open(srv.url);
      try {
        const b = crypto.randomBytes(n);
        const p = nextMessage(c);
        c.send(b);
        const got = await p;
        assert.ok(Buffer.isBuffer(got));
        assert.ok(got.equals(b));
      } finally {
        c.close();
      }
    });
  }

  test('13 → "13", false → "false", [13,14,15] → "13,14,15"', T, async () => {
    const c = await open(srv.url);
    try {
      const got = [];
      const done = new Promise((r) =>
        c.on('message', (e) => {
          got.push(e.data);
          if (got.length === 3) r();
        })
      );
      c.send(13);
      c.send(false);
      c.send([13, 14, 15]);
      await done;
      assert.deepEqual(got, ['13', 'false', '13,14,15']);
    } finally {
      c.close();
    }
  });

  test('client close → close event 1000, readable false, no echo after close', T, async () => {
    const c = await open(srv.url);
    const cl = closed(c);
    c.close();
    assert.deepEqual(await cl, { code: 1000, reason: '' });
    assert.equal(c.readable, false);
    assert.equal(c.send('after'), false);
  });
});

describe('close both ways and subprotocols', () => {
  test('client close(4001, "bye") → server close event {4001, "bye"}', T, async () => {
    let log;
    const srv = await startServer(impl, (ws) => {
      log = record(ws);
    });
    const c = await open(srv.url);
    const cl = closed(c);
    c.close(4001, 'bye');
    const serverClose = (await log.closed).at(-1);
    assert.deepEqual(serverClose, { event: 'close', code: 4001, reason: 'bye', readyState: 3 });
    assert.deepEqual(await cl, { code: 4001, reason: 'bye' });
    await srv.close();
  });

  test('server close(3002, "srv") → client close event {3002, "srv"}', T, async () => {
    let log;
    const srv = await startServer(impl, (ws) => {
      log = record(ws);
      ws.on('open', () => ws.close(3002, 'srv'));
    });
    const c = new faye.Client(srv.url);
    const cl = closed(c);
    assert.deepEqual(await cl, { code: 3002, reason: 'srv' });
    const serverClose = (await log.closed).at(-1);
    assert.deepEqual([serverClose.code, serverClose.reason], [3002, 'srv']); // faye's client echoes code and reason
    await srv.close();
  });

  test('server messages sent before open reach the client first', T, async () => {
    const srv = await startServer(impl, (ws) => {
      ws.send('first');
      ws.send(Buffer.from([1]));
    });
    const c = new faye.Client(srv.url);
    const got = [];
    await new Promise((r) =>
      c.on('message', (e) => {
        got.push(e.data);
        if (got.length === 2) r();
      })
    );
    assert.deepEqual(got, ['first', Buffer.from([1])]);
    c.close();
    await srv.close();
  });

  test('subprotocols: client [a, b], server [b, a] → a on both sides', T, async () => {
    let server;
    const srv = await startServer(
      impl,
      (ws) => {
        server = ws;
      },
      { protocols: ['b', 'a'] }
    );
    const c = await open(srv.url, ['a', 'b']);
    assert.equal(c.protocol, 'a');
    await delay(10);
    assert.equal(server.protocol, 'a');
    c.close();
    await srv.close();
  });

  test('subprotocols: no overlap → opens with protocol ""', T, async () => {
    let server;
    const srv = await startServer(
      impl,
      (ws) => {
        server = ws;
      },
      { protocols: ['z'] }
    );
    const c = await open(srv.url, ['a', 'b']);
    assert.equal(c.protocol, '');
    assert.equal(c.headers['sec-websocket-protocol'], undefined);
    await delay(10);
    assert.equal(server.protocol, '');
    c.close();
    await srv.close();
  });

  test('server rejects a bad Sec-WebSocket-Extensions; the client sees 400 and close 1002', T, async () => {
    const srv = await startServer(impl, () => {});
    // the client's user headers may carry an (invalid) extensions offer
    const c = new faye.Client(srv.url, [], { headers: { 'Sec-WebSocket-Extensions': 'x y' } });
    const events = [];
    c.on('error', (e) => events.push(['error', e.message]));
    const cl = await closed(c);
    assert.deepEqual(events, [['error', 'Error during WebSocket handshake: Unexpected response code: 400']]);
    assert.deepEqual(cl, { code: 1002, reason: 'Error during WebSocket handshake: Unexpected response code: 400' });
    await srv.close();
  });
});
