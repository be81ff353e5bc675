'use strict';

// The Rust targets the project ships prebuilt addons for (package.json's
// `napi.targets`), and for each the napi-rs platform suffix that names its npm
// package (`npm/<suffix>/`, published as `faye-websocket-native-<suffix>`)
// and its addon file (`faye-websocket-native.<suffix>.node`).
const pkg = require('../package.json');

const ARCH = { x86_64: 'x64', aarch64: 'arm64' };

function suffixOf(triple) {
  const [arch, , os, abi] = triple.split('-');
  const nodeArch = ARCH[arch];
  if (!nodeArch) throw new Error(`unknown architecture in target ${triple}`);
  if (os === 'linux') return `linux-${nodeArch}-${abi}`;
  if (os === 'darwin') return `darwin-${nodeArch}`;
  if (os === 'windows') return `win32-${nodeArch}-${abi}`;
  throw new Error(`unknown operating system in target ${triple}`);
}

// The file cargo writes for the cdylib on the operating system a suffix names.
function cargoLibraryName(suffix) {
  const base = pkg.name.replace(/-/g, '_');
  if (suffix.startsWith('win32-')) return `${base}.dll`;
  if (suffix.startsWith('darwin-')) return `lib${base}.dylib`;
  return `lib${base}.so`;
}

const TARGETS = pkg.napi.targets.map((triple) => ({ triple, suffix: suffixOf(triple) }));

module.exports = {
  TARGETS,
  suffixOf,
  cargoLibraryName,
  addonFileName: (suffix) => `${pkg.napi.binaryName}.${suffix}.node`,
};
