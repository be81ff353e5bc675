'use strict';
// EventSource differential suite: each scenario runs the same sequence of
// calls on faye-websocket 0.11.4's EventSource and on ours, behind a real
// http server on 127.0.0.1, and compares the raw bytes a net socket receives
// (status line, headers, retry, events, pings, then EOF) and what the server
// side observed (return values, properties, events).
const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const net = require('node:net');

const Faye = require('faye-websocket').EventSource;
const Ours = require('../../lib/eventsource');

const T = { timeout: 10000 };

const REQUEST = 'GET /stream?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n';

// Runs `spec` against EventSource class `ES`. spec = { options, request
// (extra request header lines), run(es, log, ES) (may be async; it must end
// the stream or the client must), clientEnd (the client half-closes after
// `clientEnd` ms) }. Resolves with { bytes, log, threw }.
function runScenario(ES, spec) {
  return new Promise((resolve, reject) => {
    const log = [];
    let threw = null;
    let es = null;
    const server = http.createServer((request, response) => {
      try {
        es = new ES(request, response, spec.options);
      } catch (error) {
        threw = { name: error.constructor.name, message: error.message };
        response.socket.destroy();
        return;
      }
      log.push({ url: es.url, lastEventId: es.lastEventId, readyState: es.readyState, writable: es.writable });
      es.onopen = () => log.push({ event: 'open', readyState: es.readyState });
      es.addEventListener('close', (event) =>
        log.push({ event: 'close', type: event.type, readyState: es.readyState, writable: es.writable })
      );
      Promise.resolve(spec.run(es, log, ES)).catch(reject);
    });
    server.listen(0, '127.0.0.1', () => {
      const client = net.connect(server.address().port, '127.0.0.1');
      const chunks = [];
      client.write(REQUEST + (spec.request || '') + '\r\n');
      if (spec.clientEnd !== undefined) setTimeout(() => client.end(), spec.clientEnd);
      client.on('data', (chunk) => chunks.push(chunk));
      client.on('error', reject);
      client.on('close', () => {
        server.close();
        // Let a close triggered by the client's FIN reach the log.
        setImmediate(() => resolve({ bytes: Buffer.concat(chunks), log, threw, es }));
      });
      client.on('end', () => client.end());
    });
  });
}

async function compare(makeSpec, check) {
  const faye = await runScenario(Faye, makeSpec());
  const ours = await runScenario(Ours, makeSpec());
  assert.deepEqual(ours.threw, faye.threw, 'constructor exception');
  assert.deepEqual(ours.log, faye.log, 'server-side record');
  assert.equal(ours.bytes.length, faye.bytes.length, 'number of bytes received');
  const at = ours.bytes.findIndex((byte, i) => byte !== faye.bytes[i]);
  assert.equal(
    at,
    -1,
    `bytes differ at ${at}: ours ${JSON.stringify(ours.bytes.subarray(at, at + 40).toString())} ` +
      `faye ${JSON.stringify(faye.bytes.subarray(at, at + 40).toString())}`
  );
  if (check) check(faye.bytes.toString('utf8'), faye);
  return { faye, ours };
}

const HEAD =
  'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache, no-store\r\n' +
  'Connection: close\r\n';

// Sends each entry ([message, options]) on open, records return values, closes.
function sendAll(entries, { before, after } = {}) {
  return () => ({
    run(es, log) {
      if (before) before(es, log);
      es.on('open', () => {
        for (const [message, options] of entries) log.push({ send: es.send(message, options) });
        if (after) after(es, log);
        log.push({ closed: es.close(), again: es.close(), sendAfter: es.send('late'), pingAfter: es.ping() });
      });
    },
  });
}

describe('EventSource bytes: faye-websocket 0.11.4 vs ours', () => {
  test('handshake, default retry, one event', T, () =>
    compare(sendAll([['hello']]), (text) => {
      assert.equal(text, HEAD + '\r\nretry: 5000\r\n\r\ndata: hello\r\n\r\n');
    })
  );

  test('multi-line data with \\n, \\r\\n, \\r, mixed, leading, trailing, repeated', T, () =>
    compare(
      sendAll([
        ['line1\nline2\r\nline3\rline4'],
        ['\n'],
        ['\r\n'],
        ['\r'],
        ['\n\n'],
        ['\r\r\n'],
        ['\n\r'],
        ['\r\n\r\n'],
        ['lead\n'],
        ['\ntrail'],
        ['a\r\n\nb\r\rc'],
        [''],
      ]),
      (text) => {
        assert.ok(text.includes('data: line1\ndata: line2\r\ndata: line3\rdata: line4\r\n\r\n'));
        assert.ok(text.includes('data: \rdata: \r\ndata: \r\n\r\n'));
      }
    )
  );

  test('event and id, id 0, empty event, numbers, objects', T, () =>
    compare(
      sendAll([
        ['x', { event: 'upd', id: 42 }],
        ['y', { event: '', id: 0 }],
        ['z', { id: 'abc' }],
        ['w', { event: 'only' }],
        ['v', { id: '0' }],
        ['u', { event: null, id: undefined }],
        ['t', { event: { toString: () => 'obj' }, id: [1, 2] }],
        ['s', {}],
      ]),
      (text) => {
        assert.ok(text.includes('event: upd\r\nid: 42\r\ndata: x\r\n\r\n'));
        assert.ok(text.includes('\r\n\r\ndata: y\r\n\r\n'));
        assert.ok(text.includes('id: 0\r\ndata: v\r\n\r\n'));
        assert.ok(text.includes('event: obj\r\nid: 1,2\r\ndata: t\r\n\r\n'));
      }
    )
  );

  test('non-string messages and write(), including Buffers and unicode', T, () =>
    compare(
      sendAll([[42], [null], [undefined], [{ a: 1 }], [true], ['héllo ☃ 𝄞\nzwei']], {
        after(es, log) {
          log.push({ write: es.write(Buffer.from('buf\nfer')) });
          log.push({ write: es.write('written') });
        },
      })
    )
  );

  test('retry 2.5 s gives 2500, fractional floor, ping 0 and retry 0 mean the defaults', T, async () => {
    await compare(
      () => ({ ...sendAll([['r']])(), options: { retry: 2.5 } }),
      (text) => {
        assert.ok(text.includes('\r\n\r\nretry: 2500\r\n\r\n'));
      }
    );
    await compare(
      () => ({ ...sendAll([['r']])(), options: { retry: 0.0017 } }),
      (text) => {
        assert.ok(text.includes('retry: 1\r\n'));
      }
    );
    await compare(
      () => ({ ...sendAll([['r']])(), options: { retry: 0, ping: 0, unknown: 1 } }),
      (text) => {
        assert.ok(text.includes('retry: 5000\r\n'));
      }
    );
  });

  test('custom headers: spaces stripped, first wins, allowed duplicates, undefined skipped', T, () =>
    compare(
      () => ({
        ...sendAll([['h']])(),
        options: {
          headers: {
            'X-Custom': ' value ',
            'x-custom': 'second',
            'Set-Cookie': 'a=1',
            'set-cookie': 'b=2',
            'Content-Type': 'text/plain',
            ' X-Spaced ': '\tkeeps tab\t',
            'X-Undefined': undefined,
            'X-Number': 7,
            __proto__: { inherited: 'yes' },
          },
        },
      }),
      (text) => {
        assert.ok(
          text.startsWith(
            HEAD +
              'X-Custom: value\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n' +
              'Content-Type: text/plain\r\nX-Spaced: \tkeeps tab\t\r\nX-Number: 7\r\ninherited: yes\r\n\r\n'
          )
        );
      }
    )
  );

  test('a null header value throws the same TypeError', T, () =>
    compare(
      () => ({ options: { headers: { 'X-Null': null } }, run() {} }),
      (text, faye) => {
        assert.equal(text, '');
        assert.equal(faye.threw.name, 'TypeError');
      }
    )
  );

  test('ping(), sends before open, in the same tick as the constructor', T, () =>
    compare(
      () => ({
        run(es, log) {
          log.push({ early: es.send('before open', { id: 1 }), ping: es.ping(), state: es.readyState });
          es.on('open', () => {
            log.push({ ping: es.ping(), send: es.send('after') });
            setTimeout(() => {
              log.push({ ping: es.ping() });
              es.close();
            }, 20);
          });
        },
      }),
      (text) => {
        assert.ok(
          text.endsWith(
            'retry: 5000\r\n\r\nid: 1\r\ndata: before open\r\n\r\n:\r\n\r\n:\r\n\r\n' + 'data: after\r\n\r\n:\r\n\r\n'
          )
        );
      }
    )
  );

  test('close() in the constructor tick: no open event, handshake still written', T, () =>
    compare(() => ({
      run(es, log) {
        es.send('only');
        log.push({ closed: es.close(), state: es.readyState });
      },
    }))
  );

  test('end(message) sends it and closes; end() just closes', T, async () => {
    await compare(() => ({
      run(es, log) {
        es.on('open', () => log.push({ end: es.end('bye\nnow') }));
      },
    }));
    await compare(() => ({
      run(es, log) {
        es.on('open', () => log.push({ end: es.end() }));
      },
    }));
  });

  test('the interval ping writes ":\\r\\n\\r\\n" every `ping` seconds', T, () =>
    compare(
      () => ({
        options: { ping: 0.03 },
        run(es, log) {
          let pings = 0;
          const ping = es.ping;
          // The interval calls this.ping(); close after the third.
          es.ping = function () {
            const result = ping.call(this);
            log.push({ intervalPing: result });
            if (++pings === 3) this.close();
            return result;
          };
          es.on('open', () => es.send('tick'));
        },
      }),
      (text) => {
        assert.ok(text.endsWith('data: tick\r\n\r\n:\r\n\r\n:\r\n\r\n:\r\n\r\n'));
      }
    )
  );

  test('Last-Event-ID, X-Forwarded-Proto and the url', T, () =>
    compare(
      () => ({
        request: 'Last-Event-ID: 17\r\nX-Forwarded-Proto: https\r\n',
        run(es) {
          es.on('open', () => es.close());
        },
      }),
      (text, faye) => {
        assert.equal(faye.log[0].url, 'https://127.0.0.1/stream?x=1');
        assert.equal(faye.log[0].lastEventId, '17');
      }
    )
  );

  test('the client going away closes once', T, () =>
    compare(
      () => ({
        clientEnd: 30,
        run(es) {
          es.on('open', () => es.send('hi'));
        },
      }),
      (text, faye) => {
        assert.deepEqual(
          faye.log.filter((entry) => entry.event).map((entry) => entry.event),
          ['open', 'close']
        );
      }
    )
  );

  test('a 1 MB message with line breaks', T, () =>
    compare(sendAll([['0123456789abcde\n'.repeat(65536)], ['x\r\n'.repeat(1000)]]))
  );
});
