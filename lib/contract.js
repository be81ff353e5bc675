'use strict';
// @ts-check

// The JS↔Rust contract: every number and string that lib/ and the Rust core
// must agree on, by name. The first group is exported by the addon
// (src/bindings.rs `#[napi] pub const`); the rest are written a second time
// here and mirror the Rust constants named beside them. Until the addon
// exports those too, a change on one side must be made on the other.

const native = require('./binding');

// ----- exported by the addon -----

const {
  // `NativeSession.receive` fills a Uint32Array: TABLE_HEADER header slots,
  // then EVENT_SLOTS slots per event, `[kind, a, b, c]`.
  TABLE_HEADER,
  EVENT_SLOTS,
  // Event kinds. TEXT, BINARY and PONG: `a` is PAYLOAD_IN_CHUNK (the payload
  // is `b..c` of the chunk) or PAYLOAD_TAKEN (takeText/takeBuffer).
  EVENT_TEXT,
  EVENT_BINARY,
  EVENT_PONG,
  // `a` is the close code; the reason or message comes from takeText.
  EVENT_CLOSE,
  EVENT_ERROR,
  // With JS extensions: a whole message for the pipeline (`a` holds the
  // RAW_* flags and RSV bits below), and the peer's close or a failure
  // (`a` the code, `b` the SHUTDOWN_* flags).
  EVENT_RAW,
  EVENT_SHUTDOWN,
  PAYLOAD_IN_CHUNK,
  // receiveHandshake and NativeProxyConnect.receive.
  HANDSHAKE_PENDING,
  HANDSHAKE_OPEN,
  HANDSHAKE_FAILED,
  // What `NativeDraftSession.receive` stopped at: the chunk is used up, the
  // session opened, a message (takeMessage), or the connection closed.
  DRAFT_DONE,
  DRAFT_OPEN,
  DRAFT_MESSAGE,
  DRAFT_CLOSE,
} = native;

// ----- mirrored from Rust -----

// The table header (src/bindings.rs `receive`): the event count, where to
// call again from, the chunk's status, and 0/1 for output queued.
const TABLE_NEXT_OFFSET = 1;
const TABLE_STATUS = 2;
const TABLE_OUTPUT_PENDING = 3;

// TABLE_STATUS: more events from TABLE_NEXT_OFFSET now (0), the chunk is
// done, or go on from TABLE_NEXT_OFFSET on a later turn of the event loop.
const CHUNK_DONE = 1;
const CHUNK_YIELD = 2;

// EVENT_RAW's `a` (src/bindings.rs `write_events`): the payload is taken
// rather than in the chunk, the message is binary, and the frame's RSV bits
// in their frame-byte places (src/frame.rs `RSV1_BIT`…), which
// `enablePipeline`'s and the negotiation's `allowedRsv` masks use too.
const RAW_TAKEN = 1;
const RAW_BINARY = 2;
const RSV1 = 0x40;
const RSV2 = 0x20;
const RSV3 = 0x10;

// EVENT_SHUTDOWN's `b`: a failure (emit the error), and a close frame is due
// once the pipeline has drained.
const SHUTDOWN_ERROR = 1;
const SHUTDOWN_SEND_FRAME = 2;

// `shutdown()`: already closing (−1), or whether a close frame is due (1, 0).
const SHUTDOWN_IGNORED = -1;
const SHUTDOWN_FRAME_DUE = 1;

// `sendText`/`sendBinary` return the payload's byte length, or this when the
// session no longer sends (src/bindings.rs `accepted_length`).
const SEND_REFUSED = -1;

// faye's readyState values, which `session.readyState` also reports
// (src/session.rs `ReadyState`).
const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

// Opcodes of the messages the JS pipeline sees (src/frame.rs `OpCode`).
const OPCODE_TEXT = 1;
const OPCODE_BINARY = 2;

// Close codes (src/receiver.rs; 1000 and 1006 are faye's API defaults).
const CLOSE_NORMAL = 1000;
const CLOSE_PROTOCOL_ERROR = 1002;
const CLOSE_ABNORMAL = 1006;
const CLOSE_ENCODING_ERROR = 1007;
const CLOSE_POLICY_VIOLATION = 1008; // src/protocol/close.rs POLICY_VIOLATION
const CLOSE_TOO_LARGE = 1009;
const CLOSE_INTERNAL_ERROR = 1011; // RFC 6455 §7.4.1; faye never sends it

// faye's default maxLength, websocket-driver's 2^26 − 1 (src/session.rs
// `DEFAULT_MAX_LENGTH`), and the `NativeSession` constructor's maxLength
// argument that stands for it.
const DEFAULT_MAX_LENGTH = 0x3ffffff;
const MAX_LENGTH_DEFAULT = 0;

// faye's error messages that the JS pipeline raises too (src/receiver.rs,
// src/client_handshake.rs `FAILURE_PREFIX`).
const ERROR_TOO_LARGE = 'WebSocket frame length too large';
const ERROR_INVALID_UTF8 = 'Could not decode a text frame as UTF-8';
const HANDSHAKE_FAILURE_PREFIX = 'Error during WebSocket handshake: ';

module.exports = {
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
  HANDSHAKE_PENDING,
  HANDSHAKE_OPEN,
  HANDSHAKE_FAILED,
  DRAFT_DONE,
  DRAFT_OPEN,
  DRAFT_MESSAGE,
  DRAFT_CLOSE,
  TABLE_NEXT_OFFSET,
  TABLE_STATUS,
  TABLE_OUTPUT_PENDING,
  CHUNK_DONE,
  CHUNK_YIELD,
  RAW_TAKEN,
  RAW_BINARY,
  RSV1,
  RSV2,
  RSV3,
  SHUTDOWN_ERROR,
  SHUTDOWN_SEND_FRAME,
  SHUTDOWN_IGNORED,
  SHUTDOWN_FRAME_DUE,
  SEND_REFUSED,
  CONNECTING,
  OPEN,
  CLOSING,
  CLOSED,
  OPCODE_TEXT,
  OPCODE_BINARY,
  CLOSE_NORMAL,
  CLOSE_PROTOCOL_ERROR,
  CLOSE_ABNORMAL,
  CLOSE_POLICY_VIOLATION,
  CLOSE_INTERNAL_ERROR,
  CLOSE_ENCODING_ERROR,
  CLOSE_TOO_LARGE,
  DEFAULT_MAX_LENGTH,
  MAX_LENGTH_DEFAULT,
  ERROR_TOO_LARGE,
  ERROR_INVALID_UTF8,
  HANDSHAKE_FAILURE_PREFIX,
};
