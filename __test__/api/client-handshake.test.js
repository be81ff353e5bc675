'use strict';
// The client's opening handshake against raw TCP servers written here: the
// request bytes, every way websocket-driver's client fails a response (its
// message, status code and headers), hostile responses, the handshake
// timeout, option checks, close() and network errors before open.

const assert = require('node:assert/strict');
const net = require('net');
const { test, after } = require('node:test');
const { Client, activeSockets, cleanup, delay, record, within, startRawServer } = require('../helpers/client');

after(cleanup);

const PREFIX = 'Error during WebSocket handshake: ';

function ok(accept, extra = '') {
  return `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n${extra}\r\n`;
}

function frame(opcode, payload) {
  const data = Buffer.from(payload);
  return Buffer.concat([Buffer.from([0x80 | opcode, data.length]), data]);
}

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('request: faye header order, auth from userinfo, user headers cannot override', async () => {
  const server = await startRawServer((request, socket) => socket.write(ok(request.accept)));
  const url = `ws://us%20er:p%40ss@127.0.0.1:${server.port}/pa th?q=1&r=é#fragment`;
  const ws = new Client(url, ['a', 'b'], {
    headers: {
      Host: 'evil',
      'X-Custom': ' v ',
      'sec-websocket-key': 'forged',
      Upgrade: 'h2c',
      'X-Undefined': undefined,
    },
  });
  const log = record(ws);
  await within(log.waitFor('open'), 5000, 'open');
  const [request] = server.requests;
  const auth = Buffer.from('us%20er:p%40ss').toString('base64');
  assert.equal(
    request.head,
    `GET /pa%20th?q=1&r=%C3%A9 HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Key: ${request.key}\r\nSec-WebSocket-Version: 13\r\n` +
      `Sec-WebSocket-Protocol: a, b\r\nAuthorization: Basic ${auth}\r\nX-Custom: v\r\n\r\n`
  );
  assert.equal(Buffer.from(request.key, 'base64').length, 16);
  assert.equal(ws.url, url, 'url keeps the caller string');
  assert.equal(ws.version, 'hybi-13');
  ws.close();
  await server.close(); // the raw server never answers the close frame
  await log.closed;
});

test('request: no Authorization unless both user name and password are set; fresh keys', async () => {
  const server = await startRawServer((request, socket) => socket.write(ok(request.accept)));
  const first = new Client(`ws://user@127.0.0.1:${server.port}/`);
  const second = new Client(`ws://:pass@127.0.0.1:${server.port}`);
  const logs = [record(first), record(second)];
  await Promise.all(logs.map((log) => within(log.waitFor('open'), 5000, 'open')));
  for (const request of server.requests) {
    assert.doesNotMatch(request.head, /Authorization/);
    assert.match(request.head, /^GET \/ HTTP\/1\.1\r\n/);
  }
  assert.notEqual(server.requests[0].key, server.requests[1].key);
  first.close();
  second.close();
  await server.close();
  await Promise.all(logs.map((log) => log.closed));
});

// Every check websocket-driver's client makes on the response, one failure each.
const FAILURES = [
  {
    name: 'unparseable status line',
    response: () => 'HTTP/1.1 1O1 Nope\r\n\r\n',
    message: 'Parse Error',
    statusCode: undefined,
    headers: {},
  },
  {
    name: 'a CR inside a header line',
    response: (accept) => `HTTP/1.1 101 OK\r\nUpgrade: web\rsocket\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    message: 'Parse Error',
    statusCode: undefined,
    headers: {},
  },
  {
    name: 'status 200',
    response: () => 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\nx-a: 2\r\n\r\nhi',
    message: 'Unexpected response code: 200',
    statusCode: 200,
    headers: { 'content-length': '2', 'x-a': '1, 2' },
  },
  {
    name: 'a redirect is not followed',
    response: () => 'HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\n\r\n',
    message: 'Unexpected response code: 302',
    statusCode: 302,
    headers: { location: '/elsewhere' },
  },
  {
    name: 'Upgrade missing',
    response: (accept) => `HTTP/1.1 101 OK\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    message: "'Upgrade' header is missing",
    statusCode: 101,
  },
  {
    name: 'Upgrade empty',
    response: (accept) =>
      `HTTP/1.1 101 OK\r\nUpgrade:\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    message: "'Upgrade' header is missing",
    statusCode: 101,
  },
  {
    name: 'Upgrade not websocket',
    response: (accept) =>
      `HTTP/1.1 101 OK\r\nUpgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    message: "'Upgrade' header value is not 'WebSocket'",
    statusCode: 101,
  },
  {
    name: 'Connection missing',
    response: (accept) => `HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    message: "'Connection' header is missing",
    statusCode: 101,
  },
  {
    name: 'Connection not exactly Upgrade',
    response: (accept) =>
      `HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    message: "'Connection' header value is not 'Upgrade'",
    statusCode: 101,
  },
  {
    name: 'wrong Sec-WebSocket-Accept',
    response: () => ok('dGhlIHNhbXBsZSBub25jZQ=='),
    message: 'Sec-WebSocket-Accept mismatch',
    statusCode: 101,
  },
  {
    name: 'missing Sec-WebSocket-Accept',
    response: () => 'HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
    message: 'Sec-WebSocket-Accept mismatch',
    statusCode: 101,
  },
  {
    name: 'a subprotocol never offered',
    response: (accept) => ok(accept, 'Sec-WebSocket-Protocol: other\r\n'),
    message: 'Sec-WebSocket-Protocol mismatch',
    statusCode: 101,
  },
  {
    name: 'an extension never offered',
    response: (accept) => ok(accept, 'Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=7\r\n'),
    message: 'Server sent an extension response for unknown extension "permessage-deflate"',
    statusCode: 101,
  },
];

for (const row of FAILURES) {
  test(`handshake failure: ${row.name}`, async () => {
    const server = await startRawServer((request, socket) => socket.write(row.response(request.accept)));
    const ws = new Client(server.url + '/', ['echo']);
    const seen = [];
    ws.on('error', () => seen.push({ statusCode: ws.statusCode, headers: ws.headers, readyState: ws.readyState }));
    const events = await within(record(ws).closed, 5000, 'close');
    const message = PREFIX + row.message;
    assert.deepEqual(events, [
      { type: 'error', message },
      { type: 'close', code: 1002, reason: message },
    ]);
    assert.equal(seen[0].statusCode, row.statusCode, 'statusCode is set before error');
    assert.equal(seen[0].readyState, 0);
    assert.equal(ws.statusCode, row.statusCode);
    if (row.headers) assert.deepEqual(ws.headers, row.headers);
    else assert.equal(typeof ws.headers, 'object');
    assert.equal(ws.readyState, 3);
    await server.close();
  });
}

test('a 200 KB header block fails with the cap message, without waiting for its end', async () => {
  const server = await startRawServer((request, socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\n');
    for (let i = 0; i < 200; i += 1) socket.write(`X-Filler-${i}: ${'a'.repeat(1000)}\r\n`);
    // never finished
  });
  const ws = new Client(server.url);
  const events = await within(record(ws).closed, 5000, 'close');
  const message = PREFIX + 'max header size exceeded';
  assert.deepEqual(events, [
    { type: 'error', message },
    { type: 'close', code: 1002, reason: message },
  ]);
  assert.equal(ws.statusCode, undefined);
  assert.deepEqual(ws.headers, {});
  await server.close();
});

test('frames in the same TCP packet as the 101 are delivered right after open', async () => {
  const server = await startRawServer((request, socket) => {
    socket.write(
      Buffer.concat([Buffer.from(ok(request.accept, 'X-Extra: 1\r\n')), frame(1, 'hello'), frame(2, [1, 2, 3])])
    );
  });
  const ws = new Client(server.url);
  const log = record(ws);
  let openedInTick = null;
  ws.on('open', () => {
    openedInTick = log.events.length;
    process.nextTick(() => (openedInTick = log.events.length - openedInTick));
  });
  await within(log.waitFor('message', 2), 5000, 'messages');
  assert.deepEqual(
    log.events.map((event) => event.type),
    ['open', 'message', 'message']
  );
  assert.equal(log.events[1].data, 'hello');
  assert.deepEqual(log.events[2].data, Buffer.from([1, 2, 3]));
  assert.equal(openedInTick, 2, 'both messages were parsed in the same tick as open');
  assert.equal(ws.headers['x-extra'], '1');
  ws.close();
  await server.close();
});

test('the response split into single bytes still opens', async () => {
  const server = await startRawServer(async (request, socket) => {
    const bytes = Buffer.concat([Buffer.from(ok(request.accept)), frame(1, 'hi')]);
    for (const byte of bytes) {
      socket.write(Buffer.from([byte]));
      await delay(1);
    }
  });
  const ws = new Client(server.url);
  const log = record(ws);
  const [message] = await within(log.waitFor('message'), 10000, 'message');
  assert.equal(message.data, 'hi');
  ws.close();
  await server.close();
});

test('handshakeTimeout: a server that never answers', async () => {
  const server = await startRawServer(() => {});
  const ws = new Client(server.url, [], { handshakeTimeout: 150 });
  const started = Date.now();
  const events = await within(record(ws).closed, 5000, 'close');
  assert.ok(Date.now() - started >= 140);
  assert.deepEqual(events, [
    { type: 'error', message: 'Opening handshake has timed out' },
    { type: 'close', code: 1006, reason: '' },
  ]);
  await server.close();
});

test('handshakeTimeout: a server that trickles its headers', async () => {
  let timer;
  const server = await startRawServer((request, socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\n');
    timer = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 20);
  });
  const ws = new Client(server.url, [], { handshakeTimeout: 300 });
  const events = await within(record(ws).closed, 5000, 'close');
  clearInterval(timer);
  assert.deepEqual(events, [
    { type: 'error', message: 'Opening handshake has timed out' },
    { type: 'close', code: 1006, reason: '' },
  ]);
  await server.close();
});

test('handshakeTimeout does not fire once open', async () => {
  const server = await startRawServer((request, socket) => socket.write(ok(request.accept)));
  const ws = new Client(server.url, [], { handshakeTimeout: 50 });
  const log = record(ws);
  await within(log.waitFor('open'), 5000, 'open');
  await delay(120);
  assert.deepEqual(
    log.events.map((event) => event.type),
    ['open']
  );
  ws.close();
  await server.close();
});

test('bad URLs throw synchronously with faye’s message', () => {
  for (const url of [
    'http://example.com/',
    'ftp://x',
    'foo',
    '',
    'ws://',
    'ws//x',
    'ws://:80/',
    'ws://exa mple.com/',
    undefined,
    null,
  ]) {
    assert.throws(() => new Client(url), { message: `${url} is not a valid WebSocket URL` }, String(url));
  }
});

test('bad options throw before any socket exists', async () => {
  let connections = 0;
  const server = await startRawServer(() => {});
  server.server.on('connection', () => (connections += 1));
  const before = activeSockets();
  const cases = [
    [{ foo: 1 }, /Unrecognized option: foo/],
    [Object.create({ inherited: 1 }), /Unrecognized option: inherited/],
    [{ net: 'localhost' }, TypeError],
    [{ net: 42 }, TypeError],
    [{ tls: 'x' }, TypeError],
    [{ proxy: { origin: 'not a url' } }, /not a valid proxy URL/],
    [{ proxy: { origin: 'ftp://127.0.0.1:1' } }, /not a valid proxy URL/],
    [{ proxy: { origin: 'http://127.0.0.1:1', headers: { 'X-A': 'a\r\nInjected: 1' } } }, /CR or LF/],
    [{ headers: { 'X-A': 'a\nInjected: 1' } }, /CR or LF/],
    [{ headers: { 'X-A': null } }, TypeError],
    [{ handshakeTimeout: -1 }, TypeError],
    [{ handshakeTimeout: '100' }, TypeError],
    [{ extensions: [{ name: 'x' }] }, TypeError],
  ];
  for (const [options, expected] of cases) {
    assert.throws(() => new Client(server.url, [], options), expected, JSON.stringify(options));
  }
  assert.equal(activeSockets(), before, 'no socket was created');
  await delay(100);
  assert.equal(connections, 0, 'no connection was attempted');
  await server.close();
});

test('the net option is accepted and its socket options apply', async () => {
  const server = await startRawServer((request, socket) => socket.write(ok(request.accept)));
  const netOptions = Object.freeze({ localAddress: '127.0.0.1', host: 'ignored.invalid', port: 1 });
  const ws = new Client(server.url, [], { net: netOptions });
  const log = record(ws);
  await within(log.waitFor('open'), 5000, 'open');
  assert.deepEqual(netOptions, { localAddress: '127.0.0.1', host: 'ignored.invalid', port: 1 });
  ws.close();
  await server.close();
});

test('close() before the connection is up: close is synchronous, nothing is written', async () => {
  let received = 0;
  const server = await startRawServer(() => {});
  server.server.on('connection', (socket) => socket.on('data', (chunk) => (received += chunk.length)));
  const ws = new Client(server.url);
  const log = record(ws);
  ws.close(3000, 'never mind');
  assert.deepEqual(log.events, [{ type: 'close', code: 3000, reason: 'never mind' }]);
  assert.equal(ws.readyState, 3);
  await delay(100);
  assert.equal(received, 0);
  assert.equal(log.events.length, 1);
  await server.close();
});

test('close() while waiting for the 101: no close frame, socket destroyed', async () => {
  const after = [];
  let onEnd;
  const ended = new Promise((resolve) => (onEnd = resolve));
  const server = await startRawServer((request, socket) => {
    socket.on('data', (chunk) => after.push(chunk));
    socket.on('close', onEnd);
  });
  const ws = new Client(server.url);
  const log = record(ws);
  while (server.requests.length === 0) await delay(5);
  ws.close();
  assert.deepEqual(log.events, [{ type: 'close', code: 1000, reason: '' }]);
  await within(ended, 5000, 'server side closed');
  assert.equal(Buffer.concat(after).length + server.requests[0].rest.length, 0);
  await server.close();
});

test('network error: error then close 1006; statusCode and headers stay undefined', async () => {
  const port = await freePort();
  const url = `ws://127.0.0.1:${port}/x`;
  const ws = new Client(url);
  const events = await within(record(ws).closed, 5000, 'close');
  assert.deepEqual(events, [
    { type: 'error', message: `Network error: ${url}: connect ECONNREFUSED 127.0.0.1:${port}` },
    { type: 'close', code: 1006, reason: '' },
  ]);
  assert.equal(ws.statusCode, undefined);
  assert.equal(ws.headers, undefined);
});

test('the server hanging up mid-handshake gives close 1006 without error', async () => {
  const server = await startRawServer((request, socket) => socket.end('HTTP/1.1 101 Switching'));
  const ws = new Client(server.url);
  const events = await within(record(ws).closed, 5000, 'close');
  assert.deepEqual(events, [{ type: 'close', code: 1006, reason: '' }]);
  await server.close();
});

test('unmasked and masked server frames are both accepted, as faye does', async () => {
  const masked = Buffer.from([0x81, 0x82, 1, 2, 3, 4, 'o'.charCodeAt(0) ^ 1, 'k'.charCodeAt(0) ^ 2]);
  const server = await startRawServer((request, socket) =>
    socket.write(Buffer.concat([Buffer.from(ok(request.accept)), frame(1, 'plain'), masked]))
  );
  const ws = new Client(server.url);
  const log = record(ws);
  const messages = await within(log.waitFor('message', 2), 5000, 'messages');
  assert.deepEqual(
    messages.map((m) => m.data),
    ['plain', 'ok']
  );
  ws.close();
  await server.close();
});

test('a URL object is accepted (faye throws a TypeError) and url keeps it', async () => {
  const server = await startRawServer((request, socket) => socket.write(ok(request.accept)));
  const url = new URL(server.url + '/obj?x=1');
  const ws = new Client(url);
  const log = record(ws);
  await within(log.waitFor('open'), 5000, 'open');
  assert.equal(ws.url, url);
  assert.match(server.requests[0].head, /^GET \/obj\?x=1 HTTP\/1\.1\r\n/);
  ws.close();
  await server.close();
  await log.closed;
});
