'use strict';
// A Rust panic, on the JS thread (NativeSession.receive) or on libuv's
// thread pool (a permessage-deflate compression), becomes an `error` and a
// 1011 close on its connection; the process and the other connections go on.
// The panic is forced through the `test-hooks` cargo feature, which this
// file builds into an addon of its own (target/test-hooks): the release
// addon has no hook, as the first test checks.
const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const WS = require('ws');

const root = path.join(__dirname, '..', '..');
const { platformSuffix } = require('../../lib/platform');
const releaseAddon = path.join(root, `faye-websocket-native.${platformSuffix()}.node`);
const skip = process.env.IMPL ? 'the hook is in our addon only' : false;

// src/bindings/test_hooks.rs
const PANIC_IN_RECEIVE = 1;
const PANIC_IN_COMPRESS = 2;

// The forced panics print their message; a backtrace would only be noise.
process.env.RUST_BACKTRACE = '0';

let hooked;
let H;

function buildHookedAddon() {
  const targetDir = path.join(root, 'target', 'test-hooks');
  const cargo = spawnSync('cargo', ['build', '--quiet', '--lib', '--locked', '--features', 'test-hooks'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, CARGO_TARGET_DIR: targetDir },
  });
  assert.equal(cargo.status, 0, 'cargo build --features test-hooks');
  const library = { darwin: 'libfaye_websocket_native.dylib', win32: 'faye_websocket_native.dll' };
  const built = path.join(targetDir, 'debug', library[process.platform] || 'libfaye_websocket_native.so');
  const addon = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fwn-hooks-')), 'hooked.node');
  fs.copyFileSync(built, addon);
  return addon;
}

before(() => {
  if (skip) return;
  const addon = buildHookedAddon();
  hooked = require(addon);
  // lib/ takes the addon from lib/binding.js: that module is this one here.
  const binding = require.resolve('../../lib/binding.js');
  require.cache[binding] = /** @type {any} */ ({ id: binding, filename: binding, loaded: true, exports: hooked });
  H = require('../helpers');
});

after(() => H && H.cleanupAll());

function echoServer(options) {
  const connections = [];
  return H.startServer(
    H.impl,
    (ws) => {
      const log = [];
      connections.push(log);
      ws.on('message', (event) => ws.send(event.data));
      ws.on('error', (event) => log.push({ error: event.message }));
      ws.on('close', (event) => log.push({ close: event.code }));
    },
    { options }
  ).then((srv) => ({ srv, connections }));
}

function open(url, options) {
  const ws = new WS(url, options);
  const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, closed }));
    ws.once('error', reject);
  });
}

const echoed = (ws, data) =>
  new Promise((resolve) => {
    ws.once('message', (reply) => resolve(reply.toString()));
    ws.send(data);
  });

test('the release addon has no test hook', { skip }, () => {
  assert.equal(require(releaseAddon).armTestPanic, undefined);
  assert.equal(typeof hooked.armTestPanic, 'function');
});

test('a panic in receive: error and 1011 on that connection, the others go on', { skip, timeout: 20000 }, async () => {
  const { srv, connections } = await echoServer();
  try {
    const a = await open(srv.url);
    const b = await open(srv.url);
    assert.equal(await echoed(b.ws, 'before'), 'before');
    hooked.armTestPanic(PANIC_IN_RECEIVE);
    a.ws.send('boom');
    assert.equal(await a.closed, 1011);
    assert.deepEqual(connections[0], [
      { error: 'Internal error: test-hooks: a forced panic (site 1)' },
      { close: 1011 },
    ]);
    assert.equal(await echoed(b.ws, 'after'), 'after');
    assert.deepEqual(connections[1], []);
    b.ws.close();
    await b.closed;
  } finally {
    await srv.close();
  }
});

test(
  'a panic while compressing on the thread pool: error and 1011, the others go on',
  { skip, timeout: 20000 },
  async () => {
    const { srv, connections } = await echoServer({ extensions: [require('permessage-deflate')] });
    try {
      const a = await open(srv.url, { perMessageDeflate: true });
      const b = await open(srv.url, { perMessageDeflate: true });
      const large = 'x'.repeat(100 * 1024); // compressed off the JS thread
      assert.equal(await echoed(b.ws, large), large);
      hooked.armTestPanic(PANIC_IN_COMPRESS);
      a.ws.send(large);
      assert.equal(await a.closed, 1011);
      assert.deepEqual(connections[0], [
        { error: 'Internal error: test-hooks: a forced panic (site 2)' },
        { close: 1011 },
      ]);
      assert.equal(await echoed(b.ws, large), large);
      b.ws.close();
      await b.closed;
    } finally {
      await srv.close();
    }
  }
);
