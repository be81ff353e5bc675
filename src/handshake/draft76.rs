//! The server side of hixie-76's opening handshake (websocket-driver 0.8.0's
//! lib/websocket/driver/draft76.js): the two keys' numbers, the response
//! head, and the 16-byte answer to the challenge once the client's 8 key
//! bytes have arrived after its request head.

use md5::{Digest, Md5};

use super::draft75::{check_request, headers, DraftRequest};
use super::server::HandshakeError;

/// How many key bytes follow the request head.
pub(crate) const BODY_SIZE: usize = 8;

const INVALID_KEYS: &str = "Client sent invalid Sec-WebSocket-Key headers";

/// A key's number: its digits read as one decimal number, divided by its
/// number of spaces. 0.8.0 refuses a number of 0, no spaces, a remainder
/// and a quotient over 0xFFFFFFFF.
///
/// The digits saturate at `u128::MAX`: JS reads them as a double, whose
/// rounding could only matter for a quotient that fits 32 bits with more
/// than 2^21 spaces, far beyond any header size.
pub(crate) fn key_value(key: &str) -> Result<u32, HandshakeError> {
    let number = key
        .bytes()
        .filter(u8::is_ascii_digit)
        .fold(0u128, |number, digit| {
            number
                .saturating_mul(10)
                .saturating_add(u128::from(digit - b'0'))
        });
    let spaces = key.bytes().filter(|&byte| byte == b' ').count() as u128;
    if number == 0 || spaces == 0 || number % spaces != 0 {
        return Err(HandshakeError::new(INVALID_KEYS));
    }
    u32::try_from(number / spaces).map_err(|_| HandshakeError::new(INVALID_KEYS))
}

/// The keys' numbers, in the order `_handshakeResponse` checks them.
pub(crate) fn key_values(request: &DraftRequest) -> Result<[u32; 2], HandshakeError> {
    let key1 = present(request.key1, "Sec-WebSocket-Key1")?;
    let key2 = present(request.key2, "Sec-WebSocket-Key2")?;
    Ok([key_value(key1)?, key_value(key2)?])
}

/// An empty header is missing: the driver tests the value's truthiness.
fn present<'a>(key: Option<&'a str>, name: &str) -> Result<&'a str, HandshakeError> {
    key.filter(|key| !key.is_empty())
        .ok_or_else(|| HandshakeError::new(format!("Missing required header: {name}")))
}

/// The 101 response head and the keys' numbers. The head is encoded as
/// Node's `'binary'` (latin1) encoding does: each UTF-16 unit's low byte.
pub(crate) fn response(
    request: &DraftRequest,
    user_headers: &[(String, String)],
) -> Result<(Vec<u8>, [u32; 2]), HandshakeError> {
    check_request(request)?;
    let headers = headers("Sec-", request, user_headers)?;
    let keys = key_values(request)?;
    let mut text = b"HTTP/1.1 101 WebSocket Protocol Handshake\r\n".to_vec();
    headers.write_to(&mut text);
    text.extend_from_slice(b"\r\n");
    let response = String::from_utf8_lossy(&text)
        .encode_utf16()
        .map(|unit| unit as u8)
        .collect();
    Ok((response, keys))
}

/// The answer to the challenge: md5(key1 ‖ key2 ‖ body), the numbers as
/// big-endian 32-bit integers.
pub(crate) fn signature(keys: [u32; 2], body: &[u8; BODY_SIZE]) -> [u8; 16] {
    let mut md5 = Md5::new();
    md5.update(keys[0].to_be_bytes());
    md5.update(keys[1].to_be_bytes());
    md5.update(body);
    md5.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example in draft-ietf-hybi-thewebsocketprotocol-00, section 1.3.
    const KEY1: &str = "4 @1  46546xW%0l 1 5";
    const KEY2: &str = "12998 5 Y3 1  .P00";
    const BODY: &[u8; 8] = b"^n:ds[4U";
    const ANSWER: &[u8; 16] = b"8jKS'y:G*Co,Wxa-";

    fn request() -> DraftRequest<'static> {
        DraftRequest {
            method: "GET",
            connection: Some("Upgrade"),
            upgrade: Some("WebSocket"),
            origin: Some("http://example.com"),
            key1: Some(KEY1),
            key2: Some(KEY2),
            url: "ws://example.com/demo",
        }
    }

    #[test]
    fn answers_the_drafts_example() {
        let keys = key_values(&request()).expect("valid keys");
        assert_eq!(keys, [829_309_203, 259_970_620]);
        assert_eq!(&signature(keys, BODY), ANSWER);
    }

    #[test]
    fn writes_the_hixie_76_response() {
        let (bytes, _) = response(&request(), &[]).expect("accepted");
        assert_eq!(
            bytes,
            b"HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\n\
              Connection: Upgrade\r\nSec-WebSocket-Origin: http://example.com\r\n\
              Sec-WebSocket-Location: ws://example.com/demo\r\n\r\n"
        );
    }

    #[test]
    fn encodes_the_head_as_latin1() {
        let request = DraftRequest {
            url: "ws://h/\u{e9}\u{20ac}",
            ..request()
        };
        let (bytes, _) = response(&request, &[]).expect("accepted");
        assert!(bytes.windows(3).any(|w| w == [b'/', 0xE9, 0xAC]));
    }

    #[test]
    fn refuses_keys_0_8_0_refuses() {
        for key in [
            "no digits at all",
            "1 2 3 5",     // 1235 is not a multiple of 3
            "0 0",         // a number of 0
            "12345",       // no spaces
            "4294967296 ", // a quotient over 0xFFFFFFFF
            "99999999999999999999999999999999999999999999 ",
        ] {
            assert_eq!(
                key_value(key).map_err(|e| e.message),
                Err(INVALID_KEYS.into()),
                "{key:?}"
            );
        }
        assert_eq!(key_value("4294967295 ").ok(), Some(u32::MAX));
        assert_eq!(key_value("0 0 6").ok(), Some(3));
    }

    #[test]
    fn names_a_missing_key() {
        let missing = |key1, key2| {
            let request = DraftRequest {
                key1,
                key2,
                ..request()
            };
            key_values(&request).map_err(|error| error.message)
        };
        assert_eq!(
            missing(None, Some(KEY2)),
            Err("Missing required header: Sec-WebSocket-Key1".into())
        );
        assert_eq!(
            missing(Some(KEY1), Some("")),
            Err("Missing required header: Sec-WebSocket-Key2".into())
        );
        assert_eq!(missing(Some("1"), Some(KEY2)), Err(INVALID_KEYS.into()));
    }
}
