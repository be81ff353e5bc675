'use strict';
// @ts-check

// A connection's outgoing bytes between `send` and the socket: what the
// native session holds in its output, the large payloads that skip that
// output, and what the socket has been handed but not yet written.
//
// The state lives on the Connection, in fields its constructor initialises
// (V8 lays those out inside the object; see connection.js; `_writeBlocked`
// is first set here, as before the split), and only this file writes it:
//
//   _queuedBytes   accepted by the session, still in its output
//   _writingBytes  handed to the socket, not yet written
//   _directChunks  [offset, payload, offset, payload, …]: large payloads
//                  written straight to the socket, each at `offset` of the
//                  native output (the length of the output once its frame
//                  header was queued). The offsets hold only while nothing
//                  but `flush` takes the output, hence only once open.
//   _writeBlocked  the socket's buffer is over its high-water mark (set by
//                  `flush`, cleared on 'drain'); connection.js reads it
//
// Functions take the connection rather than being methods of an object of
// their own: one more object per connection costs memory, and one more
// property load per message on the send path.

/** @typedef {import('./connection').Connection} Connection */

const { scheduleFlush } = require('./flush_queue');
const { OPEN, CLOSED } = require('./contract');

// Payloads at least this long go to the socket as they are, after a header
// frame, instead of being copied into the session's output (server only,
// and not with permessage-deflate: `beginBinary` returns null otherwise).
const DIRECT_WRITE_MIN = 16 * 1024;

// `bytes` went into the session's output: counted, and written on the next
// tick with everything else queued in this one.
/** @param {Connection} conn */
function queue(conn, bytes) {
  conn._queuedBytes += bytes;
  scheduleFlush(conn);
}

// Counted only: the caller schedules the flush when its batch is done.
/** @param {Connection} conn */
function count(conn, bytes) {
  conn._queuedBytes += bytes;
}

// `session.sendBinary`, except that a large payload is not copied: the
// session queues the frame header and the payload is written after the
// output up to that point. Returns what `sendBinary` would.
/**
 * @param {Connection} conn
 * @param {import('./binding').NativeSession} session
 * @param {Buffer} data
 */
function sendBinary(conn, session, data) {
  const end = data.length >= DIRECT_WRITE_MIN && conn.readyState === OPEN ? session.beginBinary(data.length) : null;
  if (end === null) return session.sendBinary(data);
  (conn._directChunks = conn._directChunks || []).push(end, data);
  return data.length;
}

// Whether `send` should answer false: the socket's buffer plus what is still
// to reach it (here or in the compression queue) is at its high-water mark.
/** @param {Connection} conn */
function isFull(conn) {
  const socket = conn._stream;
  const queued = conn._queuedBytes + conn._compressingBytes;
  return conn._writeBlocked || socket.writableLength + queued >= socket.writableHighWaterMark;
}

// `bufferedAmount`'s share: bytes not yet written to the socket.
/** @param {Connection} conn */
function unwritten(conn) {
  return conn._queuedBytes + conn._writingBytes;
}

// Writes everything queued so far in one socket write (or one corked batch
// when large payloads go out directly).
/** @param {Connection} conn */
function flush(conn) {
  const session = conn._session;
  const socket = conn._stream;
  if (!session || conn._outputHeld() || conn.readyState === CLOSED) return;

  const length = session.outputLength();
  const chunks = conn._directChunks;
  if (length === 0 && !chunks) return;
  let output = null;
  if (length > 0) {
    // Small buffers come from Node's pool: cheaper than one made natively.
    output = Buffer.allocUnsafe(length);
    session.takeOutputInto(output);
  }

  const bytes = conn._queuedBytes;
  conn._queuedBytes = 0;
  conn._writingBytes += bytes;
  const written = () => {
    if (conn.readyState !== CLOSED) conn._writingBytes -= bytes;
  };

  let flowing;
  if (chunks) {
    conn._directChunks = null;
    const parts = interleave(output, chunks);
    socket.cork();
    for (let i = 0; i < parts.length - 1; i += 1) socket.write(parts[i]);
    // While corked the buffer only grows, so the last write's answer covers
    // the batch, and 'drain' follows exactly when it says false.
    flowing = socket.write(parts[parts.length - 1], written);
    socket.uncork();
  } else {
    flowing = socket.write(output, written);
  }

  // A peer that does not read stops being read too (faye's piped streams
  // pause the socket the same way), so pings it floods us with cannot
  // pile up pongs.
  if (!flowing) {
    conn._writeBlocked = true;
    socket.pause();
  }
}

// The socket's 'drain': reading resumes unless the application paused it.
/** @param {Connection} conn */
function drained(conn) {
  conn._writeBlocked = false;
  if (!conn._inputPaused) conn._stream.resume();
  conn.emit('drain');
}

// Closed: nothing more is written, and nothing counts as buffered.
/** @param {Connection} conn */
function clear(conn) {
  conn._queuedBytes = conn._writingBytes = 0;
  conn._directChunks = null;
}

// The output cut at the offsets `sendBinary` recorded, with each payload in
// its place: `chunks` is [offset, payload, offset, payload, …].
/**
 * @param {Buffer} output
 * @param {any[]} chunks
 */
function interleave(output, chunks) {
  /** @type {Buffer[]} */
  const parts = [];
  let start = 0;
  for (let i = 0; i < chunks.length; i += 2) {
    parts.push(output.subarray(start, chunks[i]), chunks[i + 1]);
    start = chunks[i];
  }
  if (start < output.length) parts.push(output.subarray(start));
  return parts;
}

module.exports = { queue, count, sendBinary, isFull, unwritten, flush, drained, clear, interleave };
