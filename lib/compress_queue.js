'use strict';
// @ts-check

// Messages compressed off the JS thread (native permessage-deflate, no JS
// extensions), as ws's sender.js owns its compression queue. A message at
// least OFF_THREAD_MIN long is compressed on libuv's thread pool; the
// compressor goes with it, so every message sent after it, and a close(),
// waits behind it in order.
//
// The state lives on the Connection, in fields its constructor initialises
// (see connection.js), and only this file writes it, except that
// connection.js sets `_deflate` at open and zeroes `_compressingBytes` at
// close:
//
//   _deflate          native permessage-deflate is active
//   _compressQueue    [{data, isBinary, size}], the head being compressed;
//                     null when nothing waits
//   _compressingBytes their bytes, for bufferedAmount and backpressure
//   _closeAfterQueue  [code, reason bytes] of a close() made meanwhile

/** @typedef {import('./connection').Connection} Connection */

const outbox = require('./outbox');
const { scheduleFlush } = require('./flush_queue');
const { CLOSED, SEND_REFUSED } = require('./contract');

// Messages at least this long are compressed on libuv's thread pool instead
// of the JS thread (README, Compression: 64 KiB takes 0.25-1.7 ms at the
// default level, a thread hop 20-50 us).
const OFF_THREAD_MIN = 64 * 1024;

// `send` for a large message, or any message while the queue is not empty.
/** @param {Connection} conn */
function sendCompressed(conn, data) {
  const isBinary = Buffer.isBuffer(data);
  if (!isBinary) data = String(data);
  const size = isBinary ? data.length : Buffer.byteLength(data, 'utf8');
  conn._compressingBytes += size;
  const queue = (conn._compressQueue = conn._compressQueue || []);
  queue.push({ data, isBinary, size });
  if (queue.length === 1) compressNext(conn);
  return !outbox.isFull(conn);
}

// `close` while messages wait: the close frame follows them.
/** @param {Connection} conn */
function closeAfterQueue(conn, code, reason) {
  conn._closeAfterQueue = conn._closeAfterQueue || [code, reason];
}

// Sends the messages at the head of the queue, up to the next one to
// compress off-thread; once the queue is empty, the waiting close.
/** @param {Connection} conn */
function compressNext(conn) {
  const session = conn._session;
  const queue = conn._compressQueue;
  while (queue.length > 0 && conn.readyState !== CLOSED) {
    const item = queue[0];
    if (item.size >= OFF_THREAD_MIN) {
      const payload = item.isBinary ? item.data : Buffer.from(item.data, 'utf8');
      const job = session.compressJob(payload);
      if (job) {
        job.run().then(
          (result) => compressed(conn, item, result),
          (error) => conn._internalError(error)
        );
        return;
      }
    }
    queue.shift();
    conn._compressingBytes -= item.size;
    const accepted = item.isBinary ? session.sendBinary(item.data) : session.sendText(item.data, item.data.length);
    if (accepted !== SEND_REFUSED) outbox.count(conn, item.size);
  }
  conn._compressQueue = null;
  conn._compressingBytes = 0;
  const close = conn._closeAfterQueue;
  conn._closeAfterQueue = null;
  if (close && conn.readyState !== CLOSED) session.close(close[0], close[1]);
  scheduleFlush(conn);
}

// The head of the queue came back compressed (with the compressor).
/** @param {Connection} conn */
function compressed(conn, item, result) {
  const queue = conn._compressQueue;
  if (!queue || conn.readyState === CLOSED) return;
  queue.shift();
  conn._compressingBytes -= item.size;
  if (conn._session.sendCompressed(result, item.isBinary)) outbox.count(conn, item.size);
  compressNext(conn);
}

module.exports = { OFF_THREAD_MIN, sendCompressed, closeAfterQueue };
