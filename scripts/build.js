#!/usr/bin/env node
'use strict';

// Builds the native addon from source with cargo.
//
//   node scripts/build.js              for this machine, into the package root, where lib/binding.js looks
//                                      first. A git clone's `npm install` runs it (the `prepare` script).
//   npx faye-websocket-native-build    the same in a project that installed the package on a platform with no
//                                      prebuilt addon (no install script does it). Cargo's build directory is
//                                      then a temporary one, removed afterwards: nothing is left in node_modules.
//   node scripts/build.js --target T  for Rust target T into npm/<suffix>/, its per-platform package: the
//                                      release workflow's build step (`npm run build:platform -- T`), which CI
//                                      also runs for x86_64-unknown-linux-gnu. Linux targets are linked with
//                                      cargo-zigbuild, against glibc 2.17 for -gnu (so the addon loads on old
//                                      distributions) and dynamically against musl for -musl.
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { platformSuffix } = require('../lib/platform');
const { suffixOf, cargoLibraryName, addonFileName } = require('../lib/targets');

const root = path.join(__dirname, '..');
// The oldest glibc a linux-gnu package links against (napi-rs's choice too).
const GLIBC_FLOOR = '2.17';

// A failure the user can act on: its message alone is printed, with no stack trace.
class BuildError extends Error {}

function fail(message) {
  throw new BuildError(message);
}

function option(name) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function requireTool(args, missing) {
  const probe = spawnSync('cargo', args, { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) fail(missing);
}

// Installed as a dependency (npm, pnpm and yarn all keep it below a node_modules folder).
function installedAsDependency() {
  return root.split(path.sep).includes('node_modules');
}

function cargoArgs(target, zig) {
  const args = [zig ? 'zigbuild' : 'build', '--release', '--lib', '--locked'];
  if (target) args.push('--target', zig && target.endsWith('-linux-gnu') ? `${target}.${GLIBC_FLOOR}` : target);
  return args;
}

// A cdylib cannot link musl statically, Rust's default for musl targets (napi-rs's CLI turns it off too).
function cargoEnv(target, targetDir) {
  const env = { ...process.env, CARGO_TARGET_DIR: targetDir };
  if (target && target.endsWith('-musl')) env.RUSTFLAGS = `${env.RUSTFLAGS || ''} -C target-feature=-crt-static`.trim();
  return env;
}

function build(target) {
  const zig = Boolean(target) && target.includes('-linux-');
  requireTool(
    ['--version'],
    'building the native addon from source needs Rust, and `cargo` was not found on PATH.\n' +
      'Install Rust (https://rustup.rs), open a new shell so that cargo is on PATH, and run this command again.'
  );
  if (zig)
    requireTool(
      ['zigbuild', '--help'],
      'Linux packages are linked with cargo-zigbuild and zig: `cargo install cargo-zigbuild` and `pip install ziglang`.'
    );

  const temporary = !process.env.CARGO_TARGET_DIR && installedAsDependency();
  const targetDir =
    process.env.CARGO_TARGET_DIR ||
    (temporary ? fs.mkdtempSync(path.join(os.tmpdir(), 'faye-websocket-native-build-')) : path.join(root, 'target'));
  const suffix = target ? suffixOf(target) : platformSuffix();
  const outDir = target ? path.join(root, 'npm', suffix) : root;
  console.log(`faye-websocket-native: building the ${suffix} addon from source with cargo (about a minute)`);
  try {
    const args = cargoArgs(target, zig);
    console.log(`$ cargo ${args.join(' ')}`);
    const cargo = spawnSync('cargo', args, { cwd: root, stdio: 'inherit', env: cargoEnv(target, targetDir) });
    if (cargo.status !== 0) fail(`cargo build failed (${cargo.error ? cargo.error.message : `exit ${cargo.status}`})`);
    const built = path.join(targetDir, ...(target ? [target] : []), 'release', cargoLibraryName(suffix));
    const addon = path.join(outDir, addonFileName(suffix));
    // Copy to a temporary name first: a process that has the old addon loaded keeps working.
    fs.copyFileSync(built, `${addon}.tmp`);
    fs.renameSync(`${addon}.tmp`, addon);
    console.log(`faye-websocket-native: built ${path.relative(process.cwd(), addon) || addon}`);
  } finally {
    if (temporary) fs.rmSync(targetDir, { recursive: true, force: true });
  }
}

try {
  build(option('--target'));
} catch (error) {
  if (!(error instanceof BuildError)) throw error;
  console.error(`faye-websocket-native: ${error.message}`);
  process.exitCode = 1;
}
