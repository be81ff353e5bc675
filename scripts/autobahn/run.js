'use strict';

// Autobahn|Testsuite regression run. wstest (fuzzingclient mode) tests
// echo-server.js, and every case's behavior, behaviorClose and remoteCloseCode
// must equal expected-results.json, which was seeded from faye-websocket 0.11.4.
// Exits 0 only on an exact match; otherwise prints the differences.
//
//   node scripts/autobahn/run.js [--full | --<set>...] [--write-expected]
//
//   --full            every case set in SETS (what CI runs); default: --core
//   --write-expected  store this run's results as the expectation
//   IMPL=<module>     implementation to test, e.g. IMPL=faye-websocket (default: this package)
//   AUTOBAHN_TIMEOUT  seconds allowed for wstest per set (default 300)
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ensureWstest } = require('./setup');

// Case sets, each run in its own wstest pass and stored under its own key in
// expected-results.json; `--<name>` selects one. Compression (12.*, 13.*)
// comes with permessage-deflate: add a `deflate` set here (cases 12.* and 13.*,
// excluding the slow 12/13.*.7-18, which take 30-90 s each under CPython 2),
// make echo-server.js offer the extension for it, then seed it with
// `--deflate --write-expected`.
const SETS = {
  core: { cases: ['*'], exclude: ['12.*', '13.*'] },
};

const EXPECTED_FILE = path.join(__dirname, 'expected-results.json');
const ECHO_SERVER = path.join(__dirname, 'echo-server.js');
const TIMEOUT_S = Number(process.env.AUTOBAHN_TIMEOUT || 300);
const AGENT = process.env.IMPL || 'faye-websocket-native';
const FIELDS = ['behavior', 'behaviorClose', 'remoteCloseCode'];

// Cleaned up however the run ends (a temp dir is kept only for a failed comparison).
const children = new Set();
const tempDirs = new Set();
process.on('exit', () => {
  children.forEach((child) => child.kill('SIGKILL'));
  tempDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true }));
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(1));

function parseArgs(argv) {
  const opts = { sets: [], writeExpected: false };
  for (const arg of argv) {
    if (arg === '--full') opts.sets.push(...Object.keys(SETS));
    else if (arg === '--write-expected') opts.writeExpected = true;
    else if (arg.startsWith('--') && SETS[arg.slice(2)]) opts.sets.push(arg.slice(2));
    else throw new Error(`unknown argument ${arg}; use --full, --write-expected or one of: ${Object.keys(SETS).map((s) => `--${s}`).join(' ')}`);
  }
  opts.sets = [...new Set(opts.sets.length ? opts.sets : ['core'])];
  return opts;
}

function start(cmd, args, opts) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  children.add(child);
  child.output = '';
  const collect = (chunk) => { child.output = (child.output + chunk).slice(-20000); };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  child.exited = new Promise((resolve) => child.on('close', (code, signal) => {
    children.delete(child);
    resolve(code ?? signal);
  }));
  return child;
}

async function stop(child) {
  if (!children.has(child)) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await child.exited;
  clearTimeout(timer);
}

const indent = (lines) => lines.map((l) => `    ${l}`).join('\n');
const head = (text, n = 20) => indent(text.trimEnd().split('\n').slice(0, n));
const tail = (text, n = 15) => indent(text.trimEnd().split('\n').slice(-n));

async function startEchoServer() {
  const server = start(process.execPath, [ECHO_SERVER, '0'], { env: process.env });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      server.kill('SIGKILL');
      reject(new Error('echo server did not start within 30 s'));
    }, 30000);
    server.stdout.on('data', () => {
      const m = /listening (\d+)/.exec(server.output);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    server.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`echo server (IMPL=${AGENT}) exited with ${code} before listening:\n${head(server.output)}`));
    });
  });
  return { server, port };
}

// Runs one case set; returns { results: {caseId: {behavior, behaviorClose, remoteCloseCode}}, details, dir }.
async function runSet(wstest, name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `autobahn-${name}-`));
  tempDirs.add(dir);
  let server;
  try {
    let port;
    ({ server, port } = await startEchoServer());
    const spec = {
      outdir: path.join(dir, 'reports'),
      servers: [{ agent: AGENT, url: `ws://127.0.0.1:${port}` }],
      cases: SETS[name].cases,
      'exclude-cases': SETS[name].exclude,
      'exclude-agent-cases': {},
    };
    fs.writeFileSync(path.join(dir, 'spec.json'), JSON.stringify(spec, null, 2));
    const fuzzer = start(wstest, ['-m', 'fuzzingclient', '-s', 'spec.json'], { cwd: dir });
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; stop(fuzzer); }, TIMEOUT_S * 1000);
    const code = await fuzzer.exited;
    clearTimeout(timer);
    if (timedOut) throw new Error(`wstest did not finish within ${TIMEOUT_S} s (AUTOBAHN_TIMEOUT); last output:\n${tail(fuzzer.output)}`);
    if (code !== 0) throw new Error(`wstest failed (${code}):\n${tail(fuzzer.output)}`);
    if (!children.has(server)) console.log(`note: the echo server exited during the run:\n${head(server.output)}`);

    const index = JSON.parse(fs.readFileSync(path.join(spec.outdir, 'index.json'), 'utf8'))[AGENT] || {};
    const results = {};
    const details = {};
    for (const [id, r] of Object.entries(index)) {
      results[id] = Object.fromEntries(FIELDS.map((f) => [f, r[f]]));
      details[id] = path.join(spec.outdir, r.reportfile);
    }
    return { results, details, dir };
  } finally {
    if (server) await stop(server);
  }
}

function byCaseId(a, b) {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if ((x[i] ?? -1) !== (y[i] ?? -1)) return (x[i] ?? -1) - (y[i] ?? -1);
  }
  return 0;
}

const show = (r) => FIELDS.map((f) => r[f]).join(' / ');

const MAX_DIFF = 40; // cases listed; the rest are only counted

function diff(expected, actual, details) {
  const lines = [];
  let n = 0;
  const ids = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort(byCaseId);
  for (const id of ids) {
    const e = expected[id];
    const a = actual[id];
    if (e && a && show(e) === show(a)) continue;
    if (++n > MAX_DIFF) continue;
    if (!a) lines.push(`  - ${id}: expected ${show(e)}, missing from this run`);
    else if (!e) lines.push(`  + ${id}: got ${show(a)}, not in expected-results.json`);
    else {
      lines.push(`  ! ${id}: expected ${show(e)}, got ${show(a)}`);
      try {
        const report = JSON.parse(fs.readFileSync(details[id], 'utf8'));
        lines.push(`      ${report.result} | ${report.resultClose}`);
      } catch {}
    }
  }
  if (n > MAX_DIFF) lines.push(`  ... and ${n - MAX_DIFF} more`);
  return { lines, count: n };
}

function summary(results) {
  const count = (field) => {
    const n = {};
    for (const r of Object.values(results)) n[r[field]] = (n[r[field]] || 0) + 1;
    return Object.entries(n).map(([k, v]) => `${k} ${v}`).join(', ');
  };
  return `${Object.keys(results).length} cases; behavior: ${count('behavior')}; behaviorClose: ${count('behaviorClose')}`;
}

function writeExpected(all) {
  const sets = Object.keys(all).filter((k) => !k.startsWith('_')).sort();
  const body = sets.map((set) => {
    const ids = Object.keys(all[set]).sort(byCaseId);
    const rows = ids.map((id) => `    ${JSON.stringify(id)}: {${FIELDS.map((f) => `"${f}": ${JSON.stringify(all[set][id][f])}`).join(', ')}}`);
    return `  ${JSON.stringify(set)}: {\n${rows.join(',\n')}\n  }`;
  });
  const about = `Autobahn|Testsuite fuzzingclient results per case: ${FIELDS.join(', ')}. ` +
    `Written by \`IMPL=${AGENT} node scripts/autobahn/run.js --write-expected\`; checked by run.js.`;
  fs.writeFileSync(EXPECTED_FILE, `{\n  "_about": ${JSON.stringify(about)},\n${body.join(',\n')}\n}\n`);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const wstest = ensureWstest();
  const expected = fs.existsSync(EXPECTED_FILE) ? JSON.parse(fs.readFileSync(EXPECTED_FILE, 'utf8')) : {};
  let ok = true;
  for (const name of opts.sets) {
    const started = Date.now();
    console.log(`autobahn ${name}: testing ${AGENT} (cases ${SETS[name].cases.join(' ')}, excluding ${SETS[name].exclude.join(' ') || 'none'})`);
    const { results, details, dir } = await runSet(wstest, name);
    console.log(`autobahn ${name}: ${summary(results)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    const { lines, count } = diff(expected[name] || {}, results, details);
    if (opts.writeExpected) {
      expected[name] = results;
      console.log(`autobahn ${name}: ${count} change(s) written to expected-results.json${count ? `:\n${lines.join('\n')}` : ''}`);
    } else if (count) {
      ok = false;
      console.log(`autobahn ${name}: ${count} case(s) differ from expected-results.json ` +
        `(behavior / behaviorClose / remoteCloseCode):\n${lines.join('\n')}`);
      console.log(`autobahn ${name}: reports kept in ${path.join(dir, 'reports')} (open index.html)`);
      tempDirs.delete(dir);
    } else {
      console.log(`autobahn ${name}: matches expected-results.json`);
    }
  }
  if (opts.writeExpected) writeExpected(expected);
  return ok;
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (err) => {
    console.error(`autobahn: ${err.message}`);
    process.exit(1);
  },
);
