'use strict';
// wss: with a certificate made when the test runs, and HTTP CONNECT proxies:
// the npm `proxy` package (plain and TLS, with and without basic auth) and a
// raw proxy written here for exact bytes and a keep-alive 407.

const assert = require('node:assert/strict');
const net = require('net');
const { describe, test, after } = require('node:test');
const {
  Client,
  acceptFor,
  cleanup,
  record,
  within,
  makeCertificate,
  startEchoServer,
  startProxy,
} = require('../helpers/client');

after(cleanup);

const certificate = makeCertificate();
const otherCertificate = makeCertificate();

async function echoOnce(ws, log, message) {
  await within(log.waitFor('open'), 5000, 'open');
  ws.send(message);
  const [echo] = await within(log.waitFor('message'), 5000, 'echo');
  assert.equal(echo.data, message);
}

async function closeAndWait(ws, log) {
  ws.close();
  await within(log.closed, 5000, 'close');
}

describe('wss', () => {
  for (const kind of ['ws', 'ours']) {
    test(`wss to a ${kind} server with the ca shorthand and with tls.ca`, async () => {
      const server = await startEchoServer(kind, { tls: certificate });
      const tlsOptions = Object.freeze({ ca: certificate.cert });
      for (const options of [{ ca: certificate.cert }, { tls: tlsOptions }]) {
        const ws = new Client(server.url + '/secure', [], options);
        const log = record(ws);
        await echoOnce(ws, log, 'over tls');
        assert.equal(ws.statusCode, 101);
        await closeAndWait(ws, log);
      }
      assert.deepEqual(Object.keys(tlsOptions), ['ca'], 'the tls option is not written to');
      await server.close();
    });
  }

  test('wss to 127.0.0.1 (an IP: no SNI) with tls.ca', async () => {
    const server = await startEchoServer('ws', { tls: certificate });
    const ws = new Client(`wss://127.0.0.1:${server.port}/`, [], { tls: { ca: certificate.cert } });
    const log = record(ws);
    await echoOnce(ws, log, 'ip');
    await closeAndWait(ws, log);
    await server.close();
  });

  test('a certificate from the wrong CA gives a network error and close 1006', async () => {
    const server = await startEchoServer('ws', { tls: certificate });
    const url = server.url + '/';
    const ws = new Client(url, [], { ca: otherCertificate.cert });
    const events = await within(record(ws).closed, 5000, 'close');
    assert.equal(events.length, 2);
    assert.equal(events[0].type, 'error');
    assert.ok(events[0].message.startsWith(`Network error: ${url}: `), events[0].message);
    assert.match(events[0].message, /self[- ]signed certificate|unable to verify/);
    assert.deepEqual(events[1], { type: 'close', code: 1006, reason: '' });
    assert.equal(ws.statusCode, undefined);
    await server.close();
  });
});

describe('through the proxy package', () => {
  test('ws: through an http proxy, with proxy headers (a custom Host is ignored)', async () => {
    const server = await startEchoServer('ws');
    const proxy = await startProxy();
    const proxyOptions = Object.freeze({
      origin: proxy.origin,
      headers: Object.freeze({ 'User-Agent': 'client-test', Host: 'ignored.invalid', 'X-Undefined': undefined }),
    });
    const ws = new Client(server.url + '/via', ['echo'], { proxy: proxyOptions });
    const log = record(ws);
    await echoOnce(ws, log, 'tunnelled');
    assert.equal(ws.protocol, 'echo');
    const [connect] = proxy.connects;
    assert.equal(connect.url, `127.0.0.1:${server.port}`);
    assert.equal(connect.headers.host, `127.0.0.1:${server.port}`);
    assert.equal(connect.headers['user-agent'], 'client-test');
    assert.equal(connect.headers['proxy-connection'], 'keep-alive');
    assert.equal(connect.headers['proxy-authorization'], undefined);
    assert.equal(connect.headers['x-undefined'], undefined);
    await closeAndWait(ws, log);
    await proxy.close();
    await server.close();
  });

  test('basic auth from the proxy URL', async () => {
    const server = await startEchoServer('ours');
    const proxy = await startProxy({ auth: 'pu:pp' });
    const ws = new Client(server.url, [], { proxy: { origin: proxy.origin } });
    const log = record(ws);
    await echoOnce(ws, log, 'authorised');
    assert.equal(proxy.connects[0].headers['proxy-authorization'], 'Basic cHU6cHA=');
    await closeAndWait(ws, log);
    await proxy.close();
    await server.close();
  });

  test('a proxy answering 407: error, then close 1006; statusCode stays undefined', async () => {
    const server = await startEchoServer('ws');
    const proxy = await startProxy({ auth: 'pu:pp' });
    const url = server.url + '/x';
    const ws = new Client(url, [], { proxy: { origin: proxy.origin.replace('pu:pp', 'pu:wrong') } });
    const events = await within(record(ws).closed, 5000, 'close');
    assert.deepEqual(events, [
      { type: 'error', message: "Can't establish a connection to the server at " + new URL(url).href },
      { type: 'close', code: 1006, reason: '' },
    ]);
    assert.equal(ws.statusCode, undefined);
    assert.equal(ws.headers, undefined);
    await proxy.close();
    await server.close();
  });

  test('wss: through an http proxy (TLS inside the tunnel, tls.ca)', async () => {
    const server = await startEchoServer('ws', { tls: certificate });
    const proxy = await startProxy();
    const ws = new Client(server.url + '/inner', [], {
      proxy: { origin: proxy.origin },
      tls: { ca: certificate.cert },
    });
    const log = record(ws);
    await echoOnce(ws, log, 'tls in tunnel');
    assert.equal(proxy.connects[0].url, `localhost:${server.port}`);
    await closeAndWait(ws, log);
    await proxy.close();
    await server.close();
  });

  test('wss: through an https proxy (proxy.tls for the proxy, ca for the server)', async () => {
    const server = await startEchoServer('ours', { tls: certificate });
    const proxy = await startProxy({ tls: certificate });
    const proxyOptions = Object.freeze({ origin: proxy.origin, tls: Object.freeze({ ca: certificate.cert }) });
    const ws = new Client(server.url, [], { proxy: proxyOptions, ca: certificate.cert });
    const log = record(ws);
    await echoOnce(ws, log, 'tls twice');
    await closeAndWait(ws, log);
    await proxy.close();
    await server.close();
  });

  test('a wrong CA for the server behind the tunnel gives a network error', async () => {
    const server = await startEchoServer('ws', { tls: certificate });
    const proxy = await startProxy();
    const url = server.url + '/';
    const ws = new Client(url, [], { proxy: { origin: proxy.origin }, ca: otherCertificate.cert });
    const events = await within(record(ws).closed, 5000, 'close');
    assert.equal(events[0].type, 'error');
    assert.ok(events[0].message.startsWith(`Network error: ${url}: `), events[0].message);
    assert.deepEqual(events.at(-1), { type: 'close', code: 1006, reason: '' });
    await proxy.close();
    await server.close();
  });
});

// A proxy written here: records each CONNECT head, answers with `answer`,
// then (after a 200) plays a WebSocket server that accepts the handshake.
async function startRawProxy(answer) {
  const heads = [];
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = '';
    let tunnel = false;
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffered.slice(0, end + 4);
      buffered = buffered.slice(end + 4);
      heads.push(head);
      if (!tunnel) {
        tunnel = answer(socket) === 200;
        return;
      }
      const key = /Sec-WebSocket-Key: ([^\r]*)/.exec(head)[1];
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}\r\n\r\n`
      );
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    heads,
    sockets,
    origin: `http://127.0.0.1:${server.address().port}`,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('through a raw proxy', () => {
  test('exact CONNECT bytes; the default port is named in CONNECT but not in Host', async () => {
    const proxy = await startRawProxy((socket) => {
      socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
      return 200;
    });
    const origin = proxy.origin.replace('http://', 'http://us%20er:p%40ss@');
    const ws = new Client('ws://127.0.0.1:80/path', [], {
      proxy: { origin, headers: { 'User-Agent': 'ua', host: 'evil', 'Proxy-Connection': 'close' } },
    });
    const log = record(ws);
    await within(log.waitFor('open'), 5000, 'open');
    const auth = Buffer.from('us%20er:p%40ss').toString('base64');
    assert.equal(
      proxy.heads[0],
      'CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n' +
        `Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic ${auth}\r\nUser-Agent: ua\r\n\r\n`
    );
    assert.match(proxy.heads[1], /^GET \/path HTTP\/1\.1\r\nHost: 127\.0\.0\.1\r\nUpgrade: websocket\r\n/);
    ws.close();
    await proxy.close();
    await log.closed;
  });

  test('a keep-alive 407 closes the client at once (faye waits for the proxy to hang up)', async () => {
    const proxy = await startRawProxy((socket) => {
      socket.write(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n'
      );
      return 407;
    });
    const ws = new Client('ws://example.invalid:8080/', [], { proxy: { origin: proxy.origin } });
    const started = Date.now();
    const events = await within(record(ws).closed, 2000, 'prompt close');
    assert.ok(Date.now() - started < 1000);
    assert.deepEqual(events, [
      { type: 'error', message: "Can't establish a connection to the server at ws://example.invalid:8080/" },
      { type: 'close', code: 1006, reason: '' },
    ]);
    await within(
      (async () => {
        while (proxy.sockets.size > 0) await new Promise((resolve) => setTimeout(resolve, 5));
      })(),
      2000,
      'proxy side closed'
    );
    await proxy.close();
  });

  test('a proxy answer with a huge header block is refused', async () => {
    const proxy = await startRawProxy((socket) => {
      socket.write('HTTP/1.1 200 OK\r\n' + `X-Big: ${'a'.repeat(100 * 1024)}\r\n\r\n`);
      return 0;
    });
    const ws = new Client('ws://example.invalid/', [], { proxy: { origin: proxy.origin } });
    const events = await within(record(ws).closed, 2000, 'close');
    assert.deepEqual(events, [
      { type: 'error', message: "Can't establish a connection to the server at ws://example.invalid/" },
      { type: 'close', code: 1006, reason: '' },
    ]);
    await proxy.close();
  });
});
