//! faye-websocket-native: a sans-IO WebSocket protocol core (hybi-13, RFC 6455)
//! and the napi-rs bindings that expose it to the JS shim in `lib/`.
//!
//! Everything except `bindings` is plain Rust with no napi types: bytes in,
//! events and bytes out. Node's own sockets do all the I/O.

/// The napi adapter.
mod bindings;
/// permessage-deflate (RFC 7692): codec and negotiation.
pub mod deflate;
/// The opening handshake: server, client, proxy tunnels.
pub mod handshake;
/// JavaScript semantics (number parsing and printing, truthiness).
mod js;
/// Frames on the wire: headers, masking, UTF-8.
pub mod protocol;
/// One connection after the handshake: receiver, sender, state machine.
pub mod session;

// The paths the integration tests in tests/ use.
pub use deflate::negotiation as deflate_negotiation;
pub use protocol::{frame, mask, utf8};

// The unit tests share the integration tests' helpers (frames encoded as a
// client would, events with their payloads copied out), which name the crate.
#[cfg(test)]
extern crate self as faye_websocket_native;
#[cfg(test)]
mod test_support;
