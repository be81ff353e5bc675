#!/usr/bin/env node
'use strict';

// The release steps after the per-platform builds (`npm run build:platform -- <target>`), as the release
// workflow (.github/workflows/release.yml) runs them; CI runs `pack` to install the tarballs as a user would.
//
//   node scripts/release.js collect DIR         move the addons the build jobs uploaded (anywhere below DIR)
//                                               into their npm/<suffix>/ folders
//   node scripts/release.js pack DIR [--only a,b]
//                                               pack the per-platform packages that hold an addon (all of
//                                               them unless --only names suffixes) and the root into DIR, each
//                                               at the root's version; the root's package.json there lists
//                                               every platform package in optionalDependencies, at that exact
//                                               version. The repository's own package.json is not changed.
//   node scripts/release.js publish DIR [--dry-run]
//                                               publish DIR's platform tarballs, then the root's, with
//                                               provenance (npm's trusted publishing: no token)
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { TARGETS, addonFileName } = require('../lib/targets');

const root = path.join(__dirname, '..');
const rootPackage = require('../package.json');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
// What each platform package takes over from the root's package.json.
const INHERITED_FIELDS = ['version', 'description', 'homepage', 'bugs', 'repository', 'license', 'engines'];

const platformPackageName = (suffix) => `${rootPackage.name}-${suffix}`;

function filesBelow(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath || entry.path, entry.name));
}

function collect(artifactsDir) {
  const found = new Map(filesBelow(artifactsDir).map((file) => [path.basename(file), file]));
  for (const { suffix } of TARGETS) {
    const file = found.get(addonFileName(suffix));
    if (!file) throw new Error(`no ${addonFileName(suffix)} below ${artifactsDir}`);
    fs.renameSync(file, path.join(root, 'npm', suffix, addonFileName(suffix)));
    console.log(`npm/${suffix}/${addonFileName(suffix)}`);
  }
}

function npmPack(dir, outDir) {
  const [result] = JSON.parse(
    execFileSync(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', outDir], {
      cwd: dir,
      encoding: 'utf8',
    })
  );
  return path.join(outDir, result.filename);
}

function writeJson(file, value) {
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

// A copy of npm/<suffix>/ with the root's version and metadata, packed.
function packPlatform(suffix, stageDir, outDir) {
  const source = path.join(root, 'npm', suffix);
  const stage = path.join(stageDir, suffix);
  fs.cpSync(source, stage, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(source, 'package.json'), 'utf8'));
  for (const field of INHERITED_FIELDS) manifest[field] = rootPackage[field];
  writeJson(path.join(stage, 'package.json'), manifest);
  return npmPack(stage, outDir);
}

// The root's published files (as `npm pack` picks them), with optionalDependencies added, packed.
function packRoot(stageDir, outDir) {
  const [listing] = JSON.parse(
    execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' })
  );
  const stage = path.join(stageDir, 'root');
  for (const { path: file } of listing.files) {
    fs.mkdirSync(path.dirname(path.join(stage, file)), { recursive: true });
    fs.copyFileSync(path.join(root, file), path.join(stage, file));
  }
  const optionalDependencies = Object.fromEntries(
    TARGETS.map(({ suffix }) => [platformPackageName(suffix), rootPackage.version])
  );
  writeJson(path.join(stage, 'package.json'), { ...rootPackage, optionalDependencies });
  return npmPack(stage, outDir);
}

function pack(outDir, only) {
  fs.mkdirSync(outDir, { recursive: true });
  const stageDir = fs.mkdtempSync(path.join(outDir, '.stage-'));
  try {
    const suffixes = only || TARGETS.map(({ suffix }) => suffix);
    for (const suffix of suffixes) {
      if (!fs.existsSync(path.join(root, 'npm', suffix, addonFileName(suffix)))) {
        throw new Error(`npm/${suffix} holds no addon: run \`npm run build:platform -- <target>\` (or collect) first`);
      }
      console.log(packPlatform(suffix, stageDir, outDir));
    }
    console.log(packRoot(stageDir, outDir));
  } finally {
    fs.rmSync(stageDir, { recursive: true, force: true });
  }
}

function publish(dir, dryRun) {
  const tarballs = fs.readdirSync(dir).filter((name) => name.endsWith('.tgz'));
  const rootTarball = `${rootPackage.name}-${rootPackage.version}.tgz`;
  if (!tarballs.includes(rootTarball)) throw new Error(`no ${rootTarball} in ${dir}`);
  // The platform packages first: once the root is out, installs look for them.
  const ordered = [...tarballs.filter((name) => name !== rootTarball), rootTarball];
  for (const name of ordered) {
    const args = [
      'publish',
      path.join(dir, name),
      '--access',
      'public',
      '--provenance',
      ...(dryRun ? ['--dry-run'] : []),
    ];
    console.log(`$ npm ${args.join(' ')}`);
    execFileSync(npm, args, { stdio: 'inherit' });
  }
}

function main([command, dir, ...rest]) {
  const onlyIndex = rest.indexOf('--only');
  if (command === 'collect' && dir) return collect(dir);
  if (command === 'pack' && dir) return pack(path.resolve(dir), onlyIndex >= 0 ? rest[onlyIndex + 1].split(',') : null);
  if (command === 'publish' && dir) return publish(dir, rest.includes('--dry-run'));
  console.error('usage: node scripts/release.js collect DIR | pack DIR [--only suffix,…] | publish DIR [--dry-run]');
  process.exitCode = 2;
}

main(process.argv.slice(2));
