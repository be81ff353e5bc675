'use strict';

// Loads the native addon: a local build first (`npm install` from source,
// `npm run build`), then the prebuilt per-platform package.
const path = require('path');
const { platformSuffix } = require('./platform');

const suffix = platformSuffix();
const candidates = [
  path.join(__dirname, '..', `faye-websocket-native.${suffix}.node`),
  `faye-websocket-native-${suffix}`,
];

function load() {
  const failures = [];
  for (const candidate of candidates) {
    try {
      return require(candidate);
    } catch (error) {
      failures.push(`${candidate}: ${error.message}`);
    }
  }
  throw new Error(
    `faye-websocket-native: no native addon for ${suffix}. ` +
      `Run \`npm run build\` (needs a Rust toolchain).\n  ${failures.join('\n  ')}`
  );
}

module.exports = load();
