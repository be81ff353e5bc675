'use strict';
// The package a faye-API server under test requires: this tree's, the baseline's that bench/run.js
// --baseline unpacked and built (its directory in BENCH_BASELINE_DIR), or faye-websocket itself.
const path = require('path');

function packageOf(impl) {
  if (impl === 'native') return path.join(__dirname, '..', '..');
  if (impl === 'baseline') return process.env.BENCH_BASELINE_DIR;
  if (impl === 'faye') return 'faye-websocket';
  throw new Error(`no package for ${impl}`);
}

module.exports = { packageOf };
