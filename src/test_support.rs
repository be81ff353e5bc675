//! Builders the unit tests share: the integration tests' helpers in
//! tests/common (frames encoded as a client would, events with their
//! payloads copied out), a receiver fed whole chunks, and handshake data.

#[allow(unreachable_pub)] // written for the integration test crates
#[path = "../tests/common/mod.rs"]
mod common;

pub(crate) use common::{encode as frame, owned};

use crate::session::receiver::{Incoming, Limits, Receiver, Violation};
use crate::session::{Config, Payload, Session};

/// The key `masked` frames are masked with.
pub(crate) const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A frame as a client sends it.
pub(crate) fn masked(first: u8, payload: &[u8]) -> Vec<u8> {
    frame(first, payload, Some(KEY))
}

/// A server's limits with faye's defaults.
pub(crate) fn server_limits() -> Limits {
    Limits {
        require_masking: true,
        max_length: 0x3ff_ffff,
        max_fragments: 131_072,
    }
}

fn owned_payload(payload: Payload, chunk: &[u8]) -> Payload {
    Payload::Owned(payload.bytes(chunk).to_vec())
}

/// Everything one chunk yields, with chunk payloads copied out.
pub(crate) fn feed(receiver: &mut Receiver, bytes: &[u8], closing: bool) -> Vec<Incoming> {
    let mut chunk = bytes.to_vec();
    let mut cursor = 0;
    let mut items = Vec::new();
    while let Some(item) = receiver.next(&mut chunk, &mut cursor, closing) {
        items.push(match item {
            Incoming::Text(p) => Incoming::Text(owned_payload(p, &chunk)),
            Incoming::Binary(p) => Incoming::Binary(owned_payload(p, &chunk)),
            Incoming::Ping(p) => Incoming::Ping(owned_payload(p, &chunk)),
            Incoming::Pong(p) => Incoming::Pong(owned_payload(p, &chunk)),
            Incoming::Close(p) => Incoming::Close(owned_payload(p, &chunk)),
            violation => violation,
        });
    }
    items
}

/// What a server receiver with the default limits makes of one chunk.
pub(crate) fn server_feed(bytes: &[u8]) -> Vec<Incoming> {
    feed(&mut Receiver::new(server_limits()), bytes, false)
}

/// A failure with faye's code and message, as the only item.
pub(crate) fn failure(code: u16, message: &str) -> Vec<Incoming> {
    vec![Incoming::Violation(Violation {
        code,
        message: message.to_owned(),
    })]
}

/// A text message assembled into owned bytes.
pub(crate) fn text(bytes: &[u8]) -> Incoming {
    Incoming::Text(Payload::Owned(bytes.to_vec()))
}

/// RFC 6455's example `Sec-WebSocket-Key` and its `Sec-WebSocket-Accept`.
pub(crate) const RFC_KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
pub(crate) const RFC_ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// Owned strings, for the lists handshakes take.
pub(crate) fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| item.to_string()).collect()
}

/// Owned header pairs.
pub(crate) fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

/// A server session, open.
pub(crate) fn open_server() -> Session {
    let mut session = Session::new(Config::server());
    session.open();
    session
}
