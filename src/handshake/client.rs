//! The client side of the opening handshake, as websocket-driver 0.8.0
//! writes and checks it (lib/websocket/driver/client.js).
//!
//! URLs are parsed by the caller (WHATWG `new URL` in JS); this module gets
//! their parts as websocket-driver reads them.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;

use super::{accept_key, basic_authorization};
use crate::deflate::codec::CompressorSettings;
use crate::deflate::negotiation::{self, DeflateOptions, Negotiated};
use crate::handshake::extension_header;
use crate::handshake::headers::{HeaderError, HeaderList};
use crate::handshake::http_response::{Progress, ResponseParser};
use crate::protocol::close::PROTOCOL_ERROR;
use crate::session::Session;

/// Every handshake failure message starts with this (client.js `_failHandshake`).
pub(crate) const FAILURE_PREFIX: &str = "Error during WebSocket handshake: ";

/// The parts of a `ws:`/`wss:` URL the request is made from.
#[derive(Debug, Clone, Default)]
pub(crate) struct Target<'a> {
    /// `pathname + search`, as `new URL` gives them.
    pub path: &'a str,
    /// `host`: the host name, with the port only if it is not the default.
    pub host: &'a str,
    /// The userinfo, still percent-encoded.
    pub username: &'a str,
    pub password: &'a str,
}

/// A `Sec-WebSocket-Key`: 16 random bytes from the OS, in base64.
pub(crate) fn generate_key() -> String {
    let mut bytes = [0u8; 16];
    // Without an OS random source there is no safe key to send; the key only
    // has to be unpredictable enough to defeat caching proxies, and failing
    // here would mean no client at all, so fall back to a hashed time/address
    // mix, which getrandom failing on a supported platform never reaches.
    if getrandom::fill(&mut bytes).is_err() {
        use std::hash::{BuildHasher, Hasher};
        let state = std::collections::hash_map::RandomState::new();
        for half in bytes.chunks_mut(8) {
            let mut hasher = state.build_hasher();
            hasher.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|elapsed| elapsed.as_nanos())
                    .unwrap_or_default(),
            );
            half.copy_from_slice(&hasher.finish().to_ne_bytes()[..half.len()]);
        }
    }
    BASE64.encode(bytes)
}

/// How the response to the opening handshake went so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HandshakeProgress {
    /// More of the response is needed.
    Pending,
    /// The server accepted; frames start this many bytes into the chunk.
    Open { body_offset: usize },
    /// faye's full error message, `Error during WebSocket handshake: ...`.
    Failed(String),
}

/// One client handshake: the request, then the response's checks.
#[derive(Debug, Clone)]
pub(crate) struct ClientHandshake {
    accept: String,
    protocols: Vec<String>,
    parser: ResponseParser,
    protocol: Option<String>,
    /// permessage-deflate was offered with these options.
    deflate: Option<DeflateOptions>,
    /// What the server's answer activated.
    negotiated: Option<Negotiated>,
    /// JS extensions were offered: the caller activates the server's
    /// extension response itself.
    caller_activates: bool,
}

/// What the request offers in `Sec-WebSocket-Extensions`.
pub(crate) enum Offer<'a> {
    Nothing,
    /// permessage-deflate with these `configure` options; fails with its
    /// message for invalid window bits (`Invalid value for maxWindowBits`).
    Deflate(DeflateOptions),
    /// The offer JS extensions made (if any); their `activate` runs in JS.
    Caller(Option<&'a str>),
}

impl ClientHandshake {
    /// Builds the request (`GET` line and headers, in client.js's order) with
    /// a fresh key. `protocol_header` is `protocols.join(', ')` as JS made it,
    /// present when the protocol list was not empty; `protocols` are the
    /// names a server may pick. User headers come after the driver's own, so
    /// they cannot replace them (the header list keeps the first value).
    pub(crate) fn new(
        target: &Target,
        protocol_header: Option<&str>,
        protocols: Vec<String>,
        user_headers: &[(String, String)],
        offer: Offer,
    ) -> Result<(ClientHandshake, Vec<u8>), HeaderError> {
        Self::with_key(
            target,
            protocol_header,
            protocols,
            user_headers,
            &generate_key(),
            offer,
        )
    }

    /// [`ClientHandshake::new`] with a given key (tests compare exact bytes).
    pub(crate) fn with_key(
        target: &Target,
        protocol_header: Option<&str>,
        protocols: Vec<String>,
        user_headers: &[(String, String)],
        key: &str,
        offer: Offer,
    ) -> Result<(ClientHandshake, Vec<u8>), HeaderError> {
        let mut headers = HeaderList::new();
        headers.set("Host", target.host)?;
        headers.set("Upgrade", "websocket")?;
        headers.set("Connection", "Upgrade")?;
        headers.set("Sec-WebSocket-Key", key)?;
        headers.set("Sec-WebSocket-Version", "13")?;
        if let Some(value) = protocol_header {
            headers.set("Sec-WebSocket-Protocol", value)?;
        }
        if let Some(value) = basic_authorization(target.username, target.password) {
            headers.set("Authorization", &value)?;
        }
        for (name, value) in user_headers {
            headers.set(name, value)?;
        }
        // client.js start(): the extensions' offer comes after the user's
        // headers.
        let (deflate, caller_activates) = match offer {
            Offer::Nothing => (None, false),
            Offer::Deflate(options) => {
                let header =
                    negotiation::client_offer_header(&options).map_err(|error| HeaderError {
                        message: error.to_string(),
                    })?;
                headers.set("Sec-WebSocket-Extensions", &header)?;
                (Some(options), false)
            }
            Offer::Caller(header) => {
                if let Some(header) = header {
                    headers.set("Sec-WebSocket-Extensions", header)?;
                }
                (None, true)
            }
        };

        let mut request = format!("GET {} HTTP/1.1\r\n", target.path).into_bytes();
        headers.write_to(&mut request);
        request.extend_from_slice(b"\r\n");
        let handshake = ClientHandshake {
            accept: accept_key(key),
            protocols,
            parser: ResponseParser::new(),
            protocol: None,
            deflate,
            negotiated: None,
            caller_activates,
        };
        Ok((handshake, request))
    }

    /// Reads the next bytes of the server's response.
    pub(crate) fn receive(&mut self, chunk: &[u8]) -> HandshakeProgress {
        match self.parser.feed(chunk) {
            Progress::Incomplete => HandshakeProgress::Pending,
            Progress::Failed => {
                let error = self.parser.error().unwrap_or_default();
                HandshakeProgress::Failed(format!("{FAILURE_PREFIX}{error}"))
            }
            Progress::Complete(body_offset) => match self.validate() {
                Ok(()) => HandshakeProgress::Open { body_offset },
                Err(message) => HandshakeProgress::Failed(format!("{FAILURE_PREFIX}{message}")),
            },
        }
    }

    /// [`ClientHandshake::receive`], applied to `session`: once the server
    /// accepts, the session is open, with permessage-deflate if the answer
    /// activated it (`settings`: the registered compressor settings); once
    /// it fails, the session is closed and what was queued discarded.
    pub(crate) fn receive_for(
        &mut self,
        session: &mut Session,
        chunk: &[u8],
        settings: Option<CompressorSettings>,
    ) -> HandshakeProgress {
        let progress = self.receive(chunk);
        match &progress {
            HandshakeProgress::Pending => {}
            HandshakeProgress::Open { .. } => {
                if let (Some(negotiated), Some(settings)) = (self.negotiated_deflate(), settings) {
                    // The settings were checked when the options were made.
                    let _ = session.enable_deflate(negotiated, settings);
                }
                session.open();
            }
            HandshakeProgress::Failed(_) => {
                session.close(PROTOCOL_ERROR, b"");
            }
        }
        progress
    }

    /// The response's status code, once its head is complete.
    pub(crate) fn status_code(&self) -> Option<u16> {
        self.parser.status_code()
    }

    /// The response's headers (see `ResponseParser::headers`).
    pub(crate) fn headers(&self) -> Vec<(String, String)> {
        self.parser.headers()
    }

    /// The permessage-deflate parameters the server's answer activated.
    pub(crate) fn negotiated_deflate(&self) -> Option<&Negotiated> {
        self.negotiated.as_ref()
    }

    /// The subprotocol the server chose, after a successful handshake.
    pub(crate) fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// `_validateHandshake`'s checks, in its order.
    fn validate(&mut self) -> Result<(), ResponseError> {
        let status = self.parser.status_code().unwrap_or_default();
        if status != 101 {
            return Err(ResponseError::Status(status));
        }
        let header = |name: &str| self.parser.header(name).unwrap_or_default();
        // The values are ASCII (the parser drops high bits), so ASCII
        // lower-casing is JS `toLowerCase` here.
        let upgrade = header("upgrade");
        if upgrade.is_empty() {
            return Err(ResponseError::UpgradeMissing);
        }
        if !upgrade.eq_ignore_ascii_case("websocket") {
            return Err(ResponseError::UpgradeNotWebSocket);
        }
        let connection = header("connection");
        if connection.is_empty() {
            return Err(ResponseError::ConnectionMissing);
        }
        if !connection.eq_ignore_ascii_case("upgrade") {
            return Err(ResponseError::ConnectionNotUpgrade);
        }
        if header("sec-websocket-accept") != self.accept {
            return Err(ResponseError::AcceptMismatch);
        }
        let protocol = header("sec-websocket-protocol");
        if !protocol.is_empty() {
            if !self.protocols.contains(&protocol) {
                return Err(ResponseError::ProtocolMismatch);
            }
            self.protocol = Some(protocol);
        }
        // websocket-extensions `activate`, with permessage-deflate the only
        // extension that can have been offered.
        if self.caller_activates {
            return Ok(());
        }
        let extensions = header("sec-websocket-extensions");
        let offers = extension_header::parse(&extensions)
            .map_err(|error| ResponseError::ExtensionHeader(error.message))?;
        for offer in &offers {
            let options = match &self.deflate {
                Some(options) if offer.name == negotiation::NAME => options,
                _ => return Err(ResponseError::UnknownExtension(offer.name.clone())),
            };
            if self.negotiated.is_some() {
                return Err(ResponseError::TwoDeflateResponses);
            }
            match negotiation::client_activate(options, &offer.params) {
                Some(negotiated) => self.negotiated = Some(negotiated),
                None => {
                    let message = negotiation::unacceptable_message(&offer.params);
                    return Err(ResponseError::Unacceptable(message));
                }
            }
        }
        Ok(())
    }
}

/// Why `_validateHandshake` refused the server's response (websocket-driver's
/// messages, after `FAILURE_PREFIX`).
#[derive(Clone, Debug, PartialEq, Eq)]
enum ResponseError {
    Status(u16),
    UpgradeMissing,
    UpgradeNotWebSocket,
    ConnectionMissing,
    ConnectionNotUpgrade,
    AcceptMismatch,
    ProtocolMismatch,
    /// The extension header does not parse: the parser's message.
    ExtensionHeader(String),
    /// The name of an extension that was not offered.
    UnknownExtension(String),
    /// permessage-deflate answered twice.
    TwoDeflateResponses,
    /// `negotiation::unacceptable_message`'s text.
    Unacceptable(String),
}

impl std::fmt::Display for ResponseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResponseError::Status(status) => write!(f, "Unexpected response code: {status}"),
            ResponseError::UpgradeMissing => f.write_str("'Upgrade' header is missing"),
            ResponseError::UpgradeNotWebSocket => {
                f.write_str("'Upgrade' header value is not 'WebSocket'")
            }
            ResponseError::ConnectionMissing => f.write_str("'Connection' header is missing"),
            ResponseError::ConnectionNotUpgrade => {
                f.write_str("'Connection' header value is not 'Upgrade'")
            }
            ResponseError::AcceptMismatch => f.write_str("Sec-WebSocket-Accept mismatch"),
            ResponseError::ProtocolMismatch => f.write_str("Sec-WebSocket-Protocol mismatch"),
            ResponseError::ExtensionHeader(message) | ResponseError::Unacceptable(message) => {
                f.write_str(message)
            }
            ResponseError::UnknownExtension(name) => write!(
                f,
                "Server sent an extension response for unknown extension \"{name}\""
            ),
            ResponseError::TwoDeflateResponses => {
                let name = negotiation::NAME;
                write!(
                    f,
                    "Server sent two extension responses that use the RSV1 bit: \"{name}\" and \"{name}\""
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{pairs, strings, RFC_ACCEPT as ACCEPT, RFC_KEY as KEY};

    fn target() -> Target<'static> {
        Target {
            path: "/chat?x=1",
            host: "example.com:8080",
            username: "",
            password: "",
        }
    }

    fn request(target: &Target, protocols: &[&str], user: &[(&str, &str)]) -> String {
        let header = (!protocols.is_empty()).then(|| protocols.join(", "));
        let (_, bytes) = ClientHandshake::with_key(
            target,
            header.as_deref(),
            strings(protocols),
            &pairs(user),
            KEY,
            Offer::Nothing,
        )
        .unwrap();
        String::from_utf8(bytes).unwrap()
    }

    fn handshake(protocols: &[&str]) -> ClientHandshake {
        let header = (!protocols.is_empty()).then(|| protocols.join(", "));
        ClientHandshake::with_key(
            &target(),
            header.as_deref(),
            strings(protocols),
            &[],
            KEY,
            Offer::Nothing,
        )
        .unwrap()
        .0
    }

    fn ok_response(extra: &str) -> String {
        format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {ACCEPT}\r\n{extra}\r\n"
        )
    }

    #[test]
    fn writes_the_request_in_fayes_order() {
        assert_eq!(
            request(&target(), &[], &[]),
            "GET /chat?x=1 HTTP/1.1\r\nHost: example.com:8080\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\n\r\n"
        );
    }

    #[test]
    fn protocols_authorization_then_user_headers_that_cannot_override() {
        let target = Target {
            username: "us%20er",
            password: "p%40ss",
            ..target()
        };
        let text = request(
            &target,
            &["a", "b"],
            &[
                ("Host", "evil"),
                ("X-Extra", "1"),
                ("sec-websocket-key", "k"),
                ("Authorization", "x"),
            ],
        );
        let auth = BASE64.encode("us%20er:p%40ss");
        assert_eq!(
            text,
            format!(
                "GET /chat?x=1 HTTP/1.1\r\nHost: example.com:8080\r\nUpgrade: websocket\r\n\
                 Connection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\
                 Sec-WebSocket-Protocol: a, b\r\nAuthorization: Basic {auth}\r\nX-Extra: 1\r\n\r\n"
            )
        );
    }

    #[test]
    fn authorization_needs_both_user_and_password() {
        assert_eq!(basic_authorization("user", ""), None);
        assert_eq!(basic_authorization("", "pass"), None);
        assert_eq!(
            basic_authorization("pu", "pp").as_deref(),
            Some("Basic cHU6cHA=")
        );
    }

    #[test]
    fn an_empty_protocol_list_item_still_writes_the_header() {
        assert!(request(&target(), &[""], &[]).contains("Sec-WebSocket-Protocol: \r\n"));
    }

    #[test]
    fn user_headers_with_line_breaks_are_refused() {
        let result = ClientHandshake::new(
            &target(),
            None,
            vec![],
            &pairs(&[("X", "a\r\nB: c")]),
            Offer::Nothing,
        );
        assert!(result.is_err());
    }

    #[test]
    fn keys_are_fresh_16_byte_values() {
        let a = generate_key();
        let b = generate_key();
        assert_ne!(a, b);
        assert_eq!(BASE64.decode(&a).unwrap().len(), 16);
    }

    #[test]
    fn accepts_a_valid_response_and_reports_where_frames_start() {
        let mut hs = handshake(&[]);
        let mut bytes = ok_response("X-A: 1\r\nx-a: 2\r\n").into_bytes();
        let head = bytes.len();
        bytes.extend_from_slice(b"\x81\x02hi");
        assert_eq!(
            hs.receive(&bytes),
            HandshakeProgress::Open { body_offset: head }
        );
        assert_eq!(hs.status_code(), Some(101));
        assert_eq!(hs.protocol(), None);
        assert!(hs
            .headers()
            .contains(&("x-a".to_string(), "1, 2".to_string())));
    }

    #[test]
    fn byte_at_a_time_response() {
        let mut hs = handshake(&["echo"]);
        let bytes = ok_response("Sec-WebSocket-Protocol: echo\r\n").into_bytes();
        for (at, byte) in bytes.iter().enumerate() {
            let progress = hs.receive(std::slice::from_ref(byte));
            if at + 1 < bytes.len() {
                assert_eq!(progress, HandshakeProgress::Pending, "at {at}");
            } else {
                assert_eq!(progress, HandshakeProgress::Open { body_offset: 1 });
            }
        }
        assert_eq!(hs.protocol(), Some("echo"));
    }

    #[test]
    fn case_of_upgrade_and_connection_values_does_not_matter() {
        let mut hs = handshake(&[]);
        let text = format!(
            "HTTP/1.1 101 OK\r\nupgrade: WebSocket\r\nCONNECTION: UPGRADE\r\nsec-websocket-accept: {ACCEPT}\r\n\r\n"
        );
        assert!(matches!(
            hs.receive(text.as_bytes()),
            HandshakeProgress::Open { .. }
        ));
    }

    fn failure(protocols: &[&str], response: &str) -> (String, Option<u16>) {
        let mut hs = handshake(protocols);
        match hs.receive(response.as_bytes()) {
            HandshakeProgress::Failed(message) => (message, hs.status_code()),
            other => panic!("{response:?} gave {other:?}"),
        }
    }

    #[test]
    fn every_failure_row_in_fayes_order() {
        let accept = format!("Sec-WebSocket-Accept: {ACCEPT}\r\n");
        let rows: Vec<(&[&str], String, &str, Option<u16>)> = vec![
            (&[], "HTTP/1.1 1O1 x\r\n\r\n".into(), "Parse Error", None),
            (&[], "HTTP/1.1 200 OK\r\nUpgrade: websocket\r\n\r\n".into(), "Unexpected response code: 200", Some(200)),
            (&[], "HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n".into(), "Unexpected response code: 302", Some(302)),
            (&[], format!("HTTP/1.1 101 OK\r\nConnection: Upgrade\r\n{accept}\r\n"), "'Upgrade' header is missing", Some(101)),
            (&[], format!("HTTP/1.1 101 OK\r\nUpgrade:\r\nConnection: Upgrade\r\n{accept}\r\n"), "'Upgrade' header is missing", Some(101)),
            (&[], "HTTP/1.1 101 OK\r\nUpgrade: h2c\r\n\r\n".into(), "'Upgrade' header value is not 'WebSocket'", Some(101)),
            (&[], format!("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\n{accept}\r\n"), "'Connection' header is missing", Some(101)),
            (&[], "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n\r\n".into(), "'Connection' header value is not 'Upgrade'", Some(101)),
            (&[], "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n".into(), "Sec-WebSocket-Accept mismatch", Some(101)),
            (&[], "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n".into(), "Sec-WebSocket-Accept mismatch", Some(101)),
            (&["a"], ok_response("Sec-WebSocket-Protocol: b\r\n"), "Sec-WebSocket-Protocol mismatch", Some(101)),
            (&[], ok_response("Sec-WebSocket-Protocol: b\r\n"), "Sec-WebSocket-Protocol mismatch", Some(101)),
            (&["a", "b"], ok_response("Sec-WebSocket-Protocol: a, b\r\n"), "Sec-WebSocket-Protocol mismatch", Some(101)),
            (&[], ok_response("Sec-WebSocket-Extensions: permessage-deflate\r\n"), "Server sent an extension response for unknown extension \"permessage-deflate\"", Some(101)),
            (&[], ok_response("Sec-WebSocket-Extensions: a;;\r\n"), "Invalid Sec-WebSocket-Extensions header: a;;", Some(101)),
        ];
        for (protocols, response, message, status) in rows {
            let (got, got_status) = failure(protocols, &response);
            assert_eq!(got, format!("{FAILURE_PREFIX}{message}"), "{response:?}");
            assert_eq!(got_status, status, "{response:?}");
        }
    }

    #[test]
    fn a_huge_head_fails_with_the_cap_message() {
        let mut hs = handshake(&[]);
        assert_eq!(
            hs.receive(b"HTTP/1.1 101 OK\r\n"),
            HandshakeProgress::Pending
        );
        let line = format!("X-Filler: {}\r\n", "a".repeat(1000));
        let mut result = HandshakeProgress::Pending;
        for _ in 0..200 {
            result = hs.receive(line.as_bytes());
            if result != HandshakeProgress::Pending {
                break;
            }
        }
        assert_eq!(
            result,
            HandshakeProgress::Failed(format!("{FAILURE_PREFIX}max header size exceeded"))
        );
        assert_eq!(hs.status_code(), None);
        assert!(hs.headers().is_empty());
    }
}
