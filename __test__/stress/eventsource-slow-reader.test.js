'use strict';
// A slow reader. A child process runs an http server whose EventSource sends
// 100 MB of numbered events, the way an application that honours
// backpressure does: it keeps nothing, sends until send() returns false, and
// waits for 'drain'. The client (this process, raw net socket) stops reading
// after the first chunk, waits until the server has been stalled for a while,
// then reads everything and checks every sequence number arrives once, in
// order.
//
// Memory is the RSS of the child, sampled every 5 ms and at every false
// send and drain: the child holds only the server, so its RSS is what the
// EventSource and the socket keep (the client's buffers are in this process,
// the kernel's are in neither). A control run sends the same 100 MB ignoring
// send()'s answer: its RSS grows by the data buffered, which shows the
// measurement sees buffering when there is some.
const { test } = require('node:test');
const assert = require('node:assert/strict');
const { spawn } = require('node:child_process');
const net = require('node:net');
const path = require('node:path');

const TOTAL = 100 * 1024 * 1024;
const MB = 1024 * 1024;
const SIZES = [200, 1000, 8000, 65000]; // event payload sizes, in turn

const SERVER = `
const http = require('http');
const EventSource = require(${JSON.stringify(path.join(__dirname, '..', '..', 'lib', 'eventsource.js'))});
const [TOTAL, SIZES, HONOUR] = [${TOTAL}, ${JSON.stringify(SIZES)}, process.argv[1] === 'honour'];
const pads = SIZES.map((size) => 'x'.repeat(size));
const rss = () => process.memoryUsage().rss;
let peak = 0;
const sample = () => { const now = rss(); if (now > peak) peak = now; };
const sampler = setInterval(sample, 5);
const stats = { sent: 0, bytes: 0, falses: 0, drains: 0 };

const server = http.createServer((request, response) => {
  global.gc();
  stats.rssBefore = rss();
  peak = stats.rssBefore;
  const es = new EventSource(request, response);
  const pump = () => {
    while (stats.bytes < TOTAL) {
      const seq = stats.sent;
      const data = seq + ' ' + pads[seq % pads.length];
      stats.sent += 1;
      stats.bytes += data.length;
      if (!es.send(data, { id: seq + 1 }) && HONOUR) {
        stats.falses += 1;
        sample();
        if (stats.falses === 1) process.send({ stalled: stats.sent });
        return;
      }
    }
    sample();
    es.close();
  };
  es.on('drain', () => { stats.drains += 1; sample(); pump(); });
  es.on('close', () => {
    clearInterval(sampler);
    server.close();
    setTimeout(() => {
      global.gc();
      stats.rssAfter = rss();
      stats.rssPeak = peak;
      process.send({ stats });
    }, 50);
  });
  if (HONOUR) pump();
  else { pump(); process.send({ stalled: stats.sent }); }
});
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
`;

function run(mode) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '-e', SERVER, mode], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error('slow reader timed out'));
    }, 60000);
    let client;
    let stats = null;
    let stalledAt = null;
    let expected = 0;
    let received = 0;
    let carry = '';
    let bad = null;
    let head = 2; // the status line and headers, then the retry line

    // Events are `id: N+1\r\ndata: N <pad>\r\n\r\n` (faye drops id 0); N runs 0, 1, 2, …
    const parse = (chunk) => {
      const parts = (carry + chunk.toString('latin1')).split('\r\n\r\n');
      carry = parts.pop();
      for (const part of parts) {
        if (head > 0) {
          if (!bad && !part.startsWith(head === 2 ? 'HTTP/1.1 200 OK\r\n' : 'retry: 5000')) bad = 'head: ' + part;
          head -= 1;
          continue;
        }
        const id = `id: ${expected + 1}\r\ndata: ${expected} `;
        if (!bad && (!part.startsWith(id) || part.length !== id.length + SIZES[expected % SIZES.length])) {
          bad = `event ${expected}: ${JSON.stringify(part.slice(0, 40))}`;
        }
        expected += 1;
        received += part.length + 4;
      }
    };

    child.on('message', (message) => {
      if (message.port) {
        client = net.connect(message.port, '127.0.0.1');
        client.write('GET / HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n');
        client.once('data', (chunk) => {
          parse(chunk);
          client.pause();
          client.on('data', parse);
        });
        client.on('end', () => client.end());
        client.on('error', reject);
      } else if (message.stalled !== undefined) {
        // The server is blocked (or, in the control, has queued everything).
        stalledAt = message.stalled;
        setTimeout(() => client.resume(), 500);
      } else if (message.stats) {
        stats = message.stats;
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      const finish = () => resolve({ code, stats, stalledAt, expected, received, carry, bad });
      if (client && !client.destroyed) client.on('close', finish);
      else finish();
    });
  });
}

const mb = (bytes) => (bytes / MB).toFixed(1) + ' MB';

const SLOW = 'slow reader: 100 MB, send() turns false, memory stays flat, every event arrives once in order';
test(SLOW, { timeout: 90000 }, async (t) => {
  const r = await run('honour');
  assert.equal(r.code, 0);
  const s = r.stats;
  t.diagnostic(
    `sent ${s.sent} events, ${mb(s.bytes)} of data; send() false ${s.falses} times, ${s.drains} drains; ` +
      `server stalled after ${r.stalledAt} events; child RSS before ${mb(s.rssBefore)}, peak ${mb(s.rssPeak)} ` +
      `(+${mb(s.rssPeak - s.rssBefore)}), after ${mb(s.rssAfter)}`
  );
  assert.equal(r.bad, null);
  assert.equal(r.carry, '');
  assert.equal(r.expected, s.sent, 'every event arrived, once, in order');
  assert.ok(s.bytes >= TOTAL);
  assert.ok(r.stalledAt < s.sent / 4, 'the server stalled early, on the stopped reader');
  assert.ok(s.falses > 0 && s.drains === s.falses, 'each false send was followed by one drain');
  // What EventSource and the socket keep is about one high-water mark and an
  // event; the rest of the allowance is V8's garbage between collections.
  assert.ok(s.rssPeak - s.rssBefore < 48 * MB, `RSS grew by ${mb(s.rssPeak - s.rssBefore)}`);
});

test("control: ignoring send()'s answer buffers the data, and the RSS shows it", { timeout: 90000 }, async (t) => {
  const r = await run('ignore');
  assert.equal(r.code, 0);
  const s = r.stats;
  t.diagnostic(
    `ignoring backpressure: sent ${mb(s.bytes)}; child RSS before ${mb(s.rssBefore)}, ` +
      `peak ${mb(s.rssPeak)} (+${mb(s.rssPeak - s.rssBefore)}), after ${mb(s.rssAfter)}`
  );
  assert.equal(r.bad, null);
  assert.equal(r.expected, s.sent, 'still nothing dropped');
  assert.ok(s.rssPeak - s.rssBefore > 60 * MB, `RSS grew by ${mb(s.rssPeak - s.rssBefore)}`);
});

test('readable.pipe(es) waits for drain: a 20 MB readable into a stopped reader', { timeout: 30000 }, async (t) => {
  const http = require('node:http');
  const { Readable } = require('node:stream');
  const EventSource = require('../../lib/eventsource');
  const COUNT = 2000;
  const pad = 'y'.repeat(10000);
  let pulled = 0;
  let pulledWhilePaused = null;
  const server = http.createServer((request, response) => {
    const es = new EventSource(request, response);
    Readable.from(
      (function* () {
        for (let i = 0; i < COUNT; i += 1) {
          pulled += 1;
          yield i + ' ' + pad;
        }
      })()
    ).pipe(es);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = net.connect(server.address().port, '127.0.0.1');
  client.write('GET / HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n');
  let text = '';
  client.once('data', (chunk) => {
    text += chunk.toString('latin1');
    client.pause();
    setTimeout(() => {
      pulledWhilePaused = pulled;
      client.on('data', (more) => {
        text += more.toString('latin1');
      });
      client.resume();
    }, 400);
  });
  await new Promise((resolve) => client.on('end', resolve));
  client.end();
  server.close();
  const events = text.split('\r\n\r\n').slice(2, -1);
  assert.equal(events.length, COUNT);
  events.forEach((event, i) => assert.equal(event, `data: ${i} ${pad}`));
  t.diagnostic(`readable chunks pulled while the reader was stopped: ${pulledWhilePaused} of ${COUNT}`);
  assert.ok(pulledWhilePaused < COUNT / 2, `the readable was paused: ${pulledWhilePaused} of ${COUNT} pulled`);
});
