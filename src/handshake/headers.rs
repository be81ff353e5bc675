//! The HTTP response header block, as websocket-driver's `Headers` class
//! (lib/websocket/driver/headers.js) builds it: lines in insertion order, the
//! first value set for a name wins.

use std::collections::HashSet;
use std::fmt;

/// Lower-cased names that may appear more than once (headers.js ALLOWED_DUPLICATES).
const ALLOWED_DUPLICATES: [&str; 4] = ["set-cookie", "set-cookie2", "warning", "www-authenticate"];

/// Header lines waiting to be written, with the names already used.
#[derive(Debug, Clone, Default)]
pub(crate) struct HeaderList {
    used_names: HashSet<String>,
    lines: String,
}

/// A header that would corrupt the response if written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeaderError {
    pub message: String,
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for HeaderError {}

impl HeaderList {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds `name: value`, unless a header of that name (ignoring case) was
    /// already set and the name is not allowed to repeat.
    ///
    /// Like faye, only spaces are trimmed (a tab survives). Unlike faye, a CR or
    /// LF is refused: it would let the caller inject headers or a body.
    pub(crate) fn set(&mut self, name: &str, value: &str) -> Result<(), HeaderError> {
        let name = name.trim_matches(' ');
        let value = value.trim_matches(' ');
        if contains_line_break(name) || contains_line_break(value) {
            return Err(HeaderError {
                message: format!(
                    "Invalid header {name:?}: header names and values must not contain CR or LF"
                ),
            });
        }
        // Lower-casing is Unicode-aware, like JS `toLowerCase`.
        let key = name.to_lowercase();
        if may_repeat(&key) || !self.used_names.contains(&key) {
            self.lines.push_str(name);
            self.lines.push_str(": ");
            self.lines.push_str(value);
            self.lines.push_str("\r\n");
            self.used_names.insert(key);
        }
        Ok(())
    }

    /// Appends every line as `Name: value\r\n`, in the order they were set.
    pub(crate) fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.lines.as_bytes());
    }
}

fn contains_line_break(text: &str) -> bool {
    text.contains(['\r', '\n'])
}

/// headers.js records used names in a plain object, and assigning `true` to
/// its `__proto__` key is silently ignored, so `__proto__` never counts as used.
fn may_repeat(lower_case_name: &str) -> bool {
    lower_case_name == "__proto__" || ALLOWED_DUPLICATES.contains(&lower_case_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(headers: &HeaderList) -> String {
        let mut out = Vec::new();
        headers.write_to(&mut out);
        String::from_utf8(out).expect("headers are UTF-8")
    }

    #[test]
    fn writes_lines_in_insertion_order() {
        let mut headers = HeaderList::new();
        headers.set("Upgrade", "websocket").unwrap();
        headers.set("Connection", "Upgrade").unwrap();
        assert_eq!(
            written(&headers),
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        );
    }

    #[test]
    fn empty_list_writes_nothing() {
        assert_eq!(written(&HeaderList::new()), "");
    }

    #[test]
    fn strips_spaces_but_not_tabs() {
        let mut headers = HeaderList::new();
        headers.set("  X-Foo ", "  y\t  ").unwrap();
        headers.set("\tX-Tab", "v").unwrap();
        assert_eq!(written(&headers), "X-Foo: y\t\r\n\tX-Tab: v\r\n");
    }

    #[test]
    fn first_value_wins_ignoring_case() {
        let mut headers = HeaderList::new();
        headers.set("X-Foo", "first").unwrap();
        headers.set("x-FOO", "second").unwrap();
        headers.set(" X-Foo", "third").unwrap();
        assert_eq!(written(&headers), "X-Foo: first\r\n");
    }

    #[test]
    fn some_names_may_repeat() {
        let mut headers = HeaderList::new();
        for name in [
            "Set-Cookie",
            "set-cookie",
            "Set-Cookie2",
            "Set-Cookie2",
            "Warning",
            "WARNING",
        ] {
            headers.set(name, "v").unwrap();
        }
        headers.set("WWW-Authenticate", "a").unwrap();
        headers.set("www-authenticate", "b").unwrap();
        assert_eq!(
            written(&headers),
            "Set-Cookie: v\r\nset-cookie: v\r\nSet-Cookie2: v\r\nSet-Cookie2: v\r\n\
             Warning: v\r\nWARNING: v\r\nWWW-Authenticate: a\r\nwww-authenticate: b\r\n"
        );
    }

    #[test]
    fn proto_name_repeats_as_in_faye() {
        let mut headers = HeaderList::new();
        headers.set("__proto__", "a").unwrap();
        headers.set("__PROTO__", "b").unwrap();
        headers.set("constructor", "c").unwrap();
        headers.set("Constructor", "d").unwrap();
        assert_eq!(
            written(&headers),
            "__proto__: a\r\n__PROTO__: b\r\nconstructor: c\r\n"
        );
    }

    #[test]
    fn empty_name_and_value_are_kept() {
        let mut headers = HeaderList::new();
        headers.set("", "").unwrap();
        headers.set("  ", "x").unwrap();
        assert_eq!(written(&headers), ": \r\n");
    }

    #[test]
    fn rejects_line_breaks_in_name_or_value() {
        let mut headers = HeaderList::new();
        let error = headers.set("X-Foo", "a\r\nSet-Cookie: evil").unwrap_err();
        assert_eq!(
            error.message,
            "Invalid header \"X-Foo\": header names and values must not contain CR or LF"
        );
        assert_eq!(error.to_string(), error.message);
        assert!(headers.set("X-Bar", "a\nb").is_err());
        assert!(headers.set("X-Baz", "a\rb").is_err());
        assert!(headers.set("X\r\nInjected: 1", "v").is_err());
        assert!(headers.set("X-Qux\n", "v").is_err());
        assert_eq!(written(&headers), "");
    }

    #[test]
    fn rejected_header_does_not_reserve_its_name() {
        let mut headers = HeaderList::new();
        assert!(headers.set("X-Foo", "bad\n").is_err());
        headers.set("X-Foo", "good").unwrap();
        assert_eq!(written(&headers), "X-Foo: good\r\n");
    }
}
