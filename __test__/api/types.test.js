'use strict';

// index.d.ts type-checks typical faye-websocket code under `strict`.
const { test } = require('node:test');
const assert = require('node:assert');
const { spawnSync } = require('child_process');
const path = require('path');

test('index.d.ts accepts typical faye-websocket usage', { timeout: 60000 }, () => {
  const tsc = require.resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(__dirname, '..', 'types')], { encoding: 'utf8' });
  assert.strictEqual(result.status, 0, result.stdout + result.stderr);
});
