'use strict';
// Large compressed messages keep the event loop responsive: compression of
// large messages runs on libuv's thread pool and inflation is spread over
// turns of the event loop, with message order, bufferedAmount, send()'s
// result and close() ordering kept.
const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('http');
const crypto = require('crypto');
const fs = require('fs');
const { spawnSync } = require('child_process');
const WS = require('ws');
const Native = require('../..');

const T = { timeout: 120000 };
const servers = [];
after(() => servers.forEach((server) => server.close()));

// Text-like data: JSON records with random ids, about 3:1 with deflate.
function textLike(size) {
  const parts = [];
  let length = 0;
  while (length < size) {
    const line = `{"id":"${crypto.randomBytes(6).toString('hex')}","name":"user ${length % 9973}","ok":true},\n`;
    parts.push(line);
    length += line.length;
  }
  return parts.join('').slice(0, size);
}

// Milliseconds the main thread has waited for a CPU while runnable (Linux's
// schedstat run_delay; 0 where it cannot be read). With other processes busy
// on a 2-core machine that wait alone reaches 100+ ms on any Node version.
const schedstat = `/proc/self/task/${process.pid}/schedstat`;
function runQueueWait() {
  try {
    return Number(fs.readFileSync(schedstat, 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return 0;
  }
}

// The longest gap between 1 ms timer ticks while `work` runs, less the part of
// it that the main thread spent waiting for a CPU: what remains is time it
// was running JS or native code, or blocked, instead of turning the loop.
async function maxLoopDelay(work) {
  let last = process.hrtime.bigint();
  let lastWait = runQueueWait();
  let max = 0;
  const timer = setInterval(() => {
    const now = process.hrtime.bigint();
    const wait = runQueueWait();
    max = Math.max(max, Number(now - last) / 1e6 - (wait - lastWait));
    last = now;
    lastWait = wait;
  }, 1);
  try {
    const result = await work();
    return { max, result };
  } finally {
    clearInterval(timer);
  }
}

function listen(onSocket, extensions) {
  return new Promise((resolve) => {
    const server = http.createServer();
    server.on('upgrade', (req, socket, body) => onSocket(new Native(req, socket, body, [], { extensions })));
    server.listen(0, '127.0.0.1', () => {
      servers.push(server);
      resolve('ws://127.0.0.1:' + server.address().port);
    });
  });
}

const SIZE = 16 << 20;

test('16 MiB messages compressed off the JS thread, in order with small ones, close after them', T, async () => {
  const big = textLike(SIZE);
  const bigBinary = Buffer.from(textLike(SIZE));
  const notes = {};
  const url = await listen(
    (ws) => {
      ws.on('open', () => {
        ws.send('small 1');
        notes.returned = ws.send(big);
        notes.buffered = ws.bufferedAmount;
        ws.send('small 2');
        ws.send(bigBinary);
        ws.send(Buffer.from('small 3'));
        ws.close(3000, 'done');
        notes.afterClose = ws.send('too late');
      });
    },
    [Native.deflate]
  );

  // The client (ws) runs in a child process, so only our side's work counts.
  const client = `
    const WS = require(${JSON.stringify(require.resolve('ws'))});
    const crypto = require('crypto');
    const client = new WS(process.argv[1], { perMessageDeflate: true, maxPayload: 0 });
    const received = [];
    client.on('message', (data, isBinary) => received.push([isBinary, data.length, crypto.createHash('sha1').update(data).digest('hex')]));
    client.on('close', (code, reason) => console.log(JSON.stringify({ received, code, reason: reason.toString() })));
  `;
  const { max, result } = await maxLoopDelay(
    () =>
      new Promise((resolve, reject) => {
        const child = require('child_process').execFile(process.execPath, ['-e', client, url], (error, stdout) =>
          error ? reject(error) : resolve(JSON.parse(stdout))
        );
        child.stdin.end();
      })
  );
  const digest = (data) => [
    Buffer.isBuffer(data),
    Buffer.byteLength(data),
    crypto.createHash('sha1').update(data).digest('hex'),
  ];
  assert.equal(result.code, 3000);
  assert.equal(result.reason, 'done');
  assert.deepEqual(result.received, ['small 1', big, 'small 2', bigBinary, Buffer.from('small 3')].map(digest));
  assert.equal(notes.returned, false);
  assert.ok(notes.buffered >= SIZE, 'bufferedAmount counts the message being compressed');
  assert.equal(notes.afterClose, false);
  assert.ok(max < 100, `event loop blocked for ${max.toFixed(1)} ms`);
});

test('16 MiB compressed messages inflate in slices, in order, both with our client and ws', T, async () => {
  const big = textLike(SIZE);
  const zeros = Buffer.alloc(SIZE); // 16 KiB on the wire: the worst case for one chunk
  for (const Client of ['ws', 'native']) {
    let server;
    let client;
    const url = await listen(
      (ws) => {
        server = ws;
        ws.on('message', (event) => ws.send(Buffer.isBuffer(event.data) ? 'binary ' + event.data.length : event.data));
      },
      [Native.deflate]
    );
    // A failed assertion must not leave the connection open, or the test process never exits.
    try {
      const { max, result } = await maxLoopDelay(
        () =>
          new Promise((resolve, reject) => {
            const received = [];
            const expected = 5;
            const onMessage = (data) => {
              received.push(data);
              if (received.length === expected) resolve(received);
            };
            if (Client === 'ws') {
              client = new WS(url, { perMessageDeflate: true, maxPayload: 0 });
              client.on('open', () => ['one', big, 'two', zeros, 'three'].forEach((m) => client.send(m)));
              client.on('message', (data, isBinary) => onMessage(isBinary ? data : data.toString()));
              client.on('error', reject);
            } else {
              client = new Native.Client(url, [], { extensions: [Native.deflate] });
              client.on('open', () => ['one', big, 'two', zeros, 'three'].forEach((m) => client.send(m)));
              client.on('message', (event) => onMessage(event.data));
              client.on('close', (event) => reject(new Error('closed ' + event.code)));
            }
          })
      );
      assert.equal(result[0], 'one');
      assert.ok(result[1] === big, 'big text echoed');
      assert.equal(result[2], 'two');
      assert.equal(result[3], 'binary ' + SIZE);
      assert.equal(result[4], 'three');
      assert.ok(max < 100, `${Client}: event loop blocked for ${max.toFixed(1)} ms`);
    } finally {
      if (server) server.close();
      if (client) client.close();
    }
  }
});

test('close during an off-thread compression, then the process exits on its own', T, () => {
  const script = `
    const http = require('http');
    const Native = require(${JSON.stringify(require.resolve('../..'))});
    const server = http.createServer();
    server.on('upgrade', (req, socket, body) => {
      const ws = new Native(req, socket, body, [], { extensions: [Native.deflate] });
      ws.on('open', () => {
        ws.send('x'.repeat(${SIZE}));
        ws.close();
        // The peer goes away while the message is still being compressed.
        socket.destroy();
      });
      ws.on('close', (event) => { console.log('server close', event.code); server.close(); });
    });
    server.listen(0, '127.0.0.1', () => {
      const client = new Native.Client('ws://127.0.0.1:' + server.address().port, [], { extensions: [Native.deflate] });
      client.on('close', (event) => console.log('client close', event.code));
    });
  `;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 30000 });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /server close 1006/);
  assert.match(run.stdout, /client close 1006/);
});
