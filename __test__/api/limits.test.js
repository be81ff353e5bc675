'use strict';
// Our opt-in limits (not in faye-websocket): the heartbeat that finds dead
// peers, and maxBufferedAmount for peers that read too slowly.
const { describe, test, after } = require('node:test');
const assert = require('node:assert/strict');
const net = require('net');
const WS = require('ws');
const { impl, isOriginal, startServer, RawClient, delay, within, cleanupAll } = require('../helpers');

after(cleanupAll);

const skip = isOriginal && 'options of ours';
const T = { timeout: 15000, skip };
const HEARTBEAT = { interval: 100, timeout: 200 };

function closed(ws) {
  const log = [];
  const done = new Promise((resolve) => {
    ws.on('error', (event) => log.push({ error: event.message }));
    ws.on('close', (event) => {
      log.push({ close: event.code });
      resolve(log);
    });
  });
  return { log, done };
}

// A TCP relay between client and server that can stop forwarding both ways
// without closing either socket: a black-holed path, as a dead NAT entry.
function blackHoleRelay(port) {
  const state = { holed: false, sockets: [] };
  const server = net.createServer((inbound) => {
    const outbound = net.connect(port, '127.0.0.1');
    state.sockets.push(inbound, outbound);
    const relay = (from, to) => from.on('data', (chunk) => state.holed || to.write(chunk));
    relay(inbound, outbound);
    relay(outbound, inbound);
    for (const s of [inbound, outbound]) s.on('error', () => {});
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      state.port = server.address().port;
      state.close = () => {
        for (const s of state.sockets) s.destroy();
        server.close();
      };
      resolve(state);
    });
  });
}

describe('options are checked as faye checks them', () => {
  const bad = [
    [{ heartbeat: 5 }, 'The "heartbeat" option must be an object; got number'],
    [{ heartbeat: { interval: 100 } }, 'The "heartbeat.timeout" option must be a positive number of milliseconds'],
    [
      { heartbeat: { interval: 0, timeout: 1 } },
      'The "heartbeat.interval" option must be a positive number of milliseconds',
    ],
    [{ maxBufferedAmount: -1 }, 'The "maxBufferedAmount" option must be a non-negative number of bytes'],
    [{ maxBufferedAmount: '1' }, 'The "maxBufferedAmount" option must be a non-negative number of bytes'],
  ];
  for (const [options, message] of bad) {
    test(`client: ${JSON.stringify(options)} throws`, { skip }, () => {
      assert.throws(() => new impl.Client('ws://127.0.0.1:1/', [], options), { name: 'TypeError', message });
    });
  }
  test('an unknown option is faye\'s "Unrecognized option"', { skip }, () => {
    assert.throws(() => new impl.Client('ws://127.0.0.1:1/', [], { heartBeat: {} }), {
      message: 'Unrecognized option: heartBeat',
    });
  });
});

describe('heartbeat', () => {
  test('server: a peer that never answers pings is closed with 1006', T, async () => {
    let result;
    const srv = await startServer(impl, (ws) => (result = closed(ws)), { options: { heartbeat: HEARTBEAT } });
    const c = await RawClient.connect(srv.port);
    try {
      await c.sendHandshake({});
      await c.waitHead();
      const started = Date.now();
      const log = await within(result.done, 3000, null);
      assert.ok(log, 'closed');
      assert.deepEqual(log, [{ error: 'No pong within 200 ms of a heartbeat ping' }, { close: 1006 }]);
      assert.ok(Date.now() - started >= 250, 'not before interval + timeout');
      assert.ok(
        c.frames.some((f) => f.opcode === 9),
        'pings were sent'
      );
      assert.ok(await c.waitEnd(2000), 'the socket was closed');
    } finally {
      c.destroy();
      await srv.close();
    }
  });

  test('server: a peer that answers stays open', T, async () => {
    let result;
    const srv = await startServer(impl, (ws) => (result = closed(ws)), { options: { heartbeat: HEARTBEAT } });
    const client = new WS(srv.url);
    let pings = 0;
    client.on('ping', () => (pings += 1));
    await new Promise((resolve) => client.once('open', resolve));
    await delay(800);
    assert.ok(pings >= 3, `${pings} pings`);
    assert.deepEqual(result.log, []);
    client.close();
    await result.done;
    await srv.close();
  });

  test('client: a server that stops answering pongs is found dead', T, async () => {
    const server = new WS.Server({ host: '127.0.0.1', port: 0, autoPong: false });
    await new Promise((resolve) => server.once('listening', resolve));
    const ws = new impl.Client(`ws://127.0.0.1:${server.address().port}/`, [], { heartbeat: HEARTBEAT });
    const result = closed(ws);
    const log = await within(result.done, 3000, null);
    server.close();
    for (const peer of server.clients) peer.terminate();
    assert.deepEqual(log, [{ error: 'No pong within 200 ms of a heartbeat ping' }, { close: 1006 }]);
  });

  test('client: a black-holed connection is found dead', T, async () => {
    const srv = await startServer(impl, (ws) => ws.on('error', () => {}));
    const relay = await blackHoleRelay(srv.port);
    try {
      const ws = new impl.Client(`ws://127.0.0.1:${relay.port}/`, [], { heartbeat: HEARTBEAT });
      const result = closed(ws);
      await new Promise((resolve) => ws.on('open', resolve));
      await delay(400);
      assert.deepEqual(result.log, [], 'alive while the path works');
      relay.holed = true;
      const log = await within(result.done, 3000, null);
      assert.deepEqual(log, [{ error: 'No pong within 200 ms of a heartbeat ping' }, { close: 1006 }]);
    } finally {
      relay.close();
      await srv.close();
    }
  });
});

describe('maxBufferedAmount', () => {
  test('a peer that stops reading is closed with 1008 once the cap is passed', T, async () => {
    let ws;
    let result;
    const srv = await startServer(
      impl,
      (w) => {
        ws = w;
        result = closed(w);
      },
      { options: { maxBufferedAmount: 1024 * 1024 } }
    );
    const c = await RawClient.connect(srv.port);
    try {
      await c.sendHandshake({});
      await c.waitHead();
      c.socket.pause();
      await new Promise((resolve) => (ws.readyState === 1 ? resolve() : ws.on('open', resolve)));
      // The application ignores send's answer.
      let sent = 0;
      for (let i = 0; i < 4096 && ws.readyState === 1; i += 1) {
        ws.send(Buffer.alloc(64 * 1024, i));
        sent += 1;
        if (i % 16 === 15) await delay(1);
      }
      const log = await within(result.done, 5000, null);
      assert.ok(log, `closed (${sent} sent)`);
      assert.equal(log.length, 2);
      assert.match(log[0].error, /^bufferedAmount \d+ exceeds maxBufferedAmount 1048576$/);
      assert.deepEqual(log[1], { close: 1008 });
      assert.equal(ws.bufferedAmount, 0, 'nothing is kept');
      assert.equal(ws.send('more'), false);
      assert.ok(sent < 4096, 'closed before the loop ended');
    } finally {
      c.destroy();
      await srv.close();
    }
  });

  test('without the option everything is kept, as faye does', T, async () => {
    let ws;
    const srv = await startServer(impl, (w) => (ws = w));
    const c = await RawClient.connect(srv.port);
    try {
      await c.sendHandshake({});
      await c.waitHead();
      c.socket.pause();
      await new Promise((resolve) => (ws.readyState === 1 ? resolve() : ws.on('open', resolve)));
      for (let i = 0; i < 256; i += 1) ws.send(Buffer.alloc(64 * 1024, i));
      await delay(200);
      assert.equal(ws.readyState, 1);
      assert.ok(ws.bufferedAmount > 8 * 1024 * 1024, `bufferedAmount ${ws.bufferedAmount}`);
      c.socket.resume();
      assert.ok(await c.waitFrames(256, 10000), 'every message arrives');
      assert.deepEqual(
        c.frames.slice(0, 256).map((f) => f.length),
        Array(256).fill(64 * 1024)
      );
    } finally {
      c.destroy();
      await srv.close();
    }
  });
});
