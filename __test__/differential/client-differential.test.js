'use strict';
// Differential: the same scenarios run with faye-websocket's Client and with
// ours must dispatch the same events (type, data, code, reason, message) and
// leave the same statusCode, headers and protocol. Each scenario gets fresh
// option objects, since faye writes to them.

const assert = require('node:assert/strict');
const net = require('net');
const { test, after } = require('node:test');
const {
  Client,
  FayeClient,
  cleanup,
  delay,
  record,
  within,
  makeCertificate,
  startEchoServer,
  startProxy,
  startRawServer,
} = require('../helpers/client');

after(cleanup);

const certificate = makeCertificate();

// Runs `scenario(Impl)` for both clients; it resolves to a comparable value.
async function same(scenario) {
  const theirs = await within(scenario(FayeClient), 10000, 'faye scenario');
  const ours = await within(scenario(Client), 10000, 'our scenario');
  assert.deepEqual(ours, theirs);
  return ours;
}

function snapshot(ws, events) {
  const headers = ws.headers && { ...ws.headers };
  if (headers) delete headers['sec-websocket-accept'];
  return { events, statusCode: ws.statusCode, headers, protocol: ws.protocol, readyState: ws.readyState };
}

async function conversation(Impl, url, protocols, options) {
  const ws = new Impl(url, protocols, options);
  const log = record(ws);
  ws.send('queued before open');
  await log.waitFor('open');
  ws.send('text é');
  ws.send(Buffer.from([0, 1, 2, 255]));
  ws.send(13);
  await log.waitFor('message', 4);
  ws.close(3003, 'done');
  await log.closed;
  return snapshot(ws, log.events);
}

test('echo conversation with our server, subprotocol chosen', async () => {
  const server = await startEchoServer('ours');
  const result = await same((Impl) => conversation(Impl, server.url + '/echo', ['foo', 'echo']));
  assert.equal(result.protocol, 'echo');
  await server.close();
});

test('echo conversation with a ws server, no subprotocol', async () => {
  const server = await startEchoServer('ws');
  await same((Impl) => conversation(Impl, server.url, []));
  await server.close();
});

test('echo conversation over wss with ca', async () => {
  const server = await startEchoServer('faye', { tls: certificate });
  await same((Impl) => conversation(Impl, server.url, ['chat'], { ca: certificate.cert }));
  await server.close();
});

test('echo conversation through an http proxy', async () => {
  const server = await startEchoServer('ws');
  const proxy = await startProxy();
  await same((Impl) =>
    conversation(Impl, server.url, [], { proxy: { origin: proxy.origin, headers: { 'User-Agent': 'x' } } })
  );
  await proxy.close();
  await server.close();
});

test('wss through an https proxy', async () => {
  const server = await startEchoServer('ws', { tls: certificate });
  const proxy = await startProxy({ tls: certificate });
  await same((Impl) =>
    conversation(Impl, server.url, [], {
      proxy: { origin: proxy.origin, tls: { ca: certificate.cert } },
      tls: { ca: certificate.cert },
    })
  );
  await proxy.close();
  await server.close();
});

test('the server closes with a code and reason', async () => {
  const server = await startEchoServer('ws');
  await same(async (Impl) => {
    const ws = new Impl(server.url);
    const log = record(ws);
    const peer = await server.nextConnection();
    await log.waitFor('open');
    peer.close(4001, 'bye now');
    await log.closed;
    return snapshot(ws, log.events);
  });
  await server.close();
});

function ok(accept, extra = '') {
  return `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n${extra}\r\n`;
}

const RESPONSES = {
  'unparseable status line': () => 'HTTP/1.1 1O1 x\r\n\r\n',
  'status 400 with a body': () =>
    'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nbad',
  redirect: () => 'HTTP/1.1 301 Moved\r\nLocation: /x\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n\r\n',
  'Upgrade missing': (a) => `HTTP/1.1 101 OK\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${a}\r\n\r\n`,
  'Upgrade wrong': (a) =>
    `HTTP/1.1 101 OK\r\nUpgrade: foo\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${a}\r\n\r\n`,
  'Connection missing': (a) => `HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: ${a}\r\n\r\n`,
  'Connection list': (a) =>
    `HTTP/1.1 101 OK\r\nUpgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Accept: ${a}\r\n\r\n`,
  'Accept wrong': () => ok('x'),
  'protocol never offered': (a) => ok(a, 'Sec-WebSocket-Protocol: zzz\r\n'),
  'extension never offered': (a) => ok(a, 'Sec-WebSocket-Extensions: x-foo\r\n'),
  'malformed extension header': (a) => ok(a, 'Sec-WebSocket-Extensions: x;;\r\n'),
  'accepted, folded and repeated headers, frames in the same packet': (a) =>
    ok(a, 'X-Rep: 1\r\nx-rep: 2\r\nX-Fold: a\r\n  b\r\nSec-WebSocket-Protocol: p2\r\n') + '\x81\x05hello\x82\x01\x07',
};

for (const [name, response] of Object.entries(RESPONSES)) {
  test(`raw server response: ${name}`, async () => {
    const server = await startRawServer((request, socket) =>
      socket.write(Buffer.from(response(request.accept), 'latin1'))
    );
    await same(async (Impl) => {
      const ws = new Impl(server.url + '/raw', ['p1', 'p2']);
      const log = record(ws);
      const states = [];
      ws.on('error', () => states.push(['error', ws.statusCode, ws.readyState]));
      ws.on('open', () => states.push(['open', ws.statusCode, ws.readyState]));
      await Promise.race([log.closed, log.waitFor('message', 2)]);
      if (ws.readyState === 1) {
        // The raw server never answers a close frame: hang up instead.
        for (const socket of server.sockets) socket.destroy();
        await log.closed;
      }
      return { ...snapshot(ws, log.events), states };
    });
    await server.close();
  });
}

test('a 200 KB header block', async () => {
  const server = await startRawServer((request, socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\n' + `X-Filler: ${'a'.repeat(1000)}\r\n`.repeat(230));
  });
  const result = await same(async (Impl) => {
    const ws = new Impl(server.url);
    const log = record(ws);
    await log.closed;
    return snapshot(ws, log.events);
  });
  assert.equal(result.events[0].message, 'Error during WebSocket handshake: max header size exceeded');
  await server.close();
});

test('network error', async () => {
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  await same(async (Impl) => {
    const ws = new Impl(`ws://127.0.0.1:${port}/`);
    const log = record(ws);
    await log.closed;
    return snapshot(ws, log.events);
  });
});

test('wrong CA', async () => {
  const server = await startEchoServer('ws', { tls: certificate });
  const other = makeCertificate();
  await same(async (Impl) => {
    const ws = new Impl(server.url, [], { tls: { ca: other.cert } });
    const log = record(ws);
    await log.closed;
    return snapshot(ws, log.events);
  });
  await server.close();
});

test('close() before open, synchronously and after connecting', async () => {
  const server = await startRawServer(() => {});
  await same(async (Impl) => {
    const first = new Impl(server.url);
    const firstLog = record(first);
    first.close(3000, 'early');
    const sync = firstLog.events.slice();
    const second = new Impl(server.url);
    const secondLog = record(second);
    await delay(50);
    second.close();
    await secondLog.closed;
    await delay(20);
    return { sync, first: snapshot(first, firstLog.events), second: snapshot(second, secondLog.events) };
  });
  await server.close();
});

test('bad URLs throw the same errors', () => {
  for (const url of ['http://example.com/', 'foo', '', 'ws://', 'ws://exa mple.com/', undefined]) {
    let theirs;
    let ours;
    try {
      new FayeClient(url);
    } catch (error) {
      theirs = error.message;
    }
    try {
      new Client(url);
    } catch (error) {
      ours = error.message;
    }
    assert.equal(ours, theirs, String(url));
  }
});

test('a proxy answering 407 (the proxy package ends the socket): same events', async () => {
  const server = await startEchoServer('ws');
  const proxy = await startProxy({ auth: 'a:b' });
  await same(async (Impl) => {
    const ws = new Impl(server.url, [], { proxy: { origin: proxy.origin.replace('a:b', 'a:c') } });
    const log = record(ws);
    await log.closed;
    return snapshot(ws, log.events);
  });
  await proxy.close();
  await server.close();
});
