'use strict';
// The server-side EventSource on 127.0.0.1 with real clients: its API and
// events, closing, coalesced writes, line-injection safety, the stream
// interface, the npm `eventsource` client (typed events, multi-line data,
// reconnection with Last-Event-ID, retry) and https with a certificate made
// at test time.
const { describe, test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const http = require('node:http');
const https = require('node:https');
const net = require('node:net');
const path = require('node:path');
const tls = require('node:tls');
const { Readable, Stream } = require('node:stream');

const FayeWebSocket = require('faye-websocket');
const EventSource = require('../../lib/eventsource');
const { makeCertificate } = require('../helpers/certificate');

const T = { timeout: 15000 };
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const HEAD =
  'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache, no-store\r\n' +
  'Connection: close\r\n';

// An http(s) server on 127.0.0.1 calling `handler(request, response)`.
async function startServer(handler, tlsOptions) {
  const server = tlsOptions ? https.createServer(tlsOptions, handler) : http.createServer(handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: server.address().port,
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

// A raw client: sends a GET and collects every byte. `done` resolves with
// the bytes once the server has closed the connection.
function rawClient(port, headers = '', { secure, ca } = {}) {
  const socket = secure
    ? tls.connect({ port, host: '127.0.0.1', ca, servername: 'localhost' })
    : net.connect(port, '127.0.0.1');
  const chunks = [];
  socket.write(`GET /events?a=b HTTP/1.1\r\nHost: localhost:${port}\r\nAccept: text/event-stream\r\n${headers}\r\n`);
  socket.on('data', (chunk) => chunks.push(chunk));
  socket.on('end', () => socket.end());
  const done = new Promise((resolve, reject) => {
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
  return { socket, chunks, done, text: () => Buffer.concat(chunks).toString('utf8') };
}

// One EventSource per request; `onSource(es, request, response)` drives it.
async function withSource(options, onSource) {
  const sources = [];
  const srv = await startServer((request, response) => {
    const es = new EventSource(request, response, options);
    sources.push(es);
    onSource(es, request, response);
  });
  return { ...srv, sources };
}

async function until(predicate, what, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for ' + what);
    await delay(5);
  }
}

describe('module shape', () => {
  test("the export is the class, with faye's statics and methods", () => {
    const Faye = FayeWebSocket.EventSource;
    assert.deepEqual(Object.keys(EventSource), Object.keys(Faye));
    assert.equal(EventSource.super_, Stream);
    for (const key of Object.keys(Faye.prototype)) assert.ok(key in EventSource.prototype, key);
    assert.equal(EventSource.prototype.DEFAULT_PING, 10);
    assert.equal(EventSource.prototype.DEFAULT_RETRY, 5);
    assert.ok(EventSource.prototype instanceof Stream);
  });

  test("require('..').EventSource is this class", () => {
    assert.equal(require('../..').EventSource, EventSource);
  });

  test("isEventSource is faye's rule", () => {
    const cases = [
      ['GET', 'text/event-stream'],
      ['GET', 'text/html , text/event-stream'],
      ['GET', 'text/html,\ttext/event-stream\t, */*'],
      ['GET', 'text/event-stream;q=1'],
      ['GET', 'Text/Event-Stream'],
      ['GET', undefined],
      ['GET', ''],
      ['POST', 'text/event-stream'],
      ['get', 'text/event-stream'],
      ['GET', ' text/event-stream'],
    ];
    for (const [method, accept] of cases) {
      const request = { method, headers: accept === undefined ? {} : { accept } };
      assert.equal(
        EventSource.isEventSource(request),
        FayeWebSocket.EventSource.isEventSource(request),
        `${method} ${JSON.stringify(accept)}`
      );
    }
  });
});

describe('events, properties and closing', () => {
  test("open and close through on* and addEventListener, with faye's event objects", T, async () => {
    const seen = [];
    const srv = await withSource({}, (es) => {
      seen.push(['constructed', es.readyState, es.writable]);
      es.onopen = (event) =>
        seen.push([
          'onopen',
          event.type,
          es.readyState,
          event.target === es,
          event.eventPhase,
          event.bubbles,
          event.cancelable,
        ]);
      es.addEventListener('open', () => seen.push(['open listener']));
      es.onclose = (event) => seen.push(['onclose', event.type, es.readyState, es.writable, event.target === es]);
      es.addEventListener('close', () => seen.push(['close listener']));
      es.on('open', () => setTimeout(() => seen.push(['close()', es.close(), es.close()]), 10));
    });
    const client = rawClient(srv.port);
    const text = await client.done;
    await srv.close();
    assert.equal(text, HEAD + '\r\nretry: 5000\r\n\r\n');
    assert.deepEqual(seen, [
      ['constructed', 0, true],
      ['onopen', 'open', 1, true, 2, false, false],
      ['open listener'],
      ['onclose', 'close', 3, false, true],
      ['close listener'],
      ['close()', true, false],
    ]);
  });

  test('url and lastEventId', T, async () => {
    let es;
    const srv = await withSource({}, (source) => {
      es = source;
      source.close();
    });
    await rawClient(srv.port, 'Last-Event-ID: 41\r\n').done;
    assert.equal(es.url, `http://localhost:${srv.port}/events?a=b`);
    assert.equal(es.lastEventId, '41');
    await rawClient(srv.port, 'X-Forwarded-Proto: https\r\n').done;
    assert.equal(es.url, `https://localhost:${srv.port}/events?a=b`);
    assert.equal(es.lastEventId, '');
    await srv.close();
  });

  for (const [cause, act] of [
    ['the client half-closes', (client) => client.socket.end()],
    ['the client resets the connection', (client) => client.socket.resetAndDestroy()],
    ['the client is destroyed', (client) => client.socket.destroy()],
    ['a socket error on the server', (client, es) => es._stream.destroy(new Error('boom'))],
  ]) {
    test(`close fires once when ${cause}; the ping timer stops`, T, async () => {
      const closes = [];
      let es;
      const srv = await withSource({ ping: 0.02 }, (source) => {
        es = source;
        source.on('close', () => closes.push(source.readyState));
        source.on('open', () => source.send('hello'));
      });
      const client = rawClient(srv.port);
      client.socket.on('error', () => {});
      await until(() => client.text().includes('data: hello'), 'the event');
      act(client, es);
      await until(() => closes.length > 0, 'close');
      await delay(80);
      assert.deepEqual(closes, [3]);
      assert.equal(es.readyState, 3);
      assert.equal(es.writable, false);
      assert.equal(es.send('late'), false);
      assert.equal(es.ping(), false);
      assert.equal(es.close(), false);
      assert.equal(es._pingTimer, null);
      await srv.close();
    });
  }

  test('nothing keeps the process alive after close (child process exits by itself)', T, async () => {
    const script = `
      const http = require('http'), net = require('net');
      const EventSource = require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib', 'eventsource.js'))});
      let count = 0;
      const server = http.createServer((req, res) => {
        const es = new EventSource(req, res, { ping: 0.01 });
        es.on('close', () => { if (++count === 2) server.close(); });
        // The first closes from the server, the second when the client leaves.
        if (count === 0 && !server.first) { server.first = true; setTimeout(() => es.close(), 50); }
      });
      server.listen(0, '127.0.0.1', () => {
        const a = net.connect(server.address().port, '127.0.0.1');
        a.write('GET / HTTP/1.1\\r\\nHost: x\\r\\nAccept: text/event-stream\\r\\n\\r\\n');
        a.on('data', () => {}); a.on('end', () => a.end());
        const b = net.connect(server.address().port, '127.0.0.1');
        b.write('GET / HTTP/1.1\\r\\nHost: x\\r\\nAccept: text/event-stream\\r\\n\\r\\n');
        b.on('data', () => {}); setTimeout(() => b.end(), 80);
      });`;
    const child = spawn(process.execPath, ['-e', script], { stdio: 'inherit' });
    const started = Date.now();
    const code = await new Promise((resolve) => {
      const timer = setTimeout(() => {
        child.kill();
        resolve('killed');
      }, 5000);
      child.on('exit', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    assert.equal(code, 0, 'the child exited on its own');
    assert.ok(Date.now() - started < 4000);
  });

  test('the interval ping writes ":\\r\\n\\r\\n" every `ping` seconds', T, async () => {
    const srv = await withSource({ ping: 0.03 }, (es) => setTimeout(() => es.close(), 200));
    const text = await rawClient(srv.port).done;
    await srv.close();
    const pings = text.slice((HEAD + '\r\nretry: 5000\r\n\r\n').length);
    assert.match(pings, /^(:\r\n\r\n){2,7}$/);
  });
});

describe('writing', () => {
  test('sends in one tick leave in one socket write, in order with pings, and close flushes them', T, async () => {
    const writes = [];
    const results = [];
    const srv = await startServer((request, response) => {
      const socket = response.socket;
      const write = socket.write;
      socket.write = function (chunk, ...rest) {
        writes.push(String(chunk));
        return write.call(this, chunk, ...rest);
      };
      const es = new EventSource(request, response, {});
      for (let i = 0; i < 100; i += 1) results.push(es.send('event ' + i, { id: i }));
      results.push(es.ping());
      setTimeout(() => {
        results.push(es.send('a'), es.ping(), es.send('b\nc', { event: 'x' }));
        results.push(es.close(), es.send('after close'));
      }, 20);
    });
    const text = await rawClient(srv.port).done;
    await srv.close();
    let expected = HEAD + '\r\nretry: 5000\r\n\r\n';
    for (let i = 0; i < 100; i += 1) expected += (i ? `id: ${i}\r\n` : '') + `data: event ${i}\r\n\r\n`;
    expected += ':\r\n\r\n';
    const second = 'data: a\r\n\r\n:\r\n\r\nevent: x\r\ndata: b\ndata: c\r\n\r\n';
    assert.equal(text, expected + second);
    assert.deepEqual(writes, [expected, second]);
    assert.deepEqual(results, [...Array(104).fill(true), true, false]);
  });

  test('readable.pipe(es): write sends a message, end closes', T, async () => {
    let ended = false;
    const srv = await withSource({}, (es) => {
      es.on('close', () => {
        ended = true;
      });
      Readable.from(['one', 'two\nlines', Buffer.from('bytes ☃')]).pipe(es);
    });
    const text = await rawClient(srv.port).done;
    await srv.close();
    assert.equal(
      text,
      HEAD + '\r\nretry: 5000\r\n\r\n' + 'data: one\r\n\r\ndata: two\ndata: lines\r\n\r\ndata: bytes ☃\r\n\r\n'
    );
    assert.ok(ended);
  });

  test('a CR or LF in a header name or value throws from the constructor; nothing is written', T, async () => {
    const thrown = [];
    const srv = await startServer((request, response) => {
      for (const headers of [{ 'X-A': 'b\r\nSet-Cookie: evil=1' }, { 'X-A\nB': 'c' }, { 'X-A': 'b\rc' }]) {
        try {
          new EventSource(request, response, { headers });
        } catch (error) {
          thrown.push(error.message);
        }
      }
      response.socket.end();
    });
    const text = await rawClient(srv.port).done;
    await srv.close();
    assert.equal(text, '');
    assert.equal(thrown.length, 3);
    for (const message of thrown) assert.match(message, /must not contain CR or LF/);
  });

  test('event and id values cannot inject fields (faye would)', T, async () => {
    const calls = (es) => {
      es.send('x', { event: 'a\n\ndata: injected', id: '1\r\nevent: evil' });
      es.send('y', { event: '\r\n', id: '\n' });
      es.send('z', { event: 'ok', id: 7 });
      es.close();
    };
    const srv = await withSource({}, calls);
    const ours = await rawClient(srv.port).done;
    await srv.close();
    assert.equal(
      ours,
      HEAD +
        '\r\nretry: 5000\r\n\r\n' +
        'event: adata: injected\r\nid: 1event: evil\r\ndata: x\r\n\r\n' +
        'data: y\r\n\r\n' +
        'event: ok\r\nid: 7\r\ndata: z\r\n\r\n'
    );

    // What faye writes for the same calls: an extra event and extra fields.
    const fayeServer = await startServer((request, response) =>
      calls(new FayeWebSocket.EventSource(request, response))
    );
    const faye = await rawClient(fayeServer.port).done;
    await fayeServer.close();
    assert.ok(faye.includes('event: a\n\ndata: injected\r\nid: 1\r\nevent: evil\r\n'));
  });
});

// ---- the npm `eventsource` client ------------------------------------------

const { EventSource: ClientEventSource } = require('eventsource');

// Waits for `count` events of the given types on an npm EventSource.
function collect(source, types, count) {
  const events = [];
  return {
    events,
    done: new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`got ${events.length} of ${count} events`)), 8000);
      for (const type of types) {
        source.addEventListener(type, (event) => {
          events.push({ type: event.type, data: event.data, lastEventId: event.lastEventId });
          if (events.length === count) {
            clearTimeout(timer);
            resolve(events);
          }
        });
      }
    }),
  };
}

describe('with the npm eventsource client', () => {
  test('typed events with ids and multi-line data round-trip', T, async () => {
    const srv = await withSource({}, (es) => {
      es.on('open', () => {
        es.send('plain');
        es.send('{"v":1}', { event: 'update', id: 'u-1' });
        es.send('line 1\nline 2\r\nline 3\rline 4', { event: 'update', id: 'u-2' });
        es.send('', { event: 'empty' });
        es.send('last', { id: 99 });
      });
    });
    const source = new ClientEventSource(`http://127.0.0.1:${srv.port}/`);
    const { done } = collect(source, ['message', 'update', 'empty'], 5);
    const events = await done;
    source.close();
    await srv.close();
    assert.deepEqual(events, [
      { type: 'message', data: 'plain', lastEventId: '' },
      { type: 'update', data: '{"v":1}', lastEventId: 'u-1' },
      // The client joins data lines with \n, whatever the line break was.
      { type: 'update', data: 'line 1\nline 2\nline 3\nline 4', lastEventId: 'u-2' },
      // eventsource 3.x reports only the event's own id here.
      { type: 'empty', data: '', lastEventId: '' },
      { type: 'message', data: 'last', lastEventId: '99' },
    ]);
  });

  test('reconnects after the server drops it, sends Last-Event-ID, waits `retry`', T, async () => {
    const connections = [];
    const srv = await withSource({ retry: 0.3 }, (es) => {
      connections.push({ lastEventId: es.lastEventId, at: Date.now() });
      es.on('open', () => {
        if (connections.length === 1) {
          es.send('first', { id: 'id-1' });
          es.send('second', { id: 'id-2' });
          setTimeout(() => es.close(), 30);
        } else {
          es.send('resumed after ' + es.lastEventId, { id: 'id-3' });
        }
      });
    });
    const source = new ClientEventSource(`http://127.0.0.1:${srv.port}/`);
    let dropped = 0;
    source.addEventListener('error', () => {
      if (!dropped) dropped = Date.now();
    });
    const { done } = collect(source, ['message'], 3);
    const events = await done;
    source.close();
    await srv.close();
    assert.deepEqual(
      events.map((event) => event.data),
      ['first', 'second', 'resumed after id-2']
    );
    assert.equal(connections.length, 2);
    assert.deepEqual(
      connections.map((c) => c.lastEventId),
      ['', 'id-2']
    );
    // retry: 300 ms (the client's own default is 3 s).
    const gap = connections[1].at - dropped;
    assert.ok(gap >= 250 && gap < 2500, `reconnected ${gap} ms after the drop`);
  });
});

// ---- https ------------------------------------------------------------------

// fetch() for the npm client that trusts `ca`, over node:https.
function fetchTrusting(ca) {
  return (url, init) =>
    new Promise((resolve, reject) => {
      const request = https.request(url, { method: 'GET', headers: init.headers, ca }, (response) => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(response.headers)) headers.set(name, String(value));
        resolve(new Response(Readable.toWeb(response), { status: response.statusCode, headers }));
      });
      if (init.signal) init.signal.addEventListener('abort', () => request.destroy());
      request.on('error', reject);
      request.end();
    });
}

describe('over https', () => {
  const certificate = makeCertificate();

  test('raw TLS client: the same bytes as over http, an https: url', T, async () => {
    let url;
    const srv = await startServer((request, response) => {
      const es = new EventSource(request, response, { retry: 1, headers: { 'X-Secure': 'yes' } });
      url = es.url;
      es.send('secret\nlines', { event: 'tls', id: 5 });
      es.ping();
      es.close();
    }, certificate);
    const text = await rawClient(srv.port, '', { secure: true, ca: certificate.cert }).done;
    await srv.close();
    assert.equal(url, `https://localhost:${srv.port}/events?a=b`);
    assert.equal(
      text,
      HEAD +
        'X-Secure: yes\r\n\r\nretry: 1000\r\n\r\n' +
        'event: tls\r\nid: 5\r\ndata: secret\ndata: lines\r\n\r\n:\r\n\r\n'
    );
  });

  test('npm eventsource client over https', T, async () => {
    const srv = await startServer((request, response) => {
      const es = new EventSource(request, response, {});
      es.on('open', () => {
        es.send('over tls', { event: 'secure', id: 's1' });
        es.send(es.url);
      });
    }, certificate);
    const source = new ClientEventSource(`https://localhost:${srv.port}/sse`, {
      fetch: fetchTrusting(certificate.cert),
    });
    const { done } = collect(source, ['secure', 'message'], 2);
    const events = await done;
    source.close();
    await srv.close();
    assert.deepEqual(events, [
      { type: 'secure', data: 'over tls', lastEventId: 's1' },
      { type: 'message', data: `https://localhost:${srv.port}/sse`, lastEventId: '' },
    ]);
  });
});
