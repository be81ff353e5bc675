'use strict';
// @ts-check

// A message, ping payload or close reason as bytes, as websocket-driver
// converts them: a Buffer as it is, anything else as the UTF-8 of its
// String().
function toBytes(value) {
  return Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8');
}

module.exports = { toBytes };
