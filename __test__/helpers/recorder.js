'use strict';
// Records every event of a server-side socket, in order, as plain values that
// can be compared with deepStrictEqual between faye-websocket and ours.

const crypto = require('crypto');
const sha1 = (b) => crypto.createHash('sha1').update(b).digest('hex');

// Large payloads are summarised (length + sha1) so failures stay readable.
function plainData(data) {
  if (Buffer.isBuffer(data)) {
    return data.length <= 64
      ? { binary: true, hex: data.toString('hex') }
      : { binary: true, length: data.length, sha1: sha1(data) };
  }
  if (typeof data === 'string')
    return data.length <= 128 ? data : { text: true, length: data.length, sha1: sha1(data) };
  // anything else is reported as-is with its type, so a mismatch is visible
  return { other: Object.prototype.toString.call(data), value: String(data) };
}

/**
 * record(ws) → log (an array). log.closed is a promise resolved on `close`.
 * log.note(obj) appends a test's own entry (e.g. a method's return value).
 */
function record(ws) {
  const log = [];
  let onClose;
  // non-enumerable, so two logs still compare with deepStrictEqual
  Object.defineProperty(log, 'closed', {
    value: new Promise((r) => {
      onClose = r;
    }),
  });
  const rs = () => ws.readyState;
  ws.on('open', (e) => log.push({ event: 'open', protocol: ws.protocol, readyState: rs(), type: e && e.type }));
  ws.on('message', (e) => log.push({ event: 'message', data: plainData(e.data), readyState: rs() }));
  ws.on('error', (e) => log.push({ event: 'error', message: e && e.message, readyState: rs() }));
  ws.on('close', (e) => {
    log.push({ event: 'close', code: e && e.code, reason: e && e.reason, readyState: rs() });
    onClose(log);
  });
  ws.on('data', (d) => log.push({ event: 'data', data: plainData(d), readyState: rs() }));
  ws.on('end', () => log.push({ event: 'end', readyState: rs() }));
  Object.defineProperty(log, 'note', { value: (o) => log.push({ note: o }) });
  return log;
}

module.exports = { record, plainData };
