//! Entry points for the cargo-fuzz targets in `fuzz/`: each feeds untrusted
//! bytes to one parser of the core the way the bindings do, so the fuzzer
//! reaches it without the napi layer. Nothing else calls these; they are
//! public only because `fuzz/` is a crate of its own (see fuzz/README.md).
//!
//! The first input byte of the streaming parsers picks where the rest is cut
//! in two, so the fuzzer also explores how the bytes arrive.

use crate::deflate::negotiation::{self, DeflateOptions, Negotiated};
use crate::handshake::client::{ClientHandshake, HandshakeProgress, Offer, Target};
use crate::handshake::extension_header;
use crate::handshake::headers::HeaderList;
use crate::handshake::proxy::{ConnectProgress, ProxyConnect};
use crate::handshake::select_protocol;
use crate::handshake::server::{self, Extensions, ServerRequest};
use crate::session::draft::{self, Draft, DraftEvent};
use crate::session::{Config, Event, Role, Session};

/// The protocols the fuzzed server and client support.
const PROTOCOLS: [&str; 2] = ["chat", "superchat"];

/// Splits `data` after its first byte at an offset that byte picks.
fn split(data: &[u8]) -> (&[u8], &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return (&[], &[]);
    };
    rest.split_at(usize::from(first).min(rest.len()))
}

/// Feeds a chunk to `session` the way the bindings do, resuming after each
/// pause until the chunk is used up. Returns whether every message kept what
/// the JS side relies on: at most `max_length` bytes, and text that is valid
/// UTF-8 (checked again here with the standard library).
fn drain(session: &mut Session, chunk: &mut [u8], max_length: u64) -> bool {
    let mut events: Vec<Event> = Vec::new();
    let mut start = 0;
    let mut sound = true;
    loop {
        let Some(rest) = chunk.get_mut(start..) else {
            return false;
        };
        let paused = session.receive(rest, &mut events);
        for event in events.drain(..) {
            sound &= match &event {
                Event::Text(payload) => {
                    let text = payload.bytes(rest);
                    text.len() as u64 <= max_length && std::str::from_utf8(text).is_ok()
                }
                Event::Binary(payload) => payload.bytes(rest).len() as u64 <= max_length,
                _ => true,
            };
        }
        match paused {
            Some(consumed) => start += consumed,
            None => return sound,
        }
    }
}

/// The frame reader of an open session in `role`, with permessage-deflate
/// negotiated (default parameters) or not. After the cut byte, a second byte
/// picks the limits: bit 0 set gives a 4 KiB `maxLength` and 16 fragments
/// (so the limit paths are reached), clear gives the defaults. Returns
/// whether every message was within `maxLength` and, as text, UTF-8.
pub fn frame_reader(data: &[u8], role: Role, deflate: bool) -> bool {
    let Some((&cut, rest)) = data.split_first() else {
        return true;
    };
    let Some((&limits, frames)) = rest.split_first() else {
        return true;
    };
    let mut config = match role {
        Role::Server => Config::server(),
        Role::Client => Config::client(),
    };
    if limits & 1 == 1 {
        config.max_length = 4096;
        config.max_fragments = 16;
    }
    let mut session = Session::new(config);
    if deflate {
        let negotiated = Negotiated {
            own_context_takeover: true,
            own_window_bits: 15.0,
            peer_context_takeover: true,
            peer_window_bits: 15.0,
        };
        if session
            .enable_deflate(&negotiated, DeflateOptions::default().settings)
            .is_err()
        {
            return true;
        }
    }
    session.open();
    let (first, second) = frames.split_at(usize::from(cut).min(frames.len()));
    [first, second]
        .into_iter()
        .all(|chunk| drain(&mut session, &mut chunk.to_vec(), config.max_length))
}

/// The server handshake (`server::accept` with permessage-deflate
/// registered): `data` holds, separated by newlines, the method and the
/// `Connection`, `Upgrade`, `Sec-WebSocket-Version`, `-Key`, `-Extensions`
/// and `-Protocol` values (a missing field is an absent header). Input that
/// is not UTF-8 is skipped: header values reach Rust as JS strings.
pub fn server_handshake(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut fields = text.split('\n');
    let method = fields.next().unwrap_or_default();
    let mut field = || fields.next();
    let request = ServerRequest {
        method,
        connection: field(),
        upgrade: field(),
        version: field(),
        key: field(),
        extensions: field(),
    };
    let supported = PROTOCOLS.map(str::to_owned);
    let protocol = select_protocol(field(), &supported);
    let options = DeflateOptions::default();
    let mut session = Session::new(Config::server());
    let _ = server::accept(
        &mut session,
        &request,
        protocol.as_deref(),
        HeaderList::new(),
        Extensions::Deflate(Some(&options)),
    );
}

/// The client's reading of the server's handshake response, having offered
/// permessage-deflate and two protocols; once the server accepts, the bytes
/// after the head go to the session as the first frames. Returns whether
/// those frames' messages kept the invariants of [`frame_reader`].
pub fn client_handshake_response(data: &[u8]) -> bool {
    let target = Target {
        path: "/",
        host: "localhost",
        ..Target::default()
    };
    let protocols = PROTOCOLS.map(str::to_owned).to_vec();
    let Ok((mut handshake, _request)) = ClientHandshake::new(
        &target,
        Some("chat, superchat"),
        protocols,
        &[],
        Offer::Deflate(DeflateOptions::default()),
    ) else {
        return true;
    };
    let config = Config::client();
    let mut session = Session::new(config);
    let (first, second) = split(data);
    for chunk in [first, second] {
        let settings = Some(DeflateOptions::default().settings);
        match handshake.receive_for(&mut session, chunk, settings) {
            HandshakeProgress::Pending => {}
            HandshakeProgress::Open { body_offset } => {
                let mut frames = chunk.get(body_offset..).unwrap_or_default().to_vec();
                return drain(&mut session, &mut frames, config.max_length);
            }
            HandshakeProgress::Failed(_) => return true,
        }
    }
    true
}

/// A proxy's answer to the CONNECT request.
pub fn proxy_response(data: &[u8]) {
    let mut connect = ProxyConnect::new();
    let (first, second) = split(data);
    for chunk in [first, second] {
        match connect.receive(chunk) {
            ConnectProgress::Pending => {}
            ConnectProgress::Established { .. } | ConnectProgress::Refused => return,
        }
    }
}

/// The hixie-75/76 frame reader (`allowDrafts`). After the cut byte, a
/// second byte picks the draft (bit 0) and a small `maxLength` (bit 1: 64
/// bytes, else faye's default). Returns whether it held no more than a text
/// frame of `maxLength` allows and delivered no message after a close.
pub fn draft_frames(data: &[u8]) -> bool {
    let (first, second) = split(data);
    let Some((&flags, second)) = second.split_first() else {
        return true;
    };
    let draft = if flags & 1 == 0 {
        Draft::Hixie75
    } else {
        Draft::Hixie76
    };
    let max_length = if flags & 2 == 0 { 0 } else { 64 };
    let fed = draft::feed(draft, max_length, &[first, second]);
    let limit = if max_length == 0 {
        crate::session::DEFAULT_MAX_LENGTH
    } else {
        max_length
    };
    let bounded = fed.max_held as u64 <= 2 * (limit + 1) + 8;
    let closed_last = match fed
        .events
        .iter()
        .position(|event| *event == DraftEvent::Close)
    {
        Some(at) => at + 1 == fed.events.len(),
        None => true,
    };
    bounded && closed_last
}

/// `Sec-WebSocket-Extensions`: parsed, answered as a server with
/// permessage-deflate, and each entry activated as a client would.
pub fn extension_header(data: &[u8]) {
    let Ok(header) = std::str::from_utf8(data) else {
        return;
    };
    let options = DeflateOptions::default();
    if let Ok(offers) = extension_header::parse(header) {
        let _ = negotiation::answer(&options, &offers);
    }
    let _ = negotiation::client_activate_entry(&options, header);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::RFC_KEY;

    #[test]
    fn split_cuts_where_the_first_byte_says() {
        assert_eq!(split(b""), (&b""[..], &b""[..]));
        assert_eq!(split(b"\x02abcd"), (&b"ab"[..], &b"cd"[..]));
        assert_eq!(split(b"\xffab"), (&b"ab"[..], &b""[..]));
    }

    #[test]
    fn the_entry_points_take_any_bytes() {
        let request = format!(
            "GET\nUpgrade\nwebsocket\n13\n{RFC_KEY}\npermessage-deflate; client_max_window_bits\nchat"
        );
        server_handshake(request.as_bytes());
        server_handshake(b"\xff");
        assert!(client_handshake_response(
            b"\x05HTTP/1.1 101 OK\r\n\r\n\x81\x00"
        ));
        proxy_response(b"\x03HTTP/1.1 200 OK\r\n\r\n");
        assert!(draft_frames(b"\x03\x00hi\x00\xFFnext\xFF"));
        assert!(draft_frames(b"\x00\x03\x00too long for a 64-byte maxLength, so it closes without a message......\xFF"));
        extension_header(b"permessage-deflate; server_max_window_bits=10, x; y=\"z\"");
        for role in [Role::Server, Role::Client] {
            for deflate in [false, true] {
                assert!(frame_reader(b"\x03\x01\x81\x02hi\x88\x00", role, deflate));
            }
        }
        let mut session = Session::new(Config::client());
        session.open();
        assert!(drain(&mut session, &mut b"\x81\x02hi\x81\x01a".to_vec(), 2));
        assert!(!drain(&mut session, &mut b"\x82\x03abc".to_vec(), 2));
    }
}
