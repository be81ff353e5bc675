'use strict';
// hixie-75 and hixie-76 with `allowDrafts`, against faye-websocket 0.11.4 on
// websocket-driver 0.7.4, which served them to every request without hybi
// headers: the same bytes on the wire and the same server-side events.
// Where 0.8.0's stricter draft code differs from 0.7.4 (keys, the
// length-prefixed frames' maxLength) ours follows 0.8.0, checked below
// against the bytes 0.8.0's draft76.js would write.
const { describe, test, after } = require('node:test');
const assert = require('node:assert/strict');
const H = require('../helpers');
const { impl, isOriginal } = H;
const { KEY1, BODY, ANSWER, loadFaye074, draftRequest, hixie76, text, runDraft } = require('../helpers/drafts');

after(H.cleanupAll);

const T = { timeout: 15000, skip: isOriginal && 'faye-websocket has no allowDrafts' };
const faye074 = loadFaye074();

const ours = (options = {}) =>
  function (req, socket, head) {
    return new impl(req, socket, head, [], { ...options, allowDrafts: true });
  };
const theirs = (options = {}) =>
  function (req, socket, head) {
    return new faye074(req, socket, head, [], options);
  };

const latin1 = (bytes) => bytes.toString('latin1');
const head = (location = 'ws://example.com/demo') =>
  'HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n' +
  `Sec-WebSocket-Origin: http://example.com\r\nSec-WebSocket-Location: ${location}\r\n\r\n`;
const head75 =
  'HTTP/1.1 101 Web Socket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n' +
  'WebSocket-Origin: http://example.com\r\nWebSocket-Location: ws://example.com/demo\r\n\r\n';
const events = (log) => log.filter((e) => e.event);

/** Runs `spec` on both, asserts the same bytes and events, returns ours. */
async function same(spec, options) {
  const original = await runDraft(theirs(options), spec);
  const result = await runDraft(ours(options), spec);
  assert.equal(latin1(result.bytes), latin1(original.bytes), 'bytes on the wire');
  assert.deepEqual(result.log, original.log, 'server-side events');
  assert.equal(result.serverClosed, original.serverClosed, 'server closed the TCP connection');
  return result;
}

describe('hixie-76, same as faye on websocket-driver 0.7.4', () => {
  test('handshake split across chunks, key bytes late, messages both ways, client FF 00', T, async () => {
    const request = hixie76();
    const r = await same({
      chunks: [
        request.subarray(0, 20),
        request.subarray(20),
        BODY.subarray(0, 3),
        Buffer.concat([BODY.subarray(3), text('hello')]),
        Buffer.concat([text('caf\u00e9'), text('x').subarray(0, 2)]),
        Buffer.from([0xff, 0xff, 0x00]),
      ],
    });
    assert.equal(
      latin1(r.bytes),
      head() +
        latin1(ANSWER) +
        latin1(Buffer.concat([text('echo:hello'), text('echo:caf\u00e9'), text('echo:x')])) +
        '\xff\x00'
    );
    assert.deepEqual(r.log[0], { version: 'hixie-76', url: 'ws://example.com/demo', readyState: 0 });
    assert.deepEqual(events(r.log), [
      { event: 'open', readyState: 1, protocol: '' },
      { event: 'message', data: 'hello' },
      { event: 'message', data: 'caf\u00e9' },
      { event: 'message', data: 'x' },
      { event: 'close', code: null, reason: null, readyState: 3 },
    ]);
  });

  test('key bytes and frames in the head chunk; send before open waits for the answer', T, async () => {
    const r = await same({
      chunks: [Buffer.concat([hixie76(), BODY, text('a')])],
      react: (ws, e) => {
        if (e.event === 'open') ws.send('hi');
        if (e.event === 'message') ws.close();
      },
    });
    assert.equal(latin1(r.bytes), head() + latin1(ANSWER) + latin1(text('hi')) + '\xff\x00');
    assert.deepEqual(events(r.log).at(-1), { event: 'close', code: null, reason: null, readyState: 3 });
  });

  test('the server closes: FF 00, close with null code and reason', T, async () => {
    const r = await same({ chunks: [hixie76(), BODY, text('close')] });
    assert.ok(latin1(r.bytes).endsWith('\xff\x00'));
    assert.equal(r.serverClosed, true);
  });

  test('a length-prefixed frame is skipped; text is not checked as UTF-8', T, async () => {
    const r = await same({
      chunks: [
        Buffer.concat([hixie76(), BODY]),
        Buffer.from([0x80, 0x03, 1, 2]),
        Buffer.concat([Buffer.from([3]), Buffer.from([0x00, 0xc3, 0x28, 0xff])]),
      ],
    });
    assert.deepEqual(events(r.log)[1], { event: 'message', data: '\ufffd(' });
  });

  test('a text frame over maxLength closes without an error', T, async () => {
    const r = await same(
      { chunks: [Buffer.concat([hixie76(), BODY]), text('12345'), text('123456')] },
      { maxLength: 5 }
    );
    assert.deepEqual(events(r.log).slice(1), [
      { event: 'message', data: '12345' },
      { event: 'close', code: null, reason: null, readyState: 3 },
    ]);
  });

  test('bad keys: 400, error, close with null code and reason', T, async () => {
    const r = await same({ chunks: [hixie76({ key2: '1 2 3 5' })] });
    const message = 'Client sent invalid Sec-WebSocket-Key headers';
    assert.equal(
      latin1(r.bytes),
      `HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: ${message.length}\r\n\r\n${message}`
    );
    assert.deepEqual(events(r.log), [
      { event: 'error', message },
      { event: 'close', code: null, reason: null, readyState: 3 },
    ]);
  });

  test('a missing key is named', T, async () => {
    const r = await same({ chunks: [draftRequest({ key1: KEY1 })] });
    assert.deepEqual(events(r.log)[0], { event: 'error', message: 'Missing required header: Sec-WebSocket-Key2' });
  });

  test('binary sends are dropped, ping returns false, user headers follow the driver', T, async () => {
    const results = [];
    const r = await same(
      {
        chunks: [hixie76(), BODY],
        react: (ws, e) => {
          if (e.event !== 'open') return;
          results.push(ws.send(Buffer.from('bin')), ws.ping('p'), ws.send('text'));
        },
      },
      { headers: { 'X-Extra': 'yes', Upgrade: 'nope' } }
    );
    assert.deepEqual(results, [true, false, true, true, false, true]);
    assert.ok(latin1(r.bytes).includes('Sec-WebSocket-Location: ws://example.com/demo\r\nX-Extra: yes\r\n\r\n'));
    assert.ok(latin1(r.bytes).endsWith(latin1(text('text'))));
  });

  test('the client hangs up before its key bytes: close 1006', T, async () => {
    const r = await same({ chunks: [hixie76(), BODY.subarray(0, 4)] });
    assert.deepEqual(events(r.log), [{ event: 'close', code: 1006, reason: '', readyState: 3 }]);
  });
});

describe('hixie-75, same as faye on websocket-driver 0.7.4', () => {
  test('open at once, messages both ways, close by the server', T, async () => {
    const request = draftRequest({});
    const r = await same({
      chunks: [request.subarray(0, 30), Buffer.concat([request.subarray(30), text('one')]), text('close')],
    });
    assert.equal(latin1(r.bytes), head75 + latin1(text('echo:one')));
    assert.deepEqual(r.log[0].version, 'hixie-75');
    assert.deepEqual(events(r.log).at(-1), { event: 'close', code: null, reason: null, readyState: 3 });
  });

  test('FF 00 is an empty frame, not a close', T, async () => {
    const r = await same({ chunks: [draftRequest({}), Buffer.concat([Buffer.from([0xff, 0x00]), text('after')])] });
    assert.deepEqual(events(r.log).slice(1, 2), [{ event: 'message', data: 'after' }]);
    assert.deepEqual(events(r.log).at(-1), { event: 'close', code: 1006, reason: '', readyState: 3 });
  });

  test('a secure request gets a wss: location', T, async () => {
    const r = await same({ chunks: [draftRequest({ extra: 'X-Forwarded-Proto: https\r\n' })] });
    assert.ok(latin1(r.bytes).includes('WebSocket-Location: wss://example.com/demo\r\n'));
  });
});

describe("0.8.0's draft checks, where 0.7.4 was loose", () => {
  const refused = async (key1) => {
    const r = await runDraft(ours(), { chunks: [hixie76({ key1 })] });
    assert.match(latin1(r.bytes), /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.deepEqual(events(r.log)[0], { event: 'error', message: 'Client sent invalid Sec-WebSocket-Key headers' });
  };
  test('a key whose number is 0', T, () => refused('0 0'));
  test('a key with no spaces', T, () => refused('12345'));
  test('a key whose quotient is over 0xFFFFFFFF', T, () => refused('4294967296 '));

  test('a length-prefixed frame over maxLength closes', T, async () => {
    const r = await runDraft(ours({ maxLength: 100 }), {
      chunks: [Buffer.concat([hixie76(), BODY]), Buffer.from([0x80, 0x81, 0x00])],
    });
    assert.ok(latin1(r.bytes).endsWith('\xff\x00'));
    assert.deepEqual(events(r.log).at(-1), { event: 'close', code: null, reason: null, readyState: 3 });
  });
});

describe('ours only', () => {
  test('without allowDrafts a draft request gets faye 0.8.0 400', T, async () => {
    const r = await runDraft((req, socket, head) => new impl(req, socket, head, [], {}), { chunks: [hixie76(), BODY] });
    const message = 'Unsupported WebSocket version: undefined';
    assert.equal(
      latin1(r.bytes),
      `HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: ${message.length}\r\n\r\n${message}`
    );
    assert.equal(r.log[0].version, 'hixie-13'.replace('hixie', 'hybi'));
    assert.deepEqual(events(r.log), [
      { event: 'error', message },
      { event: 'close', code: 1002, reason: message, readyState: 3 },
    ]);
  });

  test('key bytes that never come: handshakeTimeout gives error and close 1006', T, async () => {
    const r = await runDraft(ours({ handshakeTimeout: 100 }), {
      chunks: [hixie76(), BODY.subarray(0, 7)],
      linger: 1000,
    });
    assert.equal(latin1(r.bytes), head());
    assert.equal(r.serverClosed, true);
    assert.deepEqual(events(r.log), [
      { event: 'error', message: 'Opening handshake has timed out' },
      { event: 'close', code: 1006, reason: '', readyState: 3 },
    ]);
  });

  test('a bad handshakeTimeout throws', T, () => {
    const socket = { writable: true, readable: true };
    assert.throws(
      () =>
        new impl({ headers: {}, method: 'GET', url: '/' }, socket, null, [], {
          allowDrafts: true,
          handshakeTimeout: -1,
        }),
      { name: 'TypeError', message: 'The "handshakeTimeout" option must be a non-negative number of milliseconds' }
    );
  });

  test('a hybi request with allowDrafts is hybi', T, async () => {
    const r = await runDraft(ours(), { chunks: [Buffer.from(H.handshakeRequest())] });
    assert.match(latin1(r.bytes), /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.equal(r.log[0].version, 'hybi-13');
  });

  test('the draft socket is a WebSocket', T, async () => {
    let instance = null;
    await runDraft(
      (req, socket, head) => {
        instance = new impl(req, socket, head, [], { allowDrafts: true });
        return instance;
      },
      { chunks: [draftRequest({}), text('close')] }
    );
    assert.ok(instance instanceof impl);
  });
});
