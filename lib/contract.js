'use strict';
// @ts-check

// The JS↔Rust contract: every number and string that lib/ and the Rust core
// must agree on, by name. Each is exported by the addon (the `#[napi] pub
// const`s of src/bindings/mod.rs and src/bindings/handshake.rs, where they
// are documented) and read here once, at load: the modules that use them
// destructure this object into module-level constants, so a hot path never
// loads a property for them.

const native = require('./binding');

const {
  // `NativeSession.receive` fills a Uint32Array: TABLE_HEADER header slots
  // (event count, where to call again from, the chunk's CHUNK_* status, 0/1
  // for output queued), then EVENT_SLOTS slots per event, `[kind, a, b, c]`.
  TABLE_HEADER,
  EVENT_SLOTS,
  TABLE_NEXT_OFFSET,
  TABLE_STATUS,
  TABLE_OUTPUT_PENDING,
  CHUNK_DONE,
  CHUNK_YIELD,
  // Event kinds. TEXT, BINARY and PONG: `a` is PAYLOAD_IN_CHUNK (the payload
  // is `b..c` of the chunk) or PAYLOAD_TAKEN (takeText/takeBuffer).
  EVENT_TEXT,
  EVENT_BINARY,
  EVENT_PONG,
  // `a` is the close code; the reason or message comes from takeText.
  EVENT_CLOSE,
  EVENT_ERROR,
  // With JS extensions: a whole message for the pipeline (`a` holds the
  // RAW_* flags and the frame's RSV bits in their frame-byte places, which
  // `enablePipeline`'s and the negotiation's `allowedRsv` masks use too),
  // and the peer's close or a failure (`a` the code, `b` the SHUTDOWN_*
  // flags).
  EVENT_RAW,
  EVENT_SHUTDOWN,
  PAYLOAD_IN_CHUNK,
  RAW_TAKEN,
  RAW_BINARY,
  RSV1,
  RSV2,
  RSV3,
  SHUTDOWN_ERROR,
  SHUTDOWN_SEND_FRAME,
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
  // What `sendText`/`sendBinary` return instead of the payload's byte
  // length when the session no longer sends.
  NOT_SENT: SEND_REFUSED,
  // faye's readyState values.
  CONNECTING,
  OPEN,
  CLOSING,
  CLOSED,
  // Opcodes of the messages the JS pipeline sees.
  OPCODE_TEXT,
  OPCODE_BINARY,
  // Close codes.
  CLOSE_NORMAL,
  CLOSE_PROTOCOL_ERROR,
  CLOSE_UNACCEPTABLE,
  CLOSE_ABNORMAL,
  CLOSE_ENCODING_ERROR,
  CLOSE_POLICY_VIOLATION,
  CLOSE_TOO_LARGE,
  CLOSE_EXTENSION_ERROR,
  CLOSE_INTERNAL_ERROR,
  // faye's default maxLength (2^26 − 1), and the `NativeSession`
  // constructor's maxLength argument that stands for it.
  DEFAULT_MAX_LENGTH,
  MAX_LENGTH_DEFAULT,
  // faye's error messages that the JS pipeline raises too, and how every
  // client handshake failure message starts.
  TOO_LARGE_MESSAGE: ERROR_TOO_LARGE,
  INVALID_UTF8_MESSAGE: ERROR_INVALID_UTF8,
  HANDSHAKE_FAILURE_PREFIX,
} = native;

module.exports = {
  TABLE_HEADER,
  EVENT_SLOTS,
  TABLE_NEXT_OFFSET,
  TABLE_STATUS,
  TABLE_OUTPUT_PENDING,
  CHUNK_DONE,
  CHUNK_YIELD,
  EVENT_TEXT,
  EVENT_BINARY,
  EVENT_PONG,
  EVENT_CLOSE,
  EVENT_ERROR,
  EVENT_RAW,
  EVENT_SHUTDOWN,
  PAYLOAD_IN_CHUNK,
  RAW_TAKEN,
  RAW_BINARY,
  RSV1,
  RSV2,
  RSV3,
  SHUTDOWN_ERROR,
  SHUTDOWN_SEND_FRAME,
  HANDSHAKE_PENDING,
  HANDSHAKE_OPEN,
  HANDSHAKE_FAILED,
  DRAFT_DONE,
  DRAFT_OPEN,
  DRAFT_MESSAGE,
  DRAFT_CLOSE,
  SEND_REFUSED,
  CONNECTING,
  OPEN,
  CLOSING,
  CLOSED,
  OPCODE_TEXT,
  OPCODE_BINARY,
  CLOSE_NORMAL,
  CLOSE_PROTOCOL_ERROR,
  CLOSE_UNACCEPTABLE,
  CLOSE_ABNORMAL,
  CLOSE_ENCODING_ERROR,
  CLOSE_POLICY_VIOLATION,
  CLOSE_TOO_LARGE,
  CLOSE_EXTENSION_ERROR,
  CLOSE_INTERNAL_ERROR,
  DEFAULT_MAX_LENGTH,
  MAX_LENGTH_DEFAULT,
  ERROR_TOO_LARGE,
  ERROR_INVALID_UTF8,
  HANDSHAKE_FAILURE_PREFIX,
};
