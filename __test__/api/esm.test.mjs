// ESM entry: `import WebSocket, { Client, EventSource } from 'faye-websocket-native'`.
// The package is resolved by name (self-reference through the `exports` map in
// package.json). With IMPL=faye-websocket only the default export is checked
// (the original is plain CommonJS: Node cannot see named exports in it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const require = createRequire(import.meta.url);
const name = process.env.IMPL || 'faye-websocket-native';
const isOriginal = name === 'faye-websocket';
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

test(`dynamic import of ${name}: default is the CJS constructor, named exports equal the CJS properties`, async () => {
  const mod = await import(name);
  const cjs = require(name);
  const WebSocket = mod.default;
  assert.equal(typeof WebSocket, 'function');
  assert.equal(WebSocket, cjs, 'default export is the CJS constructor');
  assert.equal(WebSocket.WebSocket, WebSocket);
  if (isOriginal) return;
  assert.equal(typeof mod.Client, 'function');
  assert.equal(typeof mod.EventSource, 'function');
  assert.equal(mod.Client, cjs.Client);
  assert.equal(mod.EventSource, cjs.EventSource);
  for (const k of ['WebSocket', 'isWebSocket', 'validateOptions']) {
    if (k in mod) assert.equal(mod[k], cjs[k], k);
  }
});

test(
  'static `import WebSocket, { Client, EventSource } from` in a fresh process',
  { timeout: 20000, skip: isOriginal && 'named exports are ours only' },
  async () => {
    const src = `
    import WebSocket, { Client, EventSource } from ${JSON.stringify(name)};
    import { createRequire } from 'node:module';
    const cjs = createRequire(process.cwd() + '/')(${JSON.stringify(name)});
    const ok = WebSocket === cjs && Client === cjs.Client && EventSource === cjs.EventSource &&
      typeof Client === 'function' && typeof EventSource === 'function' && WebSocket.WebSocket === WebSocket;
    console.log(JSON.stringify({ ok, keys: Object.keys(cjs) }));
  `;
    const out = await new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        ['--input-type=module', '-e', src],
        { cwd: root, timeout: 15000 },
        (err, stdout, stderr) => {
          if (err) reject(new Error(`${err.message}\n${stderr}`));
          else resolve(stdout);
        }
      );
    });
    const r = JSON.parse(out.trim().split('\n').pop());
    assert.deepEqual(r, { ok: true, keys: ['isWebSocket', 'validateOptions', 'WebSocket', 'Client', 'EventSource'] });
  }
);
