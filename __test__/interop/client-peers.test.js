'use strict';
// WebSocket.Client against three servers: ws, faye-websocket and our own.
// Messages of every length class, fragmented server messages, pings both ways,
// closes both ways, subprotocols.

const assert = require('node:assert/strict');
const { describe, test, after } = require('node:test');
const { Client, cleanup, record, within, startEchoServer } = require('../helpers/client');

after(cleanup);

const SIZES = [0, 125, 126, 65535, 65536, 1024 * 1024];

function open(url, protocols, options) {
  const ws = new Client(url, protocols, options);
  const log = record(ws);
  return { ws, log, opened: within(log.waitFor('open'), 5000, 'open') };
}

for (const kind of ['ws', 'faye', 'ours']) {
  describe(`client against a ${kind} server`, () => {
    test('text and binary messages of every length class echo back intact', async () => {
      const server = await startEchoServer(kind);
      const { ws, log, opened } = open(server.url + '/echo');
      await opened;
      const sent = [];
      for (const size of SIZES) {
        const text = 'é'.repeat(size >> 1) + 'a'.repeat(size & 1); // `size` UTF-8 bytes
        const binary = Buffer.alloc(size, size & 0xff);
        binary[0] = 1;
        sent.push(text, size ? binary : Buffer.alloc(0));
        ws.send(text);
        ws.send(sent[sent.length - 1]);
      }
      const messages = await within(log.waitFor('message', sent.length), 10000, 'echoes');
      messages.forEach((message, i) => {
        if (typeof sent[i] === 'string') assert.equal(message.data, sent[i], `message ${i}`);
        else assert.ok(Buffer.isBuffer(message.data) && message.data.equals(sent[i]), `message ${i}`);
      });
      ws.close();
      await within(log.closed, 5000, 'close');
      await server.close();
    });

    test('ping from the client fires its callback; pings from the server are answered', async () => {
      const server = await startEchoServer(kind);
      const { ws, log, opened } = open(server.url);
      const peer = await server.nextConnection();
      await opened;
      await within(new Promise((resolve) => assert.equal(ws.ping('hello', resolve), true)), 5000, 'pong');
      assert.equal(await within(peer.ping('from-server'), 5000, 'server pong'), 'from-server');
      ws.close();
      await within(log.closed, 5000, 'close');
      await server.close();
    });

    test('client closes with a code and reason: the server sees them', async () => {
      const server = await startEchoServer(kind);
      const { ws, log, opened } = open(server.url);
      const peer = await server.nextConnection();
      await opened;
      ws.close(3001, 'client going');
      assert.equal(ws.readyState, 2);
      assert.deepEqual(await within(peer.closed, 5000, 'server close'), { code: 3001, reason: 'client going' });
      const [close] = await within(log.waitFor('close'), 5000, 'client close');
      assert.equal(close.code, 3001);
      assert.equal(close.reason, 'client going');
      assert.equal(ws.readyState, 3);
      await server.close();
    });

    test('server closes with a code and reason: the client gets them', async () => {
      const server = await startEchoServer(kind);
      const { ws, log, opened } = open(server.url);
      const peer = await server.nextConnection();
      await opened;
      peer.close(4002, 'server going');
      const events = await within(log.closed, 5000, 'close');
      assert.deepEqual(events.at(-1), { type: 'close', code: 4002, reason: 'server going' });
      assert.equal(ws.readyState, 3);
      await server.close();
    });

    test('subprotocol negotiation', async () => {
      const server = await startEchoServer(kind);
      const chosen = open(server.url, ['foo', 'chat', 'echo']);
      await chosen.opened;
      assert.equal(chosen.ws.protocol, 'chat');
      assert.equal(chosen.ws.statusCode, 101);
      assert.equal(chosen.ws.headers['sec-websocket-protocol'], 'chat');
      assert.equal(chosen.ws.headers.upgrade.toLowerCase(), 'websocket');
      chosen.ws.close();

      const none = open(server.url, ['nothing-in-common']);
      await none.opened;
      assert.equal(none.ws.protocol, '');
      none.ws.close();

      const asString = open(server.url, 'x , echo');
      await asString.opened;
      assert.equal(asString.ws.protocol, 'echo');
      asString.ws.close();
      await Promise.all([chosen.log.closed, none.log.closed, asString.log.closed]);
      await server.close();
    });

    test('messages sent while connecting leave in order, after the handshake', async () => {
      const server = await startEchoServer(kind);
      const { ws, log } = open(server.url);
      ws.send('one');
      ws.send(Buffer.from('two'));
      ws.ping('p');
      assert.ok(ws.bufferedAmount >= 6);
      const messages = await within(log.waitFor('message', 2), 5000, 'echoes');
      assert.equal(log.events[0].type, 'open');
      assert.equal(messages[0].data, 'one');
      assert.deepEqual(messages[1].data, Buffer.from('two'));
      ws.close();
      await log.closed;
      await server.close();
    });
  });
}

test('fragmented server messages are reassembled (ws server)', async () => {
  const server = await startEchoServer('ws');
  const { ws, log, opened } = open(server.url);
  const peer = await server.nextConnection();
  await opened;
  peer.fragments(['frag', 'men', 'ted ✓'], false);
  peer.fragments([Buffer.from([1, 2]), Buffer.alloc(70000, 3), Buffer.from([4])], true);
  const messages = await within(log.waitFor('message', 2), 5000, 'fragments');
  assert.equal(messages[0].data, 'fragmented ✓');
  assert.deepEqual(messages[1].data, Buffer.concat([Buffer.from([1, 2]), Buffer.alloc(70000, 3), Buffer.from([4])]));
  ws.close();
  await log.closed;
  await server.close();
});

test('the client masks every frame with a fresh key (ws server checks masking)', async () => {
  const server = await startEchoServer('ws');
  const { ws, log, opened } = open(server.url);
  await opened;
  for (let i = 0; i < 100; i += 1) ws.send('m' + i);
  const messages = await within(log.waitFor('message', 100), 5000, 'echoes');
  assert.equal(messages[99].data, 'm99');
  ws.close();
  await log.closed;
  await server.close();
});
