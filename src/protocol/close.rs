//! Close codes (RFC 6455 §7.4) and how hybi.js reads a peer's close payload.

/// A normal closure: the code of an empty close payload and `close()`'s default.
pub(crate) const NORMAL: u16 = 1000;
/// The codes faye closes with when the peer breaks the protocol.
pub(crate) const PROTOCOL_ERROR: u16 = 1002;
pub(crate) const UNACCEPTABLE: u16 = 1003;
pub(crate) const ENCODING_ERROR: u16 = 1007;
pub(crate) const POLICY_VIOLATION: u16 = 1008;
pub(crate) const TOO_LARGE: u16 = 1009;
pub(crate) const EXTENSION_ERROR: u16 = 1010;

/// hybi.js's reading of a close payload: a code that is missing (1 byte),
/// reserved or unknown becomes 1002, and so does a reason that is not UTF-8
/// (the reason then becomes ''). An empty payload means 1000.
pub(crate) fn peer_close_code_and_reason(payload: &[u8]) -> (u16, String) {
    let Some((code, reason)) = payload.split_first_chunk::<2>() else {
        let code = if payload.is_empty() {
            NORMAL
        } else {
            PROTOCOL_ERROR
        };
        return (code, String::new());
    };
    let code = u16::from_be_bytes(*code);
    let code = if is_acceptable_close_code(code) {
        code
    } else {
        PROTOCOL_ERROR
    };
    match std::str::from_utf8(reason) {
        Ok(reason) => (code, reason.to_owned()),
        Err(_) => (PROTOCOL_ERROR, String::new()),
    }
}

fn is_acceptable_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1011 | 3000..=4999)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_code_table() {
        for code in [
            1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999,
        ] {
            assert_eq!(peer_close_code_and_reason(&u16::to_be_bytes(code)).0, code);
        }
        for code in [
            0, 999, 1004, 1005, 1006, 1012, 1015, 1016, 2999, 5000, 65535,
        ] {
            assert_eq!(peer_close_code_and_reason(&u16::to_be_bytes(code)).0, 1002);
        }
    }
}
