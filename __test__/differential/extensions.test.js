'use strict';
// Extensions other than permessage-deflate run through websocket-extensions'
// protocol in JS. The same extension objects are given to faye-websocket and
// to us, and everything observable must match: the handshake head, the
// server's events and every byte it writes, for the server (raw client) and
// the client (against a faye server).
const { describe, test, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('http');
const Faye = require('faye-websocket');
const pmd = require('permessage-deflate');
const Native = require('../..');
const { runScenario, delay, cleanupAll, F } = require('../helpers');

after(cleanupAll);
const T = { timeout: 30000 };

// Calls back after `ms` (0: on the next macrotask), so a later message can
// finish first.
const later = (ms, fn) => setTimeout(fn, ms);

// Sessions record what they saw in a shared log (checked as part of the
// comparison: faye and we must call the sessions the same way).
function makeExtensions() {
  const calls = [];

  // XORs payloads with 0x5a; RSV2 marks a XORed message. Callbacks are
  // asynchronous, and a message starting with "slow" takes 30 ms, so the
  // messages after it finish first: order must still be kept.
  const xorSession = (side) => ({
    generateOffer: () => ({ mask: '5a' }),
    generateResponse: () => ({ mask: '5a' }),
    activate: (params) => (calls.push(['activate xor', side, params]), params.mask === '5a'),
    processIncomingMessage(message, callback) {
      calls.push(['xor in', side, message.rsv1, message.rsv2, message.rsv3, message.opcode]);
      if (!message.rsv2) return later(0, () => callback(null, message));
      const data = Buffer.from(message.data.map((b) => b ^ 0x5a));
      message.rsv2 = false;
      later(data.toString().startsWith('slow') ? 30 : 0, () => callback(null, Object.assign(message, { data })));
    },
    processOutgoingMessage(message, callback) {
      calls.push(['xor out', side, message.rsv1, message.rsv2, message.rsv3, message.opcode]);
      const slow = message.data.toString().startsWith('slow');
      message.data = Buffer.from(message.data.map((b) => b ^ 0x5a));
      message.rsv2 = true;
      later(slow ? 30 : 0, () => callback(null, message));
    },
    close: () => calls.push(['xor close', side]),
  });
  const xor = {
    name: 'x-xor',
    type: 'permessage',
    rsv1: false,
    rsv2: true,
    rsv3: false,
    createServerSession: (offers, options) => (calls.push(['server xor', offers, options]), xorSession('server')),
    createClientSession: (options) => (calls.push(['client xor', options]), xorSession('client')),
  };

  // Appends "!" (RSV3) going out and removes it coming in, synchronously;
  // "boom" fails with a callback error, "throw" throws, "typed" fails with
  // error.type 1003 and "named" with error.type 'too_large'.
  const tagSession = (side) => ({
    generateOffer: () => [{ level: 1 }, { level: 2 }],
    generateResponse: () => ({}),
    activate: () => true,
    processIncomingMessage(message, callback) {
      calls.push(['tag in', side, message.rsv3]);
      const text = message.data.toString();
      if (text === 'boom') return callback(new Error('boom'));
      if (text === 'throw') throw new Error('thrown');
      if (text === 'typed') return callback(Object.assign(new Error('typed'), { type: 1003 }));
      if (text === 'named') return callback(Object.assign(new Error('named'), { type: 'too_large' }));
      if (text === 'grow') return callback(null, Object.assign(message, { data: Buffer.alloc(200, 0x61) }));
      if (message.rsv3) {
        message.data = message.data.subarray(0, message.data.length - 1);
        message.rsv3 = false;
      }
      callback(null, message);
    },
    processOutgoingMessage(message, callback) {
      calls.push(['tag out', side, message.rsv2]);
      if (message.data.toString() === 'out-boom') return callback(new Error('cannot send'));
      message.data = Buffer.concat([message.data, Buffer.from('!')]);
      message.rsv3 = true;
      callback(null, message);
    },
    close: () => calls.push(['tag close', side]),
  });
  const tag = {
    name: 'x-tag',
    type: 'permessage',
    rsv1: false,
    rsv2: false,
    rsv3: true,
    createServerSession: (offers) => (calls.push(['server tag', offers]), tagSession('server')),
    createClientSession: () => tagSession('client'),
  };
  return { xor, tag, calls };
}

const compressed = (s) => {
  const out = require('zlib').deflateRawSync(Buffer.from(s), { finishFlush: require('zlib').constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
};

const xorBytes = (s) => Buffer.from(Buffer.from(s).map((b) => b ^ 0x5a));

// Runs one scenario against faye and against us; returns both results.
async function both(build) {
  const results = [];
  for (const Impl of [Faye, Native]) {
    const { xor, tag, calls } = makeExtensions();
    const spec = build({ xor, tag });
    const result = await runScenario(Impl, spec);
    result.calls = calls;
    results.push(result);
  }
  return results;
}

function assertSame([faye, ours]) {
  assert.equal(ours.head, faye.head);
  assert.deepEqual(ours.log, faye.log);
  assert.deepEqual(ours.frames, faye.frames);
  assert.deepEqual(ours.calls, faye.calls);
}

describe('JS extensions, server side, against faye-websocket', () => {
  test('negotiation: registration order, RSV bits, offers passed as faye passes them', T, async () => {
    for (const offer of [
      'x-tag; level=1, x-xor; mask=5a, x-tag; level="2"',
      'x-xor, other; a=b',
      'nothing',
      undefined,
    ]) {
      const results = await both(({ xor, tag }) => ({
        options: { extensions: [xor, tag], maxLength: 1000 },
        request: { extensions: offer },
        finish: 'client-close',
        settle: 30,
      }));
      assertSame(results);
    }
  });

  test("a request failing faye's own checks never reaches the extensions", T, async () => {
    for (const request of [{ version: '8' }, { omit: ['sec-websocket-key'] }, { upgrade: 'h2c' }]) {
      const results = await both(({ xor, tag }) => ({
        options: { extensions: [xor, tag] },
        request: { extensions: 'x-xor, x-tag', ...request },
      }));
      assert.match(results[0].head, /^HTTP\/1\.1 400 /);
      assertSame(results);
      assert.deepEqual(results[1].calls, []);
    }
  });

  test('an extension whose RSV bit is taken is skipped; deflate and a JS one on RSV1', T, async () => {
    const rsv1 = {
      name: 'x-one',
      type: 'permessage',
      rsv1: true,
      rsv2: false,
      rsv3: false,
      createServerSession: () => ({
        generateResponse: () => ({ on: true }),
        processIncomingMessage: (m, cb) => cb(null, m),
        processOutgoingMessage: (m, cb) => cb(null, m),
        close() {},
      }),
    };
    for (const [extensions, offer] of [
      [[rsv1, pmd], 'permessage-deflate, x-one'],
      [[pmd, rsv1], 'permessage-deflate, x-one'],
      [[pmd, rsv1], 'x-one'],
    ]) {
      const results = [];
      for (const Impl of [Faye, Native]) {
        results.push(
          await runScenario(Impl, {
            options: { extensions },
            request: { extensions: offer },
            finish: 'client-close',
            settle: 20,
          })
        );
      }
      assert.equal(results[1].head, results[0].head, offer);
      assert.deepEqual(results[1].log, results[0].log);
    }
  });

  test('messages in both directions, async callbacks finishing out of order, order kept', T, async () => {
    const results = await both(({ xor, tag }) => ({
      options: { extensions: [xor, tag] },
      request: { extensions: 'x-xor, x-tag' },
      onOpen(ws) {
        ws.on('message', (event) => ws.send('echo ' + event.data));
        ws.send('slow first');
        ws.send('second');
        ws.send(Buffer.from([1, 2, 3]));
      },
      writes: [
        // XORed, then tagged with "!": the incoming pipeline runs tag first
        // (reverse order), then xor.
        F.text(Buffer.concat([xorBytes('slow hello'), Buffer.from('!')]), { rsv2: true, rsv3: true }),
        F.text(Buffer.concat([xorBytes('quick'), Buffer.from('!')]), { rsv2: true, rsv3: true }),
        F.binary(xorBytes('bin'), { rsv2: true }),
        F.text('plain'),
        F.text('fragmented ', { fin: false, rsv3: true }),
        F.ping('p'),
        F.cont('message!'),
      ],
      finish: 'client-close',
      settle: 400,
    }));
    assertSame(results);
    const texts = results[1].log.filter((e) => e.event === 'message').map((e) => e.data);
    assert.deepEqual(texts.slice(0, 2), ['slow hello', 'quick']);
  });

  test('RSV bits: claimed ones pass on message frames only; others fail with 1002', T, async () => {
    for (const writes of [
      [F.text('x', { rsv1: true })],
      [F.ping('x', { rsv2: true })],
      [F.text('a', { fin: false }), F.cont('b', { rsv2: true })],
      [F.text(xorBytes('ok'), { rsv2: true }), F.close(1000)],
    ]) {
      assertSame(
        await both(({ xor, tag }) => ({
          options: { extensions: [xor, tag] },
          request: { extensions: 'x-xor, x-tag' },
          writes,
          settle: 50,
        }))
      );
    }
  });

  for (const [name, payload] of [
    ['a callback error', 'boom'],
    ['a thrown exception', 'throw'],
    ['error.type as a code', 'typed'],
    ['error.type as a name', 'named'],
    ['the length check after the pipeline (1009)', 'grow'],
  ]) {
    test(`session failure: ${name}`, T, async () => {
      assertSame(
        await both(({ xor, tag }) => ({
          options: { extensions: [xor, tag], maxLength: 100 },
          request: { extensions: 'x-xor, x-tag' },
          onOpen(ws) {
            ws.send('slow before');
          },
          writes: [F.text('fine'), F.text(payload), F.text('after')],
          settle: 100,
        }))
      );
    });
  }

  test('an outgoing session error fails the connection', T, async () => {
    assertSame(
      await both(({ xor, tag }) => ({
        options: { extensions: [xor, tag] },
        request: { extensions: 'x-tag' },
        onOpen(ws) {
          ws.send('one');
          ws.send('out-boom');
          ws.send('never');
        },
        settle: 100,
      }))
    );
  });

  test('invalid UTF-8 after the pipeline fails with 1007', T, async () => {
    assertSame(
      await both(({ xor, tag }) => ({
        options: { extensions: [xor, tag] },
        request: { extensions: 'x-xor' },
        writes: [F.text(Buffer.from([0xff ^ 0x5a]), { rsv2: true })],
        settle: 100,
      }))
    );
  });

  test(
    'close() waits for messages in the pipeline, then closes the sessions and sends the close frame',
    T,
    async () => {
      const results = await both(({ xor, tag }) => ({
        options: { extensions: [xor, tag] },
        request: { extensions: 'x-xor, x-tag' },
        onOpen(ws, log) {
          ws.send('slow one');
          ws.send('two');
          log.note({ buffered: ws.bufferedAmount > 0 });
          ws.close(3000, 'bye');
          log.note({ afterClose: ws.send('three') });
        },
        writes: [F.text(xorBytes('slow incoming'), { rsv2: true })],
        finish: 'client-close',
        settle: 100,
      }));
      assert.equal(results[1].log[1].note.buffered, true);
      results[1].log[1].note.buffered = results[0].log[1].note.buffered; // faye's bufferedAmount is always 0
      assertSame(results);
      const frames = results[1].frames;
      assert.deepEqual(
        frames.map((f) => f.opcode),
        [1, 1, 8]
      );
    }
  );

  test('the peer closing while messages are in the pipeline', T, async () => {
    assertSame(
      await both(({ xor, tag }) => ({
        options: { extensions: [xor, tag] },
        request: { extensions: 'x-xor, x-tag' },
        onOpen(ws) {
          ws.send('slow out');
        },
        writes: [F.text(xorBytes('slow in'), { rsv2: true }), F.close(1001, 'going')],
        settle: 100,
      }))
    );
  });
});

describe('JS extensions with permessage-deflate', () => {
  for (const order of ['xor first', 'deflate first']) {
    test(`server and client, ${order}: messages round-trip and match faye on both sides`, T, async () => {
      const received = [];
      for (const [Server, Client] of [
        [Faye, Faye],
        [Native, Faye],
        [Faye, Native],
        [Native, Native],
      ]) {
        const { xor } = makeExtensions();
        const list = order === 'xor first' ? [xor, pmd] : [pmd, xor];
        const server = http.createServer();
        server.on('upgrade', (req, socket, body) => {
          const ws = new Server(req, socket, body, [], { extensions: list });
          ws.on('message', (event) => ws.send(event.data));
        });
        await new Promise((r) => server.listen(0, '127.0.0.1', r));
        const client = new Client.Client('ws://127.0.0.1:' + server.address().port, [], { extensions: list });
        const messages = [];
        const payloads = ['slow hello hello hello', 'x'.repeat(100000), Buffer.from('binary binary binary'), ''];
        await new Promise((resolve, reject) => {
          client.on('open', () => payloads.forEach((p) => client.send(p)));
          client.on('message', (event) => {
            messages.push(Buffer.isBuffer(event.data) ? ['b', event.data.toString('hex')] : ['t', event.data]);
            if (messages.length === payloads.length) resolve();
          });
          client.on('close', (event) => reject(new Error('closed ' + event.code + ' ' + event.reason)));
        });
        received.push({ messages, header: client.headers['sec-websocket-extensions'] });
        client.close();
        await delay(20);
        server.close();
      }
      for (const result of received.slice(1)) assert.deepEqual(result, received[0]);
      assert.equal(received[0].messages[0][1], 'slow hello hello hello');
    });
  }

  test("server frames with deflate and a JS extension equal faye's, and the RSV bits combine", T, async () => {
    const results = await both(({ xor }) => ({
      options: { extensions: [xor, pmd] },
      request: { extensions: 'x-xor, permessage-deflate' },
      onOpen(ws) {
        ws.send('hello hello hello');
      },
      writes: [
        F.text(compressed('compressed, not xored'), { rsv1: true }),
        F.text(compressed('bad'), { rsv1: true, rsv2: true }),
      ],
      finish: 'client-close',
      settle: 100,
    }));
    assertSame(results);
    assert.equal(results[1].frames[0].rsv, 4 | 2);
  });
});

// faye answers 400 with the message of whatever an extension throws while
// negotiating, once the request's own checks pass; nothing escapes.
describe('an extension that throws while negotiating', () => {
  const throwing = (thrown) => ({
    name: 'x-throw',
    type: 'permessage',
    rsv1: false,
    rsv2: true,
    rsv3: false,
    createServerSession: () => {
      throw thrown;
    },
  });
  const cases = {
    'an Error from createServerSession': { thrown: new Error('cannot negotiate'), request: {} },
    'the same with version 8 (the version check comes first)': {
      thrown: new Error('cannot negotiate'),
      request: { version: '8' },
    },
  };
  for (const [name, { thrown, request }] of Object.entries(cases)) {
    test(`${name}: the same 400, events and close as faye`, T, async () => {
      const results = [];
      for (const Impl of [Faye, Native]) {
        results.push(
          await runScenario(Impl, {
            options: { extensions: [throwing(thrown)] },
            request: { extensions: 'x-throw', ...request },
          })
        );
      }
      const [faye, ours] = results;
      assert.match(faye.head, /^HTTP\/1\.1 400 /);
      assert.equal(ours.head, faye.head);
      assert.equal(ours.bytes.toString('latin1'), faye.bytes.toString('latin1'));
      assert.deepEqual(ours.log, faye.log);
    });
  }
});

// With a JS extension registered, the client's header goes through the
// native parser (src/extension_header.rs): malformed ones get faye's 400.
describe('malformed extension headers with a JS extension registered', () => {
  const hostile = {
    'unclosed quoted string': 'a;b="' + '\\c'.repeat(4000),
    'long run of spaces before a separator': 'x-xor' + ' '.repeat(8000) + ';',
    'a parameter without a value after "="': 'x-xor; mask=',
  };
  for (const [name, header] of Object.entries(hostile)) {
    test(`${name}: 400 with faye's message`, T, async () => {
      const result = await runScenario(Native, {
        options: { extensions: [makeExtensions().xor] },
        request: { extensions: header },
      });
      assert.match(result.head, /^HTTP\/1\.1 400 /);
      assert.ok(result.bytes.toString('latin1').includes('Invalid Sec-WebSocket-Extensions header: '));
    });
  }
});
