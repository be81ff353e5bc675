'use strict';
// The bad-input corpus: every row of the reference's bad-input tables
// (conformance-and-bad-input.md §5.2-§5.4) and every advisory of §5.1 that
// can be written as input, each sent over a real socket to our server or
// served by a hostile TCP server to our client. Each case asserts the exact
// outcome (status and body, the close frame, the error and close events) and
// that the process still serves: after every case a fresh connection must
// echo a message. The expected outcome is faye's unless the case says
// `ours`, one of README.md's deliberate differences (faye's is in `faye`).
//
//   IMPL=faye-websocket node --test __test__/stress/bad-input.test.js
//
// runs the same table against the original (a case marked `fayeSkips` is one
// faye fails by design: it would hang or exhaust memory).
//
// The advisories of §5.1 and their cases: ws 1.1 maxPayload (F17-F19, G1);
// ws 3.3.1 prototype names (H12); ws CVE-2021-32640 (H6); ws CVE-2024-37890
// (H7); ws CVE-2026-48779 (F24); websocket-extensions CVE-2020-7662 (H5);
// websocket-driver CVE-2026-54466 (H14: drafts are off, so draft-75 lengths
// are never read); zip bombs, undici CVE-2026-1526 and others (Z, G2, C11);
// undici's window bits (C5) and CVE-2026-1527 CRLF injection (C13);
// tungstenite CVE-2023-43669 and http-parser-js (H8, H13, C6, C12); gorilla
// CVE-2020-27813 (G1). ws 1.0.1 and 8.20.1 are about values given to the API
// (a number to ping, a TypedArray reason), not input; uWebSockets' findings
// came from fuzzing, which fuzz/ does for our parsers.
const { describe, test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const zlib = require('zlib');
const pmd = require('permessage-deflate');
const { impl, isOriginal, startServer, cleanupAll, RawClient, handshakeRequest, F } = require('../helpers');
const { startRawServer, record, within, cleanup: cleanupClients } = require('../helpers/client');

after(async () => {
  await cleanupAll();
  await cleanupClients();
});
const T = { timeout: 30000 };

// permessage-deflate's message compression (RFC 7692 §7.2.1).
function deflate(data) {
  const out = zlib.deflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

const UNMASKED = { mask: false };
// Without context takeover each echoed message inflates on its own.
const DEFLATE_OFFER = 'permessage-deflate; server_no_context_takeover';
const payloadOf = (frame) =>
  frame.rsv1
    ? zlib.inflateRawSync(Buffer.concat([frame.payload, Buffer.from([0, 0, 0xff, 0xff])]), {
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
      })
    : frame.payload;
const PROTOCOL_ERROR = 1002;

// --- Server: a hostile client's requests and frames. ---------------------

// Each server echoes; `records` holds what each server-side socket saw.
async function echoServer(options) {
  const records = [];
  const server = await startServer(
    impl,
    (ws) => {
      const rec = { errors: [], close: null };
      records.push(rec);
      if (!ws) return;
      ws.on('error', (e) => rec.errors.push(e.message));
      ws.on('close', (e) => (rec.close = { code: e.code, reason: e.reason }));
      ws.on('message', (e) => ws.send(e.data));
    },
    { protocols: ['chat'], options: { extensions: [pmd], ...options } }
  );
  return Object.assign(server, { records });
}

// Handshake cases: `request` goes to handshakeRequest (or `raw` is written
// as it is); the expected `status`, `body` (the 400 text) and `headers`
// (present or absent in the 101) follow.
const HANDSHAKE_CASES = [
  {
    name: 'H1 no Sec-WebSocket-Key',
    request: { omit: ['sec-websocket-key'] },
    status: 400,
    body: 'Missing handshake request header: Sec-WebSocket-Key',
  },
  {
    name: 'H1 empty Sec-WebSocket-Key [ours]',
    request: { key: '' },
    status: 400,
    // RFC 6455 §4.2.1 requires a key; faye only checks the header is present.
    fayeStatus: 101,
  },
  {
    name: 'H2 Sec-WebSocket-Version: 8',
    request: { version: '8' },
    status: 400,
    body: 'Unsupported WebSocket version: 8',
  },
  {
    name: 'H2 Sec-WebSocket-Version: 14',
    request: { version: '14' },
    status: 400,
    body: 'Unsupported WebSocket version: 14',
  },
  {
    name: 'H3 no Sec-WebSocket-Version',
    request: { omit: ['sec-websocket-version'] },
    status: 400,
    body: 'Unsupported WebSocket version: undefined',
  },
  {
    name: 'H3 Sec-WebSocket-Version: abc',
    request: { version: 'abc' },
    status: 400,
    body: 'Unsupported WebSocket version: abc',
  },
  {
    // Not 16 bytes of base64: refused, as ws does (RFC 6455 §4.2.1); faye does not check its form.
    name: 'H4 Sec-WebSocket-Key "abc" [ours]',
    request: { key: 'abc' },
    status: 400,
    body: 'Invalid Sec-WebSocket-Key header',
    fayeStatus: 101,
  },
  {
    name: 'H5 Sec-WebSocket-Extensions a;b="\\c\\c... unclosed, 8 KB (CVE-2020-7662)',
    request: { extensions: 'a;b="' + '\\c'.repeat(4000) },
    status: 400,
    body: 'Invalid Sec-WebSocket-Extensions header: a;b="' + '\\c'.repeat(4000),
    withinMs: 1000,
  },
  {
    name: 'H6 Sec-WebSocket-Protocol b + 16 000 spaces + x (CVE-2021-32640)',
    request: { protocol: 'b' + ' '.repeat(16000) + 'x' },
    status: 101,
    headers: { 'sec-websocket-protocol': undefined },
    // faye's split(/ *, */) takes about 0.35 s here; ours is linear.
    withinMs: isOriginal ? 5000 : 500,
  },
  {
    name: 'H7 2100 headers before Upgrade (CVE-2024-37890): Node keeps 2000, the rest are missing',
    raw:
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
      'a: b\r\n'.repeat(2100) +
      'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    status: 400,
    body: 'Not a WebSocket request',
  },
  {
    name: 'H7 2000 extra headers after the WebSocket ones',
    request: { headers: Array.from({ length: 1980 }, (_, i) => [`X-${i}`, 'v']) },
    status: 101,
  },
  {
    name: 'H8 one 20 KB header (Node http answers 431)',
    request: { headers: [['X-Big', 'a'.repeat(20000)]] },
    status: 431,
  },
  {
    name: 'H9 deflate offer with server_max_window_bits=7: declined',
    request: { extensions: 'permessage-deflate; server_max_window_bits=7' },
    status: 101,
    headers: { 'sec-websocket-extensions': undefined },
  },
  {
    name: 'H9 deflate offer with server_max_window_bits=16: declined',
    request: { extensions: 'permessage-deflate; server_max_window_bits=16' },
    status: 101,
    headers: { 'sec-websocket-extensions': undefined },
  },
  {
    name: 'H10 deflate offer with client_max_window_bits=abc: declined',
    request: { extensions: 'permessage-deflate; client_max_window_bits=abc' },
    status: 101,
    headers: { 'sec-websocket-extensions': undefined },
  },
  {
    name: 'H11 deflate offer with a duplicated parameter: declined',
    request: { extensions: 'permessage-deflate; server_no_context_takeover; server_no_context_takeover' },
    status: 101,
    headers: { 'sec-websocket-extensions': undefined },
  },
  {
    name: 'H11 a bad offer, then a good one: the good one is taken',
    request: { extensions: 'permessage-deflate; server_max_window_bits=7, permessage-deflate' },
    status: 101,
    headers: { 'sec-websocket-extensions': 'permessage-deflate' },
  },
  {
    name: 'H12 extension names constructor, __proto__ (ws 3.3.1)',
    request: { extensions: 'constructor, __proto__; toString=1; hasOwnProperty' },
    status: 101,
    headers: { 'sec-websocket-extensions': undefined },
  },
  {
    name: 'H12 protocol names __proto__, constructor, toString',
    request: { protocol: '__proto__, constructor, toString' },
    status: 101,
    headers: { 'sec-websocket-protocol': undefined },
  },
  {
    name: "H13 a 64 KB Sec-WebSocket-Extensions with 10 000 offers (over Node's 16 KiB: 431)",
    request: { extensions: Array.from({ length: 10000 }, () => 'x').join(', ') + 'a'.repeat(40000) },
    status: 431,
  },
  {
    name: 'H14 draft-76 (hixie) request: drafts are off, as in websocket-driver 0.8.0 (CVE-2026-54466)',
    raw:
      'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\nSec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\n\r\n^n:ds[4U',
    status: 400,
    body: 'Unsupported WebSocket version: undefined',
  },
];

function headerOf(head, name) {
  const line = head
    .split('\r\n')
    .slice(1)
    .find((l) => l.toLowerCase().startsWith(`${name}:`));
  return line === undefined ? undefined : line.slice(name.length + 1).trim();
}

// A fresh connection still works: the handshake, an echo, a clean close.
async function assertStillServes(server) {
  const client = await RawClient.connect(server.port);
  await client.sendHandshake();
  assert.ok(await client.waitHead(), 'the next handshake got no answer');
  assert.equal(client.status, 101, 'the next connection was refused');
  await client.write(F.text('still here'));
  assert.ok(await client.waitFrames(1), 'the next connection got no echo');
  assert.equal(client.frames[0].payload.toString(), 'still here');
  await client.write(F.close(1000, ''));
  assert.ok(await client.waitEnd(), 'the next connection did not close');
  client.destroy();
}

// Frame cases, after a valid handshake (offering permessage-deflate when
// `deflate`). `frames` is written in one piece (or `pieces` bytes at a time).
// Expected: `close` = the server's close frame [code, reason] followed by the
// end of TCP, `error` = the server-side 'error' event's message, or `echo` =
// the messages echoed back (then the client closes with 1000).
const frameCases = () => [
  {
    name: 'F1 unmasked client frame',
    frames: F.text('hi', UNMASKED),
    close: [1003, 'Received unmasked frame but masking is required'],
  },
  ...[
    ['F2 RSV1 without deflate', { rsv1: true }, 'reserved1 = 1, reserved2 = 0, reserved3 = 0'],
    ['F3 RSV2', { rsv2: true }, 'reserved1 = 0, reserved2 = 1, reserved3 = 0'],
    ['F3 RSV3', { rsv3: true }, 'reserved1 = 0, reserved2 = 0, reserved3 = 1'],
  ].map(([name, bits, text]) => ({
    name,
    frames: F.frame({ opcode: 1, payload: 'x', ...bits }),
    close: [PROTOCOL_ERROR, `One or more reserved bits are on: ${text}`],
  })),
  ...[3, 7, 11, 15].map((opcode) => ({
    name: `F4 reserved opcode ${opcode}`,
    frames: F.frame({ opcode, payload: 'x' }),
    close: [PROTOCOL_ERROR, `Unrecognized frame opcode: ${opcode}`],
  })),
  {
    name: 'F6 126-byte ping',
    frames: F.ping(Buffer.alloc(126)),
    close: [PROTOCOL_ERROR, 'Received control frame having too long payload: 126'],
  },
  {
    name: 'F7 ping with FIN=0',
    frames: F.ping('p', { fin: false }),
    close: [PROTOCOL_ERROR, 'Received fragmented control frame: opcode = 9'],
  },
  {
    name: 'F8 continuation with nothing to continue',
    frames: F.cont('x'),
    close: [PROTOCOL_ERROR, 'Received unexpected continuation frame'],
  },
  {
    name: 'F9 text frame inside an unfinished message',
    frames: Buffer.concat([F.text('a', { fin: false }), F.text('b')]),
    close: [PROTOCOL_ERROR, 'Received new data frame but previous continuous frame is unfinished'],
  },
  ...[
    ['F10 invalid UTF-8 ff fe', [0xff, 0xfe]],
    ['F11 UTF-16 surrogate ed a0 80', [0xed, 0xa0, 0x80]],
    ['F11 overlong c0 af', [0xc0, 0xaf]],
    ['F11 above U+10FFFF f4 90 80 80', [0xf4, 0x90, 0x80, 0x80]],
  ].map(([name, bytes]) => ({
    name,
    frames: F.text(Buffer.from(bytes)),
    close: [1007, 'Could not decode a text frame as UTF-8'],
  })),
  {
    name: 'F11 UTF-8 truncated at the end of a fragmented message',
    frames: Buffer.concat([F.text(Buffer.from([0x61, 0xce]), { fin: false }), F.cont(Buffer.from([0xba, 0xe1]))]),
    close: [1007, 'Could not decode a text frame as UTF-8'],
  },
  {
    name: 'F11 non-characters U+FFFE, U+10FFFF are valid',
    frames: F.text(Buffer.from([0xef, 0xbf, 0xbe, 0xf4, 0x8f, 0xbf, 0xbf])),
    echo: ['\ufffe\u{10ffff}'],
  },
  {
    name: 'F12 close frame with a 1-byte payload',
    frames: F.frame({ opcode: 8, payload: Buffer.from([3]) }),
    close: [PROTOCOL_ERROR, ''],
    errors: [],
  },
  ...[0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535].map((code) => ({
    name: `F13 close code ${code}`,
    frames: F.close(code, ''),
    close: [PROTOCOL_ERROR, ''],
    errors: [],
  })),
  ...[1000, 1001, 1011, 3000, 4999].map((code) => ({
    name: `F13 valid close code ${code} is echoed`,
    frames: F.close(code, 'r'),
    close: [code, 'r'],
    errors: [],
  })),
  {
    name: 'F14 close reason of 124 bytes (a 126-byte control frame)',
    frames: F.close(1000, 'r'.repeat(124)),
    close: [PROTOCOL_ERROR, 'Received control frame having too long payload: 126'],
  },
  {
    name: 'F16 close reason not valid UTF-8',
    frames: F.close(1000, Buffer.from([0xff])),
    close: [PROTOCOL_ERROR, ''],
    errors: [],
  },
  ...[
    ['F17 length 2^63 (MSB set), header only', 2n ** 63n],
    ['F17 length 2^64-1, header only', 2n ** 64n - 1n],
    ['F18 length 2^53, header only', 2 ** 53],
    ['F19 length 200 MiB, header only', 200 * 2 ** 20],
  ].map(([name, length]) => ({
    name,
    frames: F.frame({ opcode: 2, length, lengthForm: 64, headerOnly: true }),
    close: [1009, 'WebSocket frame length too large'],
  })),
  {
    name: 'F20 non-minimal length (16-bit form for 5 bytes) is accepted',
    frames: F.frame({ opcode: 1, payload: 'abcde', lengthForm: 16 }),
    echo: ['abcde'],
  },
  {
    name: 'F20 non-minimal length (64-bit form for 5 bytes) is accepted',
    frames: F.frame({ opcode: 1, payload: 'abcde', lengthForm: 64 }),
    echo: ['abcde'],
  },
  {
    name: 'F21 RSV1 on a continuation frame (deflate on)',
    deflate: true,
    frames: Buffer.concat([
      F.frame({ opcode: 1, payload: deflate(Buffer.from('ab')), rsv1: true, fin: false }),
      F.cont('x', { rsv1: true }),
    ]),
    close: [PROTOCOL_ERROR, 'One or more reserved bits are on: reserved1 = 1, reserved2 = 0, reserved3 = 0'],
  },
  {
    name: 'F22 RSV1 with garbage deflate data',
    deflate: true,
    frames: F.frame({ opcode: 1, payload: Buffer.from([0xff, 0xff, 0xff, 0xff]), rsv1: true }),
    close: [1010, 'permessage-deflate: invalid block type'],
  },
  {
    // The receiver ends each message with 00 00 ff ff (RFC 7692 §7.2.2), so the
    // cut stream's last bits decode to one more symbol, as in faye.
    name: 'F22 a deflate stream cut short: what it inflates to is delivered, then the next message',
    deflate: true,
    frames: Buffer.concat([
      F.frame({ opcode: 1, payload: deflate(Buffer.from('hello '.repeat(50))).subarray(0, 5), rsv1: true }),
      F.text('next'),
    ]),
    echo: ['hellh', 'next'],
  },
  {
    name: 'F23 RSV1 on a ping (deflate on)',
    deflate: true,
    frames: F.ping('p', { rsv1: true }),
    close: [PROTOCOL_ERROR, 'One or more reserved bits are on: reserved1 = 1, reserved2 = 0, reserved3 = 0'],
  },
  {
    name: 'F24 131 073 one-byte fragments, never FIN (ws 8.21.0, CVE-2026-48779)',
    frames: Buffer.concat([
      F.text('x', { fin: false }),
      ...Array.from({ length: 131072 }, () => F.cont('x', { fin: false })),
    ]),
    ours: true,
    close: [1008, 'Too many fragments in one message'],
    fayeSkips: 'faye keeps every fragment and never closes',
  },
  {
    name: 'F24 131 073 empty fragments, never FIN (ws#2329)',
    frames: Buffer.concat([
      F.text('', { fin: false }),
      ...Array.from({ length: 131072 }, () => F.cont('', { fin: false })),
    ]),
    ours: true,
    close: [1008, 'Too many fragments in one message'],
    fayeSkips: 'faye keeps every fragment and never closes',
  },
  {
    name: 'Z zip bomb: 80 KB compressed to 80 MiB, over maxLength',
    deflate: true,
    frames: F.frame({ opcode: 2, payload: deflate(Buffer.alloc(80 * 2 ** 20)), rsv1: true }),
    close: [1009, 'WebSocket frame length too large'],
  },
  {
    name: 'G1 fragments that add up past maxLength (gorilla CVE-2020-27813)',
    small: true,
    frames: Buffer.concat([F.binary(Buffer.alloc(600), { fin: false }), F.cont(Buffer.alloc(600))]),
    close: [1009, 'WebSocket frame length too large'],
  },
  {
    name: 'G2 compressed message inflating past maxLength by one byte',
    small: true,
    deflate: true,
    frames: F.frame({ opcode: 2, payload: deflate(Buffer.alloc(1025)), rsv1: true }),
    close: [1009, 'WebSocket frame length too large'],
  },
  {
    name: 'G2 compressed message inflating to exactly maxLength is delivered',
    small: true,
    deflate: true,
    frames: F.frame({ opcode: 1, payload: deflate(Buffer.alloc(1024, 'a')), rsv1: true }),
    echo: ['a'.repeat(1024)],
  },
  {
    name: 'T1 a valid stream written one byte at a time ("TCP clean")',
    frames: Buffer.concat([F.text('one', { fin: false }), F.ping('p'), F.cont('two'), F.binary(Buffer.from([1, 2]))]),
    pieces: 1,
    echo: ['p', 'onetwo', '\x01\x02'],
  },
];

describe('bad input to the server', () => {
  let server;
  let small;
  before(async () => {
    server = await echoServer({});
    small = await echoServer({ maxLength: 1024 });
  });

  for (const c of HANDSHAKE_CASES) {
    test(c.name, T, async () => {
      const client = await RawClient.connect(server.port);
      const started = Date.now();
      await client.write(c.raw === undefined ? handshakeRequest(c.request) : c.raw);
      assert.ok(await client.waitHead(10000), 'no response');
      const elapsed = Date.now() - started;
      const status = isOriginal && c.fayeStatus ? c.fayeStatus : c.status;
      assert.equal(client.status, status, client.head);
      if (c.body !== undefined && status === c.status) {
        await client.waitFor(() => client.body.length >= Buffer.byteLength(c.body), 2000);
        assert.equal(client.body.toString(), c.body);
      }
      for (const [name, value] of Object.entries(c.headers || {}))
        assert.equal(headerOf(client.head, name), value, name);
      if (c.withinMs) assert.ok(elapsed < c.withinMs, `took ${elapsed} ms`);
      client.destroy();
      await assertStillServes(server);
    });
  }

  for (const c of frameCases()) {
    const skip = isOriginal && c.fayeSkips;
    test(`${c.name}${c.ours ? ' [ours]' : ''}`, { ...T, skip }, async () => {
      const target = c.small ? small : server;
      const client = await RawClient.connect(target.port);
      const recordIndex = target.records.length;
      await client.sendHandshake({ extensions: c.deflate ? DEFLATE_OFFER : undefined });
      assert.ok(await client.waitHead(), 'no handshake response');
      assert.equal(client.status, 101);
      if (c.deflate) assert.equal(headerOf(client.head, 'sec-websocket-extensions'), DEFLATE_OFFER);
      if (c.pieces) await client.writeInPieces(c.frames, c.pieces);
      else await client.write(c.frames);
      const rec = target.records[recordIndex];
      if (c.echo) {
        assert.ok(await client.waitFrames(c.echo.length, 10000), 'no echo');
        assert.deepEqual(
          client.frames.slice(0, c.echo.length).map((f) => payloadOf(f).toString('latin1')),
          c.echo.map((m) => Buffer.from(m).toString('latin1'))
        );
        await client.write(F.close(1000, ''));
      }
      assert.ok(await client.waitEnd(10000), 'the server did not close TCP');
      const closes = client.frames.filter((f) => f.opcode === 8);
      assert.equal(closes.length, 1, 'one close frame');
      const [code, reason] = c.close || [1000, ''];
      assert.deepEqual([closes[0].code, closes[0].reason], [code, reason]);
      assert.ok(await client.waitFor(() => rec.close, 2000), 'no close event on the server');
      assert.deepEqual(rec.errors, c.errors || (c.close ? [reason] : []), "the server's error events");
      assert.deepEqual([rec.close.code, rec.close.reason], [code, reason], "the server's close event");
      client.destroy();
      await assertStillServes(target);
    });
  }
});

// --- Client: a hostile server's responses. --------------------------------

const OK_HEAD = (request) => [
  'HTTP/1.1 101 Switching Protocols',
  'Upgrade: websocket',
  'Connection: Upgrade',
  `Sec-WebSocket-Accept: ${request.accept}`,
];
const answerWith =
  (lines, body = Buffer.alloc(0)) =>
  (request, socket) => {
    const head = typeof lines === 'function' ? lines(request) : lines;
    socket.write(Buffer.concat([Buffer.from(head.join('\r\n') + '\r\n\r\n', 'latin1'), body]));
  };
const handshakeError = (message) => [
  { type: 'error', message: `Error during WebSocket handshake: ${message}` },
  { type: 'close', code: PROTOCOL_ERROR, reason: `Error during WebSocket handshake: ${message}` },
];

// `answer(request, socket)` is the server (or, with `proxy`, the proxy);
// `events` the client's exact events (type, message, code, reason; `open`
// and `message` events by type and data only).
const CLIENT_CASES = [
  {
    name: 'C1 wrong Sec-WebSocket-Accept',
    answer: answerWith((r) => [...OK_HEAD(r).slice(0, 3), 'Sec-WebSocket-Accept: AAAA']),
    events: handshakeError('Sec-WebSocket-Accept mismatch'),
  },
  {
    name: 'C2 no Upgrade header',
    answer: answerWith((r) => OK_HEAD(r).filter((l) => !l.startsWith('Upgrade'))),
    events: handshakeError("'Upgrade' header is missing"),
  },
  {
    name: 'C2 no Connection header',
    answer: answerWith((r) => OK_HEAD(r).filter((l) => !l.startsWith('Connection'))),
    events: handshakeError("'Connection' header is missing"),
  },
  {
    name: 'C3 a subprotocol the client never offered',
    answer: answerWith((r) => [...OK_HEAD(r), 'Sec-WebSocket-Protocol: other']),
    events: handshakeError('Sec-WebSocket-Protocol mismatch'),
  },
  {
    name: 'C4 an extension the client never offered',
    answer: answerWith((r) => [...OK_HEAD(r), 'Sec-WebSocket-Extensions: x-unknown']),
    events: handshakeError('Server sent an extension response for unknown extension "x-unknown"'),
  },
  {
    name: 'C5 server_max_window_bits=7, out of range (undici 7.24)',
    answer: answerWith((r) => [
      ...OK_HEAD(r),
      'Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=7',
    ]),
    events: handshakeError(
      'Server sent unacceptable extension parameters: permessage-deflate; server_max_window_bits=7'
    ),
  },
  {
    name: 'C6 200 KB of response headers (http-parser-js: 80 KiB)',
    answer: answerWith((r) => [...OK_HEAD(r), ...Array.from({ length: 2000 }, (_, i) => `X-${i}: ${'a'.repeat(100)}`)]),
    events: handshakeError('max header size exceeded'),
  },
  {
    name: 'C7 status 200',
    answer: answerWith(['HTTP/1.1 200 OK', 'Content-Length: 0']),
    events: handshakeError('Unexpected response code: 200'),
  },
  {
    name: 'C7 a response that is not HTTP',
    answer: answerWith(['SSH-2.0-OpenSSH_9.2']),
    events: handshakeError('Parse Error'),
  },
  {
    name: 'C8 101 with frames in the same TCP packet',
    answer: answerWith(
      OK_HEAD,
      Buffer.concat([F.text('one', UNMASKED), F.text('two', UNMASKED), F.close(1000, 'bye', UNMASKED)])
    ),
    events: [
      { type: 'open' },
      { type: 'message', data: 'one' },
      { type: 'message', data: 'two' },
      { type: 'close', code: 1000, reason: 'bye' },
    ],
  },
  {
    name: 'C9 a masked frame from the server is accepted, as in faye',
    answer: answerWith(OK_HEAD, Buffer.concat([F.text('hi'), F.close(1000, '', UNMASKED)])),
    events: [{ type: 'open' }, { type: 'message', data: 'hi' }, { type: 'close', code: 1000, reason: '' }],
  },
  {
    name: 'C10 an invalid close code from the server',
    answer: answerWith(OK_HEAD, F.close(1005, '', UNMASKED)),
    events: [{ type: 'open' }, { type: 'close', code: PROTOCOL_ERROR, reason: '' }],
  },
  {
    name: 'C11 a zip bomb from the server (80 MiB of zeros)',
    answer: answerWith(
      (r) => [...OK_HEAD(r), 'Sec-WebSocket-Extensions: permessage-deflate'],
      F.frame({ opcode: 2, payload: deflate(Buffer.alloc(80 * 2 ** 20)), rsv1: true, mask: false })
    ),
    events: [
      { type: 'open' },
      { type: 'error', message: 'WebSocket frame length too large' },
      { type: 'close', code: 1009, reason: 'WebSocket frame length too large' },
    ],
  },
  ...[
    ['407', 'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n'],
    ['500', 'HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n'],
    ['a 200 KB header block', `HTTP/1.1 200 OK\r\n${`X-Big: ${'a'.repeat(100)}\r\n`.repeat(2000)}\r\n`, true],
  ].map(([what, answer, ours]) => ({
    name: `C12 proxy answers CONNECT with ${what}${ours ? ' [ours]' : ''}`,
    fayeSkips: ours && 'faye never gives up on an unreadable proxy answer (README: a refused tunnel closes at once)',
    proxy: true,
    // The proxy hangs up after answering, so faye (which waits for that) closes too.
    answer: (request, socket) => socket.end(answer),
    events: (url) => [
      { type: 'error', message: `Can't establish a connection to the server at ${url}` },
      { type: 'close', code: 1006, reason: '' },
    ],
  })),
];

function simplify(events) {
  return events.map((e) => {
    if (e.type === 'open') return { type: 'open' };
    if (e.type === 'message') return { type: 'message', data: Buffer.isBuffer(e.data) ? e.data.toString() : e.data };
    return e;
  });
}

describe('bad input to the client', () => {
  let echo;
  before(async () => {
    echo = await echoServer({});
  });

  // A fresh client still works: open, an echo, a clean close.
  async function assertClientStillWorks() {
    const ws = new impl.Client(echo.url, [], { extensions: [pmd] });
    const rec = record(ws);
    await within(rec.waitFor('open'), 5000, 'the next client did not open');
    ws.send('still here');
    const [message] = await within(rec.waitFor('message'), 5000, 'the next client got no echo');
    assert.equal(message.data, 'still here');
    ws.close();
    await within(rec.closed, 5000, 'the next client did not close');
  }

  for (const c of CLIENT_CASES) {
    test(c.name, { ...T, skip: isOriginal && c.fayeSkips }, async () => {
      const peer = await startRawServer(c.answer);
      const ws = c.proxy
        ? new impl.Client(echo.url, ['chat'], {
            extensions: [pmd],
            proxy: { origin: peer.url.replace('ws:', 'http:') },
          })
        : new impl.Client(peer.url, ['chat'], { extensions: [pmd] });
      const rec = record(ws);
      const events = await within(rec.closed, 15000, 'the client did not close');
      assert.deepEqual(simplify(events), typeof c.events === 'function' ? c.events(`${echo.url}/`) : c.events);
      await peer.close();
      await assertClientStillWorks();
    });
  }

  test(
    'C13 CR or LF in a user header is refused before anything is sent [ours]',
    { ...T, skip: isOriginal && 'faye writes the header as it is' },
    async () => {
      const peer = await startRawServer(answerWith(OK_HEAD));
      assert.throws(() => new impl.Client(peer.url, [], { headers: { 'X-Evil': 'a\r\nInjected: yes' } }), /X-Evil/);
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(peer.requests.length, 0);
      await peer.close();
      await assertClientStillWorks();
    }
  );

  test(
    'C14 headers dripped slowly: handshakeTimeout fails the handshake [ours]',
    { ...T, skip: isOriginal && 'faye has no handshake timeout' },
    async () => {
      let timer;
      const peer = await startRawServer((request, socket) => {
        const head = Buffer.from(OK_HEAD(request).join('\r\n') + '\r\n\r\n');
        let i = 0;
        timer = setInterval(
          () => (i < head.length && !socket.destroyed ? socket.write(head.subarray(i, ++i)) : clearInterval(timer)),
          50
        );
      });
      const ws = new impl.Client(peer.url, [], { handshakeTimeout: 500 });
      const events = await within(record(ws).closed, 5000, 'the client did not close');
      clearInterval(timer);
      assert.deepEqual(simplify(events), [
        { type: 'error', message: 'Opening handshake has timed out' },
        { type: 'close', code: 1006, reason: '' },
      ]);
      await peer.close();
      await assertClientStillWorks();
    }
  );
});
