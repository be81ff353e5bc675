#!/usr/bin/env node
'use strict';
// The benchmark runner: `npm run bench` (full, < 30 min) or
// `npm run bench -- --quick` (< 5 min, a validation run).
//
// Builds bench/loadgen (cargo build --release in bench/loadgen), then for every
// workload runs each server in turn, interleaved (A B C A B C …), for
// several rounds, each server in a fresh process on 127.0.0.1. With two or
// more cores the server is pinned to one core and the load generator to
// another (taskset). Reports medians, min–max, ratios to ws and to
// faye-websocket from the same run, the server's CPU time per message
// (utime+stime from /proc/<pid>/stat) and the machine; writes the table into
// BENCHMARKS.md between markers, a chart of each workload's ratio to ws as an
// SVG, and the raw results as JSON.
//
// Options:
//   --quick              2 short rounds, 2 000 idle connections
//   --rounds N           rounds (default 5; quick 2)
//   --duration S         measured seconds per run (default 5; quick 1.5)
//   --warmup S           warm-up seconds before measuring (default 1.5; quick 0.5)
//   --only a,b           workloads by id (see WORKLOADS below)
//   --servers a,b        subset of native,ws,faye,tcp
//   --idle-conns N       idle connections (default 10000; quick 2000)
//   --no-build           use the existing bench/loadgen/target/release/loadgen
//   --out FILE           markdown file (default BENCHMARKS.md at the top of the repo)
//   --chart FILE         SVG chart (default bench/ratio-to-ws.svg)
//   --no-write           print the table only
//   --no-pin             do not use taskset
//   --from FILE          re-render BENCHMARKS.md and the chart from a saved results JSON
//   --baseline REV       also run the package as it was at git revision REV (built in a cache directory
//                        outside the repository), interleaved with this tree, and report this tree ÷
//                        baseline per workload: the A/B check that a change made nothing slower

const { spawn, spawnSync, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.join(__dirname, '..');
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const opt = (name, d) => {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : d;
};
const quick = flag('--quick');
const ROUNDS = Number(opt('--rounds', quick ? 2 : 5));
const DURATION = Number(opt('--duration', quick ? 1.5 : 5));
const WARMUP = Number(opt('--warmup', quick ? 0.5 : 1.5));
const IDLE_CONNS = Number(opt('--idle-conns', quick ? 2000 : 10000));
const OUT = path.resolve(opt('--out', path.join(__dirname, '..', 'BENCHMARKS.md')));
const CHART = path.resolve(opt('--chart', path.join(__dirname, 'ratio-to-ws.svg')));
// Events each SSE round publishes to every client (the `sse` workload).
const SSE_BURST = 10;
const SSE_CLIENTS = 1000;
const LOADGEN_DIR = path.join(__dirname, 'loadgen');
const LOADGEN = path.join(process.env.CARGO_TARGET_DIR || path.join(LOADGEN_DIR, 'target'), 'release', 'loadgen');

const BASELINE = opt('--baseline', null);
const NAMES = {
  native: 'faye-websocket-native',
  baseline: `faye-websocket-native at ${BASELINE}`,
  ws: 'ws + bufferutil',
  faye: 'faye-websocket',
  tcp: 'raw net echo',
};

// Each workload: the load generator's arguments, the servers, the figure
// reported (higher is better unless `lower`), and the issue's target.
const WORKLOADS = [
  {
    id: 'echo32',
    short: 'echo 32 B text',
    title: 'echo 32 B text (50 conns × 16 in flight)',
    servers: ['native', 'ws', 'faye'],
    args: ['echo', '--conns', 50, '--inflight', 16, '--size', 32, '--text'],
    metric: 'msgs_per_s',
    unit: 'msg/s',
    target: { ws: 4 },
  },
  {
    id: 'echo1k',
    short: 'echo 1 KiB text',
    title: 'echo 1 KiB text (50 × 16)',
    servers: ['native', 'ws', 'faye'],
    args: ['echo', '--conns', 50, '--inflight', 16, '--size', 1024, '--text'],
    metric: 'msgs_per_s',
    unit: 'msg/s',
    target: { ws: 3 },
  },
  {
    id: 'echo16k',
    short: 'echo 16 KiB binary',
    title: 'echo 16 KiB binary (10 × 4; raw = net byte echo)',
    servers: ['native', 'ws', 'faye', 'tcp'],
    args: ['echo', '--conns', 10, '--inflight', 4, '--size', 16384, '--binary'],
    metric: 'mb_per_s',
    unit: 'MB/s',
    target: { tcp: 0.9 },
  },
  {
    id: 'echo1m',
    short: 'echo 1 MiB binary',
    title: 'echo 1 MiB binary (4 × 2)',
    // The raw echo shows the ceiling: 1.3× ws may lie above it.
    servers: ['native', 'ws', 'faye', 'tcp'],
    args: ['echo', '--conns', 4, '--inflight', 2, '--size', 1048576, '--binary'],
    metric: 'mb_per_s',
    unit: 'MB/s',
    target: { ws: 1.3 },
  },
  {
    id: 'deflate16k',
    short: 'echo 16 KiB text, deflate',
    title: 'echo 16 KiB JSON-like text, permessage-deflate (10 × 4)',
    servers: ['native', 'ws', 'faye'],
    serverArgs: ['--deflate'],
    args: ['echo', '--conns', 10, '--inflight', 4, '--size', 16384, '--json', '--deflate'],
    metric: 'msgs_per_s',
    unit: 'msg/s',
    target: { ws: 3 },
  },
  {
    id: 'handshake',
    short: 'handshakes/s',
    title: 'handshakes/s (32 concurrent: connect, one echo, close)',
    servers: ['native', 'ws', 'faye'],
    args: ['connect', '--conc', 32],
    metric: 'handshakes_per_s',
    count: 'handshakes',
    unit: 'handshakes/s',
    target: { ws: 1.3, faye: 1 },
  },
  {
    id: 'idle',
    short: 'memory per idle conn',
    title: 'server memory per idle connection',
    servers: ['native', 'ws', 'faye', 'tcp'],
    idle: true,
    metric: 'kb_per_conn',
    unit: 'KB/conn',
    lower: true,
    target: { ws: 0.7 },
  },
  // A busy feed: each round (one turn of the event loop) publishes SSE_BURST
  // events to every client, as a fan-out server does when its upstream (a
  // pub/sub subscription, a message queue consumer) hands it several messages
  // per read. Both servers get the same rounds; faye writes each event to the
  // socket at once, faye-websocket-native writes a client's events of one tick
  // together.
  {
    id: 'sse',
    short: 'EventSource fan-out',
    title: `EventSource fan-out (1 000 clients, ${SSE_BURST} events per client per tick)`,
    servers: ['native', 'faye'],
    sse: true,
    serverArgs: ['--burst', SSE_BURST],
    args: ['sse', '--conns', SSE_CLIENTS, '--pad', 48],
    metric: 'events_per_s',
    count: 'events',
    unit: 'events/s',
    target: { faye: 3 },
  },
  // The quiet feed: one event per client per tick, so nothing can be
  // coalesced; both write once per event.
  {
    id: 'sse1',
    short: 'EventSource, 1 event/tick',
    title: 'EventSource fan-out (1 000 clients, 1 event per client per tick)',
    servers: ['native', 'faye'],
    sse: true,
    serverArgs: ['--burst', 1],
    args: ['sse', '--conns', SSE_CLIENTS, '--pad', 48],
    metric: 'events_per_s',
    count: 'events',
    unit: 'events/s',
    target: { faye: 1 },
  },
];

// ------------------------------------------------------------------ process hygiene

const children = new Set();
function track(child) {
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}
function killAll() {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {}
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\n${sig}: stopping servers and load generators`);
    killAll();
    process.exit(130);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function sh(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------ machine

const CLK_TCK = Number(sh('getconf', ['CLK_TCK'])) || 100;
const CORES = os.cpus().length;
const PIN = !flag('--no-pin') && CORES >= 2 && sh('sh', ['-c', 'command -v taskset']) !== null;
const [SOFT_NOFILE, HARD_NOFILE] = (sh('sh', ['-c', 'ulimit -n; ulimit -Hn']) || '1024\n1024')
  .split('\n')
  .map((v) => (v === 'unlimited' ? Infinity : Number(v)));

function machine() {
  let cpu = os.cpus()[0] ? os.cpus()[0].model : 'unknown';
  const ports = (
    fs.existsSync('/proc/sys/net/ipv4/ip_local_port_range')
      ? fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      : '32768 60999'
  )
    .trim()
    .split(/\s+/)
    .map(Number);
  return {
    cpu,
    cores: CORES,
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    rustc: sh('rustc', ['-V']) || 'unknown',
    loadavg_start: os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' '),
    pinning: PIN ? 'server on CPU 0, load generator on CPU 1 (taskset)' : 'none',
    nofile: `${SOFT_NOFILE}/${HARD_NOFILE}`,
    ephemeral_ports: ports[1] - ports[0] + 1,
    commit: sh('git', ['-C', root, 'rev-parse', '--short', 'HEAD']) || 'unknown',
    date: new Date().toISOString(),
  };
}

// ------------------------------------------------------------------ /proc readings

function cpuTicks(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime (fields 14, 15)
  } catch {
    return NaN;
  }
}
function rssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

// ------------------------------------------------------------------ spawning

function wrap(cmd, core, nofile) {
  // sh -c 'ulimit -n N; exec "$@"': the pid stays the program's own.
  const inner = PIN ? ['taskset', '-c', String(core), ...cmd] : cmd;
  const limit = Number.isFinite(HARD_NOFILE) ? Math.min(nofile, HARD_NOFILE) : nofile;
  if (nofile && SOFT_NOFILE < limit) {
    return ['sh', ['-c', `ulimit -n ${limit} && exec "$@"`, 'sh', ...inner]];
  }
  return [inner[0], inner.slice(1)];
}

async function startServer(w, impl) {
  const script = w.sse ? 'sse.js' : 'echo.js';
  const cmd = ['node', '--expose-gc', path.join(__dirname, 'servers', script), impl, ...(w.serverArgs || [])];
  if (w.sse) cmd.push('--clients', SSE_CLIENTS);
  const [file, args] = wrap(cmd, 0, IDLE_CONNS + 1024);
  const env = { ...process.env, BENCH_BASELINE_DIR: baselineDir || '' };
  const child = track(spawn(file, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] }));
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d).length > 4000 && (stderr = stderr.slice(-4000)));
  const info = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${impl} server did not start in 15 s: ${stderr}`)), 15000);
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(out.slice(0, nl)));
        } catch {
          reject(new Error(`${impl} server said ${out.slice(0, nl)}`));
        }
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${impl} server exited (${code}) before listening: ${stderr.trim()}`));
    });
  });
  child.stdout.resume();
  return { child, info, pid: child.pid, stderr: () => stderr };
}

async function stopProcess(child, ms = 3000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  if ((await Promise.race([gone.then(() => true), sleep(ms).then(() => false)])) === false) {
    child.kill('SIGKILL');
    await gone;
  }
}

// Runs the load generator; `onMark(name, rest)` is called on each MARK line.
// Bounded by `limitS` seconds.
function runLoadgen(args, limitS, onMark, stdinAfterMark) {
  return new Promise((resolve, reject) => {
    const [file, a] = wrap([LOADGEN, ...args.map(String)], 1, IDLE_CONNS + 1024);
    const child = track(spawn(file, a, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] }));
    let out = '';
    let err = '';
    let pending = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => {
      pending += d;
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        const m = /^MARK (\S+)\s*(.*)$/.exec(line);
        if (m) Promise.resolve(onMark(m[1], m[2], child)).catch(reject);
        else err += line + '\n';
      }
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`load generator ran over ${limitS} s: ${args.join(' ')}`));
    }, limitS * 1000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      try {
        const r = JSON.parse(out.trim().split('\n').pop());
        r.exit_code = code;
        if (err.trim()) r.stderr = err.trim().slice(-500);
        resolve(r);
      } catch {
        reject(new Error(`load generator exited ${code} without a result: ${err.trim().slice(-500)}`));
      }
    });
    if (!stdinAfterMark) child.stdin.end();
  });
}

function srcIps(conns, ephemeral) {
  // Leave a third of the ephemeral range free per source address.
  return Math.max(1, Math.ceil(conns / Math.max(1000, Math.floor(ephemeral * 0.66))));
}

// ------------------------------------------------------------------ one measurement

async function measure(w, impl, mach) {
  const server = await startServer(w, impl);
  const port = server.info.port;
  try {
    if (w.idle) return await measureIdle(w, impl, server, mach);
    let t0;
    let c0;
    let t1;
    let c1;
    // The raw net echo gets the same load as plain TCP byte messages.
    const base = impl === 'tcp' ? ['raw', ...w.args.slice(1).filter((a) => !/^--(text|binary|json)$/.test(a))] : w.args;
    const args = [...base, '--port', port, '--warmup', WARMUP, '--duration', DURATION];
    if (w.sse) args.push('--src-ips', srcIps(SSE_CLIENTS, mach.ephemeral_ports));
    if (w.id === 'handshake') args.push('--src-ips', 64);
    const r = await runLoadgen(args, WARMUP + DURATION + 90, (m) => {
      if (m === 'start') {
        t0 = process.hrtime.bigint();
        c0 = cpuTicks(server.pid);
      } else if (m === 'end') {
        t1 = process.hrtime.bigint();
        c1 = cpuTicks(server.pid);
      }
    });
    const count = r[w.count || 'messages'];
    r.server_cpu_s = (c1 - c0) / CLK_TCK;
    r.server_cpu_share = r.server_cpu_s / (Number(t1 - t0) / 1e9);
    r.server_cpu_us_per_msg = count > 0 ? (r.server_cpu_s * 1e6) / count : NaN;
    r.value = r[w.metric];
    const bad = r.errors || r.mismatches || r.unfinished || !(r.value > 0) || r.exit_code !== 0;
    if (bad)
      r.failed = `errors ${r.errors}, mismatches ${r.mismatches || 0}, unfinished ${r.unfinished}: ${r.first_error}`;
    if (server.child.exitCode !== null) r.failed = `server exited: ${server.stderr().trim().slice(-300)}`;
    return r;
  } finally {
    await stopProcess(server.child);
  }
}

async function measureIdle(w, impl, server, mach) {
  const pid = server.pid;
  const port = server.info.port;
  // Warm the server's code paths with a few full cycles, then GC and read the baseline.
  await runLoadgen(
    ['connect', '--port', port, '--conc', 4, '--warmup', 0, '--duration', 0.3, '--src-ips', 1],
    60,
    () => {}
  );
  process.kill(pid, 'SIGUSR2');
  await sleep(400);
  const before = rssKb(pid);
  let after;
  const args = [
    'idle',
    '--port',
    port,
    '--conns',
    IDLE_CONNS,
    '--hold',
    120,
    '--src-ips',
    srcIps(IDLE_CONNS, mach.ephemeral_ports),
  ];
  if (impl === 'tcp') args.push('--tcp');
  const r = await runLoadgen(
    args,
    240,
    async (m, rest, child) => {
      if (m !== 'idle') return;
      await sleep(300);
      process.kill(pid, 'SIGUSR2');
      await sleep(700);
      after = rssKb(pid);
      child.stdin.end('release\n');
    },
    true
  );
  r.rss_before_kb = before;
  r.rss_after_kb = after;
  r.kb_per_conn = r.opened > 0 ? (after - before) / r.opened : NaN;
  r.value = r.kb_per_conn;
  if (r.errors || r.opened !== IDLE_CONNS || !(r.value > 0))
    r.failed = `opened ${r.opened}/${IDLE_CONNS}, errors ${r.errors}: ${r.first_error}`;
  return r;
}

// ------------------------------------------------------------------ statistics and report

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

function fmt(v, unit) {
  if (!Number.isFinite(v)) return '–';
  if (unit === 'KB/conn') return v.toFixed(2);
  if (v >= 100000) return `${(v / 1000).toFixed(0)}k`;
  if (v >= 10000) return `${(v / 1000).toFixed(1)}k`;
  if (v >= 100) return v.toFixed(0);
  return v.toFixed(1);
}
const fmtRatio = (v) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '–');

function summarize(results) {
  const rows = [];
  for (const w of WORKLOADS) {
    const byImpl = results[w.id];
    if (!byImpl) continue;
    const row = { w, cells: {} };
    for (const impl of serversOf(w)) {
      const runs = byImpl[impl] || [];
      if (w.pending && w.pending[impl]) {
        row.cells[impl] = { pending: w.pending[impl] };
        continue;
      }
      const ok = runs.filter((r) => !r.failed);
      const vals = ok.map((r) => r.value);
      row.cells[impl] = {
        median: median(vals),
        min: Math.min(...vals),
        max: Math.max(...vals),
        cpu: median(ok.map((r) => r.server_cpu_us_per_msg).filter(Number.isFinite)),
        n: ok.length,
        failed: runs.length - ok.length,
        errors: runs.filter((r) => r.failed).map((r) => r.failed),
      };
    }
    const m = (impl) => (row.cells[impl] && !row.cells[impl].pending ? row.cells[impl].median : NaN);
    row.ratio = { ws: m('native') / m('ws'), faye: m('native') / m('faye'), tcp: m('native') / m('tcp') };
    row.fayeToWs = m('faye') / m('ws');
    row.met = w.target
      ? Object.entries(w.target).every(([k, t]) => (w.lower ? row.ratio[k] <= t : row.ratio[k] >= t))
      : null;
    if (!Object.keys(w.target || {}).every((k) => Number.isFinite(row.ratio[k]))) row.met = null;
    rows.push(row);
  }
  return rows;
}

function targetText(w) {
  const names = { ws: 'ws', faye: 'faye', tcp: 'raw net' };
  return Object.entries(w.target)
    .map(([k, t]) => (k === 'tcp' ? `≥ ${t * 100} % of raw net` : `${w.lower ? '≤' : '≥'} ${t}× ${names[k]}`))
    .join(', ');
}

function markdown(rows, mach, opts) {
  const servers = ['native', 'ws', 'faye', 'tcp'];
  const cell = (c, unit) => {
    if (!c) return '';
    if (c.pending) return 'pending';
    if (!c.n) return `failed (${c.failed})`;
    const range = c.n > 1 ? ` (${fmt(c.min, unit)}–${fmt(c.max, unit)})` : '';
    return `${fmt(c.median, unit)}${range}${c.failed ? ` ⚠ ${c.failed} failed` : ''}`;
  };
  const lines = [];
  const label = opts.quick
    ? `**Quick validation run** (\`npm run bench -- --quick\`: ${opts.rounds} rounds × ${opts.duration} s, ${opts.idleConns} idle connections): ` +
      "checks that every server and workload works; the figures are not the suite's results."
    : opts.custom
      ? `**Custom run** (\`node bench/run.js ${opts.custom}\`): ${opts.rounds} rounds × ${opts.duration} s; not the full suite.`
      : `Full run (\`npm run bench\`): ${opts.rounds} rounds × ${opts.duration} s per server and workload, interleaved.`;
  lines.push(label, '');
  lines.push(
    `Machine: ${mach.cpu}, ${mach.cores} cores, ${mach.memory_gb} GB; ${mach.os}; Node ${mach.node}; ${mach.rustc}; ` +
      `pinning: ${mach.pinning}; load average at start ${mach.loadavg_start}, at end ${mach.loadavg_end}; ` +
      `commit ${mach.commit}; ${mach.date}.`,
    ''
  );
  lines.push(
    `Median (min–max) over the rounds. ws is ${opts.versions.ws || 'ws'} with bufferutil ${opts.versions.bufferutil || '(missing!)'}; ` +
      `faye-websocket ${opts.versions.faye || ''}${opts.versions.pmd ? ` with permessage-deflate ${opts.versions.pmd} for the compression row` : ''}. ` +
      'MB/s counts payload bytes one way.',
    ''
  );
  lines.push(
    '| workload | unit | faye-websocket-native | ws + bufferutil | faye-websocket | raw net | native ÷ ws | native ÷ faye | faye ÷ ws | target | met |'
  );
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const extra = r.w.id.startsWith('echo') && r.cells.tcp ? ` (${fmtRatio(r.ratio.tcp)} of raw)` : '';
    lines.push(
      `| ${r.w.title} | ${r.w.unit}${r.w.lower ? ' (lower is better)' : ''} | ${servers
        .map((s) => cell(r.cells[s], r.w.unit))
        .join(
          ' | '
        )} | ${fmtRatio(r.ratio.ws)}${extra} | ${fmtRatio(r.ratio.faye)} | ${fmtRatio(r.fayeToWs)} | ${targetText(r.w)} | ${
        r.met === null ? (r.cells.native && r.cells.native.pending ? 'pending' : '–') : r.met ? 'yes' : 'no'
      } |`
    );
  }
  lines.push(
    '',
    'Server CPU time per message (µs; per handshake, per event; utime+stime of the server process over the measured window, median):',
    ''
  );
  lines.push(
    '| workload | faye-websocket-native | ws + bufferutil | faye-websocket | raw net |',
    '|---|---|---|---|---|'
  );
  for (const r of rows) {
    if (r.w.idle) continue;
    const c = (s) => {
      const x = r.cells[s];
      if (!x) return '';
      if (x.pending) return 'pending';
      return Number.isFinite(x.cpu) ? x.cpu.toFixed(2) : '–';
    };
    lines.push(`| ${r.w.title} | ${servers.map(c).join(' | ')} |`);
  }
  if (rows.some((r) => r.cells.baseline)) lines.push(abTable(rows));
  const failures = rows.flatMap((r) =>
    Object.entries(r.cells).flatMap(([s, c]) => (c.errors || []).map((e) => `- ${r.w.id} / ${s}: ${e}`))
  );
  if (failures.length) lines.push('', 'Failed runs (excluded from the medians):', '', ...failures);
  for (const r of rows) {
    if (r.cells.native && r.cells.native.pending)
      lines.push('', `${r.w.title}: faye-websocket-native ${r.cells.native.pending}.`);
  }
  lines.push('', `![ratio to ws](${path.relative(path.dirname(OUT), CHART).split(path.sep).join('/')})`);
  return lines.join('\n');
}

// A horizontal bar chart, one group per workload: each implementation's
// figure divided by ws's (for memory: ws ÷ it, so longer is better
// everywhere). EventSource has no ws: it is shown against faye-websocket.
function svgChart(rows, opts) {
  const bars = [];
  for (const r of rows) {
    const m = (s) => (r.cells[s] && !r.cells[s].pending ? r.cells[s].median : NaN);
    const base = r.w.servers.includes('ws') ? 'ws' : 'faye';
    const rel = (s) => (r.w.lower ? m(base) / m(s) : m(s) / m(base));
    const group = { label: r.w.short || r.w.title, base, items: [] };
    for (const s of ['native', 'faye', 'tcp']) {
      if (s === base || !r.w.servers.includes(s)) continue;
      if (r.w.idle && s === 'tcp') {
        group.items.push({ s, v: rel(s) });
        continue;
      }
      group.items.push({ s, v: rel(s), pending: r.cells[s] && r.cells[s].pending });
    }
    bars.push(group);
  }
  const colors = { native: '#d9480f', faye: '#5c7cfa', tcp: '#868e96' };
  const all = bars.flatMap((g) => g.items.map((i) => i.v)).filter(Number.isFinite);
  const maxV = Math.max(1.5, ...all) * 1.1;
  const W = 860;
  const left = 200;
  const plotW = W - left - 70;
  const barH = 16;
  let y = 60;
  const parts = [];
  const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const x = (v) => left + (v / maxV) * plotW;
  for (const g of bars) {
    const gh = g.items.length * (barH + 4) + 14;
    parts.push(`<text x="${left - 8}" y="${y + gh / 2}" text-anchor="end" font-size="12">${esc(g.label)}</text>`);
    if (g.base !== 'ws')
      parts.push(
        `<text x="${left - 8}" y="${y + gh / 2 + 14}" text-anchor="end" font-size="10" fill="#555">(÷ faye: ws has none)</text>`
      );
    let by = y + 4;
    for (const it of g.items) {
      if (it.pending || !Number.isFinite(it.v)) {
        parts.push(
          `<text x="${left + 4}" y="${by + barH - 4}" font-size="11" fill="${colors[it.s]}">${esc(NAMES[it.s])}: ${it.pending ? 'pending' : 'no figure'}</text>`
        );
      } else {
        parts.push(
          `<rect x="${left}" y="${by}" width="${(x(it.v) - left).toFixed(1)}" height="${barH}" fill="${colors[it.s]}"/>`
        );
        parts.push(
          `<text x="${(x(it.v) + 4).toFixed(1)}" y="${by + barH - 4}" font-size="11">${it.v.toFixed(2)}×</text>`
        );
      }
      by += barH + 4;
    }
    y += gh + 6;
  }
  const H = y + 30;
  const axis = [];
  for (let v = 0; v <= maxV; v += maxV > 6 ? 1 : 0.5) {
    axis.push(`<line x1="${x(v).toFixed(1)}" y1="50" x2="${x(v).toFixed(1)}" y2="${y}" stroke="#eee"/>`);
    axis.push(
      `<text x="${x(v).toFixed(1)}" y="${y + 14}" text-anchor="middle" font-size="10" fill="#555">${v}×</text>`
    );
  }
  const legend = Object.entries(colors)
    .map(
      ([s, c], i) =>
        `<rect x="${left + i * 190}" y="30" width="12" height="12" fill="${c}"/><text x="${left + i * 190 + 16}" y="40" font-size="12">${esc(NAMES[s])}</text>`
    )
    .join('');
  const title = `Ratio to ws (1× = ws; memory: ws ÷ server; longer is better)${opts.quick ? ' — quick validation run' : ''}`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
<text x="10" y="18" font-size="14" font-weight="bold">${esc(title)}</text>
${legend}
${axis.join('\n')}
<line x1="${x(1).toFixed(1)}" y1="50" x2="${x(1).toFixed(1)}" y2="${y}" stroke="#000" stroke-dasharray="4 3"/>
${parts.join('\n')}
</svg>
`;
}

function writeMarkdown(table) {
  const START = '<!-- bench:results:start (written by bench/run.js) -->';
  const END = '<!-- bench:results:end -->';
  let text = fs.existsSync(OUT)
    ? fs.readFileSync(OUT, 'utf8')
    : '# Benchmarks\n\nWritten by `npm run bench` (bench/run.js); see bench/README.md for the method.\n\n';
  const block = `${START}\n${table}\n${END}`;
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a >= 0 && b > a) text = text.slice(0, a) + block + text.slice(b + END.length);
  else text = text.trimEnd() + '\n\n' + block + '\n';
  fs.writeFileSync(OUT, text);
}

// ------------------------------------------------------------------ baseline (--baseline REV)

let baselineDir = null;

// The package's files at REV, with its addon built from them, in a cache directory keyed by the commit.
function prepareBaseline(rev) {
  const commit = execFileSync('git', ['-C', root, 'rev-parse', '--verify', `${rev}^{commit}`], {
    encoding: 'utf8',
  }).trim();
  const cache = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'faye-websocket-native');
  const dir = path.join(cache, `bench-baseline-${commit.slice(0, 12)}`);
  const { platformSuffix } = require('../lib/platform');
  const addon = path.join(dir, `faye-websocket-native.${platformSuffix()}.node`);
  if (fs.existsSync(addon)) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  console.error(`baseline ${rev} (${commit.slice(0, 12)}): unpacking into ${dir} and building its addon`);
  execFileSync('sh', ['-c', `git -C "$1" archive "$2" | tar -x -C "$3"`, 'sh', root, commit, dir], {
    stdio: 'inherit',
  });
  const cargo = spawnSync('cargo', ['build', '--release', '--lib'], { cwd: dir, stdio: 'inherit' });
  if (cargo.status !== 0) throw new Error(`cargo build failed for the baseline ${rev}`);
  fs.copyFileSync(path.join(dir, 'target', 'release', 'libfaye_websocket_native.so'), addon);
  fs.rmSync(path.join(dir, 'target'), { recursive: true, force: true });
  return dir;
}

// The servers of a workload: with --baseline, the baseline runs right after this tree's package.
function serversOf(w) {
  return BASELINE ? w.servers.flatMap((s) => (s === 'native' ? ['native', 'baseline'] : [s])) : w.servers;
}

// This tree ÷ baseline per workload: the figure (higher is better unless `lower`) and server CPU per message.
function abTable(rows) {
  const lines = [
    '',
    `A/B against ${NAMES.baseline} (same run, interleaved): this tree ÷ baseline, medians; a CPU ratio above 1 is slower.`,
    '',
    '| workload | figure ÷ baseline | server CPU per message ÷ baseline |',
    '|---|---|---|',
  ];
  for (const r of rows) {
    const a = r.cells.native;
    const b = r.cells.baseline;
    if (!a || !b) continue;
    const cpu = r.w.idle ? '–' : fmtRatio(a.cpu / b.cpu);
    lines.push(`| ${r.w.title} | ${fmtRatio(a.median / b.median)}${r.w.lower ? ' (lower is better)' : ''} | ${cpu} |`);
  }
  return lines.join('\n');
}

// ------------------------------------------------------------------ main

function report(results, mach, opts) {
  const rows = summarize(results);
  const table = markdown(rows, mach, opts);
  console.log(table);
  if (!flag('--no-write')) {
    writeMarkdown(table);
    fs.writeFileSync(CHART, svgChart(rows, opts));
    console.error(`wrote ${path.relative(root, OUT)} and ${path.relative(root, CHART)}`);
  }
  return rows;
}

async function main() {
  if (opt('--from', null)) {
    // Re-render the report from a saved results file, measuring nothing.
    const saved = JSON.parse(fs.readFileSync(opt('--from'), 'utf8'));
    report(saved.results, saved.machine, saved.opts);
    return;
  }
  if (process.platform !== 'linux') throw new Error('the runner reads /proc: Linux only');
  if (!flag('--no-build')) {
    console.error('building the load generator: cargo build --release (bench/loadgen)');
    const b = spawnSync('cargo', ['build', '--release'], { cwd: LOADGEN_DIR, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('cargo build --release failed in bench/loadgen');
  }
  if (!fs.existsSync(LOADGEN)) throw new Error(`no load generator at ${LOADGEN}`);
  try {
    require('../lib/binding');
  } catch (e) {
    throw new Error(`the addon does not load (run npm install or npm run build): ${e.message}`, { cause: e });
  }

  if (BASELINE) baselineDir = prepareBaseline(BASELINE);
  const only = opt('--only', null);
  const serversOnly = opt('--servers', null);
  const workloads = WORKLOADS.filter((w) => !only || only.split(',').includes(w.id));
  const mach = machine();
  if (IDLE_CONNS + 1024 > HARD_NOFILE)
    console.error(`warning: hard open-files limit ${HARD_NOFILE} is below ${IDLE_CONNS + 1024}`);
  console.error(`machine: ${JSON.stringify(mach)}`);
  console.error(`rounds ${ROUNDS}, warm-up ${WARMUP} s, measured ${DURATION} s, idle connections ${IDLE_CONNS}`);
  const started = Date.now();
  const results = {};
  const versions = {};
  for (const w of workloads) {
    results[w.id] = {};
    const servers = serversOf(w).filter((s) => !serversOnly || serversOnly.split(',').includes(s));
    for (let round = 1; round <= ROUNDS; round += 1) {
      for (const impl of servers) {
        if (w.pending && w.pending[impl]) continue;
        let r;
        try {
          r = await measure(w, impl, mach);
        } catch (e) {
          r = { failed: e.message };
        }
        (results[w.id][impl] = results[w.id][impl] || []).push(r);
        const shown = r.failed
          ? `FAILED ${r.failed}`
          : `${fmt(r.value, w.unit)} ${w.unit}` +
            (Number.isFinite(r.server_cpu_us_per_msg)
              ? `, server ${r.server_cpu_us_per_msg.toFixed(2)} µs cpu/msg (${(r.server_cpu_share * 100).toFixed(0)} % of a core), loadgen ${r.client_cpu_s} s cpu`
              : '') +
            (w.idle
              ? ` (RSS ${r.rss_before_kb} → ${r.rss_after_kb} kB, ${r.opened} conns in ${r.open_seconds} s)`
              : '');
        console.error(`[${((Date.now() - started) / 1000).toFixed(0)} s] ${w.id} round ${round} ${impl}: ${shown}`);
      }
    }
  }
  // Versions as the servers report them.
  versions.ws = `ws ${require('ws/package.json').version}`;
  try {
    versions.bufferutil = require('bufferutil/package.json').version;
  } catch {}
  versions.faye = require('faye-websocket/package.json').version;
  try {
    versions.pmd = require('permessage-deflate/package.json').version;
  } catch {}
  mach.loadavg_end = os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
  mach.total_seconds = Math.round((Date.now() - started) / 1000);

  const custom = ['--rounds', '--duration', '--warmup', '--only', '--servers', '--idle-conns', '--baseline'].some(flag)
    ? argv.join(' ')
    : null;
  const opts = { quick, custom, rounds: ROUNDS, duration: DURATION, idleConns: IDLE_CONNS, versions };
  const resultsDir = path.join(__dirname, 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(
    path.join(resultsDir, `${quick ? 'quick' : 'full'}-latest.json`),
    JSON.stringify({ machine: mach, opts, results }, null, 1)
  );
  const rows = report(results, mach, opts);
  console.error(`done in ${mach.total_seconds} s`);
  const anyFailed = rows.some((r) => Object.values(r.cells).some((c) => c.failed));
  process.exitCode = anyFailed ? 1 : 0;
}

main().catch((e) => {
  console.error(`bench: ${e.message}`);
  killAll();
  process.exit(1);
});
