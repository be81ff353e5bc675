//! The server side of the opening handshake, as websocket-driver 0.8.0 does it
//! (lib/websocket/driver/base.js and hybi.js): checking the request, choosing
//! a subprotocol, and writing the 101 or 400 response.

use std::fmt;

use super::{accept_key, split_list};
use crate::deflate::negotiation::{self, DeflateOptions, Negotiated};
use crate::handshake::extension_header;
use crate::handshake::headers::{HeaderError, HeaderList};
use crate::protocol::close::PROTOCOL_ERROR;
use crate::session::Session;

/// The only protocol version hybi.js accepts.
const VERSION: &str = "13";

/// `Base.isWebSocket`: a GET whose `Connection` list includes `upgrade` and
/// whose `Upgrade` is `websocket`, ignoring case.
pub(crate) fn is_websocket(method: &str, connection: Option<&str>, upgrade: Option<&str>) -> bool {
    // Unicode-aware lower-casing, like JS `toLowerCase`.
    let connection = connection.unwrap_or_default().to_lowercase();
    let upgrade = upgrade.unwrap_or_default().to_lowercase();
    method == "GET" && split_list(&connection).contains(&"upgrade") && upgrade == "websocket"
}

/// The request headers the handshake looks at; `None` when absent.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ServerRequest<'a> {
    pub method: &'a str,
    pub connection: Option<&'a str>,
    pub upgrade: Option<&'a str>,
    pub version: Option<&'a str>,
    pub key: Option<&'a str>,
    pub extensions: Option<&'a str>,
}

/// Why the handshake failed; the message goes into the 400 response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HandshakeError {
    pub message: String,
}

impl HandshakeError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HandshakeError {}

impl From<HeaderError> for HandshakeError {
    fn from(error: HeaderError) -> Self {
        Self::new(error.message)
    }
}

/// Checks the request and builds the `101 Switching Protocols` response.
///
/// The checks, and their messages, follow `start()` and `_handshakeResponse`
/// in order. `user_headers` come first, so a user header suppresses the
/// driver's header of the same name, as in faye.
#[cfg(test)]
pub(crate) fn server_response(
    request: &ServerRequest,
    protocol: Option<&str>,
    user_headers: HeaderList,
) -> Result<Vec<u8>, HandshakeError> {
    server_response_with_deflate(request, protocol, user_headers, None)
        .map(|(response, _)| response)
}

/// [`server_response`] with permessage-deflate registered (its `configure`
/// options): the response then carries its answer to the client's offers,
/// and the negotiated parameters come back with it.
pub(crate) fn server_response_with_deflate(
    request: &ServerRequest,
    protocol: Option<&str>,
    user_headers: HeaderList,
    deflate: Option<&DeflateOptions>,
) -> Result<(Vec<u8>, Option<Negotiated>), HandshakeError> {
    respond(request, protocol, user_headers, Answer::Deflate(deflate))
}

/// [`server_response`] with the `Sec-WebSocket-Extensions` value the caller
/// negotiated (JS extensions: websocket-extensions' `generateResponse`), or
/// the message of the error the negotiation threw, which fails the
/// handshake once the request's own checks pass, as in faye. The client's
/// header is still parsed, so a malformed one fails as in faye.
pub(crate) fn server_response_with_extensions(
    request: &ServerRequest,
    protocol: Option<&str>,
    user_headers: HeaderList,
    extensions: Result<Option<&str>, &str>,
) -> Result<Vec<u8>, HandshakeError> {
    respond(request, protocol, user_headers, Answer::Given(extensions))
        .map(|(response, _)| response)
}

enum Answer<'a> {
    Deflate(Option<&'a DeflateOptions>),
    Given(Result<Option<&'a str>, &'a str>),
}

fn respond(
    request: &ServerRequest,
    protocol: Option<&str>,
    mut user_headers: HeaderList,
    answer: Answer,
) -> Result<(Vec<u8>, Option<Negotiated>), HandshakeError> {
    if !is_websocket(request.method, request.connection, request.upgrade) {
        return Err(HandshakeError::new("Not a WebSocket request"));
    }
    if request.version != Some(VERSION) {
        let version = request.version.unwrap_or("undefined");
        return Err(HandshakeError::new(format!(
            "Unsupported WebSocket version: {version}"
        )));
    }
    // faye takes any string, even an empty one; RFC 6455 §4.2.1 requires the
    // base64 of 16 bytes, and ws refuses anything else too.
    let key = match request.key {
        None | Some("") => {
            return Err(HandshakeError::new(
                "Missing handshake request header: Sec-WebSocket-Key",
            ))
        }
        Some(key) if !is_valid_key(key) => {
            return Err(HandshakeError::new(INVALID_KEY_MESSAGE));
        }
        Some(key) => key,
    };
    let headers = &mut user_headers;
    headers.set("Upgrade", "websocket")?;
    headers.set("Connection", "Upgrade")?;
    headers.set("Sec-WebSocket-Accept", &accept_key(key))?;
    // An empty protocol is falsy in JS, so faye sends no header for it.
    if let Some(protocol) = protocol.filter(|protocol| !protocol.is_empty()) {
        headers.set("Sec-WebSocket-Protocol", protocol)?;
    }
    // A malformed header fails the handshake in faye, with or without
    // extensions registered.
    let offers = extension_header::parse(request.extensions.unwrap_or_default())
        .map_err(|error| HandshakeError::new(error.message))?;
    // websocket-extensions' generateResponse for a lone permessage-deflate.
    let mut negotiated = None;
    let deflate = match answer {
        Answer::Deflate(deflate) => deflate,
        Answer::Given(value) => {
            if let Some(value) = value.map_err(HandshakeError::new)? {
                headers.set("Sec-WebSocket-Extensions", value)?;
            }
            None
        }
    };
    if let Some((value, settings)) =
        deflate.and_then(|options| negotiation::answer(options, &offers))
    {
        headers.set("Sec-WebSocket-Extensions", &value)?;
        negotiated = Some(settings);
    }

    let mut response = b"HTTP/1.1 101 Switching Protocols\r\n".to_vec();
    user_headers.write_to(&mut response);
    response.extend_from_slice(b"\r\n");
    Ok((response, negotiated))
}

/// The failure for a `Sec-WebSocket-Key` that is not the base64 of 16 bytes.
const INVALID_KEY_MESSAGE: &str = "Invalid Sec-WebSocket-Key header";

/// RFC 6455 §4.2.1's key: 16 bytes in base64, so 22 characters of the
/// alphabet and `==` (ws's test; the unused low bits of the last character
/// are not checked, as ws does not check them).
fn is_valid_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    bytes.len() == 24
        && bytes.ends_with(b"==")
        && bytes
            .iter()
            .take(22)
            .all(|&byte| byte.is_ascii_alphanumeric() || byte == b'+' || byte == b'/')
}

/// How the server answers the client's extension offers.
pub(crate) enum Extensions<'a> {
    /// permessage-deflate handled here, with these `configure` options, if
    /// it was registered at all.
    Deflate(Option<&'a DeflateOptions>),
    /// JS extensions (websocket-extensions' framework) negotiated in JS.
    Js {
        /// The `Sec-WebSocket-Extensions` value, or the message of the error
        /// the negotiation threw.
        response: Result<Option<&'a str>, &'a str>,
        /// permessage-deflate as one of them: what `negotiation::answer`
        /// agreed, and the options, when the response includes it.
        deflate: Option<(Negotiated, &'a DeflateOptions)>,
        /// The RSV bits the active extensions claim, in frame-byte places.
        allowed_rsv: u8,
    },
}

/// A refused handshake: faye's 400 response and why.
#[derive(Debug)]
pub(crate) struct Rejected {
    pub response: Vec<u8>,
    pub error: HandshakeError,
}

/// Runs the server handshake for `session`. Accepted: the session is open
/// (with permessage-deflate and the JS pipeline as negotiated) and the bytes
/// are the 101 response followed by every frame queued before open.
/// Refused: the session is closed, what was queued is discarded, and the
/// bytes are faye's 400 response.
pub(crate) fn accept(
    session: &mut Session,
    request: &ServerRequest,
    protocol: Option<&str>,
    user_headers: HeaderList,
    extensions: Extensions,
) -> Result<Vec<u8>, Rejected> {
    let result = match extensions {
        Extensions::Deflate(options) => {
            server_response_with_deflate(request, protocol, user_headers, options)
                .map(|(response, negotiated)| (response, negotiated.zip(options), None))
        }
        Extensions::Js {
            response,
            deflate,
            allowed_rsv,
        } => server_response_with_extensions(request, protocol, user_headers, response)
            .map(|response| (response, deflate, Some(allowed_rsv))),
    };
    match result {
        Ok((mut response, deflate, pipeline_rsv)) => {
            if let Some((negotiated, options)) = deflate {
                // The settings were checked when the options were made.
                let _ = session.enable_deflate(&negotiated, options.settings);
            }
            if let Some(allowed_rsv) = pipeline_rsv {
                session.enable_pipeline(allowed_rsv);
            }
            session.open();
            response.extend_from_slice(session.output());
            session.clear_output();
            Ok(response)
        }
        Err(error) => {
            // Closing a connecting session discards what was queued.
            session.close(PROTOCOL_ERROR, b"");
            Err(Rejected {
                response: bad_request(&error.message),
                error,
            })
        }
    }
}

/// faye's response to a failed handshake. There is no CRLF after the body.
pub(crate) fn bad_request(message: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{message}",
        message.len()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{RFC_ACCEPT as ACCEPT, RFC_KEY as KEY};
    use std::time::{Duration, Instant};

    fn valid_request() -> ServerRequest<'static> {
        ServerRequest {
            method: "GET",
            connection: Some("Upgrade"),
            upgrade: Some("websocket"),
            version: Some("13"),
            key: Some(KEY),
            extensions: None,
        }
    }

    fn respond(request: &ServerRequest, protocol: Option<&str>) -> Result<String, String> {
        server_response(request, protocol, HeaderList::new())
            .map(|bytes| String::from_utf8(bytes).expect("UTF-8 response"))
            .map_err(|error| error.message)
    }

    #[test]
    fn recognises_websocket_requests() {
        assert!(is_websocket("GET", Some("Upgrade"), Some("websocket")));
        assert!(is_websocket(
            "GET",
            Some("keep-alive, UPGRADE"),
            Some("WebSocket")
        ));
        assert!(is_websocket(
            "GET",
            Some("keep-alive ,  upgrade  , x"),
            Some("websocket")
        ));
        // Unicode lower-casing, as in JS: the Kelvin sign becomes "k".
        assert!(is_websocket(
            "GET",
            Some("upgrade"),
            Some("WEBSOC\u{212A}ET")
        ));
    }

    #[test]
    fn rejects_other_requests() {
        assert!(!is_websocket("get", Some("Upgrade"), Some("websocket")));
        assert!(!is_websocket("POST", Some("Upgrade"), Some("websocket")));
        assert!(!is_websocket("GET", None, Some("websocket")));
        assert!(!is_websocket("GET", Some(""), Some("websocket")));
        assert!(!is_websocket("GET", Some("keep-alive"), Some("websocket")));
        assert!(!is_websocket("GET", Some("upgrade;x"), Some("websocket")));
        assert!(!is_websocket("GET", Some("\tupgrade"), Some("websocket")));
        assert!(!is_websocket("GET", Some("Upgrade"), None));
        assert!(!is_websocket("GET", Some("Upgrade"), Some(" websocket")));
        assert!(!is_websocket(
            "GET",
            Some("Upgrade"),
            Some("websocket, h2c")
        ));
    }

    #[test]
    fn an_error_from_the_js_negotiation_fails_after_the_requests_own_checks() {
        let failed =
            server_response_with_extensions(&valid_request(), None, HeaderList::new(), Err("boom"));
        assert_eq!(failed.unwrap_err().message, "boom");
        let old_version = ServerRequest {
            version: Some("8"),
            ..valid_request()
        };
        let failed =
            server_response_with_extensions(&old_version, None, HeaderList::new(), Err("boom"));
        assert_eq!(
            failed.unwrap_err().message,
            "Unsupported WebSocket version: 8"
        );
    }

    #[test]
    fn writes_the_101_response() {
        assert_eq!(
            respond(&valid_request(), None).unwrap(),
            format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Accept: {ACCEPT}\r\n\r\n"
            )
        );
    }

    #[test]
    fn writes_the_selected_protocol() {
        assert_eq!(
            respond(&valid_request(), Some("chat")).unwrap(),
            format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Accept: {ACCEPT}\r\nSec-WebSocket-Protocol: chat\r\n\r\n"
            )
        );
    }

    #[test]
    fn an_empty_protocol_is_not_written() {
        assert!(!respond(&valid_request(), Some(""))
            .unwrap()
            .contains("Sec-WebSocket-Protocol"));
    }

    #[test]
    fn user_headers_come_first_and_win() {
        let mut headers = HeaderList::new();
        headers.set("X-Powered-By", "tests").unwrap();
        headers.set("Upgrade", "nope").unwrap();
        headers.set("Set-Cookie", "a=1").unwrap();
        let response = server_response(&valid_request(), None, headers).unwrap();
        assert_eq!(
            String::from_utf8(response).unwrap(),
            format!(
                "HTTP/1.1 101 Switching Protocols\r\nX-Powered-By: tests\r\nUpgrade: nope\r\nSet-Cookie: a=1\r\n\
                 Connection: Upgrade\r\nSec-WebSocket-Accept: {ACCEPT}\r\n\r\n"
            )
        );
    }

    #[test]
    fn fails_each_check_in_fayes_order() {
        let mut request = ServerRequest {
            method: "POST",
            version: None,
            key: None,
            extensions: Some("a;"),
            ..valid_request()
        };
        assert_eq!(
            respond(&request, None).unwrap_err(),
            "Not a WebSocket request"
        );
        request.method = "GET";
        assert_eq!(
            respond(&request, None).unwrap_err(),
            "Unsupported WebSocket version: undefined"
        );
        request.version = Some("8");
        assert_eq!(
            respond(&request, None).unwrap_err(),
            "Unsupported WebSocket version: 8"
        );
        request.version = Some(" 13");
        assert_eq!(
            respond(&request, None).unwrap_err(),
            "Unsupported WebSocket version:  13"
        );
        request.version = Some("13");
        assert_eq!(
            respond(&request, None).unwrap_err(),
            "Missing handshake request header: Sec-WebSocket-Key"
        );
        request.key = Some("");
        assert_eq!(
            respond(&request, None).unwrap_err(),
            "Missing handshake request header: Sec-WebSocket-Key"
        );
        request.key = Some("abc");
        assert_eq!(
            respond(&request, None).unwrap_err(),
            "Invalid Sec-WebSocket-Key header"
        );
        request.key = Some(KEY);
        assert_eq!(
            respond(&request, None).unwrap_err(),
            "Invalid Sec-WebSocket-Extensions header: a;"
        );
        request.extensions = Some("a; b=1, c");
        assert!(respond(&request, None).is_ok());
    }

    #[test]
    fn accepts_empty_extensions() {
        let request = ServerRequest {
            extensions: Some(""),
            ..valid_request()
        };
        assert!(respond(&request, None)
            .unwrap()
            .contains(&format!("Sec-WebSocket-Accept: {ACCEPT}\r\n")));
    }

    #[test]
    fn a_key_must_be_16_bytes_of_base64() {
        for key in ["AAAAAAAAAAAAAAAAAAAAAA==", "+/+/+/+/+/+/+/+/+/+/+w==", KEY] {
            assert!(super::is_valid_key(key), "{key}");
        }
        let bad = [
            "abc",
            " dGhlIHNhbXBsZSBub25jZQ==",
            "dGhlIHNhbXBsZSBub25jZQ=",
            "dGhlIHNhbXBsZSBub25jZQ=x",
            "dGhlIHNhbXBsZSBub25jZ-==",
            "dGhlIHNhbXBsZSBub25jZQ==dGhl",
            "dGhlIHNhbXBsZSBub25jZ\u{e9}==",
        ];
        for key in bad {
            assert!(!super::is_valid_key(key), "{key}");
        }
    }

    #[test]
    fn rejects_a_protocol_with_a_line_break() {
        let error = respond(&valid_request(), Some("chat\r\nX-Evil: 1")).unwrap_err();
        assert!(error.contains("must not contain CR or LF"), "{error}");
    }

    #[test]
    fn rejects_hostile_extension_headers_quickly() {
        let header = format!("a;b=\"{}", "\\c".repeat(32 * 1024));
        let request = ServerRequest {
            extensions: Some(&header),
            ..valid_request()
        };
        let start = Instant::now();
        let error = respond(&request, None).unwrap_err();
        assert!(
            start.elapsed() < Duration::from_millis(50),
            "took {:?}",
            start.elapsed()
        );
        assert!(error.starts_with("Invalid Sec-WebSocket-Extensions header: a;b=\"\\c"));
    }

    #[test]
    fn writes_the_400_response() {
        assert_eq!(
            bad_request("Not a WebSocket request"),
            b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 23\r\n\r\nNot a WebSocket request"
        );
    }

    #[test]
    fn content_length_counts_utf8_bytes() {
        let message = "Unsupported WebSocket version: é€😀";
        assert_eq!(message.chars().count(), 34);
        assert_eq!(
            String::from_utf8(bad_request(message)).unwrap(),
            format!("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 40\r\n\r\n{message}")
        );
    }

    #[test]
    fn error_displays_its_message() {
        assert_eq!(HandshakeError::new("boom").to_string(), "boom");
    }
}
