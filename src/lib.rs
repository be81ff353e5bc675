//! faye-websocket-native: a sans-IO WebSocket protocol core (hybi-13, RFC 6455)
//! and the napi-rs bindings that expose it to the JS shim in `lib/`.
//!
//! Everything except `bindings` is plain Rust with no napi types: bytes in,
//! events and bytes out. Node's own sockets do all the I/O.
//!
//! The modules, in the order data flows through them:
//! - `protocol`: the RFC 6455 wire format (frame headers, close codes,
//!   masking, UTF-8);
//! - `handshake`: the opening handshake, server and client, and proxy
//!   tunnels (websocket-driver's `driver/*`);
//! - `session`: one connection after the handshake (hybi.js): the receiver,
//!   the sender and the state machine between them; `session::draft` is a
//!   hixie-75/76 connection (draft75.js, draft76.js), with `allowDrafts`;
//! - `deflate`: permessage-deflate (RFC 7692), its codec and negotiation;
//! - `js`: the JavaScript semantics the port reproduces;
//! - `bindings`: the napi adapter, the only code that knows about JavaScript.
//!
//! Only what the integration tests in `tests/` and the fuzz targets in
//! `fuzz/` (through `fuzzing`) use is public.

#![warn(unreachable_pub)]

pub mod deflate;
pub mod fuzzing;
pub(crate) mod handshake;
pub(crate) mod js;
pub(crate) mod protocol;
pub mod session;

mod bindings;

/// `tests/`' path to the negotiated permessage-deflate parameters.
pub mod deflate_negotiation {
    pub use crate::deflate::negotiation::Negotiated;
}

/// `tests/`' path to the opcodes.
pub mod frame {
    pub use crate::protocol::frame::OpCode;
}

/// `tests/`' path to masking.
pub mod mask {
    pub use crate::protocol::mask::apply_mask;
}

/// `tests/`' path to the streaming UTF-8 validator.
pub mod utf8 {
    pub use crate::protocol::utf8::Utf8Validator;
}

// The unit tests share the integration tests' helpers (frames encoded as a
// client would, events with their payloads copied out), which name the crate.
#[cfg(test)]
extern crate self as faye_websocket_native;
#[cfg(test)]
mod test_support;
