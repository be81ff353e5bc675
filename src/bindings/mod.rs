//! The napi bindings: the only code that knows about JavaScript. A thin
//! adapter: each export converts its arguments, calls the sans-IO core and
//! converts the result; the protocol decisions are made in the core.
//!
//! One `NativeSession` per connection, its methods spread over one file per
//! concern (napi-rs merges the `#[napi] impl` blocks of a class):
//! `session` (the object, sending, closing, output), `table` (receiving:
//! the event table shared with `lib/connection.js`), `handshake` (server,
//! client and proxy handshakes, permessage-deflate options), `pipeline` (JS
//! extensions) and `compress` (compression on libuv's thread pool).
//! `NativeDraftSession` (`draft`) is a hixie-75/76 connection, apart from
//! hybi's.
//!
//! The constants below are the contract with `lib/`: what the numbers in the
//! event table, and some return values, mean.

// Under `cargo test` the napi macros register nothing, so exported free
// functions look unused.
#![cfg_attr(test, allow(dead_code))]
// napi-derive only exports `pub` items, so these stay `pub`.
#![allow(unreachable_pub)]

use napi_derive::napi;

mod compress;
mod draft;
mod handshake;
mod pipeline;
mod session;
mod table;
#[cfg(feature = "test-hooks")]
mod test_hooks;

/// Table layout: a header of `TABLE_HEADER` slots
/// `[event count, next chunk offset, chunk done (0/1, or 2: go on from the
/// offset on a later turn of the event loop), output pending (0/1)]`,
/// then `EVENT_SLOTS` slots per event: `[kind, a, b, c]`.
#[napi]
pub const TABLE_HEADER: u32 = 4;
#[napi]
pub const EVENT_SLOTS: u32 = 4;

/// Message and pong events: `a` is `PAYLOAD_IN_CHUNK` (then `b..c` is the
/// payload's range in the chunk) or `PAYLOAD_TAKEN` (call `take_text` or
/// `take_buffer`).
#[napi]
pub const EVENT_TEXT: u32 = 1;
#[napi]
pub const EVENT_BINARY: u32 = 2;
#[napi]
pub const EVENT_PONG: u32 = 3;
/// The peer closed: `a` is the code; the reason comes from `take_text`.
#[napi]
pub const EVENT_CLOSE: u32 = 4;
/// A protocol failure: `a` is the close code; the message comes from `take_text`.
#[napi]
pub const EVENT_ERROR: u32 = 5;

/// With JS extensions, a whole message for the pipeline: `a` has bit 0 set
/// when the payload is taken (else `b..c` is its range in the chunk), bit 1
/// for binary, and the RSV bits in their frame-byte places (0x40, 0x20, 0x10).
#[napi]
pub const EVENT_RAW: u32 = 6;
/// With JS extensions, the peer's close or a failure, nothing written yet:
/// `a` is the code, `b` has bit 0 for a failure and bit 1 when a close frame
/// is due once the pipeline has drained; the reason or message comes from
/// `take_text`.
#[napi]
pub const EVENT_SHUTDOWN: u32 = 7;

#[napi]
pub const PAYLOAD_IN_CHUNK: u32 = 0;
#[napi]
pub const PAYLOAD_TAKEN: u32 = 1;

/// Header slots of the event table: how many events were written, where
/// parsing goes on in the chunk, the chunk's status (`CHUNK_*`) and whether
/// output is pending (1) or not (0).
#[napi]
pub const TABLE_EVENT_COUNT: u32 = 0;
#[napi]
pub const TABLE_NEXT_OFFSET: u32 = 1;
#[napi]
pub const TABLE_STATUS: u32 = 2;
#[napi]
pub const TABLE_OUTPUT_PENDING: u32 = 3;

/// `TABLE_STATUS`: events were written and parsing paused; dispatch them,
/// then call `receive` again from `TABLE_NEXT_OFFSET`.
#[napi]
pub const CHUNK_PAUSED: u32 = 0;
/// `TABLE_STATUS`: the chunk is used up.
#[napi]
pub const CHUNK_DONE: u32 = 1;
/// `TABLE_STATUS`: go on from `TABLE_NEXT_OFFSET` on a later turn of the
/// event loop (a compressed message inflating to a lot).
#[napi]
pub const CHUNK_YIELD: u32 = 2;

/// `EVENT_RAW`'s `a`: the payload is taken (else it is `b..c` of the chunk).
#[napi]
pub const RAW_TAKEN: u32 = 1;
/// `EVENT_RAW`'s `a`: a binary message (else text).
#[napi]
pub const RAW_BINARY: u32 = 2;
/// `EVENT_SHUTDOWN`'s `b`: a failure (else the peer's close).
#[napi]
pub const SHUTDOWN_ERROR: u32 = 1;
/// `EVENT_SHUTDOWN`'s `b`: a close frame is due once the pipeline drains.
#[napi]
pub const SHUTDOWN_SEND_FRAME: u32 = 2;

/// The RSV bits in their frame-byte places, as `EVENT_RAW`'s `a`,
/// `send_frame` and `enable_pipeline` take them.
#[napi]
pub const RSV1: u32 = RSV1_BIT as u32;
#[napi]
pub const RSV2: u32 = RSV2_BIT as u32;
#[napi]
pub const RSV3: u32 = RSV3_BIT as u32;

/// `NativeDraftSession.receive`: the chunk is used up (`DRAFT_DONE`),
/// hixie-76's key bytes arrived and the session is open (`DRAFT_OPEN`), a
/// message is waiting in `take_message` (`DRAFT_MESSAGE`), or the
/// connection closed (`DRAFT_CLOSE`). Output may be due after any of them.
#[napi]
pub const DRAFT_DONE: u32 = 0;
#[napi]
pub const DRAFT_OPEN: u32 = 1;
#[napi]
pub const DRAFT_MESSAGE: u32 = 2;
#[napi]
pub const DRAFT_CLOSE: u32 = 3;

/// faye's default `maxLength`: 2^26 - 1.
#[napi]
pub const DEFAULT_MAX_LENGTH: u32 = crate::session::DEFAULT_MAX_LENGTH as u32;

/// `send_text`/`send_binary`: the session no longer sends.
#[napi]
pub const NOT_SENT: i32 = -1;
/// `NativeSession`'s `max_length` argument that stands for faye's default.
#[napi]
pub const MAX_LENGTH_DEFAULT: u32 = 0;

/// faye's readyState values, the session's `ReadyState`.
#[napi]
pub const CONNECTING: u32 = ReadyState::Connecting as u32;
#[napi]
pub const OPEN: u32 = ReadyState::Open as u32;
#[napi]
pub const CLOSING: u32 = ReadyState::Closing as u32;
#[napi]
pub const CLOSED: u32 = ReadyState::Closed as u32;

/// The opcodes of the messages the JS pipeline sees and `send_frame` takes.
#[napi]
pub const OPCODE_TEXT: u32 = OpCode::Text as u32;
#[napi]
pub const OPCODE_BINARY: u32 = OpCode::Binary as u32;

/// Close codes: the core's, and 1006, which only `lib/` uses (faye's code
/// for a connection that ended without a closing handshake).
#[napi]
pub const CLOSE_NORMAL: u32 = close::NORMAL as u32;
#[napi]
pub const CLOSE_PROTOCOL_ERROR: u32 = close::PROTOCOL_ERROR as u32;
#[napi]
pub const CLOSE_UNACCEPTABLE: u32 = close::UNACCEPTABLE as u32;
#[napi]
pub const CLOSE_ABNORMAL: u32 = 1006;
#[napi]
pub const CLOSE_POLICY_VIOLATION: u32 = close::POLICY_VIOLATION as u32;
#[napi]
pub const CLOSE_EXTENSION_ERROR: u32 = close::EXTENSION_ERROR as u32;
/// 1011, which `lib/` sends when a Rust panic fails a connection (faye never does).
#[napi]
pub const CLOSE_INTERNAL_ERROR: u32 = 1011;

/// faye's close codes and messages for a message that is too long or not
/// UTF-8, which `lib/` also applies after the JS pipeline.
#[napi]
pub const CLOSE_TOO_LARGE: u32 = close::TOO_LARGE as u32;
#[napi]
pub const TOO_LARGE_MESSAGE: &str = receiver::TOO_LARGE_MESSAGE;
#[napi]
pub const CLOSE_ENCODING_ERROR: u32 = close::ENCODING_ERROR as u32;
#[napi]
pub const INVALID_UTF8_MESSAGE: &str = receiver::INVALID_UTF8_MESSAGE;
/// How every client handshake failure message starts.
#[napi]
pub const HANDSHAKE_FAILURE_PREFIX: &str = FAILURE_PREFIX;

use crate::handshake::client::FAILURE_PREFIX;
use crate::protocol::close;
use crate::protocol::frame::{OpCode, RSV1_BIT, RSV2_BIT, RSV3_BIT};
use crate::session::{receiver, ReadyState};
