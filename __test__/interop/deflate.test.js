'use strict';
// permessage-deflate end to end: our server and client against ws, faye-websocket
// + permessage-deflate, and each other; exact negotiation headers against faye;
// the zip bomb and corrupt data over a real socket.
const { describe, test, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('http');
const net = require('net');
const crypto = require('crypto');
const WS = require('ws');
const Faye = require('faye-websocket');
const deflate = require('permessage-deflate');
const Native = require('../..');

const T = { timeout: 60000 };
const servers = [];
after(() => servers.forEach((server) => server.close()));

// An echo server (ours or faye's) with the given extensions.
function echoServer(WebSocket, extensions, options = {}) {
  return new Promise((resolve) => {
    const server = http.createServer();
    const sockets = [];
    server.on('upgrade', (req, socket, body) => {
      const ws = new WebSocket(req, socket, body, [], Object.assign({ extensions }, options));
      sockets.push(ws);
      ws.on('message', (event) => ws.send(event.data));
    });
    server.listen(0, '127.0.0.1', () => {
      servers.push(server);
      resolve({ url: 'ws://127.0.0.1:' + server.address().port, server, sockets });
    });
  });
}

function wsClient(url, perMessageDeflate) {
  return new Promise((resolve, reject) => {
    const client = new WS(url, { perMessageDeflate });
    client.once('upgrade', (res) => (client.extensionHeader = res.headers['sec-websocket-extensions']));
    client.once('open', () => resolve(client));
    client.once('error', reject);
  });
}

function messages(client, count) {
  return new Promise((resolve, reject) => {
    const received = [];
    client.on('message', (data, isBinary) => {
      received.push(isBinary ? data : data.toString());
      if (received.length === count) resolve(received);
    });
    client.once('close', (code) => reject(new Error('closed ' + code)));
  });
}

function textOf(n, seed = 1) {
  const words = ['alpha ', 'beta ', 'gamma ', '{"id":', '42,', 'δέλτα ', '\n', '✓ '];
  let out = '';
  let state = seed;
  while (out.length < n) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    out += words[state % words.length];
  }
  return out.slice(0, n);
}

const PAYLOADS = [
  '',
  'x',
  textOf(125),
  textOf(70000, 2),
  crypto.randomBytes(0),
  crypto.randomBytes(300),
  Buffer.from(textOf(1 << 20, 3)),
  crypto.randomBytes(4 << 20),
];

function same(actual, expected) {
  if (Buffer.isBuffer(expected)) assert.ok(Buffer.isBuffer(actual) && actual.equals(expected), 'binary mismatch');
  else assert.equal(actual, expected);
}

// The parameter combinations ws can ask for as a client.
const WS_CLIENT_COMBOS = [
  {},
  { serverNoContextTakeover: true },
  { clientNoContextTakeover: true },
  { serverMaxWindowBits: 9 },
  { serverMaxWindowBits: 8 },
  { clientMaxWindowBits: 8 },
  { clientMaxWindowBits: 12, serverMaxWindowBits: 10 },
  { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 11, clientMaxWindowBits: 13 },
];

describe('ws client against our server', () => {
  for (const combo of WS_CLIENT_COMBOS) {
    test('offer ' + JSON.stringify(combo) + ': same answer as faye, payloads echo', T, async () => {
      const ours = await echoServer(Native, [deflate]);
      const faye = await echoServer(Faye, [deflate]);
      const client = await wsClient(ours.url, combo);
      const reference = await wsClient(faye.url, combo);
      assert.equal(client.extensionHeader, reference.extensionHeader);
      reference.close();
      const received = messages(client, PAYLOADS.length);
      for (const payload of PAYLOADS) client.send(payload);
      (await received).forEach((message, i) => same(message, PAYLOADS[i]));
      client.close();
    });
  }

  test('1000 messages in a row with context takeover, and fragmented sends', T, async () => {
    const ours = await echoServer(Native, [deflate]);
    const client = await wsClient(ours.url, {});
    const expected = [];
    for (let i = 0; i < 1000; i += 1) expected.push(textOf(200 + (i % 50), i));
    const fragmented = Buffer.from(textOf(100000, 9));
    const received = messages(client, 1001);
    for (const message of expected) client.send(message);
    // ws compresses a fragmented message as one stream: RSV1 on the first frame.
    for (let at = 0; at < fragmented.length; at += 30000) {
      client.send(fragmented.subarray(at, at + 30000), { binary: true, fin: at + 30000 >= fragmented.length });
    }
    const all = await received;
    all.slice(0, 1000).forEach((message, i) => assert.equal(message, expected[i]));
    same(all[1000], fragmented);
    client.close();
  });
});

describe('our client against ws and faye servers', () => {
  const clientCombos = [
    {},
    { noContextTakeover: true },
    { maxWindowBits: 8 },
    { requestNoContextTakeover: true },
    { requestMaxWindowBits: 10 },
    { noContextTakeover: true, maxWindowBits: 10, requestNoContextTakeover: true, requestMaxWindowBits: 11 },
  ];

  function ourClient(url, extension) {
    return new Promise((resolve, reject) => {
      const client = new Native.Client(url, [], { extensions: [extension] });
      client.on('open', () => resolve(client));
      client.on('close', (event) => reject(new Error('closed ' + event.code + ' ' + event.reason)));
    });
  }

  function echoes(client, payloads) {
    return new Promise((resolve) => {
      const received = [];
      client.on('message', (event) => {
        received.push(event.data);
        if (received.length === payloads.length) resolve(received);
      });
      for (const payload of payloads) client.send(payload);
    });
  }

  for (const options of clientCombos) {
    test('options ' + JSON.stringify(options) + ' against faye + permessage-deflate', T, async () => {
      const faye = await echoServer(Faye, [deflate]);
      const client = await ourClient(faye.url, deflate.configure(Object.assign({}, options)));
      assert.match(client.headers['sec-websocket-extensions'], /^permessage-deflate/);
      (await echoes(client, PAYLOADS)).forEach((message, i) => same(message, PAYLOADS[i]));
      client.close();
    });

    test('options ' + JSON.stringify(options) + ' against ws, with our own plugin', T, async () => {
      const wss = new WS.Server({ host: '127.0.0.1', port: 0, perMessageDeflate: { threshold: 0 } });
      servers.push(wss);
      await new Promise((resolve) => wss.on('listening', resolve));
      wss.on('connection', (socket) =>
        socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }))
      );
      const url = 'ws://127.0.0.1:' + wss.address().port;
      const client = await ourClient(url, Native.deflate.configure(Object.assign({}, options)));
      assert.match(client.headers['sec-websocket-extensions'], /^permessage-deflate/);
      (await echoes(client, PAYLOADS)).forEach((message, i) => same(message, PAYLOADS[i]));
      client.close();
    });
  }

  test('faye client with permessage-deflate against our server', T, async () => {
    const ours = await echoServer(Native, [deflate.configure({ noContextTakeover: true, maxWindowBits: 10 })]);
    const client = new Faye.Client(ours.url, [], { extensions: [deflate] });
    await new Promise((resolve) => client.on('open', resolve));
    const received = await new Promise((resolve) => {
      const got = [];
      client.on('message', (event) => {
        got.push(event.data);
        if (got.length === PAYLOADS.length) resolve(got);
      });
      PAYLOADS.forEach((payload) => client.send(payload));
    });
    received.forEach((message, i) => same(message, PAYLOADS[i]));
    client.close();
  });
});

// A raw upgrade request; resolves with the response head and the socket.
function rawUpgrade(url, extensions) {
  return new Promise((resolve) => {
    const { port } = new URL(url);
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(
        'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
          (extensions === null ? '' : 'Sec-WebSocket-Extensions: ' + extensions + '\r\n') +
          '\r\n'
      );
    });
    let head = Buffer.alloc(0);
    const onData = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.removeListener('data', onData);
      const rest = head.subarray(end + 4);
      resolve({ head: head.subarray(0, end).toString(), socket, rest });
    };
    socket.on('data', onData);
  });
}

function extensionLine(head) {
  const line = head.split('\r\n').find((l) => /^sec-websocket-extensions:/i.test(l));
  return line || null;
}

describe('negotiation matches faye byte for byte', () => {
  const offers = [
    null,
    'permessage-deflate',
    'permessage-deflate; client_max_window_bits',
    'permessage-deflate; server_max_window_bits=8; client_max_window_bits=8',
    'permessage-deflate; server_max_window_bits=16, permessage-deflate; server_no_context_takeover',
    'permessage-deflate; unknown=1',
    'x-webkit-deflate-frame, permessage-deflate; client_no_context_takeover',
    'permessage-deflate; client_max_window_bits=abc',
  ];
  const configs = [
    {},
    { noContextTakeover: true, requestNoContextTakeover: true, maxWindowBits: 9, requestMaxWindowBits: 12 },
  ];
  for (const config of configs) {
    for (const offer of offers) {
      test(JSON.stringify(config) + ' / ' + offer, async () => {
        const ours = await echoServer(Native, [deflate.configure(Object.assign({}, config))]);
        const faye = await echoServer(Faye, [deflate.configure(Object.assign({}, config))]);
        const a = await rawUpgrade(ours.url, offer);
        const b = await rawUpgrade(faye.url, offer);
        a.socket.destroy();
        b.socket.destroy();
        assert.equal(extensionLine(a.head), extensionLine(b.head));
      });
    }
  }
});

function maskedFrame(first, payload) {
  const key = crypto.randomBytes(4);
  let header;
  if (payload.length < 126) header = Buffer.from([first, 0x80 | payload.length]);
  else if (payload.length < 65536) {
    header = Buffer.from([first, 0x80 | 126, 0, 0]);
    header.writeUInt16BE(payload.length, 2);
  } else {
    header = Buffer.from([first, 0x80 | 127, 0, 0, 0, 0, 0, 0, 0, 0]);
    header.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i += 1) body[i] ^= key[i & 3];
  return Buffer.concat([header, key, body]);
}

// What the server writes until it closes the connection. A server that fails
// the connection with part of the client's data still unread (the rest of a
// frame, in the kernel's buffer) resets it, as faye does for an oversize
// frame: Node 24's libuv (1.52) reports that reset as ECONNRESET after the
// data, where older ones reported a plain end of stream. `allowReset` accepts
// that error only; any other error fails.
function closeOf(url, frames, { allowReset = false } = {}) {
  return new Promise((resolve, reject) => {
    rawUpgrade(url, 'permessage-deflate').then(({ socket, rest }) => {
      let data = rest;
      socket.on('data', (chunk) => (data = Buffer.concat([data, chunk])));
      socket.on('error', (error) => (allowReset && error.code === 'ECONNRESET' ? null : reject(error)));
      socket.on('close', () => resolve(data));
      socket.write(Buffer.concat(frames));
    });
  });
}

describe('bad compressed input', () => {
  test('a 261 KB frame that inflates to 256 MiB closes 1009 at maxLength with bounded memory', T, async () => {
    const bomb = require('zlib').deflateRawSync(Buffer.alloc(256 << 20), {
      level: 9,
      finishFlush: require('zlib').constants.Z_SYNC_FLUSH,
    });
    const payload = bomb.subarray(0, bomb.length - 4);
    assert.ok(payload.length < 300000);
    const ours = await echoServer(Native, [deflate], { maxLength: 1 << 20 });
    const closes = [];
    const frame = maskedFrame(0xc2, payload);
    if (global.gc) global.gc();
    const before = process.memoryUsage().rss;
    let peak = before;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    // Our server fails the frame once its output passes maxLength, most of it unread.
    const reply = await closeOf(ours.url, [frame], { allowReset: true });
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    ours.sockets[0].on('close', (event) => closes.push(event));
    assert.equal(reply.readUInt16BE(2), 1009);
    assert.equal(reply.subarray(4).toString(), 'WebSocket frame length too large');
    // faye grows by about 460 MB here.
    assert.ok(peak - before < 64 << 20, 'grew by ' + ((peak - before) >> 20) + ' MiB');
  });

  test("corrupt data closes 1010 with zlib's message, as faye does", T, async () => {
    const ours = await echoServer(Native, [deflate]);
    const faye = await echoServer(Faye, [deflate]);
    const frame = maskedFrame(0xc1, Buffer.from([0xff, 0xff, 0xff]));
    const a = await closeOf(ours.url, [frame]);
    const b = await closeOf(faye.url, [frame]);
    assert.deepEqual(a, b);
    assert.equal(a.subarray(4).toString(), 'permessage-deflate: invalid block type');
    assert.equal(a.readUInt16BE(2), 1010);
  });

  test('RSV1 on a control frame is a protocol error, as in faye', T, async () => {
    const ours = await echoServer(Native, [deflate]);
    const faye = await echoServer(Faye, [deflate]);
    const frame = maskedFrame(0xc9, Buffer.from('p'));
    assert.deepEqual(await closeOf(ours.url, [frame]), await closeOf(faye.url, [frame]));
  });
});
