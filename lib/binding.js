'use strict';
// @ts-check

// Loads the native addon: a build from source first (a git clone's
// `npm install`, or `npx faye-websocket-native-build` in a project), then the
// prebuilt package for this platform, which npm installs from the root's
// optionalDependencies with no install script.
const path = require('path');
const { platformSuffix } = require('./platform');
const { TARGETS } = require('./targets');

const BUILD_COMMAND = 'npx faye-websocket-native-build';

function whyNoPrebuilt(suffix) {
  const prebuilt = TARGETS.map((target) => target.suffix);
  if (!prebuilt.includes(suffix)) return `There is no prebuilt addon for ${suffix}, only for ${prebuilt.join(', ')}.`;
  return (
    `The prebuilt addon for ${suffix} comes in the optional dependency faye-websocket-native-${suffix}, which is ` +
    'not installed: npm leaves it out with --omit=optional, or when the lockfile was made without it.'
  );
}

function load() {
  const suffix = platformSuffix();
  const candidates = [
    path.join(__dirname, '..', `faye-websocket-native.${suffix}.node`),
    `faye-websocket-native-${suffix}`,
  ];
  const failures = [];
  for (const candidate of candidates) {
    try {
      return require(candidate);
    } catch (error) {
      // Node's message goes on with the require stack: its first line says it all.
      failures.push(`${candidate}: ${error.message.split('\n')[0]}`);
    }
  }
  throw new Error(
    `faye-websocket-native: no native addon for ${suffix} (Node ${process.version}). Tried:\n` +
      failures.map((failure) => `  ${failure}\n`).join('') +
      `${whyNoPrebuilt(suffix)} To build the addon from source (needs Rust), run: ${BUILD_COMMAND}`
  );
}

module.exports = load();
