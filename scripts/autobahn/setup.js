'use strict';

// Installs Autobahn|Testsuite's `wstest` into a virtualenv in a cache directory
// outside the repository, and returns its path. Idempotent: when the virtualenv
// is complete it only checks a marker file (which names the pinned version).
//
// wstest only runs under Python 2.7, which pyenv provides (2.7.18; installed
// with `pyenv install 2.7.18` when missing). virtualenv is pinned below 20.22
// (the last releases that still create Python 2.7 environments) and installed
// into the cache too, so pyenv's interpreter is left untouched.
//
//   node scripts/autobahn/setup.js     prints the steps and the wstest path
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const PY_VERSION = '2.7.18';
const REQUIREMENT = 'autobahntestsuite==25.10.1'; // the version expected-results.json was made with
const cacheDir = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'faye-websocket-native');
const venv = path.join(cacheDir, 'wstest-venv');
const wstest = path.join(venv, 'bin', 'wstest');
const marker = path.join(venv, '.complete');

function log(msg) {
  // stderr: stdout of `setup.js` is only the wstest path.
  process.stderr.write(`autobahn setup: ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  log(`$ ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: ['ignore', process.stderr, process.stderr], ...opts });
  if (r.error) throw new Error(`cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

function pyenvRoot() {
  if (process.env.PYENV_ROOT) return process.env.PYENV_ROOT;
  const r = spawnSync('pyenv', ['root'], { encoding: 'utf8' });
  if (r.status === 0) return r.stdout.trim();
  return path.join(os.homedir(), '.pyenv');
}

function python27() {
  const root = pyenvRoot();
  const python = path.join(root, 'versions', PY_VERSION, 'bin', 'python');
  if (!fs.existsSync(python)) {
    log(`${python} is missing; installing Python ${PY_VERSION} with pyenv (several minutes)`);
    run('pyenv', ['install', '--skip-existing', PY_VERSION]);
  }
  return python;
}

function ensureWstest() {
  if (fs.existsSync(marker) && fs.readFileSync(marker, 'utf8') === REQUIREMENT) {
    log(`wstest present: ${wstest}`);
    return wstest;
  }
  const env = { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1', PYTHONWARNINGS: 'ignore' };
  const python = python27();
  const bootstrap = path.join(cacheDir, 'virtualenv-py27');
  log(`creating ${venv}`);
  fs.rmSync(venv, { recursive: true, force: true }); // an interrupted earlier attempt
  fs.rmSync(bootstrap, { recursive: true, force: true });
  fs.mkdirSync(cacheDir, { recursive: true });
  run(python, ['-m', 'pip', 'install', '--quiet', '--target', bootstrap, 'virtualenv<20.22'], { env });
  run(python, ['-m', 'virtualenv', '--quiet', venv], { env: { ...env, PYTHONPATH: bootstrap } });
  fs.rmSync(bootstrap, { recursive: true, force: true });
  run(path.join(venv, 'bin', 'pip'), ['install', '--quiet', REQUIREMENT], { env });
  run(wstest, ['-a'], { env });
  fs.writeFileSync(marker, REQUIREMENT);
  log(`wstest installed: ${wstest}`);
  return wstest;
}

module.exports = { ensureWstest };

if (require.main === module) {
  try {
    console.log(ensureWstest());
  } catch (err) {
    log(err.message);
    process.exit(1);
  }
}
