'use strict';
// Interop with Python's `websockets` (an independent, strict implementation) as
// a client of our server and as a server for our Client, with permessage-deflate
// negotiated (its default, `compression="deflate"`) and without: messages of
// 0 B to 4 MiB, text and binary, fragmented, 1000 in a row with context
// takeover, close codes both ways. websockets is pip-installed (pinned) into a
// virtualenv in a cache directory outside the repository on the first run.
// The Python side is __test__/python/{client,server}.py.
const assert = require('node:assert/strict');
const { spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { describe, test, before, after } = require('node:test');
const deflate = require('permessage-deflate');
const WebSocket = require('../..');

const REQUIREMENT = 'websockets==17.4';
const PY_DIR = path.join(__dirname, '..', 'python');
const cacheDir = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'faye-websocket-native');
const venv = path.join(cacheDir, 'python-websockets-venv');
const python = path.join(venv, 'bin', 'python');
const marker = path.join(venv, '.complete');
const children = new Set();

function run(cmd, args) {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    timeout: 300000,
    env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1' },
  });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? r.status}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

// python3 (3.10 or later, which websockets 17 needs), then the pinned websockets.
function ensureVenv() {
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === REQUIREMENT) return;
  const base = ['python3.11', 'python3'].find(
    (p) => spawnSync(p, ['-c', 'import sys; assert sys.version_info >= (3, 10)']).status === 0
  );
  if (!base) throw new Error('Python 3.10 or later (python3) is needed for the websockets interop tests');
  fs.rmSync(venv, { recursive: true, force: true });
  fs.mkdirSync(cacheDir, { recursive: true });
  run(base, ['-m', 'venv', venv]);
  run(python, ['-m', 'pip', 'install', '--quiet', REQUIREMENT]);
  fs.writeFileSync(marker, REQUIREMENT);
}

// Spawns a Python script; resolves with { child, lines } (stdout split into lines as it comes).
function py(script, args) {
  const child = spawn(python, [path.join(PY_DIR, script), ...args], { cwd: PY_DIR, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  child.lines = [];
  child.stderrText = '';
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop();
    child.lines.push(...parts);
    child.emit('lines');
  });
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    child.stderrText = (child.stderrText + chunk).slice(-5000);
  });
  child.exited = new Promise((resolve) =>
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve(code ?? signal);
    })
  );
  return child;
}

function within(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// Resolves with the first stdout line matching pattern.
function lineMatching(child, pattern) {
  return new Promise((resolve, reject) => {
    const check = () => {
      const line = child.lines.find((l) => pattern.test(l));
      if (line) {
        child.off('lines', check);
        resolve(line);
      }
    };
    child.on('lines', check);
    child.exited.then((code) =>
      reject(new Error(`${path.basename(child.spawnargs[1])} exited (${code}):\n${child.stderrText}`))
    );
    check();
  });
}

const events = (child, name) =>
  child.lines
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l))
    .filter((e) => e.event === name);

before(ensureVenv);
after(() => children.forEach((child) => child.kill('SIGKILL')));

describe('websockets (Python) client -> our server', () => {
  for (const [name, ours, theirs, negotiated] of [
    ['deflate both ways', [deflate], 'deflate', true],
    ['our server without extensions', [], 'deflate', false],
    ['websockets with compression=None', [deflate], 'none', false],
    ['our native plugin', [WebSocket.deflate], 'deflate', true],
  ]) {
    test(name, { timeout: 180000 }, async (t) => {
      const closes = [];
      const server = http.createServer();
      server.on('upgrade', (req, socket, body) => {
        const ws = new WebSocket(req, socket, body, [], { extensions: ours });
        ws.on('message', (event) => {
          const m = typeof event.data === 'string' && /^close (\d+) (.*)$/.exec(event.data);
          if (m) ws.close(Number(m[1]), m[2]);
          else ws.send(event.data);
        });
        ws.on('close', (event) => closes.push([event.code, event.reason]));
      });
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const client = py('client.py', [`ws://127.0.0.1:${server.address().port}/`, theirs]);
        const code = await within(client.exited, 150000, 'client.py');
        assert.equal(code, 0, client.stderrText);
        const result = JSON.parse(client.lines.find((l) => l.startsWith('{')));
        assert.deepEqual(result.errors, []);
        assert.equal(result.checks, 2 * 9 + 2 * 4 + 1 + 1);
        t.diagnostic(`negotiated: ${result.extensions}`);
        if (negotiated) assert.match(result.extensions, /^permessage-deflate/);
        else assert.equal(result.extensions, null);
        assert.doesNotMatch(String(result.extensions), /no_context_takeover/); // the 1000 messages share a context
        assert.deepEqual(result.serverClose, [4002, 'server-bye']);
        await within(
          (async () => {
            while (closes.length < 2) await new Promise((r) => setTimeout(r, 20));
          })(),
          10000,
          'close events'
        );
        assert.deepEqual(closes, [
          [4002, 'server-bye'],
          [4001, 'client-bye'],
        ]);
      } finally {
        server.close();
      }
    });
  }
});

// Text of `n` UTF-8 bytes (partly 2-byte characters) and n bytes of half-random binary.
function textOf(n) {
  const words = ['alpha ', 'beta ', '{"id":42,', 'δέλτα ', '\n', '✓ '];
  const parts = [];
  for (let i = 0, bytes = 0; bytes < n; i++) {
    const word = words[(i * 7 + (i >> 3)) % words.length];
    parts.push(word);
    bytes += Buffer.byteLength(word);
  }
  const text = Buffer.from(parts.join('')).subarray(0, n).toString('utf8');
  const whole = text.replace(/\uFFFD+$/, ''); // a character cut at the end
  return whole + 'x'.repeat(n - Buffer.byteLength(whole));
}
function binaryOf(n) {
  const buf = Buffer.alloc(n);
  crypto.randomFillSync(buf, 0, n >> 1);
  return buf;
}

const SIZES = [0, 1, 125, 126, 127, 65535, 65536, 1 << 20, 4 << 20];
const FRAGMENTED_SIZES = [1, 1000, 300000, 4 << 20];

describe('our Client -> websockets (Python) server', () => {
  for (const [name, ours, theirs, negotiated] of [
    ['deflate both ways', [deflate], 'deflate', true],
    ['our client without extensions', [], 'deflate', false],
    ['websockets with compression=None', [deflate], 'none', false],
    ['our native plugin', [WebSocket.deflate], 'deflate', true],
  ]) {
    test(name, { timeout: 180000 }, async (t) => {
      const server = py('server.py', [theirs]);
      try {
        const port = Number(
          /listening (\d+)/.exec(await within(lineMatching(server, /^listening \d+/), 30000, 'server.py start'))[1]
        );
        const url = `ws://127.0.0.1:${port}/`;
        const connect = () =>
          new Promise((resolve, reject) => {
            const ws = new WebSocket.Client(url, [], { extensions: ours });
            ws.queue = [];
            ws.waiting = [];
            ws.on('message', (event) =>
              ws.waiting.length ? ws.waiting.shift()(event.data) : ws.queue.push(event.data)
            );
            ws.closed = new Promise((r) => ws.on('close', r));
            ws.on('open', () => resolve(ws));
            ws.closed.then((event) => reject(new Error(`closed before open: ${event.code}`)));
          });
        const next = (ws, what) =>
          within(
            ws.queue.length ? Promise.resolve(ws.queue.shift()) : new Promise((r) => ws.waiting.push(r)),
            60000,
            what
          );

        const ws = await within(connect(), 30000, 'connect');
        const opened = JSON.parse(await within(lineMatching(server, /"event": "open"/), 10000, 'server open event'));
        t.diagnostic(`negotiated: ${opened.extensions}`);
        if (negotiated) assert.match(opened.extensions, /^permessage-deflate/);
        else assert.equal(opened.extensions, null);
        assert.doesNotMatch(String(opened.extensions), /no_context_takeover/); // the 1000 messages share a context

        for (const size of SIZES) {
          for (const data of [textOf(size), binaryOf(size)]) {
            ws.send(data);
            const got = await next(ws, `echo of ${size}`);
            if (typeof data === 'string') assert.ok(got === data, `text ${size} B echo differs`);
            else assert.ok(Buffer.isBuffer(got) && got.equals(data), `binary ${size} B echo differs`);
          }
        }
        for (const size of FRAGMENTED_SIZES) {
          for (const kind of ['text', 'binary']) {
            ws.send(`fragments ${kind} ${size}`);
            const got = await next(ws, `fragmented ${kind} ${size}`);
            const hash = await next(ws, `hash of ${kind} ${size}`);
            assert.equal(
              kind === 'text' ? typeof got : Buffer.isBuffer(got) && 'buffer',
              kind === 'text' ? 'string' : 'buffer'
            );
            assert.equal(
              crypto.createHash('sha256').update(got).digest('hex'),
              hash,
              `fragmented ${kind} ${size} B differs`
            );
          }
        }
        for (let i = 0; i < 1000; i++) {
          const data = `{"seq": ${i}, "user": "alice", "text": "message number ${i} in a row"}`;
          ws.send(data);
          assert.equal(await next(ws, `message ${i} of 1000`), data);
        }
        ws.send('close 4002 server-bye');
        const closed = await within(ws.closed, 30000, 'server close');
        assert.deepEqual([closed.code, closed.reason], [4002, 'server-bye']);

        const ws2 = await within(connect(), 30000, 'second connect');
        ws2.close(4001, 'client-bye');
        await within(ws2.closed, 30000, 'client close');
        await within(lineMatching(server, /"event": "close", "code": 4001/), 10000, 'server saw 4001');
        assert.deepEqual(
          events(server, 'close').map((e) => [e.code, e.reason]),
          [
            [4002, 'server-bye'],
            [4001, 'client-bye'],
          ]
        );
      } finally {
        server.stdin.end(); // server.py exits when its stdin closes
        await within(server.exited, 10000, 'server.py exit').catch(() => server.kill('SIGKILL'));
      }
    });
  }
});
