'use strict';

// Builds the native addon from source with cargo and puts it where
// lib/binding.js looks for it. With --if-needed (the `install` script) it does
// nothing when a binary for this platform already loads (a prebuilt package
// or an earlier build).
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { platformSuffix } = require('../lib/platform');

const root = path.join(__dirname, '..');

function addonLoads() {
  try {
    require('../lib/binding');
    return true;
  } catch {
    return false;
  }
}

function cargoLibraryName() {
  const base = 'faye_websocket_native';
  if (process.platform === 'win32') return `${base}.dll`;
  if (process.platform === 'darwin') return `lib${base}.dylib`;
  return `lib${base}.so`;
}

function build() {
  const cargo = spawnSync('cargo', ['build', '--release', '--lib'], { cwd: root, stdio: 'inherit' });
  if (cargo.error) throw new Error(`cannot run cargo (is Rust installed?): ${cargo.error.message}`);
  if (cargo.status !== 0) process.exit(cargo.status || 1);

  const targetDir = process.env.CARGO_TARGET_DIR || path.join(root, 'target');
  const built = path.join(targetDir, 'release', cargoLibraryName());
  const addon = path.join(root, `faye-websocket-native.${platformSuffix()}.node`);
  // Copy to a temporary name first: a process that has the old addon loaded keeps working.
  fs.copyFileSync(built, `${addon}.tmp`);
  fs.renameSync(`${addon}.tmp`, addon);
  console.log(`built ${path.relative(root, addon)}`);
}

if (process.argv.includes('--if-needed') && addonLoads()) {
  console.log('faye-websocket-native: native addon present, nothing to build');
} else {
  build();
}
