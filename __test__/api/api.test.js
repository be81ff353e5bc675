'use strict';
// Module surface and API semantics: the exports and object model, the server
// constructor's options, and the WebSocket API shared by server and client.
const { describe, test, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('http');
const H = require('../helpers');
const { F, impl, isOriginal, openPair, startServer, RawClient, delay, cleanupAll } = H;

after(cleanupAll);
const T = { timeout: 15000 };

const closeError = (code) => ({
  name: 'Error',
  message: `Failed to execute 'close' on WebSocket: The code must be either 1000, or between 3000 and 4999. ${code} is neither.`,
});

/** Construct on a real upgrade; resolves { ws } or { error } (thrown synchronously). */
async function construct(options, protocols, request) {
  let out;
  const srv = await startServer(
    impl,
    (ws, req, socket, head, error) => {
      out = error ? { error } : { ws };
    },
    { options, protocols }
  );
  const c = await RawClient.connect(srv.port);
  await c.sendHandshake(request || {});
  await c.waitFor(() => out !== undefined, 3000);
  c.destroy();
  await srv.close();
  return out;
}

describe('module surface', () => {
  test('Object.keys(module) is exactly the faye list', () => {
    assert.deepEqual(Object.keys(impl), ['isWebSocket', 'validateOptions', 'WebSocket', 'Client', 'EventSource']);
  });

  test('WebSocket.WebSocket === WebSocket; Client, EventSource are constructors', () => {
    assert.equal(typeof impl, 'function');
    assert.equal(impl.WebSocket, impl);
    assert.equal(typeof impl.Client, 'function');
    assert.equal(typeof impl.EventSource, 'function');
    assert.equal(typeof impl.EventSource.isEventSource, 'function');
    assert.equal(impl.isEventSource, undefined);
    for (const k of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) assert.equal(impl[k], undefined, k);
  });

  test('validateOptions throws "Unrecognized option: x" and otherwise returns undefined', () => {
    assert.throws(() => impl.validateOptions({ a: 1, x: 2 }, ['a']), {
      name: 'Error',
      message: 'Unrecognized option: x',
    });
    assert.equal(impl.validateOptions({ a: 1 }, ['a', 'b']), undefined);
    assert.equal(impl.validateOptions({}, []), undefined);
  });

  test('isWebSocket on real requests', T, async () => {
    const seen = [];
    const server = http.createServer((req, res) => {
      seen.push(impl.isWebSocket(req));
      res.end();
    });
    server.on('upgrade', (req, socket) => {
      seen.push(impl.isWebSocket(req));
      socket.destroy();
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address();
    try {
      for (const request of [{}, { method: 'POST' }, { connection: 'keep-alive, Upgrade' }, { upgrade: 'WebSocket' }]) {
        const c = await RawClient.connect(port);
        await c.sendHandshake(request);
        await c.waitEnd(1000);
        c.destroy();
      }
      await new Promise((r) =>
        http.get(`http://127.0.0.1:${port}/`, (res) => {
          res.resume();
          res.on('end', r);
        })
      );
      assert.deepEqual(seen, [true, false, true, true, false]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe('isWebSocket', () => {
  const faye = require('faye-websocket');
  const ours = require('../..');
  const connections = [
    undefined,
    '',
    'Upgrade',
    'upgrade',
    'UPGRADE',
    'keep-alive, Upgrade',
    'keep-alive,upgrade',
    'keep-alive ,  upgrade',
    'upgrade , keep-alive',
    '\tupgrade',
    'upgrade\t',
    'upgrade;x',
    'upgrades',
    ' upgrade',
    'a,,upgrade',
    'keep-alive',
    'UPGR\u0041DE',
  ];
  const upgrades = [
    undefined,
    '',
    'websocket',
    'WebSocket',
    'WEBSOCKET',
    ' websocket',
    'websocket, h2c',
    'websoc\u212Aet',
    'h2c',
  ];
  test('the same answer as faye-websocket for every method × Connection × Upgrade', () => {
    for (const method of ['GET', 'get', 'POST', undefined]) {
      for (const connection of connections) {
        for (const upgrade of upgrades) {
          const request = { method, headers: {} };
          if (connection !== undefined) request.headers.connection = connection;
          if (upgrade !== undefined) request.headers.upgrade = upgrade;
          assert.equal(ours.isWebSocket(request), faye.isWebSocket(request), JSON.stringify(request));
        }
      }
    }
  });

  test('linear time on a Connection header of 100 000 spaces', () => {
    const request = {
      method: 'GET',
      headers: { connection: 'keep-alive' + ' '.repeat(100000) + 'x', upgrade: 'websocket' },
    };
    const start = process.hrtime.bigint();
    assert.equal(ours.isWebSocket(request), false);
    assert.ok(process.hrtime.bigint() - start < 100000000n, 'under 100 ms');
  });
});

describe('constructor options', () => {
  test('unknown option throws "Unrecognized option: foo" synchronously', T, async () => {
    const r = await construct({ foo: 1 });
    assert.ok(r.error, 'threw');
    assert.equal(r.error.message, 'Unrecognized option: foo');
  });

  test('an inherited enumerable key is rejected too', T, async () => {
    const r = await construct(Object.create({ inherited: true }));
    assert.equal(r.error && r.error.message, 'Unrecognized option: inherited');
  });

  test('"net" is rejected on the server; proxy, tls, ca are accepted and ignored', T, async () => {
    const r = await construct({ net: {} });
    assert.equal(r.error && r.error.message, 'Unrecognized option: net');
    const ok = await construct({ proxy: {}, tls: {}, ca: 'x', maxLength: 5, headers: {}, extensions: [] });
    assert.ok(ok.ws, ok.error && ok.error.message);
  });

  const extCases = [
    [{}, 'extension.name must be a string'],
    [{ name: 'x' }, 'extension.type must be "permessage"'],
    [{ name: 'x', type: 'permessage' }, 'extension.rsv1 must be true or false'],
    [{ name: 'x', type: 'permessage', rsv1: false }, 'extension.rsv2 must be true or false'],
    [{ name: 'x', type: 'permessage', rsv1: false, rsv2: true }, 'extension.rsv3 must be true or false'],
  ];
  for (const [ext, message] of extCases) {
    test(`bad extension ${JSON.stringify(ext)} → TypeError "${message}"`, T, async () => {
      const r = await construct({ extensions: [ext] });
      assert.ok(r.error, 'threw');
      assert.equal(r.error.name, 'TypeError');
      assert.equal(r.error.message, message);
    });
  }

  test('a duplicate extension name → TypeError', T, async () => {
    const ext = {
      name: 'x',
      type: 'permessage',
      rsv1: false,
      rsv2: false,
      rsv3: false,
      createServerSession() {
        return null;
      },
      createClientSession() {
        return null;
      },
    };
    const r = await construct({ extensions: [ext, { ...ext }] });
    assert.equal(r.error && r.error.name, 'TypeError');
    assert.equal(r.error.message, 'An extension with name "x" is already registered');
    const single = await construct({ extensions: ext }); // not an array is fine
    assert.ok(single.ws);
  });

  test('a headers value of null → TypeError', T, async () => {
    const r = await construct({ headers: { 'X-A': null } });
    assert.equal(r.error && r.error.name, 'TypeError');
    assert.equal(r.error.message, "Cannot read properties of null (reading 'toString')");
  });

  test('ping option sends pings "1", "2", … on the wire', T, async () => {
    const p = await openPair(impl, { options: { ping: 0.05 } });
    try {
      assert.ok(await p.client.waitFor(() => p.client.frames.length >= 3, 3000));
      assert.deepEqual(
        p.client.frames.slice(0, 3).map((f) => [f.opcode, f.payload.toString()]),
        [
          [9, '1'],
          [9, '2'],
          [9, '3'],
        ]
      );
    } finally {
      await p.close();
    }
  });

  test('maxLength option: 1009 above it', T, async () => {
    const p = await openPair(impl, { options: { maxLength: 3 } });
    try {
      await p.client.write(Buffer.concat([F.text('abc'), F.text('abcd')]));
      await p.log.closed;
      assert.deepEqual(
        p.log.map((e) => e.event),
        ['open', 'data', 'message', 'error', 'end', 'close']
      );
      assert.equal(p.log.at(-1).code, 1009);
    } finally {
      await p.close();
    }
  });
});

describe('instance properties', () => {
  test('right after construction', T, async () => {
    let snap;
    const srv = await startServer(impl, (ws) => {
      snap = {
        readyState: ws.readyState,
        bufferedAmount: ws.bufferedAmount,
        protocol: ws.protocol,
        url: ws.url,
        version: ws.version,
        readable: ws.readable,
        writable: ws.writable,
        onopen: ws.onopen,
        onmessage: ws.onmessage,
        onerror: ws.onerror,
        onclose: ws.onclose,
      };
    });
    const c = await RawClient.connect(srv.port);
    await c.sendHandshake({ host: 'example.org', path: '/a?q' });
    await c.waitHead();
    c.destroy();
    await srv.close();
    assert.deepEqual(snap, {
      readyState: 0,
      bufferedAmount: 0,
      protocol: '',
      url: 'ws://example.org/a?q',
      version: 'hybi-13',
      readable: true,
      writable: true,
      onopen: null,
      onmessage: null,
      onerror: null,
      onclose: null,
    });
  });

  for (const [h, v] of [
    ['X-Forwarded-Proto', 'https'],
    ['X-Forwarded-Ssl', 'on'],
    ['X-Forwarded-Scheme', 'https'],
    ['Https', 'on'],
  ]) {
    test(`url uses wss:// with ${h}: ${v}`, T, async () => {
      const r = await construct(undefined, undefined, { host: 'example.org', path: '/a?q', headers: { [h]: v } });
      assert.equal(r.ws.url, 'wss://example.org/a?q');
    });
  }

  test('socket not writable → half-built object, options not validated', T, async () => {
    let out;
    const server = http.createServer();
    server.on('upgrade', (req, socket, head) => {
      socket.destroy();
      try {
        const ws = new impl(req, socket, head, [], { foo: 1 });
        out = { readyState: ws.readyState, url: ws.url, version: ws.version, send: ws.send('x'), close: ws.close() };
      } catch (e) {
        out = { threw: e.message };
      }
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const c = await RawClient.connect(server.address().port);
    await c.sendHandshake({});
    await c.waitEnd(2000);
    await new Promise((r) => server.close(r));
    assert.deepEqual(out, { readyState: undefined, url: undefined, version: undefined, send: true, close: undefined });
  });

  test('protocol is set at open', T, async () => {
    const p = await openPair(impl, { protocols: ['p1'], request: { protocol: 'p1' } });
    try {
      assert.equal(p.ws.protocol, 'p1');
    } finally {
      await p.close();
    }
  });
});

describe('open and event dispatch', () => {
  test('open fires on a later tick; frames sent before open follow the 101', T, async () => {
    let sync = true;
    let openedSync = null;
    const p = await openPair(impl, {
      onSocket(ws, log) {
        ws.on('open', () => {
          openedSync = sync;
          log.note({ openState: ws.readyState });
        });
        log.note({ send: ws.send('early'), ping: ws.ping('p'), state: ws.readyState });
        sync = false;
      },
    });
    try {
      assert.equal(openedSync, false);
      assert.ok(await p.client.waitFrames(2));
      assert.equal(p.client.status, 101);
      assert.deepEqual(
        p.client.frames.map((f) => [f.opcode, f.payload.toString()]),
        [
          [1, 'early'],
          [9, 'p'],
        ]
      );
      assert.deepEqual(
        p.log.filter((e) => e.note).map((e) => e.note),
        [{ send: true, ping: true, state: 0 }, { openState: 1 }]
      );
    } finally {
      await p.close();
    }
  });

  test("'data' comes before 'message', 'end' before 'close'", T, async () => {
    const p = await openPair(impl);
    try {
      await p.client.write(Buffer.concat([F.text('m'), F.close(1000)]));
      await p.log.closed;
      assert.deepEqual(
        p.log.map((e) => e.event),
        ['open', 'data', 'message', 'end', 'close']
      );
    } finally {
      await p.close();
    }
  });

  test('on* properties run before listeners; addEventListener adds duplicates', T, async () => {
    const order = [];
    const p = await openPair(impl, {
      onSocket(ws) {
        const l = (e) => order.push(['listener', e.data]);
        ws.addEventListener('message', l);
        ws.addEventListener('message', l);
        ws.onmessage = function (e) {
          order.push(['on', e.data, this === ws]);
        };
        const gone = () => order.push(['removed']);
        ws.addEventListener('message', gone);
        ws.removeEventListener('message', gone);
      },
    });
    try {
      await p.client.write(F.text('x'));
      await p.client.waitFor(() => order.length >= 3, 2000);
      await delay(20);
      assert.deepEqual(order, [
        ['on', 'x', true],
        ['listener', 'x'],
        ['listener', 'x'],
      ]);
    } finally {
      await p.close();
    }
  });

  test('dispatchEvent returns undefined and sets target/currentTarget/eventPhase', T, async () => {
    const p = await openPair(impl);
    try {
      const got = [];
      p.ws.on('custom', (e) => got.push(e));
      p.ws.oncustom = () => got.push('on');
      const ev = { type: 'custom', extra: 1 };
      assert.equal(p.ws.dispatchEvent(ev), undefined);
      assert.equal(got[0], 'on');
      assert.equal(got[1], ev);
      assert.equal(ev.target, p.ws);
      assert.equal(ev.currentTarget, p.ws);
      assert.equal(ev.eventPhase, 2);
    } finally {
      await p.close();
    }
  });

  test("event objects have exactly faye's own keys", T, async () => {
    const seen = {};
    const p = await openPair(impl, {
      onSocket(ws) {
        for (const t of ['open', 'message', 'error', 'close'])
          ws.addEventListener(t, (e) => {
            seen[t] = e;
          });
      },
    });
    try {
      await p.client.write(Buffer.concat([F.binary(Buffer.from([1])), F.frame({ opcode: 3 })]));
      await p.log.closed;
      const base = ['bubbles', 'cancelable', 'currentTarget', 'eventPhase', 'target', 'type'];
      assert.deepEqual(Object.keys(seen.open).sort(), base);
      assert.deepEqual(Object.keys(seen.message).sort(), [...base, 'data'].sort());
      assert.deepEqual(Object.keys(seen.error).sort(), [...base, 'message'].sort());
      assert.deepEqual(Object.keys(seen.close).sort(), [...base, 'code', 'reason'].sort());
      for (const [t, e] of Object.entries(seen)) {
        assert.equal(e.type, t);
        assert.equal(e.bubbles, false);
        assert.equal(e.cancelable, false);
        assert.equal(e.target, p.ws);
        assert.equal(e.currentTarget, p.ws);
        assert.equal(e.eventPhase, 2);
      }
      assert.ok(!(seen.error instanceof Error));
      assert.equal(seen.error.message, 'Unrecognized frame opcode: 3');
      assert.ok(Buffer.isBuffer(seen.message.data));
      assert.equal(seen.close.wasClean, undefined);
      assert.deepEqual([seen.close.code, seen.close.reason], [1002, 'Unrecognized frame opcode: 3']);
    } finally {
      await p.close();
    }
  });
});

describe('close()', () => {
  for (const code of [1001, 1005, 2999, 5000, '1000', null, 0, 1000.5]) {
    test(`close(${JSON.stringify(code)}) throws faye's text`, T, async () => {
      const p = await openPair(impl);
      try {
        assert.throws(() => p.ws.close(code), closeError(code));
        assert.equal(p.ws.readyState, 1, 'still open');
      } finally {
        await p.close();
      }
    });
  }

  test('close(3000.5) is accepted and writes 3000; a second close() does nothing', T, async () => {
    const p = await openPair(impl);
    try {
      assert.equal(p.ws.close(3000.5, 'half'), undefined);
      assert.equal(p.ws.readyState, 2);
      assert.equal(p.ws.close(), undefined);
      assert.equal(p.ws.close(4000, 'again'), undefined);
      assert.ok(await p.client.waitFrames(1));
      await delay(50);
      assert.deepEqual(
        p.client.frames.map((f) => [f.opcode, f.code, f.reason]),
        [[8, 3000, 'half']]
      );
      await p.client.write(F.close(3000));
      const log = await p.log.closed;
      assert.deepEqual(log.at(-1), { event: 'close', code: 3000, reason: '', readyState: 3 });
    } finally {
      await p.close();
    }
  });

  test('end(data) sends data then closes', T, async () => {
    const p = await openPair(impl);
    try {
      assert.equal(p.ws.end('last'), undefined);
      assert.ok(await p.client.waitFrames(2));
      assert.deepEqual(
        p.client.frames.map((f) => [f.opcode, f.payload.toString('latin1')]),
        [
          [1, 'last'],
          [8, '\u0003\u00e8'],
        ]
      );
    } finally {
      await p.close();
    }
  });

  // faye's API.CLOSE_TIMEOUT (30 s), read at each close(): both
  // implementations let a test shorten it, each in its own internal module.
  test('a peer that never answers our close frame gets close 1006 after the close timeout', T, async () => {
    const settings = isOriginal
      ? require('faye-websocket/lib/faye/websocket/api')
      : require('../../lib/connection').settings;
    const key = isOriginal ? 'CLOSE_TIMEOUT' : 'closeTimeout';
    const saved = settings[key];
    settings[key] = 300;
    const p = await openPair(impl);
    try {
      const started = Date.now();
      const closed = new Promise((resolve) => p.ws.on('close', resolve));
      p.ws.close(4000, 'bye');
      assert.equal(p.ws.readyState, 2);
      const event = await closed;
      assert.deepEqual([event.code, event.reason], [1006, '']);
      assert.ok(Date.now() - started >= 250, 'not before the timeout');
      assert.ok(await p.client.waitFrames(1));
      assert.equal(p.client.frames[0].opcode, 8);
    } finally {
      settings[key] = saved;
      await p.close();
    }
  });
});

describe('send / ping return values', () => {
  test('in each state', T, async () => {
    const states = {};
    const p = await openPair(impl, {
      onSocket(ws) {
        states.connecting = [ws.send('a'), ws.ping('a')];
      },
    });
    try {
      states.open = [p.ws.send('b'), p.ws.ping('b'), p.ws.write('c')];
      p.ws.close();
      states.closing = [p.ws.readyState, p.ws.send('c'), p.ws.ping('c')];
      await p.client.write(F.close(1000));
      await p.log.closed;
      states.closed = [p.ws.readyState, p.ws.send('d'), p.ws.ping('d'), p.ws.readable, p.ws.writable];
      assert.deepEqual(states, {
        connecting: [true, true],
        open: [true, true, true],
        closing: [2, false, false],
        closed: [3, false, false, false, false],
      });
      // nothing sent after close
      assert.deepEqual(
        p.client.frames.map((f) => f.opcode),
        [1, 9, 1, 9, 1, 8]
      );
    } finally {
      await p.close();
    }
  });
});

describe('streams and flow control', () => {
  test('pause(): m1 delivered, m2/m3 only after resume()', T, async () => {
    const p = await openPair(impl);
    try {
      const msgs = () => p.log.filter((e) => e.event === 'message').map((e) => e.data);
      assert.equal(p.ws.pause(), undefined);
      await p.client.write(F.text('m1'));
      await delay(100);
      await p.client.write(F.text('m2'));
      await delay(50);
      await p.client.write(F.text('m3'));
      await delay(150);
      assert.deepEqual(msgs(), ['m1']);
      assert.equal(p.ws.resume(), undefined);
      await delay(100);
      assert.deepEqual(msgs(), ['m1', 'm2', 'm3']);
    } finally {
      await p.close();
    }
  });

  test('ws.pipe(ws) echoes', T, async () => {
    const p = await openPair(impl, {
      onSocket(ws) {
        ws.pipe(ws);
      },
    });
    try {
      await p.client.write(Buffer.concat([F.text('hello'), F.binary(Buffer.from([9, 8]))]));
      assert.ok(await p.client.waitFrames(2));
      assert.deepEqual(
        p.client.frames.map((f) => [f.opcode, f.payload.toString('hex')]),
        [
          [1, '68656c6c6f'],
          [2, '0908'],
        ]
      );
    } finally {
      await p.close();
    }
  });

  // Sends 1 MiB messages to a peer that has stopped reading until the path is
  // saturated: send() returned false and no 'drain' arrives within 200 ms (the
  // kernel's loopback buffers absorb a few MiB first). Bounded at 64 MiB.
  async function saturate(p) {
    const big = Buffer.alloc(1024 * 1024, 1);
    let sent = 0;
    let drained;
    p.ws.on('drain', () => {
      drained = true;
    });
    while (sent < 64) {
      let ret = true;
      while (ret && sent < 64) {
        ret = p.ws.send(big);
        sent++;
      }
      if (ret) break;
      drained = false;
      await delay(200);
      if (!drained) return { sent, saturated: true };
    }
    return { sent, saturated: false };
  }

  test(
    "backpressure: send returns false to a non-reading peer, 'drain' when it reads",
    { timeout: 30000 },
    async () => {
      const p = await openPair(impl);
      try {
        p.client.socket.pause();
        const { sent, saturated } = await saturate(p);
        assert.ok(saturated, `send() never stayed false after ${sent} MiB`);
        const drain = new Promise((r) => p.ws.once('drain', () => r(true)));
        p.client.socket.resume();
        assert.equal(await H.within(drain, 5000, false), true, "'drain' after the peer reads again");
        assert.ok(await p.client.waitFrames(sent, 10000));
        assert.equal(p.client.frames.length, sent);
        assert.equal(p.ws.send('after'), true);
      } finally {
        await p.close();
      }
    }
  );

  test('bufferedAmount: exact for ours (faye: always 0)', { timeout: 30000 }, async () => {
    const p = await openPair(impl);
    try {
      p.client.socket.pause();
      const before = p.ws.bufferedAmount;
      const { sent, saturated } = await saturate(p);
      const stalled = p.ws.bufferedAmount;
      p.client.socket.resume();
      assert.ok(await p.client.waitFrames(sent, 10000));
      let after = p.ws.bufferedAmount;
      for (let i = 0; i < 50 && after !== 0; i++) {
        await delay(20);
        after = p.ws.bufferedAmount;
      }
      assert.ok(saturated);
      assert.equal(before, 0);
      assert.equal(after, 0);
      if (isOriginal) assert.equal(stalled, 0);
      else
        assert.ok(
          stalled > 0 && stalled <= sent * (1024 * 1024 + 14),
          `bufferedAmount while stalled: ${stalled} after ${sent} MiB`
        );
    } finally {
      await p.close();
    }
  });
});
