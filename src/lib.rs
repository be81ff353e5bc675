//! faye-websocket-native: a sans-IO WebSocket protocol core (hybi-13, RFC 6455)
//! and the napi-rs bindings that expose it to the JS shim in `lib/`.
//!
//! Everything except `bindings` is plain Rust with no napi types: bytes in,
//! events and bytes out. Node's own sockets do all the I/O.

// Frames and messages.
pub mod frame;
pub mod mask;
pub mod receiver;
pub mod sender;
pub mod session;
pub mod utf8;

// permessage-deflate (RFC 7692).
pub mod deflate;
pub mod deflate_negotiation;

// Opening handshake.
pub mod extension_header;
pub mod handshake;
pub mod headers;

// Client: the response head, the request and its checks, proxy tunnels.
pub mod client_handshake;
pub mod http_response;

mod bindings;

// The unit tests share the integration tests' helpers (frames encoded as a
// client would, events with their payloads copied out), which name the crate.
#[cfg(test)]
extern crate self as faye_websocket_native;
#[cfg(test)]
#[path = "../tests/common/mod.rs"]
mod test_support;
