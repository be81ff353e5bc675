//! The server side of hixie-75's opening handshake (websocket-driver's
//! lib/websocket/driver/draft75.js): no key, a `101 Web Socket Protocol
//! Handshake` head, and the connection is open as soon as it is written.

use super::headers::HeaderList;
use super::server::{is_websocket, HandshakeError};

/// What a draft handshake reads from the request (`None` when absent); `url`
/// is the connection's `ws://` or `wss://` URL.
#[derive(Debug, Clone, Copy, Default)]
pub struct DraftRequest<'a> {
    pub method: &'a str,
    pub connection: Option<&'a str>,
    pub upgrade: Option<&'a str>,
    pub origin: Option<&'a str>,
    pub key1: Option<&'a str>,
    pub key2: Option<&'a str>,
    pub url: &'a str,
}

/// `Base.start`'s first check, shared by both drafts.
pub(crate) fn check_request(request: &DraftRequest) -> Result<(), HandshakeError> {
    if is_websocket(request.method, request.connection, request.upgrade) {
        Ok(())
    } else {
        Err(HandshakeError::new("Not a WebSocket request"))
    }
}

/// The driver's headers (set in its constructor, so they come before the
/// user's and win over a user header of the same name), then the user's.
/// An absent Origin sends no header, as `Headers.set` skips `undefined`.
pub(crate) fn headers(
    prefix: &str,
    request: &DraftRequest,
    user_headers: &[(String, String)],
) -> Result<HeaderList, HandshakeError> {
    let mut headers = HeaderList::new();
    headers.set("Upgrade", "WebSocket")?;
    headers.set("Connection", "Upgrade")?;
    if let Some(origin) = request.origin {
        headers.set(&format!("{prefix}WebSocket-Origin"), origin)?;
    }
    headers.set(&format!("{prefix}WebSocket-Location"), request.url)?;
    for (name, value) in user_headers {
        headers.set(name, value)?;
    }
    Ok(headers)
}

/// The 101 response, encoded as UTF-8 (draft75.js `_handshakeResponse`).
pub(crate) fn response(
    request: &DraftRequest,
    user_headers: &[(String, String)],
) -> Result<Vec<u8>, HandshakeError> {
    check_request(request)?;
    let mut response = b"HTTP/1.1 101 Web Socket Protocol Handshake\r\n".to_vec();
    headers("", request, user_headers)?.write_to(&mut response);
    response.extend_from_slice(b"\r\n");
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn request() -> DraftRequest<'static> {
        DraftRequest {
            method: "GET",
            connection: Some("Upgrade"),
            upgrade: Some("WebSocket"),
            origin: Some("http://example.com"),
            key1: None,
            key2: None,
            url: "ws://example.com/demo",
        }
    }

    #[test]
    fn writes_the_hixie_75_response() {
        let bytes = response(&request(), &[]).expect("accepted");
        assert_eq!(
            String::from_utf8(bytes).expect("UTF-8"),
            "HTTP/1.1 101 Web Socket Protocol Handshake\r\nUpgrade: WebSocket\r\n\
             Connection: Upgrade\r\nWebSocket-Origin: http://example.com\r\n\
             WebSocket-Location: ws://example.com/demo\r\n\r\n"
        );
    }

    #[test]
    fn driver_headers_win_over_the_users() {
        let user = [
            ("upgrade".to_string(), "nope".to_string()),
            ("X-Extra".to_string(), " yes ".to_string()),
        ];
        let request = DraftRequest {
            origin: None,
            ..request()
        };
        let bytes = response(&request, &user).expect("accepted");
        assert_eq!(
            String::from_utf8(bytes).expect("UTF-8"),
            "HTTP/1.1 101 Web Socket Protocol Handshake\r\nUpgrade: WebSocket\r\n\
             Connection: Upgrade\r\nWebSocket-Location: ws://example.com/demo\r\n\
             X-Extra: yes\r\n\r\n"
        );
    }

    #[test]
    fn refuses_what_is_not_a_websocket_request() {
        let request = DraftRequest {
            method: "POST",
            ..request()
        };
        let error = response(&request, &[]).expect_err("refused");
        assert_eq!(error.message, "Not a WebSocket request");
    }
}
