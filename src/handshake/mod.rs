//! The opening handshake, as websocket-driver 0.8.0 does it: the server's
//! checks and response (`server`), the client's request and its checks
//! (`client`), a proxy tunnel (`proxy`), and the pieces they share: header
//! lists, the HTTP response parser and the extension header grammar.
//! `draft75` and `draft76` are the servers' handshakes for the
//! pre-standard drafts (with `allowDrafts`).

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use sha1::{Digest, Sha1};

pub(crate) mod client;
pub(crate) mod draft75;
pub(crate) mod draft76;
pub(crate) mod extension_header;
pub(crate) mod headers;
pub(crate) mod http_response;
pub(crate) mod proxy;
pub(crate) mod server;

/// RFC 6455's magic string, appended to the client's key.
pub(crate) const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The `Sec-WebSocket-Accept` value for a client's `Sec-WebSocket-Key`.
pub(crate) fn accept_key(key: &str) -> String {
    let mut sha1 = Sha1::new();
    sha1.update(key.as_bytes());
    sha1.update(GUID.as_bytes());
    BASE64.encode(sha1.finalize())
}

/// JS `value.split(/ *, */)`: split on commas, dropping the spaces on either
/// side of each comma. Empty items are kept, and spaces not next to a comma
/// stay. The regex takes quadratic time on long runs of spaces
/// (CVE-2021-32640 in ws); this takes linear time.
pub(crate) fn split_list(value: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let mut rest = value;
    while let Some((item, after)) = rest.split_once(',') {
        items.push(item.trim_end_matches(' '));
        rest = after.trim_start_matches(' ');
    }
    items.push(rest);
    items
}

/// hybi.js: the first protocol in the client's list that the server supports.
pub(crate) fn select_protocol(offered: Option<&str>, supported: &[String]) -> Option<String> {
    split_list(offered?)
        .into_iter()
        .find(|protocol| supported.iter().any(|name| name == protocol))
        .map(str::to_string)
}

/// `Proxy.urlAuthorization` under driver 0.8.0: `Basic` credentials only when
/// the URL has both a user name and a password, kept percent-encoded as the
/// WHATWG parser leaves them.
pub(crate) fn basic_authorization(username: &str, password: &str) -> Option<String> {
    if username.is_empty() || password.is_empty() {
        return None;
    }
    Some(format!(
        "Basic {}",
        BASE64.encode(format!("{username}:{password}"))
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{strings, RFC_ACCEPT as ACCEPT, RFC_KEY as KEY};
    use std::time::{Duration, Instant};

    #[test]
    fn accept_key_matches_rfc_6455_example() {
        assert_eq!(accept_key(KEY), ACCEPT);
    }

    #[test]
    fn accept_key_hashes_any_string() {
        assert_eq!(accept_key(""), "Kfh9QIsMVZcl6xEPYxPHzW8SZ8w=");
        assert_eq!(accept_key("abc").len(), 28);
    }

    #[test]
    fn split_list_follows_js_split() {
        assert_eq!(split_list("a, b"), ["a", "b"]);
        assert_eq!(split_list("a,,b"), ["a", "", "b"]);
        assert_eq!(split_list("  a , b"), ["  a", "b"]);
        assert_eq!(split_list("a , , b  "), ["a", "", "b  "]);
        assert_eq!(split_list(",  ,"), ["", "", ""]);
        assert_eq!(split_list(""), [""]);
        assert_eq!(split_list("a\t,\tb"), ["a\t", "\tb"]);
        assert_eq!(split_list("a b"), ["a b"]);
    }

    #[test]
    fn split_list_is_linear_on_runs_of_spaces() {
        let hostile = format!("b{}x", " ".repeat(16_000));
        let many_commas = format!("b{}x", " , ".repeat(16_000));
        let start = Instant::now();
        assert_eq!(split_list(&hostile).len(), 1);
        assert_eq!(split_list(&many_commas).len(), 16_001);
        let protocol = select_protocol(Some(&hostile), &strings(&["x"]));
        assert!(
            start.elapsed() < Duration::from_millis(50),
            "took {:?}",
            start.elapsed()
        );
        assert_eq!(protocol, None);
    }

    #[test]
    fn selects_the_clients_first_supported_protocol() {
        let supported = strings(&["chat", "superchat"]);
        assert_eq!(
            select_protocol(Some("superchat, chat"), &supported).as_deref(),
            Some("superchat")
        );
        assert_eq!(
            select_protocol(Some("other ,chat"), &supported).as_deref(),
            Some("chat")
        );
        assert_eq!(select_protocol(Some("other"), &supported), None);
        assert_eq!(select_protocol(Some("Chat"), &supported), None);
        assert_eq!(select_protocol(None, &supported), None);
        assert_eq!(select_protocol(Some("chat"), &[]), None);
        assert_eq!(
            select_protocol(Some("a,,b"), &strings(&[""])).as_deref(),
            Some("")
        );
    }

    #[test]
    fn prototype_names_are_just_protocols() {
        let supported = strings(&["x"]);
        assert_eq!(
            select_protocol(Some("constructor, __proto__, toString"), &supported),
            None
        );
        let supported = strings(&["__proto__"]);
        assert_eq!(
            select_protocol(Some("constructor, __proto__"), &supported).as_deref(),
            Some("__proto__")
        );
    }
}
