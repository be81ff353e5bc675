'use strict';

// Writes the seed corpora in fuzz/corpus/<target>/ from the repository's own
// test vectors: frames built by __test__/helpers/frames.js (masked for the
// server targets, unmasked for the client ones; compressed for the deflate
// ones), handshake requests and responses like the raw-socket tests send,
// and every distinct header of tests/fixtures/deflate-negotiation.tsv (a
// sample, to keep the corpus small). Each file is laid out as its target's
// entry point in src/fuzzing.rs reads it. Run again after changing those
// layouts: `node fuzz/seeds.js` (it replaces the seed-* files only, so what
// the fuzzer added stays).
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const F = require('../__test__/helpers/frames');

const CORPUS = path.join(__dirname, 'corpus');
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

// permessage-deflate's message compression: raw deflate, sync flush, and the
// trailing 00 00 ff ff removed (RFC 7692 §7.2.1).
const deflate = (text) => {
  const out = zlib.deflateRawSync(Buffer.from(text), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
};

function frameSeeds(mask, compressed) {
  const m = { mask };
  const streams = [
    [F.text('hello', m)],
    [F.binary(Buffer.from([0, 1, 2, 255]), m)],
    [F.text('a'.repeat(200), m)],
    [F.frame({ opcode: 2, payload: Buffer.alloc(300, 7), lengthForm: 64, ...m })],
    [F.text('frag', { fin: false, ...m }), F.ping('p', m), F.cont('ment', m)],
    [F.text('', { fin: false, ...m }), F.cont('', { fin: false, ...m }), F.cont('', m)],
    [F.ping('', m), F.pong('x', m), F.close(1000, 'bye', m)],
    [F.close(1002, '', m), F.text('after', m)],
    [F.text(Buffer.from([0xce, 0xba, 0xe1]), { fin: false, ...m }), F.cont(Buffer.from([0xbd, 0xb9]), m)],
    [F.text(Buffer.from([0xed, 0xa0, 0x80]), m)],
    [F.frame({ opcode: 3, ...m })],
    [F.frame({ opcode: 9, payload: Buffer.alloc(126), ...m })],
    [F.frame({ opcode: 1, length: 2 ** 53, headerOnly: true, ...m })],
    [F.frame({ opcode: 1, payload: 'abcde', lengthForm: 16, ...m })],
    [F.frame({ opcode: 1, payload: 'x', rsv2: true, ...m })],
    [F.frame({ opcode: 8, payload: Buffer.from([3]), ...m })],
    [F.close(5000, 'x', m)],
    [F.text('unmasked', { mask: !mask })],
  ];
  if (compressed) {
    streams.push(
      [F.frame({ opcode: 1, payload: deflate('hello hello hello'), rsv1: true, ...m })],
      [
        F.frame({ opcode: 1, payload: deflate('first'), rsv1: true, ...m }),
        F.frame({ opcode: 1, payload: deflate('second'), rsv1: true, ...m }),
      ],
      [
        F.frame({ opcode: 2, payload: deflate('x'.repeat(5000)).subarray(0, 4), rsv1: true, fin: false, ...m }),
        F.cont(deflate('x'.repeat(5000)).subarray(4), m),
      ],
      [F.frame({ opcode: 1, payload: Buffer.from([0xff, 0xff, 0xff]), rsv1: true, ...m })],
      [F.frame({ opcode: 2, payload: deflate(Buffer.alloc(100000).toString()), rsv1: true, ...m })],
      [F.frame({ opcode: 9, payload: 'p', rsv1: true, ...m })]
    );
  }
  // [cut][limits][bytes]: cut somewhere inside, default and small limits.
  return streams.flatMap((frames, i) => {
    const bytes = Buffer.concat(frames);
    return [
      Buffer.concat([Buffer.from([Math.min(i * 3, 255), 0]), bytes]),
      Buffer.concat([Buffer.from([1, 1]), bytes]),
    ];
  });
}

const negotiationRows = fs
  .readFileSync(path.join(__dirname, '..', 'tests', 'fixtures', 'deflate-negotiation.tsv'), 'utf8')
  .split('\n')
  .filter((line) => line && !line.startsWith('#'))
  .map((line) => line.split('\t'));
const sample = (rows, n) => rows.filter((_, i) => i % Math.ceil(rows.length / n) === 0);
const headers = [...new Set(negotiationRows.map((row) => row[2]).filter(Boolean))];

const serverRequests = [
  ['GET', 'Upgrade', 'websocket', '13', KEY, '', ''],
  ['GET', 'keep-alive, Upgrade', 'WebSocket', '13', KEY, 'permessage-deflate; client_max_window_bits', 'chat'],
  ['GET', 'Upgrade', 'websocket', '8', KEY],
  ['GET', 'Upgrade', 'websocket', '13', ''],
  ['GET', 'Upgrade', 'websocket', '13'],
  ['POST', 'Upgrade', 'websocket', '13', KEY],
  ['GET', 'Upgrade', 'websocket', '13', KEY, 'a;b="\\c\\c\\c', 'b  ,  superchat'],
  ['GET', 'Upgrade', 'websocket', '13', KEY, 'constructor, __proto__; toString=1', '__proto__'],
  ...sample(headers, 12).map((ext) => ['GET', 'Upgrade', 'websocket', '13', KEY, ext, 'superchat, chat']),
].map((fields) => Buffer.from(fields.join('\n')));

const response = (lines, body = Buffer.alloc(0)) =>
  Buffer.concat([Buffer.from(`HTTP/1.1 ${lines.join('\r\n')}\r\n\r\n`), body]);
const ok = ['Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${ACCEPT}`];
// The client target makes its own key, so the accept never matches: these
// reach every check up to it (and the parser), which is where input matters.
const clientResponses = [
  response(['101 Switching Protocols', ...ok]),
  response(['101 Switching Protocols', ...ok, 'Sec-WebSocket-Protocol: chat'], F.text('hi', { mask: false })),
  response([
    '101 Switching Protocols',
    ...ok,
    'Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=10',
  ]),
  response(['101 Switching Protocols', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${ACCEPT}`]),
  response(['101 Switching Protocols', ...ok, 'Sec-WebSocket-Extensions: x-unknown']),
  response([
    '101 Switching Protocols',
    ...ok,
    'Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=7',
  ]),
  response(['200 OK', 'Content-Length: 0']),
  response(['101 Switching Protocols', ...ok, `X-Big: ${'a'.repeat(300)}`]),
  Buffer.from('HTTP/1.1 101\r\nUpgrade: websocket\r\n folded\r\n\r\n'),
  Buffer.from('HTTP/1.0 999 Weird\n\n'),
  ...sample(
    negotiationRows.filter((row) => row[0] === 'activate' && row[2]),
    8
  ).map((row) => response(['101 Switching Protocols', ...ok, `Sec-WebSocket-Extensions: ${row[2]}`])),
].map((bytes, i) => Buffer.concat([Buffer.from([(i * 17) & 0xff]), bytes]));

const proxyResponses = [
  response(['200 Connection established']),
  response(['200 OK', 'Proxy-Agent: test'], Buffer.from('early bytes')),
  response(['407 Proxy Authentication Required', 'Proxy-Authenticate: Basic realm="x"']),
  response(['500 Internal Server Error', 'Content-Length: 5'], Buffer.from('oops!')),
  Buffer.from('HTTP/1.1 200\r\n\r\n'),
  Buffer.from('garbage\r\n\r\n'),
].map((bytes, i) => Buffer.concat([Buffer.from([(i * 11) & 0xff]), bytes]));

const extensionHeaders = [
  ...sample(headers, 30),
  'a;b="\\c\\c\\c',
  'permessage-deflate; server_max_window_bits=10, permessage-deflate',
  'x; y="quoted \\" value", z=1.5e3',
  'constructor, __proto__; toString=1; hasOwnProperty',
].map((h) => Buffer.from(h));

// hixie-75/76 frames (the draft reader's target): cut byte, flags (bit 0 hixie-76, bit 1 a 64-byte maxLength), frames.
const draftFrames = [
  [0x00, Buffer.from('\x00hello\xff\x00world\xff', 'latin1')],
  [0x01, Buffer.concat([Buffer.from('12345678'), Buffer.from('\x00hi\xff\xff\x00', 'latin1')])],
  [0x00, Buffer.from('\x80\x81\x00' + 'x'.repeat(128) + '\x00after\xff', 'latin1')],
  [0x02, Buffer.from('\x00' + 'y'.repeat(100) + '\xff', 'latin1')],
  [0x03, Buffer.from('abcdefgh\x00\xff\x00\xff\xff\x00', 'latin1')],
  [0x00, Buffer.from('\x00\xc3\x28 not utf-8\xff', 'latin1')],
].map(([flags, frames], i) => Buffer.concat([Buffer.from([(i * 7) & 0xff, flags]), frames]));

const CORPORA = {
  frame_server: frameSeeds(true, false),
  frame_client: frameSeeds(false, false),
  frame_server_deflate: frameSeeds(true, true),
  frame_client_deflate: frameSeeds(false, true),
  server_handshake: serverRequests,
  client_handshake_response: clientResponses,
  proxy_response: proxyResponses,
  extension_header: extensionHeaders,
  draft_frames: draftFrames,
};

for (const [target, seeds] of Object.entries(CORPORA)) {
  const dir = path.join(CORPUS, target);
  fs.mkdirSync(dir, { recursive: true });
  for (const name of fs.readdirSync(dir)) if (name.startsWith('seed-')) fs.rmSync(path.join(dir, name));
  seeds.forEach((seed, i) => fs.writeFileSync(path.join(dir, `seed-${String(i).padStart(3, '0')}`), seed));
  console.log(`${target}: ${seeds.length} seeds`);
}
