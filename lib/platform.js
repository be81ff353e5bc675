'use strict';
// @ts-check

// The napi-rs platform suffix of this process: `linux-x64-gnu`, `darwin-arm64`,
// `win32-x64-msvc`, … It names both the local build output
// (`faye-websocket-native.<suffix>.node`) and the prebuilt package
// (`faye-websocket-native-<suffix>`), one per entry of package.json's
// `napi.targets`.
const fs = require('fs');

function platformSuffix() {
  const { platform, arch } = process;
  if (platform === 'linux') return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`;
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

// glibc or musl, asked the way napi-rs's generated loader asks: the ldd
// script names its libc; failing that, the process report (slower: it walks
// the loaded libraries, so network details are left out of it).
function isMusl() {
  try {
    return fs.readFileSync('/usr/bin/ldd', 'utf8').includes('musl');
  } catch {
    return isMuslFromReport();
  }
}

function isMuslFromReport() {
  const reporter = /** @type {NodeJS.ProcessReport & { excludeNetwork?: boolean } | undefined} */ (process.report);
  if (!reporter || typeof reporter.getReport !== 'function') return false;
  reporter.excludeNetwork = true;
  const report = /** @type {{ header?: { glibcVersionRuntime?: string }, sharedObjects?: string[] }} */ (
    reporter.getReport()
  );
  if (report.header && report.header.glibcVersionRuntime) return false;
  const libraries = Array.isArray(report.sharedObjects) ? report.sharedObjects : [];
  return libraries.some((file) => file.includes('libc.musl-') || file.includes('ld-musl-'));
}

module.exports = { platformSuffix };
