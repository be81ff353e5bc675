'use strict';

// Autobahn|Testsuite conformance: the package's server (scripts/autobahn/echo-server.js,
// wstest's fuzzingclient mode) and WebSocket.Client (scripts/autobahn/ab-client.js,
// wstest's fuzzingserver mode), each without extensions (cases 1-10) and with
// permessage-deflate (the CI subset of 12.* and 13.*), must reproduce faye-websocket
// 0.11.4's result (+ permessage-deflate 0.1.7) for every case
// (scripts/autobahn/expected-results.json). These are run.js's `--ci` sets; the
// whole of 12/13 is `npm run autobahn`. The first run installs wstest
// (scripts/autobahn/setup.js, about a minute).
// `IMPL=faye-websocket node --test __test__/interop/autobahn.test.js` checks the harness itself.
const assert = require('node:assert');
const { spawn } = require('node:child_process');
const path = require('node:path');
const { test } = require('node:test');

const RUN = path.join(__dirname, '..', '..', 'scripts', 'autobahn', 'run.js');
const SETS = {
  core: 'server, cases 1-10',
  deflate: 'server with permessage-deflate, 12/13 subset',
  client: 'WebSocket.Client, cases 1-10',
  'client-deflate': 'WebSocket.Client with permessage-deflate, 12/13 subset',
};

for (const [set, what] of Object.entries(SETS)) {
  test(`Autobahn|Testsuite ${set} (${what}) matches faye-websocket 0.11.4`, { timeout: 15 * 60 * 1000 }, async (t) => {
    const child = spawn(process.execPath, [RUN, `--${set}`], { stdio: ['ignore', 'pipe', 'pipe'], signal: t.signal });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const code = await new Promise((resolve) => {
      child.on('error', () => {}); // abort on timeout: 'close' still follows
      child.on('close', (status, signal) => resolve(status ?? signal));
    });
    for (const line of output.split('\n')) if (/^autobahn [\w-]+: \d+ cases/.test(line)) t.diagnostic(line);
    assert.strictEqual(code, 0, `node scripts/autobahn/run.js --${set} failed (${code}):\n${output}`);
  });
}
