'use strict';
// @ts-check

// Extensions other than permessage-deflate, through websocket-extensions
// 0.2.0's protocol, laid out as its lib/ is: the registry here (its
// websocket_extensions.js), parser.js, pipeline.js (its pipeline/) and
// deflate_stage.js. Negotiation runs in registration order with RSV bits
// reserved (Extensions#add's checks are in ../options.js), and messages go
// through the pipeline of the sessions the handshake activated.
//
// permessage-deflate, when registered too, keeps its place in that order: it
// becomes a stage of the pipeline run by the native codec, so the bytes on
// the wire are what faye would send. Without any other extension none of
// this runs and messages never leave the native session.
//
// The second half is the connection's side (websocket-driver's hybi.js
// around its `_extensions` calls): the functions lib/connection.js calls
// when `_extensions` is set. They take the connection, whose fields they
// use: `_extensions` (the registry, or null), `_pipeline` (once the
// handshake activated it), `_pipelineBytes` (sent, still in the pipeline),
// `_connectingFrames` (frames sent before the pipeline exists) and
// `_maxLength`.

const { isUtf8 } = require('buffer');
const { NAME: DEFLATE } = require('../deflate');
const { toBytes } = require('../bytes');
const { scheduleFlush } = require('../flush_queue');
const { count, isFull } = require('../outbox');
const { OFF_THREAD_MIN } = require('../compress_queue');
const { parseHeader, serializeParams } = require('./parser');
const { Pipeline } = require('./pipeline');
const { DeflateStage } = require('./deflate_stage');
const {
  CONNECTING,
  CLOSED,
  RSV1,
  RSV2,
  RSV3,
  RAW_TAKEN,
  RAW_BINARY,
  OPCODE_TEXT,
  OPCODE_BINARY,
  CLOSE_NORMAL,
  CLOSE_PROTOCOL_ERROR,
  CLOSE_UNACCEPTABLE,
  CLOSE_ENCODING_ERROR,
  CLOSE_POLICY_VIOLATION,
  CLOSE_TOO_LARGE,
  CLOSE_EXTENSION_ERROR,
  DEFAULT_MAX_LENGTH,
  ERROR_TOO_LARGE,
  ERROR_INVALID_UTF8,
} = require('../contract');

/** @typedef {import('../connection').Connection} Connection */

// ----- the registry (websocket_extensions.js) -----

const RSV_BITS = { rsv1: RSV1, rsv2: RSV2, rsv3: RSV3 };

// Whether `extensions` holds anything besides permessage-deflate.
function needsPipeline(extensions) {
  if (!extensions) return false;
  return [].concat(extensions).some((ext) => ext && ext.name !== DEFLATE);
}

class Extensions {
  // `list`: the `extensions` option (already checked); `native`: the
  // session; `offThreadMin`: see DeflateStage.
  constructor(list, native, maxLength, offThreadMin) {
    this._inOrder = [].concat(list);
    this._native = native;
    this._options = { maxLength };
    this._offThreadMin = offThreadMin;
    this._rsv = { rsv1: null, rsv2: null, rsv3: null };
    this._sessions = [];
    this._index = {};
    this.pipeline = null;
  }

  // Every RSV bit the active extensions claim, in frame-byte places.
  allowedRsv() {
    let bits = 0;
    for (const [ext] of this._sessions) {
      for (const key in RSV_BITS) if (ext[key]) bits |= RSV_BITS[key];
    }
    return bits;
  }

  // Server: websocket-extensions' generateResponse. Returns the native
  // handshake's `JsNegotiation`; throws SyntaxError for a malformed header.
  serverNegotiation(header) {
    const offers = parseHeader(header === null ? undefined : header);
    const sessions = [];
    const response = [];
    let useDeflate = false;

    for (const ext of this._inOrder) {
      const offer = offers.filter((o) => o.name === ext.name).map((o) => o.params);
      if (offer.length === 0 || this._reserved(ext)) continue;

      let session;
      let params;
      if (ext.name === DEFLATE) {
        const answer = this._native.deflateServerResponse(header);
        if (answer === null) continue;
        session = new DeflateStage(this._native, this._offThreadMin);
        useDeflate = true;
        this._reserve(ext);
        sessions.push([ext, session]);
        response.push(answer);
        continue;
      }
      session = ext.createServerSession(offer, this._options);
      if (!session) continue;
      this._reserve(ext);
      sessions.push([ext, session]);
      params = session.generateResponse();
      response.push(serializeParams(ext.name, params));
    }

    this._sessions = sessions;
    this.pipeline = new Pipeline(sessions);
    return {
      response: response.length > 0 ? response.join(', ') : undefined,
      useDeflate,
      allowedRsv: this.allowedRsv(),
    };
  }

  // Client: websocket-extensions' generateOffer; throws permessage-deflate's
  // errors for bad window bits.
  clientOffer() {
    const sessions = [];
    const offer = [];
    const index = {};
    for (const ext of this._inOrder) {
      let session;
      let offers;
      if (ext.name === DEFLATE) {
        const value = this._native.deflateClientOffer();
        session = new DeflateStage(this._native, this._offThreadMin);
        const record = [ext, session];
        sessions.push(record);
        index[ext.name] = record;
        if (value !== null) offer.push(value);
        continue;
      }
      session = ext.createClientSession(this._options);
      if (!session) continue;
      const record = [ext, session];
      sessions.push(record);
      index[ext.name] = record;
      offers = session.generateOffer();
      offers = offers ? [].concat(offers) : [];
      for (const off of offers) offer.push(serializeParams(ext.name, off));
    }
    this._sessions = sessions;
    this._index = index;
    return offer.length > 0 ? offer.join(', ') : null;
  }

  // Client: websocket-extensions' activate; throws with its messages.
  activate(header) {
    const responses = parseHeader(header);
    const sessions = [];
    for (const { name, params } of responses) {
      const record = this._index[name];
      if (!record) throw new Error('Server sent an extension response for unknown extension "' + name + '"');

      const [ext, session] = record;
      const reserved = this._reserved(ext);
      if (reserved) {
        throw new Error(
          'Server sent two extension responses that use the RSV' +
            reserved[0] +
            ' bit: "' +
            reserved[1] +
            '" and "' +
            ext.name +
            '"'
        );
      }
      const accepted =
        ext.name === DEFLATE
          ? this._native.activateDeflate(serializeParams(name, params))
          : session.activate(params) === true;
      if (!accepted) {
        throw new Error('Server sent unacceptable extension parameters: ' + serializeParams(name, params));
      }
      this._reserve(ext);
      sessions.push(record);
    }
    this._sessions = sessions;
    this.pipeline = new Pipeline(sessions);
  }

  _reserve(ext) {
    for (const key in RSV_BITS) this._rsv[key] = this._rsv[key] || (ext[key] && ext.name);
  }

  _reserved(ext) {
    if (this._rsv.rsv1 && ext.rsv1) return [1, this._rsv.rsv1];
    if (this._rsv.rsv2 && ext.rsv2) return [2, this._rsv.rsv2];
    if (this._rsv.rsv3 && ext.rsv3) return [3, this._rsv.rsv3];
    return false;
  }
}

// ----- the connection's side -----

// websocket-driver's ERRORS: `error.type` names from an extension.
// going_away and unexpected_condition are codes only this table uses.
const ERROR_CODES = {
  normal_closure: CLOSE_NORMAL,
  going_away: 1001,
  protocol_error: CLOSE_PROTOCOL_ERROR,
  unacceptable: CLOSE_UNACCEPTABLE,
  encoding_error: CLOSE_ENCODING_ERROR,
  policy_violation: CLOSE_POLICY_VIOLATION,
  too_large: CLOSE_TOO_LARGE,
  extension_error: CLOSE_EXTENSION_ERROR,
  unexpected_condition: 1011,
};

// The registry for a connection whose `extensions` option holds more than
// permessage-deflate, else null.
function createExtensions(options, session, maxLength) {
  if (!needsPipeline(options.extensions)) return null;
  return new Extensions(options.extensions, session, maxLength || DEFAULT_MAX_LENGTH, OFF_THREAD_MIN);
}

// The handshake activated the extensions: frames sent meanwhile go out.
/** @param {Connection} conn */
function startPipeline(conn) {
  const extensions = conn._extensions;
  conn._pipeline = extensions.pipeline;
  conn._session.enablePipeline(extensions.allowedRsv());
  const frames = conn._connectingFrames;
  conn._connectingFrames = null;
  if (!frames) return;
  for (const [kind, data, callback] of frames) {
    if (kind === 'message') sendThroughPipeline(conn, data);
    else conn._sendPing(data, callback);
  }
}

// websocket-driver's frame() for a message: through the pipeline, then
// framed with the RSV bits it set. Before the handshake is done the frame
// waits, as in faye's queue.
/** @param {Connection} conn */
function sendThroughPipeline(conn, data) {
  const pipeline = conn._pipeline;
  if (!pipeline) {
    if (conn.readyState !== CONNECTING) return false;
    (conn._connectingFrames = conn._connectingFrames || []).push(['message', data]);
    return true;
  }
  const isBinary = Buffer.isBuffer(data);
  const payload = toBytes(data);
  const message = {
    rsv1: false,
    rsv2: false,
    rsv3: false,
    opcode: isBinary ? OPCODE_BINARY : OPCODE_TEXT,
    data: payload,
  };
  const bytes = payload.length;
  conn._pipelineBytes += bytes;
  pipeline.processOutgoingMessage(message, (error, out) => {
    conn._pipelineBytes -= bytes;
    if (error) return failFromPipeline(conn, error);
    const rsv = (out.rsv1 ? RSV1 : 0) | (out.rsv2 ? RSV2 : 0) | (out.rsv3 ? RSV3 : 0);
    conn._session.sendFrame(out.opcode, rsv, out.data);
    if (conn.readyState !== CLOSED) count(conn, out.data.length);
    scheduleFlush(conn);
  });
  return !isFull(conn);
}

// A ping before the handshake activated the extensions waits, in order with
// the messages; false when it can go now.
/** @param {Connection} conn */
function holdPing(conn, message, callback) {
  if (conn._pipeline || conn.readyState !== CONNECTING) return false;
  (conn._connectingFrames = conn._connectingFrames || []).push(['ping', message, callback]);
  return true;
}

// hybi.js `_emitMessage` after the pipeline, for an EVENT_RAW message: its
// error, the length check on what it produced, then the UTF-8 check.
/** @param {Connection} conn */
function receiveRaw(conn, chunk, flags, start, end) {
  const session = conn._session;
  const data = flags & RAW_TAKEN ? session.takeBuffer() : chunk.subarray(start, end);
  const message = {
    rsv1: (flags & RSV1) !== 0,
    rsv2: (flags & RSV2) !== 0,
    rsv3: (flags & RSV3) !== 0,
    opcode: flags & RAW_BINARY ? OPCODE_BINARY : OPCODE_TEXT,
    data,
  };
  conn._pipeline.processIncomingMessage(message, (error, out) => {
    if (error) return failFromPipeline(conn, error);
    let payload = out.data;
    if (payload.length > conn._maxLength) return fail(conn, CLOSE_TOO_LARGE, ERROR_TOO_LARGE);
    if (out.opcode === OPCODE_TEXT) {
      if (!isUtf8(payload)) return fail(conn, CLOSE_ENCODING_ERROR, ERROR_INVALID_UTF8);
      payload = payload.toString('utf8');
    }
    conn._receiveMessage(payload);
  });
}

// close() once open: the close frame follows the messages still in the
// pipeline.
/** @param {Connection} conn */
function closeThroughPipeline(conn, code, reason) {
  const session = conn._session;
  if (!session.beginClosing()) return;
  const payload = toBytes(reason);
  conn._pipeline.close(() => {
    // Nothing is written when the connection failed or the peer closed meanwhile.
    if (session.finishClosing(code, payload)) scheduleFlush(conn);
  });
}

/** @param {Connection} conn */
function failFromPipeline(conn, error) {
  const type = error.type || 'extension_error';
  fail(conn, typeof type === 'string' ? ERROR_CODES[type] : type, error.message);
}

// websocket-driver's `_fail` → `_shutdown` for a failure found in JS.
/** @param {Connection} conn */
function fail(conn, code, message) {
  // null when already closing, else whether a close frame is due.
  const frameDue = conn._session.shutdown();
  if (frameDue === null) return;
  shutdownAfterPipeline(conn, code, message, frameDue, true);
}

// `_shutdown` (also for an EVENT_SHUTDOWN): the pipeline drains and closes
// its sessions, then the close frame (if due), the error and the close.
/** @param {Connection} conn */
function shutdownAfterPipeline(conn, code, reason, sendFrame, error) {
  const finish = () => {
    if (sendFrame) conn._session.writeClose(code, Buffer.from(reason, 'utf8'));
    conn._flush();
    if (error) conn._emitError(reason);
    conn._beginClose(reason, code, error);
  };
  if (conn._pipeline) conn._pipeline.close(finish);
  else finish();
}

module.exports = {
  Extensions,
  needsPipeline,
  createExtensions,
  startPipeline,
  sendThroughPipeline,
  holdPing,
  receiveRaw,
  closeThroughPipeline,
  shutdownAfterPipeline,
};
