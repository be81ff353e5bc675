'use strict';

// Autobahn|Testsuite conformance: the package's server, run as the echo server
// in scripts/autobahn/echo-server.js, must reproduce faye-websocket 0.11.4's
// result for every case (scripts/autobahn/expected-results.json). The first
// run installs wstest (scripts/autobahn/setup.js, about a minute).
// `IMPL=faye-websocket node --test __test__/autobahn.test.js` checks the harness itself.
const assert = require('node:assert');
const { spawn } = require('node:child_process');
const path = require('node:path');
const { test } = require('node:test');

const RUN = path.join(__dirname, '..', 'scripts', 'autobahn', 'run.js');

test('Autobahn|Testsuite results match faye-websocket 0.11.4', { timeout: 10 * 60 * 1000 }, async (t) => {
  const child = spawn(process.execPath, [RUN, '--full'], { stdio: ['ignore', 'pipe', 'pipe'], signal: t.signal });
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  const code = await new Promise((resolve) => {
    child.on('error', () => {}); // abort on timeout: 'close' still follows
    child.on('close', (status, signal) => resolve(status ?? signal));
  });
  for (const line of output.split('\n')) if (/^autobahn \w+: \d+ cases/.test(line)) t.diagnostic(line);
  assert.strictEqual(code, 0, `node scripts/autobahn/run.js --full failed (${code}):\n${output}`);
});
