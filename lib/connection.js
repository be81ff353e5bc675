'use strict';
// @ts-check

// The WebSocket API shared by the server socket and the client: faye's
// lib/faye/websocket/api.js, with websocket-driver replaced by the native
// session. Node's socket does all the I/O: every incoming chunk goes to the
// session in one native call, and frames queued in one tick leave in one
// socket write.
//
// The connection's parts, each a file that owns some of the fields the
// constructor below declares:
//
//   outbox.js          the bytes between send() and the socket
//   compress_queue.js  messages compressed off the JS thread
//   extensions/        JS extensions: the registry and the pipeline
//   contract.js        the numbers and strings shared with the Rust core
//
// This file keeps the API, the socket listeners, the receive loop over the
// native event table, pings and the closing handshake.

const { Stream } = require('stream');
const { isUtf8 } = require('buffer');
const Event = require('./event');
const { mixEventTarget } = require('./event_target');
const {
  WEBSOCKET_OPTIONS,
  validateOptions,
  validateExtensions,
  heartbeatOption,
  maxBufferedAmountOption,
} = require('./options');
const { headerOption } = require('./request');
const { toBytes } = require('./bytes');
const { scheduleFlush } = require('./flush_queue');
const outbox = require('./outbox');
const { OFF_THREAD_MIN, sendCompressed, closeAfterQueue } = require('./compress_queue');
const {
  createExtensions,
  sendThroughPipeline,
  holdPing,
  receiveRaw,
  closeThroughPipeline,
  shutdownAfterPipeline,
} = require('./extensions');
const {
  TABLE_HEADER,
  EVENT_SLOTS,
  EVENT_TEXT,
  EVENT_BINARY,
  EVENT_PONG,
  EVENT_CLOSE,
  EVENT_ERROR,
  EVENT_RAW,
  EVENT_SHUTDOWN,
  PAYLOAD_IN_CHUNK,
  TABLE_NEXT_OFFSET,
  TABLE_STATUS,
  TABLE_OUTPUT_PENDING,
  CHUNK_DONE,
  CHUNK_YIELD,
  SHUTDOWN_ERROR,
  SHUTDOWN_SEND_FRAME,
  SEND_REFUSED,
  CONNECTING,
  OPEN,
  CLOSING,
  CLOSED,
  CLOSE_NORMAL,
  CLOSE_ABNORMAL,
  CLOSE_POLICY_VIOLATION,
  CLOSE_INTERNAL_ERROR,
  DEFAULT_MAX_LENGTH,
} = require('./contract');

// Bound once: no property load per message or flush.
const { queue, sendBinary, isFull, drained, flush, unwritten, clear } = outbox;

// How long close() waits for the peer's close frame before giving up with
// 1006, read at each call (faye's API.CLOSE_TIMEOUT). Tests shorten it.
const settings = { closeTimeout: 30000 };

// The heartbeat's ping payloads: this, then a count.
const HEARTBEAT_PREFIX = 'heartbeat ';

// How long a failed connection's socket drains the peer's input after our
// close frame and FIN before it is destroyed (see `lingerThenDestroy`).
const LINGER_MS = 2000;

// One event table for every connection of this thread. A handler can make
// another connection receive synchronously (a Duplex pair used as socket),
// so a nested receive gets a table of its own.
const TABLE_EVENTS = 1024;
const tables = [];
let tableDepth = 0;

function acquireTable() {
  if (tableDepth === tables.length) tables.push(new Uint32Array(TABLE_HEADER + TABLE_EVENTS * EVENT_SLOTS));
  return tables[tableDepth++];
}

function releaseTable() {
  tableDepth -= 1;
}

// The socket listeners are shared by every connection: each finds its
// connection through this property of the socket, so a connection costs no
// closures. A socket that already carries another connection (wrapped twice)
// gets closures of its own.
const kConnection = Symbol('connection');

/** @typedef {import('net').Socket & { [kConnection]: Connection }} SharedSocket */

/** @this {SharedSocket} */
function onSocketData(chunk) {
  this[kConnection]._receive(chunk);
}

/** @this {SharedSocket} */
function onSocketDrain() {
  drained(this[kConnection]);
}

/** @this {SharedSocket} */
function onSocketClose() {
  this[kConnection]._finalizeClose();
}

/** @this {SharedSocket} */
function onSocketError(error) {
  this[kConnection]._onSocketError(error);
}

function ignoreError() {}

// faye's message event, built without Event's generic constructor: the same
// own keys in the same order (type, data, bubbles, cancelable, then what
// dispatchEvent adds), the same prototype.
function MessageEvent(data, target) {
  this.type = 'message';
  this.data = data;
  this.bubbles = false;
  this.cancelable = false;
  this.currentTarget = target;
  this.target = target;
  this.eventPhase = Event.AT_TARGET;
}
MessageEvent.prototype = Event.prototype;

class Connection extends Stream {
  // The private fields start here, with their defaults, grouped by the file
  // that owns them: V8 lays out inside the object the fields its
  // constructors assign, and puts those a method (or another file's
  // function) assigns first in a separate, growing array (measured: 24 bytes
  // more per idle connection), so every field is assigned here, even those
  // only outbox.js, compress_queue.js or extensions/ use. Public ones are
  // left to `_initialize`: faye leaves them unset on a dead socket.
  constructor() {
    super();
    // This file: the socket, the session and the API's state.
    /** @type {import('net').Socket} */
    this._stream = null;
    this._protocol = null;
    /** @type {import('./binding').NativeSession} */
    this._session = null;
    /** @type {Buffer[] | null} chunks waiting while a large message inflates */
    this._inputBacklog = null;
    this._inputPaused = false;
    /** @type {number | undefined} */
    this._pingInterval = undefined;
    this._pingId = 0;
    /** @type {Map<string, () => void> | null} once ping() is given a callback */
    this._pingCallbacks = null;
    /** @type {[string, number] | null} */
    this._closeParams = null;
    /** @type {{ interval: number, timeout: number, timer: any, deadline: any } | null} the heartbeat option's state */
    this._heartbeat = null;
    this._maxBufferedAmount = 0; // 0: no cap
    // extensions/: JS extensions.
    this._maxLength = 0;
    /** @type {import('./extensions').Extensions | null | undefined} the client's own, or `_initialize`'s */
    this._extensions = undefined;
    /** @type {import('./extensions/pipeline').Pipeline | null} once the handshake activated the extensions */
    this._pipeline = null;
    this._pipelineBytes = 0; // sent, still in the pipeline
    /** @type {Array<[string, any, Function?]> | null} frames sent before the pipeline exists */
    this._connectingFrames = null;
    // compress_queue.js: native permessage-deflate off the JS thread.
    this._deflate = false; // native permessage-deflate, known at open
    /** @type {Array<{ data: any, isBinary: boolean, size: number }> | null} messages behind one compressed off-thread */
    this._compressQueue = null;
    this._compressingBytes = 0; // their bytes
    /** @type {[number, Buffer] | null} close() waiting for that queue */
    this._closeAfterQueue = null;
    // outbox.js: bytes on their way to the socket.
    this._queuedBytes = 0; // accepted by send, still in the session's output
    this._writingBytes = 0; // handed to the socket, not yet written
    /** @type {Array<number | Buffer> | null} output offsets and large payloads, in order */
    this._directChunks = null;
    this._flushScheduled = false; // flush_queue.js's mark
  }

  // faye's API(options). `session` is the native session, `url` and
  // `version` the driver's values. Throws for bad options (not in
  // `validKeys`: the client accepts a few more).
  _initialize(options, session, url, version, validKeys = WEBSOCKET_OPTIONS) {
    validateOptions(options, validKeys);
    this._session = session;

    this.readable = this.writable = true;

    if (options.headers) {
      const [names, values] = headerOption(options.headers);
      session.setHeaders(names, values);
    }
    if (options.extensions) validateExtensions(options.extensions);
    this._maxLength = Number(options.maxLength) || DEFAULT_MAX_LENGTH;
    // Extensions other than permessage-deflate run in JS (extensions/).
    if (this._extensions === undefined) this._extensions = createExtensions(options, session, this._maxLength);

    this._pingInterval = options.ping;
    const heartbeat = heartbeatOption(options.heartbeat);
    if (heartbeat) this._heartbeat = { ...heartbeat, timer: null, deadline: null };
    this._maxBufferedAmount = maxBufferedAmountOption(options.maxBufferedAmount);
    // The API's readyState is kept here alone (it is read for every message
    // sent or received); the native session keeps the protocol's state
    // and never reports it: what JS must know of it comes back from the
    // calls that change it (receive's events, close, shutdown, …).
    this.readyState = CONNECTING;
    this.protocol = '';
    this.url = url;
    this.version = version;

    this.on('error', ignoreError);

    if (this._pingInterval) {
      this._pingTimer = setInterval(() => {
        this._pingId += 1;
        this.ping(this._pingId.toString());
      }, this._pingInterval * 1000);
    }

    this._configureStream();
  }

  get bufferedAmount() {
    return this._session ? unwritten(this) + this._pipelineBytes + this._compressingBytes : 0;
  }

  _configureStream() {
    const socket = this._stream;
    socket.setTimeout(0);
    socket.setNoDelay(true);

    const owner = socket[kConnection];
    if (owner === undefined || owner === this) {
      socket[kConnection] = this;
      socket.on('data', onSocketData);
      socket.on('drain', onSocketDrain);
      socket.on('close', onSocketClose);
      socket.on('end', onSocketClose);
      socket.on('error', onSocketError);
    } else {
      socket.on('data', (chunk) => this._receive(chunk));
      socket.on('drain', () => drained(this));
      socket.on('close', () => this._finalizeClose());
      socket.on('end', () => this._finalizeClose());
      socket.on('error', (error) => this._onSocketError(error));
    }
  }

  _onSocketError(error) {
    this._emitError('Network error: ' + this.url + ': ' + error.message);
    this._finalizeClose();
  }

  write(data) {
    return this.send(data);
  }

  end(data) {
    if (data !== undefined) this.send(data);
    this.close();
  }

  // Messages already in the current chunk are still delivered; the socket
  // stops being read after it, as faye's piped streams do.
  pause() {
    this._inputPaused = true;
  }

  resume() {
    this._inputPaused = false;
    if (this._stream && !this._writeBlocked) this._stream.resume();
  }

  send(data) {
    const flowing = this._send(data);
    if (this._maxBufferedAmount > 0 && this.bufferedAmount > this._maxBufferedAmount) {
      this._overBufferLimit();
      return false;
    }
    return flowing;
  }

  // The maxBufferedAmount option: a peer that reads too slowly is dropped
  // with 1008, and what was buffered for it is freed with its socket.
  _overBufferLimit() {
    const message = 'bufferedAmount ' + this.bufferedAmount + ' exceeds maxBufferedAmount ' + this._maxBufferedAmount;
    this._emitError(message);
    this._compressQueue = null;
    this._beginClose(message, CLOSE_POLICY_VIOLATION);
  }

  _send(data) {
    if (this.readyState > OPEN) return false;
    const session = this._session;
    if (!session) return true; // never initialised (dead socket): faye queues for ever
    if (this._extensions) return sendThroughPipeline(this, data);
    if (this._deflate && (this._compressQueue || data.length >= OFF_THREAD_MIN)) return sendCompressed(this, data);

    let accepted;
    if (Buffer.isBuffer(data)) {
      accepted = sendBinary(this, session, data);
    } else {
      data = String(data);
      accepted = session.sendText(data, data.length);
    }
    if (accepted === SEND_REFUSED) return false;

    queue(this, accepted);
    return !isFull(this);
  }

  ping(message, callback) {
    if (this.readyState > OPEN) return false;
    if (!this._session) return true;

    message = message || '';
    if (this._extensions && holdPing(this, message, callback)) return true;
    return this._sendPing(message, callback);
  }

  _sendPing(message, callback) {
    if (callback) {
      if (this._pingCallbacks === null) this._pingCallbacks = new Map();
      this._pingCallbacks.set('fn:' + message, callback);
    }

    if (!this._session.ping(toBytes(message))) return false;
    scheduleFlush(this);
    return true;
  }

  close(code, reason) {
    if (code === undefined) code = CLOSE_NORMAL;
    if (reason === undefined) reason = '';

    checkCloseCode(code);

    const state = this.readyState;
    if (state < CLOSING) {
      this._closeTimer = setTimeout(() => this._beginClose('', CLOSE_ABNORMAL), settings.closeTimeout);
    }
    if (state !== CLOSED) this.readyState = CLOSING;

    const session = this._session;
    if (!session) return;

    // websocket-driver: reason || '', code || 1000.
    reason = reason || '';
    code = code || CLOSE_NORMAL;

    if (state === CONNECTING) {
      session.close(code, Buffer.alloc(0));
      this._connectingFrames = null;
      this._beginClose(reason, code);
    } else if (this._pipeline) {
      closeThroughPipeline(this, code, reason);
    } else if (this._compressQueue) {
      // The close frame follows the messages still being compressed.
      closeAfterQueue(this, code, toBytes(reason));
    } else if (session.close(code, toBytes(reason))) {
      scheduleFlush(this);
    }
  }

  _receive(chunk) {
    const session = this._session;
    if (typeof chunk === 'string') chunk = Buffer.from(chunk);
    if (this._inputBacklog) {
      this._inputBacklog.push(chunk);
      return;
    }

    const table = acquireTable();
    try {
      let offset = 0;
      for (;;) {
        let count;
        try {
          count = session.receive(chunk, offset, table);
        } catch (error) {
          this._internalError(error);
          return;
        }
        for (let i = 0, slot = TABLE_HEADER; i < count; i += 1, slot += EVENT_SLOTS) {
          this._dispatchNative(chunk, table[slot], table[slot + 1], table[slot + 2], table[slot + 3]);
        }
        if (table[TABLE_STATUS] === CHUNK_DONE) break;
        offset = table[TABLE_NEXT_OFFSET];
        if (table[TABLE_STATUS] === CHUNK_YIELD) {
          this._yieldInput(chunk.subarray(offset));
          break;
        }
      }
      if (table[TABLE_OUTPUT_PENDING] !== 0) scheduleFlush(this);
    } finally {
      releaseTable();
    }

    if (this._inputPaused && this._stream) this._stream.pause();
  }

  // A compressed message is inflating to more than the session does in one
  // call: the rest of the chunk (and any chunk after it) waits for the next
  // turn of the event loop, so timers and other sockets run in between.
  _yieldInput(rest) {
    this._inputBacklog = [rest];
    if (this._stream) this._stream.pause();
    setImmediate(() => this._resumeInput());
  }

  _resumeInput() {
    const backlog = this._inputBacklog;
    this._inputBacklog = null;
    for (let i = 0; i < backlog.length; i += 1) {
      if (this.readyState === CLOSED) return;
      this._receive(backlog[i]);
      if (this._inputBacklog) {
        for (let j = i + 1; j < backlog.length; j += 1) this._inputBacklog.push(backlog[j]);
        return;
      }
    }
    if (this._stream && !this._inputPaused && !this._writeBlocked) this._stream.resume();
  }

  _dispatchNative(chunk, kind, a, b, c) {
    const session = this._session;
    switch (kind) {
      case EVENT_TEXT:
        return this._receiveMessage(a === PAYLOAD_IN_CHUNK ? chunk.utf8Slice(b, c) : session.takeText());
      case EVENT_BINARY:
        return this._receiveMessage(a === PAYLOAD_IN_CHUNK ? chunk.subarray(b, c) : session.takeBuffer());
      case EVENT_PONG:
        return this._receivePong(a === PAYLOAD_IN_CHUNK ? chunk.subarray(b, c) : session.takeBuffer());
      case EVENT_CLOSE: {
        const reason = session.takeText();
        // The echoed close frame leaves before the socket is destroyed.
        this._flush();
        return this._beginClose(reason, a);
      }
      case EVENT_ERROR: {
        const message = session.takeText();
        this._flush();
        this._emitError(message);
        return this._beginClose(message, a, true);
      }
      case EVENT_RAW:
        return receiveRaw(this, chunk, a, b, c);
      case EVENT_SHUTDOWN:
        return shutdownAfterPipeline(
          this,
          a,
          session.takeText(),
          (b & SHUTDOWN_SEND_FRAME) !== 0,
          (b & SHUTDOWN_ERROR) !== 0
        );
    }
  }

  // A failure inside the addon (a Rust panic arrives as an exception, or as
  // a compression's rejected promise): this connection fails with 1011, and
  // the process and its other connections go on.
  _internalError(error) {
    const message = 'Internal error: ' + (error instanceof Error ? error.message : String(error));
    this._emitError(message);
    this._compressQueue = null;
    try {
      if (this.readyState !== CLOSED && this._session.close(CLOSE_INTERNAL_ERROR, Buffer.alloc(0))) this._flush();
    } catch {
      // The session is broken too: the peer gets no close frame.
    }
    this._beginClose(message, CLOSE_INTERNAL_ERROR, true);
  }

  // The heartbeat option: a ping every `interval` ms; a connection whose
  // pong has not come `timeout` ms after it is dead (a peer that stopped
  // answering, a socket black-holed) and closes with 1006.
  _startHeartbeat(heartbeat) {
    let count = 0;
    const answered = () => {
      clearTimeout(heartbeat.deadline);
      heartbeat.deadline = null;
    };
    heartbeat.timer = setInterval(() => {
      if (heartbeat.deadline !== null || this.readyState !== OPEN) return;
      count += 1;
      heartbeat.deadline = setTimeout(() => this._heartbeatTimedOut(), heartbeat.timeout);
      this._sendPing(HEARTBEAT_PREFIX + count, answered);
    }, heartbeat.interval);
  }

  _heartbeatTimedOut() {
    this._emitError('No pong within ' + this._heartbeat.timeout + ' ms of a heartbeat ping');
    this._beginClose('', CLOSE_ABNORMAL);
  }

  _stopHeartbeat() {
    const heartbeat = this._heartbeat;
    if (heartbeat === null) return;
    clearInterval(heartbeat.timer);
    clearTimeout(heartbeat.deadline);
  }

  // websocket-driver fires the callback of the ping whose payload, read as
  // UTF-8, equals the pong's.
  _receivePong(payload) {
    if (this._pingCallbacks === null) return;
    const key = 'fn:' + (isUtf8(payload) ? payload.toString('utf8') : null);
    const callback = this._pingCallbacks.get(key);
    if (!callback) return;
    this._pingCallbacks.delete(key);
    callback();
  }

  // For flush_queue.js, and for the writes that cannot wait for it.
  _flush() {
    flush(this);
  }

  // Frames wait in the session until the opening handshake is done (the
  // client writes them before dispatching open, still CONNECTING).
  _outputHeld() {
    return this.readyState === CONNECTING;
  }

  _open() {
    if (this.readyState !== CONNECTING) return;
    this.readyState = OPEN;
    if (this._heartbeat) this._startHeartbeat(this._heartbeat);
    this.protocol = this._protocol || '';
    this._deflate = !this._extensions && this._session.deflateEnabled;

    const event = new Event('open');
    this.dispatchEvent(event);
  }

  // dispatchEvent inlined for the message event.
  _receiveMessage(data) {
    if (this.readyState > OPEN) return;
    if (this.readable) this.emit('data', data);

    const event = new MessageEvent(data, this);
    const handler = this.onmessage;
    if (handler) handler.call(this, event);
    this.emit('message', event);
  }

  _emitError(message) {
    if (this.readyState >= CLOSING) return;

    const event = new Event('error', { message });
    this.dispatchEvent(event);
  }

  // `failed`: we are closing because the peer broke the protocol, so it may
  // still be sending (see `lingerThenDestroy`).
  _beginClose(reason, code, failed = false) {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSING;
    this._closeParams = [reason, code];

    const socket = this._stream;
    if (socket) {
      // Destroyed one tick later than faye does, with nothing read or written
      // in between: Node still has the completion of the write just made (the
      // close frame) queued, and destroying the socket before it runs makes
      // Node build an ERR_STREAM_DESTROYED, stack trace included, that nobody
      // sees: 5 % of the cost of a short-lived connection.
      if (failed) lingerThenDestroy(socket);
      else process.nextTick(destroySocket, socket);
      this._finalizeClose(false);
    }
  }

  // `endSocket` is false when the socket is about to be destroyed.
  _finalizeClose(endSocket = true) {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;

    if (this._closeTimer) clearTimeout(this._closeTimer);
    if (this._pingTimer) clearInterval(this._pingTimer);
    this._stopHeartbeat();
    // end() on a destroyed socket only builds an error nobody sees.
    if (endSocket && this._stream && !this._stream.destroyed) this._stream.end();

    if (this.readable) this.emit('end');
    this.readable = this.writable = false;

    clear(this);
    this._compressingBytes = 0;
    // The codec state and buffers go now, not when the session is collected
    // (JS extensions may still drain through it: their pipeline keeps it).
    if (this._session && !this._pipeline) this._session.release();

    const [reason, code] = this._closeParams || ['', CLOSE_ABNORMAL];
    const event = new Event('close', { code, reason });
    this.dispatchEvent(event);
  }
}

// faye's check of close()'s code (after the default of 1000).
function checkCloseCode(code) {
  if (code !== CLOSE_NORMAL && (code < 3000 || code > 4999)) {
    throw new Error(
      "Failed to execute 'close' on WebSocket: " +
        'The code must be either 1000, or between 3000 and 4999. ' +
        code +
        ' is neither.'
    );
  }
}

function destroySocket(socket) {
  socket.destroy();
}

// A failed connection's socket is ended (our FIN follows the close frame) and
// its input read and dropped until the peer ends too, for LINGER_MS at most.
// Destroyed at once while the peer is still sending, a socket with unread
// input makes the kernel answer with a reset instead of a FIN, and the
// peer's kernel then drops the close frame it had not read yet: to a peer
// slower to read than to write (a flood on a loaded machine) the connection
// looks as if it stopped being read, its writes failing, no close frame.
function lingerThenDestroy(socket) {
  if (socket.destroyed) return;
  socket.end();
  socket.resume();
  const timer = setTimeout(destroySocket, LINGER_MS, socket);
  timer.unref();
  socket.once('end', () => socket.destroy());
  socket.once('close', () => clearTimeout(timer));
}

mixEventTarget(Connection);

module.exports = { Connection, settings, checkCloseCode };
