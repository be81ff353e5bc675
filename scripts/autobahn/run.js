'use strict';

// Autobahn|Testsuite regression run. wstest's fuzzingclient mode tests the
// server (echo-server.js) and its fuzzingserver mode tests WebSocket.Client
// (ab-client.js); every case's behavior, behaviorClose and remoteCloseCode must
// equal expected-results.json, which was seeded from faye-websocket 0.11.4
// (+ permessage-deflate 0.1.7 for the compression sets). Exits 0 only on an
// exact match; otherwise prints the differences.
//
//   node scripts/autobahn/run.js [--ci | --full | --<set>...] [--write-expected]
//
//   --ci              every set not marked `full` (what CI runs); default: --core
//   --full            every case, as server and as client (`npm run autobahn`):
//                     the sets not `within` a full set, 517 cases per role
//   --write-expected  store this run's results as the expectation
//   IMPL=<module>     implementation to test, e.g. IMPL=faye-websocket (default: this package)
//   AUTOBAHN_TIMEOUT  seconds allowed for wstest per set (default: the set's own, else 300)
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ensureWstest } = require('./setup');

// Case sets, each run in its own wstest pass and stored under its own key in
// expected-results.json; `--<name>` selects one. `mode` is who is tested:
// 'server' (fuzzingclient against echo-server.js) or 'client' (fuzzingserver
// driving ab-client.js). `deflate` offers/accepts permessage-deflate through
// `extensions: [require('permessage-deflate')]`. `full` sets only run with
// --full. Compression cases 12.X.Y / 13.X.Y: X is the data (12.1-12.5: JSON,
// BMP, text, HTML, PDF) or the offer/accept parameters (13.1-13.7: no context
// takeover false/true x max window bits default/9/15, and a list of offers);
// Y is 1000 messages of 16 B (1) ... 128 KiB (10), auto-fragmented to 256 B
// (11-15: 8-128 KiB) or 1/4/32 KiB (16-18: 128 KiB). See the README in this
// directory for the timings behind each choice.
//
// The CI subset covers every parameter combination in about a minute per role:
// all of 13.1-13.7 at 16 B, 4 KiB and 8 KiB auto-fragmented to 256 B; every
// 12.X data set at 8 KiB whole and fragmented (the *.11 sample); and each of the
// other fragment sizes once (1, 4 and 32 KiB of 128 KiB messages). The full
// sets run all 216 cases: under CPython 2 the slowest (128 KiB x 1000) take
// about 8 s each, so nothing needs excluding (14-15 min per role).
// wstest matches a pattern with `*` only at the start of a case id ('13.*.1'
// also selects 13.X.10-18), so the ids are listed.
const DEFLATE_CI = [
  ...[1, 2, 3, 4, 5].flatMap((x) => [`12.${x}.6`, `12.${x}.11`]),
  '12.2.16',
  '12.3.17',
  '12.4.18',
  ...[1, 2, 3, 4, 5, 6, 7].flatMap((x) => [`13.${x}.1`, `13.${x}.5`, `13.${x}.11`]),
];
const SETS = {
  core: { mode: 'server', cases: ['*'], exclude: ['12.*', '13.*'] },
  deflate: { mode: 'server', deflate: true, within: 'deflate-full', cases: DEFLATE_CI, exclude: [], timeout: 600 },
  'deflate-full': { mode: 'server', deflate: true, full: true, cases: ['12.*', '13.*'], exclude: [], timeout: 3600 },
  client: { mode: 'client', cases: ['*'], exclude: ['12.*', '13.*'] },
  'client-deflate': {
    mode: 'client',
    deflate: true,
    within: 'client-deflate-full',
    cases: DEFLATE_CI,
    exclude: [],
    timeout: 600,
  },
  'client-deflate-full': {
    mode: 'client',
    deflate: true,
    full: true,
    cases: ['12.*', '13.*'],
    exclude: [],
    timeout: 3600,
  },
};

const EXPECTED_FILE = path.join(__dirname, 'expected-results.json');
const ECHO_SERVER = path.join(__dirname, 'echo-server.js');
const AB_CLIENT = path.join(__dirname, 'ab-client.js');
const FUZZINGSERVER = path.join(__dirname, 'fuzzingserver.py');
const timeoutOf = (set) => Number(process.env.AUTOBAHN_TIMEOUT || set.timeout || 300);
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
    if (arg === '--full') opts.sets.push(...Object.keys(SETS).filter((name) => !SETS[name].within));
    else if (arg === '--ci') opts.sets.push(...Object.keys(SETS).filter((name) => !SETS[name].full));
    else if (arg === '--write-expected') opts.writeExpected = true;
    else if (arg.startsWith('--') && SETS[arg.slice(2)]) opts.sets.push(arg.slice(2));
    else
      throw new Error(
        `unknown argument ${arg}; use --ci, --full, --write-expected or one of: ${Object.keys(SETS)
          .map((s) => `--${s}`)
          .join(' ')}`
      );
  }
  opts.sets = [...new Set(opts.sets.length ? opts.sets : ['core'])];
  return opts;
}

function start(cmd, args, opts) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  children.add(child);
  child.output = '';
  const collect = (chunk) => {
    child.output = (child.output + chunk).slice(-20000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  child.exited = new Promise((resolve) =>
    child.on('close', (code, signal) => {
      children.delete(child);
      resolve(code ?? signal);
    })
  );
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

// Starts a process that prints "listening <port>" once it accepts connections.
async function startListening(what, cmd, args, opts) {
  const child = start(cmd, args, opts);
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not start within 30 s:\n${head(child.output)}`));
    }, 30000);
    child.stdout.on('data', () => {
      const m = /listening (\d+)/.exec(child.output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before listening:\n${head(child.output)}`));
    });
  });
  return { child, port };
}

// Waits for child to exit within the set's timeout; throws unless it exits 0.
async function finish(child, what, set) {
  let timedOut = false;
  const timer = setTimeout(
    () => {
      timedOut = true;
      stop(child);
    },
    timeoutOf(set) * 1000
  );
  const code = await child.exited;
  clearTimeout(timer);
  if (timedOut)
    throw new Error(
      `${what} did not finish within ${timeoutOf(set)} s (AUTOBAHN_TIMEOUT); last output:\n${tail(child.output)}`
    );
  if (code !== 0) throw new Error(`${what} failed (${code}):\n${tail(child.output)}`);
}

// wstest fuzzingclient against echo-server.js.
async function testServer(wstest, set, dir, outdir) {
  let server;
  try {
    let port;
    const args = [ECHO_SERVER, '0', ...(set.deflate ? ['--deflate'] : [])];
    ({ child: server, port } = await startListening(`echo server (IMPL=${AGENT})`, process.execPath, args, {
      env: process.env,
    }));
    const spec = {
      outdir,
      servers: [{ agent: AGENT, url: `ws://127.0.0.1:${port}` }],
      cases: set.cases,
      'exclude-cases': set.exclude,
      'exclude-agent-cases': {},
    };
    fs.writeFileSync(path.join(dir, 'spec.json'), JSON.stringify(spec, null, 2));
    await finish(start(wstest, ['-m', 'fuzzingclient', '-s', 'spec.json'], { cwd: dir }), 'wstest', set);
    if (!children.has(server)) console.log(`note: the echo server exited during the run:\n${head(server.output)}`);
  } finally {
    if (server) await stop(server);
  }
}

// wstest fuzzingserver (bound to 127.0.0.1 by fuzzingserver.py) driving ab-client.js.
async function testClient(wstest, set, dir, outdir) {
  let fuzzer;
  try {
    const spec = {
      url: 'ws://127.0.0.1:0',
      outdir,
      cases: set.cases,
      'exclude-cases': set.exclude,
      'exclude-agent-cases': {},
    };
    fs.writeFileSync(path.join(dir, 'spec.json'), JSON.stringify(spec, null, 2));
    const python = path.join(path.dirname(wstest), 'python');
    let port;
    ({ child: fuzzer, port } = await startListening(
      'wstest fuzzingserver',
      python,
      [FUZZINGSERVER, '-s', 'spec.json'],
      { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] }
    ));
    const args = [AB_CLIENT, `ws://127.0.0.1:${port}`, AGENT, ...(set.deflate ? ['--deflate'] : [])];
    await finish(start(process.execPath, args, { env: process.env }), `ab-client.js (IMPL=${AGENT})`, set);
    if (!children.has(fuzzer)) throw new Error(`wstest fuzzingserver exited during the run:\n${tail(fuzzer.output)}`);
  } finally {
    if (fuzzer) await stop(fuzzer); // it would otherwise keep listening
  }
}

// Runs one case set; returns { results: {caseId: {behavior, behaviorClose, remoteCloseCode}}, details, dir }.
async function runSet(wstest, name) {
  const set = SETS[name];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `autobahn-${name}-`));
  tempDirs.add(dir);
  const outdir = path.join(dir, 'reports');
  await (set.mode === 'client' ? testClient : testServer)(wstest, set, dir, outdir);
  const index = JSON.parse(fs.readFileSync(path.join(outdir, 'index.json'), 'utf8'))[AGENT] || {};
  const results = {};
  const details = {};
  for (const [id, r] of Object.entries(index)) {
    results[id] = Object.fromEntries(FIELDS.map((f) => [f, r[f]]));
    details[id] = path.join(outdir, r.reportfile);
  }
  return { results, details, dir };
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
    return Object.entries(n)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  };
  return `${Object.keys(results).length} cases; behavior: ${count('behavior')}; behaviorClose: ${count('behaviorClose')}`;
}

// Stores the given sets' results; the other sets are re-read from the file, so
// runs seeding different sets at the same time do not overwrite each other.
function writeExpected(written) {
  const all = fs.existsSync(EXPECTED_FILE) ? JSON.parse(fs.readFileSync(EXPECTED_FILE, 'utf8')) : {};
  Object.assign(all, written);
  const sets = Object.keys(all)
    .filter((k) => !k.startsWith('_'))
    .sort();
  const body = sets.map((set) => {
    const ids = Object.keys(all[set]).sort(byCaseId);
    const rows = ids.map(
      (id) =>
        `    ${JSON.stringify(id)}: {${FIELDS.map((f) => `"${f}": ${JSON.stringify(all[set][id][f])}`).join(', ')}}`
    );
    return `  ${JSON.stringify(set)}: {\n${rows.join(',\n')}\n  }`;
  });
  const about =
    `Autobahn|Testsuite results per case set and case (server sets: fuzzingclient mode; client sets: fuzzingserver mode): ${FIELDS.join(', ')}. ` +
    `Written by \`IMPL=${AGENT} node scripts/autobahn/run.js --write-expected\`; checked by run.js.`;
  fs.writeFileSync(EXPECTED_FILE, `{\n  "_about": ${JSON.stringify(about)},\n${body.join(',\n')}\n}\n`);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const wstest = ensureWstest();
  const expected = fs.existsSync(EXPECTED_FILE) ? JSON.parse(fs.readFileSync(EXPECTED_FILE, 'utf8')) : {};
  const written = {};
  // This run's results and the expectation's, per mode, for the totals.
  const totals = { server: [{}, {}], client: [{}, {}] };
  let ok = true;
  for (const name of opts.sets) {
    const started = Date.now();
    const set = SETS[name];
    console.log(
      `autobahn ${name}: testing ${AGENT}'s ${set.mode}${set.deflate ? ' with permessage-deflate' : ''} (cases ${set.cases.join(' ')}, excluding ${set.exclude.join(' ') || 'none'})`
    );
    const { results, details, dir } = await runSet(wstest, name);
    console.log(`autobahn ${name}: ${summary(results)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    Object.assign(totals[set.mode][0], results);
    Object.assign(totals[set.mode][1], expected[name]);
    const { lines, count } = diff(expected[name] || {}, results, details);
    if (opts.writeExpected) {
      written[name] = results;
      console.log(
        `autobahn ${name}: ${count} change(s) written to expected-results.json${count ? `:\n${lines.join('\n')}` : ''}`
      );
    } else if (count) {
      ok = false;
      console.log(
        `autobahn ${name}: ${count} case(s) differ from expected-results.json ` +
          `(behavior / behaviorClose / remoteCloseCode):\n${lines.join('\n')}`
      );
      console.log(`autobahn ${name}: reports kept in ${path.join(dir, 'reports')} (open index.html)`);
      tempDirs.delete(dir);
    } else {
      console.log(`autobahn ${name}: matches expected-results.json`);
    }
  }
  if (opts.writeExpected) writeExpected(written);
  for (const [mode, [actual, seeded]] of Object.entries(totals)) {
    if (!Object.keys(actual).length) continue;
    console.log(`autobahn total as ${mode}: ${AGENT}: ${summary(actual)}`);
    console.log(`autobahn total as ${mode}: expected-results.json: ${summary(seeded)}`);
  }
  return ok;
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (err) => {
    console.error(`autobahn: ${err.message}`);
    process.exit(1);
  }
);
