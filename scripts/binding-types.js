#!/usr/bin/env node
'use strict';

// Generates lib/binding.d.ts, the declarations of the native addon that
// `tsc -p .` checks lib/ against, from the `#[napi]` items themselves.
//
//   node scripts/binding-types.js          writes lib/binding.d.ts
//   node scripts/binding-types.js --check  fails when it differs from what
//                                          the Rust source generates (npm run lint)
//
// napi-derive (its default `type-def` feature) appends one JSON line per
// `#[napi]` item to `$NAPI_TYPE_DEF_TMP_FOLDER/<crate name>` while it
// expands the crate, as napi-rs's CLI has it do (the CLI then renders them
// in its processTypeDefs). It only writes when the crate is compiled again:
// napi-build makes the build script rerun when NAPI_FORCE_BUILD_<CRATE>
// changes, which is how the CLI forces it. `cargo check` expands the macros
// as a build does, without codegen; it uses a target directory of its own
// so the builds and tests keep their caches.

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const root = path.join(__dirname, '..');
const CRATE = 'faye-websocket-native';
const OUTPUT = path.join(root, 'lib', 'binding.d.ts');

const HEADER = `// The native addon as lib/ uses it: what \`require('./binding')\` returns.
// Generated from the \`#[napi]\` items of src/bindings/ by
// scripts/binding-types.js; do not edit (npm run lint checks it is current).
`;

function intermediateLines() {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'binding-types-'));
  try {
    const env = {
      ...process.env,
      NAPI_TYPE_DEF_TMP_FOLDER: folder,
      [`NAPI_FORCE_BUILD_${CRATE.replace(/-/g, '_').toUpperCase()}`]: String(Date.now()),
      CARGO_TARGET_DIR: path.join(root, 'target', 'binding-types'),
    };
    const cargo = spawnSync('cargo', ['check', '--lib', '--locked', '--quiet'], { cwd: root, env, stdio: 'inherit' });
    if (cargo.status !== 0) throw new Error(`cargo check failed (${cargo.error ? cargo.error.message : cargo.status})`);
    const text = fs.readFileSync(path.join(folder, CRATE), 'utf8');
    return text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line));
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

// The items by kind (constants, object types, classes with their methods
// from every `#[napi] impl` block, functions), each kind in the source's
// order, which keeps a doc comment that names a group before the group.
function render(defs) {
  const of = (kind) => defs.filter((def) => def.kind === kind);
  const methods = new Map();
  for (const def of defs.filter((d) => d.kind === 'impl')) {
    methods.set(def.name, [...(methods.get(def.name) || []), def.def]);
  }
  const known = new Set(['const', 'interface', 'struct', 'impl', 'fn']);
  const unknown = defs.filter((def) => !known.has(def.kind));
  if (unknown.length > 0) throw new Error(`no rendering for ${unknown.map((d) => `${d.kind} ${d.name}`).join(', ')}`);

  const parts = [
    ...of('const').map((def) => def.js_doc + def.def + ';'),
    ...of('interface').map((def) => `${def.js_doc}export interface ${def.name} {\n${def.def}\n}`),
    ...of('struct').map(
      (def) => `${def.js_doc}export declare class ${def.name} {\n${(methods.get(def.name) || []).join('\n')}\n}`
    ),
    ...of('fn').map((def) => `${def.js_doc}export declare ${def.def};`),
  ];
  return HEADER + '\n' + parts.join('\n\n') + '\n';
}

async function generate() {
  const prettier = require('prettier');
  const options = (await prettier.resolveConfig(OUTPUT)) || {};
  return prettier.format(render(intermediateLines()), { ...options, filepath: OUTPUT });
}

async function main() {
  const check = process.argv.includes('--check');
  const generated = await generate();
  if (!check) {
    fs.writeFileSync(OUTPUT, generated);
    console.log(`wrote ${path.relative(process.cwd(), OUTPUT)}`);
    return;
  }
  const committed = fs.existsSync(OUTPUT) ? fs.readFileSync(OUTPUT, 'utf8') : '';
  if (committed !== generated) {
    console.error(
      `${path.relative(process.cwd(), OUTPUT)} differs from the #[napi] items: run node scripts/binding-types.js`
    );
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(`binding-types: ${error.message}`);
  process.exitCode = 1;
});
