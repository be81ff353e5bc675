'use strict';

// Runs every cargo-fuzz target in fuzz/ (see fuzz/README.md), one after the
// other, one job each, with memory bounded: libFuzzer fails a run whose RSS
// passes RSS_LIMIT_MB or that asks for more than MALLOC_LIMIT_MB in one
// allocation (the frame reader must refuse an announced length before it
// allocates). The saved corpus, fuzz/corpus/<target>/, is only read: new
// inputs go to fuzz/corpus-local/<target>/ (ignored by git; CI uses a
// temporary directory instead), and a crash to fuzz/artifacts/<target>/.
//
//   node scripts/fuzz.js [--minutes N] [--ci] [target...]
//
//   --minutes N  time per target (default 5; `npm run fuzz`)
//   --ci         CI_SECONDS per target on the saved corpus (`npm run fuzz:ci`)
//   target...    only these targets (default: every one in fuzz/Cargo.toml)
//
// Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). On a stable
// toolchain libFuzzer runs without a sanitizer (`--sanitizer none`); with
// FUZZ_TOOLCHAIN=nightly it runs under AddressSanitizer.
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const FUZZ_DIR = path.join(__dirname, '..', 'fuzz');
const CI_SECONDS = 10;
const RSS_LIMIT_MB = 2048;
// Above the 64 MiB maxLength a message may legitimately fill (in the deflate
// targets, inflated), far below an announced 2^53-byte frame.
const MALLOC_LIMIT_MB = 256;
// A single input taking longer than this is a hang (a quadratic parser).
const TIMEOUT_SECONDS = 10;

function targets() {
  const manifest = fs.readFileSync(path.join(FUZZ_DIR, 'Cargo.toml'), 'utf8');
  return [...manifest.matchAll(/^\[\[bin\]\]\nname = "([^"]+)"/gm)].map((m) => m[1]);
}

function parseArgs(argv) {
  const opts = { minutes: 5, ci: false, only: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--ci') opts.ci = true;
    else if (argv[i] === '--minutes') opts.minutes = Number(argv[++i]);
    else if (!argv[i].startsWith('--')) opts.only.push(argv[i]);
    else throw new Error(`unknown argument ${argv[i]}; use --minutes N, --ci or target names`);
  }
  if (!(opts.minutes > 0)) throw new Error('--minutes needs a positive number');
  const all = targets();
  for (const name of opts.only) if (!all.includes(name)) throw new Error(`no fuzz target ${name}: ${all.join(' ')}`);
  opts.targets = opts.only.length ? opts.only : all;
  return opts;
}

// `cargo fuzz run` with the toolchain's sanitizer, writing new inputs to the
// first corpus directory; returns the exit status.
function run(target, seconds, corpora) {
  const toolchain = process.env.FUZZ_TOOLCHAIN;
  const args = [
    ...(toolchain ? [`+${toolchain}`] : []),
    'fuzz',
    'run',
    ...(toolchain === 'nightly' ? [] : ['--sanitizer', 'none']),
    target,
    ...corpora,
    '--',
    `-max_total_time=${seconds}`,
    `-rss_limit_mb=${RSS_LIMIT_MB}`,
    `-malloc_limit_mb=${MALLOC_LIMIT_MB}`,
    `-timeout=${TIMEOUT_SECONDS}`,
    '-max_len=65536',
    '-jobs=1',
    '-workers=1',
    '-print_final_stats=1',
  ];
  console.log(`fuzz: cargo ${args.join(' ')}`);
  const result = spawnSync('cargo', args, { cwd: FUZZ_DIR, stdio: 'inherit' });
  if (result.error) throw new Error(`cannot run cargo: ${result.error.message}`);
  return result.status ?? 1;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const seconds = opts.ci ? CI_SECONDS : Math.round(opts.minutes * 60);
  const failed = [];
  for (const target of opts.targets) {
    const saved = path.join(FUZZ_DIR, 'corpus', target);
    const found = opts.ci
      ? fs.mkdtempSync(path.join(os.tmpdir(), `fuzz-${target}-`))
      : path.join(FUZZ_DIR, 'corpus-local', target);
    fs.mkdirSync(found, { recursive: true });
    const started = Date.now();
    const status = run(target, seconds, [found, saved]);
    console.log(`fuzz: ${target}: exit ${status} after ${((Date.now() - started) / 1000).toFixed(0)} s`);
    if (opts.ci) fs.rmSync(found, { recursive: true, force: true });
    if (status !== 0) failed.push(target);
  }
  if (failed.length) {
    console.error(`fuzz: failed: ${failed.join(' ')} (inputs in fuzz/artifacts/<target>/)`);
    process.exit(1);
  }
  console.log(`fuzz: ${opts.targets.length} target(s), ${seconds} s each, no failure`);
}

try {
  main();
} catch (err) {
  console.error(`fuzz: ${err.message}`);
  process.exit(1);
}
