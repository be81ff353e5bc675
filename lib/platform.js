'use strict';

// The napi-rs platform suffix of this process: `linux-x64-gnu`, `darwin-arm64`,
// `win32-x64-msvc`, … It names both the local build output
// (`faye-websocket-native.<suffix>.node`) and the prebuilt package
// (`faye-websocket-native-<suffix>`).
function platformSuffix() {
  const { platform, arch } = process;
  if (platform === 'linux') return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`;
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

function isMusl() {
  const report = process.report && process.report.getReport();
  const header = report && (typeof report === 'string' ? JSON.parse(report) : report).header;
  return !(header && header.glibcVersionRuntime);
}

module.exports = { platformSuffix };
