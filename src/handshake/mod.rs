//! The opening handshake, as websocket-driver 0.8.0 does it.

pub mod client;
pub mod extension_header;
pub mod headers;
pub mod http_response;
pub mod server;
