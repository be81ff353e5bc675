'use strict';

// The WebSocket API shared by the server socket and the client: faye's
// lib/faye/websocket/api.js, with websocket-driver replaced by the native
// session. Node's socket does all the I/O: every incoming chunk goes to the
// session in one native call, and frames queued in one tick leave in one
// socket write.

const { Stream } = require('stream');
const { isUtf8 } = require('buffer');
const native = require('./binding');
const Event = require('./event');
const { mixEventTarget } = require('./event_target');
const { WEBSOCKET_OPTIONS, validateOptions, validateExtensions } = require('./options');
const { headerOption } = require('./request');
const { Extensions, needsPipeline } = require('./extensions');
const { scheduleFlush } = require('./flush_queue');

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

// How long close() waits for the peer's close frame before giving up with
// 1006, read at each call (faye's API.CLOSE_TIMEOUT). Tests shorten it.
const settings = { closeTimeout: 30000 };

// Payloads at least this long go to the socket as they are, after a header
// frame, instead of being copied into the session's output (server only).
const DIRECT_WRITE_MIN = 16 * 1024;

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
} = native;

// faye's default maxLength (websocket-driver's 2^26 - 1).
const DEFAULT_MAX_LENGTH = 0x3ffffff;

// Messages at least this long are compressed on libuv's thread pool instead
// of the JS thread (README, Compression: 64 KiB takes 0.25-1.7 ms at the
// default level, a thread hop 20-50 us).
const OFF_THREAD_MIN = 64 * 1024;

// websocket-driver's ERRORS: `error.type` names from an extension.
const ERROR_CODES = {
  normal_closure: 1000,
  going_away: 1001,
  protocol_error: 1002,
  unacceptable: 1003,
  encoding_error: 1007,
  policy_violation: 1008,
  too_large: 1009,
  extension_error: 1010,
  unexpected_condition: 1011,
};

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

function onSocketData(chunk) {
  this[kConnection]._receive(chunk);
}

function onSocketDrain() {
  this[kConnection]._onDrain();
}

function onSocketClose() {
  this[kConnection]._finalizeClose();
}

function onSocketError(error) {
  this[kConnection]._onSocketError(error);
}

function ignoreError() {}

// The JS extension registry when `extensions` holds more than
// permessage-deflate, else null.
function createExtensions(options, session, maxLength) {
  if (!needsPipeline(options.extensions)) return null;
  return new Extensions(options.extensions, session, maxLength || DEFAULT_MAX_LENGTH, OFF_THREAD_MIN);
}

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
  // The private fields start here, with their defaults: V8 lays out inside
  // the object the fields its constructors assign, and puts those a method
  // assigns first in a separate, growing array (measured: 24 bytes more per
  // idle connection). Public ones are left to `_initialize`: faye leaves
  // them unset on a dead socket.
  constructor() {
    super();
    this._stream = null;
    this._protocol = null;
    this._session = null;
    this._maxLength = 0;
    this._extensions = undefined; // the client's own, or `_initialize`'s
    this._pipeline = null; // once the handshake activated the extensions
    this._pipelineBytes = 0; // sent, still in the pipeline
    this._connectingFrames = null; // frames sent before the pipeline exists
    this._deflate = false; // native permessage-deflate, known at open
    this._compressQueue = null; // messages behind one compressed off-thread
    this._compressingBytes = 0; // their bytes
    this._closeAfterQueue = null; // close() waiting for that queue
    this._inputBacklog = null; // chunks waiting while a large message inflates
    this._pingInterval = undefined;
    this._pingId = 0;
    this._pingCallbacks = null; // a Map once ping() is given a callback
    this._queuedBytes = 0; // accepted by send, still in the session's output
    this._writingBytes = 0; // handed to the socket, not yet written
    this._directChunks = null; // output and large payloads, in order
    this._flushScheduled = false;
    this._inputPaused = false;
    this._closeParams = null;
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
    // Extensions other than permessage-deflate run in JS (extensions.js).
    if (this._extensions === undefined) this._extensions = createExtensions(options, session, this._maxLength);

    this._pingInterval = options.ping;
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
    return this._session
      ? this._queuedBytes + this._writingBytes + this._pipelineBytes + this._compressingBytes
      : 0;
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
      socket.on('drain', () => this._onDrain());
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
    if (this.readyState > OPEN) return false;
    const session = this._session;
    if (!session) return true; // never initialised (dead socket): faye queues for ever
    if (this._extensions) return this._sendThroughPipeline(data);
    if (this._deflate && (this._compressQueue || data.length >= OFF_THREAD_MIN)) return this._sendCompressed(data);

    let accepted;
    if (Buffer.isBuffer(data)) {
      accepted = this._sendBinary(session, data);
    } else {
      data = String(data);
      accepted = session.sendText(data, data.length);
    }
    if (accepted < 0) return false;

    this._queuedBytes += accepted;
    this._scheduleFlush();
    return !this._isWriteBufferFull();
  }

  // websocket-driver's frame() for a message with JS extensions: through the
  // pipeline, then framed with the RSV bits it set. Before the handshake is
  // done the frame waits, as in faye's queue.
  _sendThroughPipeline(data) {
    const pipeline = this._pipeline;
    if (!pipeline) {
      if (this._session.readyState !== CONNECTING) return false;
      (this._connectingFrames = this._connectingFrames || []).push(['message', data]);
      return true;
    }
    const isBinary = Buffer.isBuffer(data);
    const payload = isBinary ? data : Buffer.from(String(data), 'utf8');
    const message = { rsv1: false, rsv2: false, rsv3: false, opcode: isBinary ? 2 : 1, data: payload };
    const bytes = payload.length;
    this._pipelineBytes += bytes;
    pipeline.processOutgoingMessage(message, (error, out) => {
      this._pipelineBytes -= bytes;
      if (error) return this._failFromPipeline(error);
      const rsv = (out.rsv1 ? 0x40 : 0) | (out.rsv2 ? 0x20 : 0) | (out.rsv3 ? 0x10 : 0);
      this._session.sendFrame(out.opcode, rsv, out.data);
      if (this.readyState !== CLOSED) this._queuedBytes += out.data.length;
      this._scheduleFlush();
    });
    return !this._isWriteBufferFull();
  }

  // A large message with permessage-deflate is compressed on libuv's thread
  // pool; messages sent after it wait in order behind it.
  _sendCompressed(data) {
    const isBinary = Buffer.isBuffer(data);
    if (!isBinary) data = String(data);
    const size = isBinary ? data.length : Buffer.byteLength(data, 'utf8');
    this._compressingBytes += size;
    const queue = (this._compressQueue = this._compressQueue || []);
    queue.push({ data, isBinary, size });
    if (queue.length === 1) this._compressNext();
    return !this._isWriteBufferFull();
  }

  _compressNext() {
    const session = this._session;
    const queue = this._compressQueue;
    while (queue.length > 0 && this.readyState !== CLOSED) {
      const item = queue[0];
      if (item.size >= OFF_THREAD_MIN) {
        const payload = item.isBinary ? item.data : Buffer.from(item.data, 'utf8');
        const job = session.compressJob(payload);
        if (job) {
          job.run().then((result) => this._compressed(item, result));
          return;
        }
      }
      queue.shift();
      this._compressingBytes -= item.size;
      const accepted = item.isBinary ? session.sendBinary(item.data) : session.sendText(item.data, item.data.length);
      if (accepted >= 0) this._queuedBytes += item.size;
    }
    this._compressQueue = null;
    this._compressingBytes = 0;
    const close = this._closeAfterQueue;
    this._closeAfterQueue = null;
    if (close && this.readyState !== CLOSED) session.close(close[0], close[1]);
    this._scheduleFlush();
  }

  _compressed(item, result) {
    const queue = this._compressQueue;
    if (!queue || this.readyState === CLOSED) return;
    queue.shift();
    this._compressingBytes -= item.size;
    if (this._session.sendCompressed(result, item.isBinary)) this._queuedBytes += item.size;
    this._compressNext();
  }

  // The handshake activated the JS extensions: frames sent meanwhile go out.
  _startPipeline() {
    const extensions = this._extensions;
    this._pipeline = extensions.pipeline;
    this._session.enablePipeline(extensions.allowedRsv());
    const frames = this._connectingFrames;
    this._connectingFrames = null;
    if (!frames) return;
    for (const [kind, data, callback] of frames) {
      if (kind === 'message') this._sendThroughPipeline(data);
      else this._sendPing(data, callback);
    }
  }

  // hybi.js `_emitMessage` after the pipeline: its error, the length check
  // on what it produced, then the UTF-8 check.
  _receiveRaw(chunk, flags, start, end) {
    const session = this._session;
    const data = flags & 1 ? session.takeBuffer() : chunk.subarray(start, end);
    const message = {
      rsv1: (flags & 0x40) !== 0,
      rsv2: (flags & 0x20) !== 0,
      rsv3: (flags & 0x10) !== 0,
      opcode: flags & 2 ? 2 : 1,
      data,
    };
    this._pipeline.processIncomingMessage(message, (error, out) => {
      if (error) return this._failFromPipeline(error);
      let payload = out.data;
      if (payload.length > this._maxLength) return this._fail(1009, 'WebSocket frame length too large');
      if (out.opcode === 1) {
        if (!isUtf8(payload)) return this._fail(1007, 'Could not decode a text frame as UTF-8');
        payload = payload.toString('utf8');
      }
      this._receiveMessage(payload);
    });
  }

  _failFromPipeline(error) {
    const type = error.type || 'extension_error';
    this._fail(typeof type === 'string' ? ERROR_CODES[type] : type, error.message);
  }

  // websocket-driver's `_fail` → `_shutdown` for a failure found in JS.
  _fail(code, message) {
    const frame = this._session.shutdown();
    if (frame < 0) return;
    this._shutdownAfterPipeline(code, message, frame === 1, true);
  }

  // `_shutdown`: the pipeline drains and closes its sessions, then the
  // close frame (if due), the error and the close.
  _shutdownAfterPipeline(code, reason, sendFrame, error) {
    const finish = () => {
      if (sendFrame) this._session.writeClose(code, Buffer.from(reason, 'utf8'));
      this._flush();
      if (error) this._emitError(reason);
      this._beginClose(reason, code);
    };
    if (this._pipeline) this._pipeline.close(finish);
    else finish();
  }

  // Large payloads are not copied: the session queues the frame header and
  // the payload is written after the output up to that point. Only once
  // open, when nothing but `_flush` takes the output.
  _sendBinary(session, data) {
    const end = data.length >= DIRECT_WRITE_MIN && this.readyState === OPEN ? session.beginBinary(data.length) : null;
    if (end === null) return session.sendBinary(data);
    (this._directChunks = this._directChunks || []).push(end, data);
    return data.length;
  }

  _isWriteBufferFull() {
    const socket = this._stream;
    const queued = this._queuedBytes + this._compressingBytes;
    return this._writeBlocked || socket.writableLength + queued >= socket.writableHighWaterMark;
  }

  ping(message, callback) {
    if (this.readyState > OPEN) return false;
    if (!this._session) return true;

    message = message || '';
    if (this._extensions && !this._pipeline && this._session.readyState === CONNECTING) {
      (this._connectingFrames = this._connectingFrames || []).push(['ping', message, callback]);
      return true;
    }
    return this._sendPing(message, callback);
  }

  _sendPing(message, callback) {
    if (callback) {
      if (this._pingCallbacks === null) this._pingCallbacks = new Map();
      this._pingCallbacks.set('fn:' + message, callback);
    }

    const payload = Buffer.isBuffer(message) ? message : Buffer.from(String(message), 'utf8');
    if (!this._session.ping(payload)) return false;
    this._scheduleFlush();
    return true;
  }

  close(code, reason) {
    if (code === undefined) code = 1000;
    if (reason === undefined) reason = '';

    if (code !== 1000 && (code < 3000 || code > 4999)) {
      throw new Error(
        "Failed to execute 'close' on WebSocket: " +
          'The code must be either 1000, or between 3000 and 4999. ' +
          code +
          ' is neither.'
      );
    }

    if (this.readyState < CLOSING) {
      this._closeTimer = setTimeout(() => this._beginClose('', 1006), settings.closeTimeout);
    }
    if (this.readyState !== CLOSED) this.readyState = CLOSING;

    const session = this._session;
    if (!session) return;

    // websocket-driver: reason || '', code || 1000.
    reason = reason || '';
    code = code || 1000;

    if (session.readyState === CONNECTING) {
      session.close(code, Buffer.alloc(0));
      this._connectingFrames = null;
      this._beginClose(reason, code);
    } else if (this._pipeline) {
      // The close frame follows the messages still in the pipeline.
      if (!session.beginClosing()) return;
      const payload = Buffer.isBuffer(reason) ? reason : Buffer.from(String(reason), 'utf8');
      this._pipeline.close(() => {
        if (session.readyState !== CLOSING) return; // failed or closed meanwhile
        session.writeClose(code, payload);
        this._scheduleFlush();
      });
    } else if (this._compressQueue) {
      // The close frame follows the messages still being compressed.
      const payload = Buffer.isBuffer(reason) ? reason : Buffer.from(String(reason), 'utf8');
      this._closeAfterQueue = this._closeAfterQueue || [code, payload];
    } else if (session.close(code, Buffer.isBuffer(reason) ? reason : Buffer.from(String(reason), 'utf8'))) {
      this._scheduleFlush();
    }
  }

  _receive(chunk) {
    const session = this._session;
    if (typeof chunk === 'string') chunk = Buffer.from(chunk);
    if (this._inputBacklog) return this._inputBacklog.push(chunk);

    const table = acquireTable();
    try {
      let offset = 0;
      for (;;) {
        const count = session.receive(chunk, offset, table);
        for (let i = 0, slot = TABLE_HEADER; i < count; i += 1, slot += EVENT_SLOTS) {
          this._dispatchNative(chunk, table[slot], table[slot + 1], table[slot + 2], table[slot + 3]);
        }
        if (table[2] === 1) break;
        offset = table[1];
        if (table[2] === 2) {
          this._yieldInput(chunk.subarray(offset));
          break;
        }
      }
      if (table[3] === 1) this._scheduleFlush();
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
        return this._beginClose(message, a);
      }
      case EVENT_RAW:
        return this._receiveRaw(chunk, a, b, c);
      case EVENT_SHUTDOWN:
        return this._shutdownAfterPipeline(a, session.takeText(), (b & 2) !== 0, (b & 1) !== 0);
    }
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

  _scheduleFlush() {
    scheduleFlush(this);
  }

  // Writes everything queued so far in one socket write (or one corked
  // batch when large payloads go out directly).
  _flush() {
    const session = this._session;
    const socket = this._stream;
    if (!session || this._outputHeld() || this.readyState === CLOSED) return;

    const length = session.outputLength();
    const chunks = this._directChunks;
    if (length === 0 && !chunks) return;
    let output = null;
    if (length > 0) {
      // Small buffers come from Node's pool: cheaper than one made natively.
      output = Buffer.allocUnsafe(length);
      session.takeOutputInto(output);
    }

    const bytes = this._queuedBytes;
    this._queuedBytes = 0;
    this._writingBytes += bytes;
    const written = () => {
      if (this.readyState !== CLOSED) this._writingBytes -= bytes;
    };

    let flowing;
    if (chunks) {
      this._directChunks = null;
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
      this._writeBlocked = true;
      socket.pause();
    }
  }

  // Frames wait in the session until the opening handshake is done (the
  // client writes them before dispatching open, still CONNECTING).
  _outputHeld() {
    return this.readyState === CONNECTING;
  }

  _onDrain() {
    this._writeBlocked = false;
    if (!this._inputPaused) this._stream.resume();
    this.emit('drain');
  }

  _open() {
    if (this.readyState !== CONNECTING) return;
    this.readyState = OPEN;
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

  _beginClose(reason, code) {
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
      process.nextTick(destroySocket, socket);
      this._finalizeClose(false);
    }
  }

  // `endSocket` is false when the socket is about to be destroyed.
  _finalizeClose(endSocket = true) {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;

    if (this._closeTimer) clearTimeout(this._closeTimer);
    if (this._pingTimer) clearInterval(this._pingTimer);
    // end() on a destroyed socket only builds an error nobody sees.
    if (endSocket && this._stream && !this._stream.destroyed) this._stream.end();

    if (this.readable) this.emit('end');
    this.readable = this.writable = false;

    this._queuedBytes = this._writingBytes = this._compressingBytes = 0;
    this._directChunks = null;

    const [reason, code] = this._closeParams || ['', 1006];
    const event = new Event('close', { code, reason });
    this.dispatchEvent(event);
  }
}

// The output cut at the offsets `_sendBinary` recorded, with each payload
// in its place: `chunks` is [offset, payload, offset, payload, …].
function interleave(output, chunks) {
  const parts = [];
  let start = 0;
  for (let i = 0; i < chunks.length; i += 2) {
    parts.push(output.subarray(start, chunks[i]), chunks[i + 1]);
    start = chunks[i];
  }
  if (start < output.length) parts.push(output.subarray(start));
  return parts;
}

function destroySocket(socket) {
  socket.destroy();
}

mixEventTarget(Connection);

module.exports = { Connection, settings, createExtensions, CONNECTING, OPEN };
