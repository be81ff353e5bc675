//! An incremental HTTP/1.1 response-head parser, reading what websocket-driver
//! 0.8.0 reads through http-parser-js 0.5.10 (lib/websocket/http_parser.js):
//! the status code and the header block of the server's handshake response,
//! or of a proxy's answer to CONNECT.
//!
//! Bytes may arrive split anywhere: the result does not depend on where. Each
//! byte is looked at a bounded number of times, and the head is capped at
//! `MAX_HEAD_SIZE` bytes (http-parser-js's `maxHeaderSize`), so a hostile
//! server can neither stall us nor make us buffer without end. The bytes after
//! the head (WebSocket frames sent with the 101) are left to the caller.
//!
//! http-parser-js decodes each line as Node's `ascii` encoding does, which
//! drops the high bit of every byte; so do we, so headers read the same.

use crate::js;

/// http-parser-js's default `maxHeaderSize`: 80 KiB.
pub(crate) const MAX_HEAD_SIZE: usize = 80 * 1024;

/// http-parser-js's message for every syntax error it reports here.
pub(crate) const PARSE_ERROR: &str = "Parse Error";

/// Its message when the head outgrows `MAX_HEAD_SIZE`.
pub(crate) const HEAD_TOO_LARGE: &str = "max header size exceeded";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    StatusLine,
    Headers,
    Complete,
    Failed,
}

/// What one call to `ResponseParser::feed` found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Progress {
    /// The head is not complete yet; every byte was consumed.
    Incomplete,
    /// The head ended this many bytes into the chunk; the rest is not ours.
    Complete(usize),
    /// The response cannot be read (see `ResponseParser::error`).
    Failed,
}

#[derive(Debug, Clone)]
pub(crate) struct ResponseParser {
    phase: Phase,
    /// The current line so far, when it spans chunks (high bits dropped).
    line: Vec<u8>,
    /// Bytes of the head consumed so far.
    size: usize,
    status_code: u16,
    /// Header lines as http-parser-js lists them: names as sent, values trimmed.
    raw_headers: Vec<(String, String)>,
    error: Option<&'static str>,
}

impl Default for ResponseParser {
    fn default() -> Self {
        ResponseParser::new()
    }
}

impl ResponseParser {
    pub(crate) fn new() -> ResponseParser {
        ResponseParser {
            phase: Phase::StatusLine,
            line: Vec::new(),
            size: 0,
            status_code: 0,
            raw_headers: Vec::new(),
            error: None,
        }
    }

    /// Reads the next bytes of the response. Once the head is complete or
    /// has failed, further calls change nothing.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Progress {
        match self.phase {
            Phase::Complete => return Progress::Complete(0),
            Phase::Failed => return Progress::Failed,
            Phase::StatusLine | Phase::Headers => {}
        }
        let mut offset = 0;
        while offset < chunk.len() {
            let rest = &chunk[offset..];
            let Some(newline) = rest.iter().position(|&byte| byte == b'\n') else {
                // The line continues in the next chunk.
                if let Err(failed) = self.grow(rest.len()) {
                    return failed;
                }
                self.line.extend(rest.iter().map(|byte| byte & 0x7f));
                return Progress::Incomplete;
            };
            if let Err(failed) = self.grow(newline + 1) {
                return failed;
            }
            let mut line = std::mem::take(&mut self.line);
            line.extend(rest[..newline].iter().map(|byte| byte & 0x7f));
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            offset += newline + 1;
            // High bits are gone, so the line is ASCII and therefore UTF-8.
            let line = String::from_utf8(line).unwrap_or_default();
            if let Err(message) = self.line_done(&line) {
                return self.fail(message);
            }
            if self.phase == Phase::Complete {
                return Progress::Complete(offset);
            }
        }
        Progress::Incomplete
    }

    /// The status code, once the head is complete.
    pub(crate) fn status_code(&self) -> Option<u16> {
        (self.phase == Phase::Complete).then_some(self.status_code)
    }

    /// The headers as websocket-driver holds them once the head is complete:
    /// lower-cased names in first-seen order, a repeated header's values
    /// joined with `", "`. Empty before that, and after a failure.
    pub(crate) fn headers(&self) -> Vec<(String, String)> {
        if self.phase != Phase::Complete {
            return Vec::new();
        }
        let mut headers: Vec<(String, String)> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for (name, value) in &self.raw_headers {
            let name = name.to_ascii_lowercase();
            match index.get(&name) {
                Some(&at) => {
                    let joined: &mut String = &mut headers[at].1;
                    joined.push_str(", ");
                    joined.push_str(value);
                }
                None => {
                    index.insert(name.clone(), headers.len());
                    headers.push((name, value.clone()));
                }
            }
        }
        headers
    }

    /// The value of one header (name in lower case), as `headers()` has it.
    pub(crate) fn header(&self, lower_case_name: &str) -> Option<String> {
        let mut found: Option<String> = None;
        if self.phase != Phase::Complete {
            return None;
        }
        for (name, value) in &self.raw_headers {
            if name.eq_ignore_ascii_case(lower_case_name) {
                match &mut found {
                    Some(joined) => {
                        joined.push_str(", ");
                        joined.push_str(value);
                    }
                    None => found = Some(value.clone()),
                }
            }
        }
        found
    }

    /// Why the response could not be read: `Parse Error` or
    /// `max header size exceeded`.
    pub(crate) fn error(&self) -> Option<&'static str> {
        self.error
    }

    #[cfg(test)]
    pub(crate) fn is_complete(&self) -> bool {
        self.phase == Phase::Complete
    }

    /// Counts `bytes` more of the head; past `MAX_HEAD_SIZE` the response
    /// has failed, and the error is the `Progress` to return.
    fn grow(&mut self, bytes: usize) -> Result<(), Progress> {
        self.size += bytes;
        if self.size > MAX_HEAD_SIZE {
            return Err(self.fail(HEAD_TOO_LARGE));
        }
        Ok(())
    }

    fn fail(&mut self, message: &'static str) -> Progress {
        self.phase = Phase::Failed;
        self.error = Some(message);
        self.line = Vec::new();
        self.raw_headers = Vec::new();
        Progress::Failed
    }

    fn line_done(&mut self, line: &str) -> Result<(), &'static str> {
        match self.phase {
            // Empty lines before the status line are skipped.
            Phase::StatusLine if line.is_empty() => Ok(()),
            Phase::StatusLine => {
                self.status_code = parse_status_line(line).ok_or(PARSE_ERROR)?;
                self.phase = Phase::Headers;
                Ok(())
            }
            Phase::Headers if line.is_empty() => {
                check_content_length(&self.raw_headers)?;
                self.phase = Phase::Complete;
                Ok(())
            }
            Phase::Headers => self.header_line(line),
            Phase::Complete | Phase::Failed => Ok(()),
        }
    }

    /// `HTTPParser.prototype.parseHeader`: `Name: value`, or a continuation
    /// line starting with space or tab; anything else is ignored.
    fn header_line(&mut self, line: &str) -> Result<(), &'static str> {
        if line.contains('\r') {
            return Err(PARSE_ERROR);
        }
        // /^([^: \t]+):[ \t]*((?:.*[^ \t])|)/
        let name_end = line.find([':', ' ', '\t']).unwrap_or(line.len());
        if name_end > 0 && line[name_end..].starts_with(':') {
            let value = line[name_end + 1..].trim_matches([' ', '\t']);
            self.raw_headers
                .push((line[..name_end].to_string(), value.to_string()));
            return Ok(());
        }
        // /^[ \t]+(.*[^ \t])/
        let folded = line.trim_matches([' ', '\t']);
        if line.starts_with([' ', '\t']) && !folded.is_empty() {
            if let Some((_, value)) = self.raw_headers.last_mut() {
                if !value.is_empty() {
                    value.push(' ');
                }
                value.push_str(folded);
            }
        }
        Ok(())
    }
}

/// `/^HTTP\/(\d)\.(\d) (\d{3}) ?(.*)$/`: the status code.
fn parse_status_line(line: &str) -> Option<u16> {
    let bytes = line.as_bytes();
    let shape = bytes.len() >= 12
        && bytes.starts_with(b"HTTP/")
        && bytes[5].is_ascii_digit()
        && bytes[6] == b'.'
        && bytes[7].is_ascii_digit()
        && bytes[8] == b' '
        && bytes[9..12].iter().all(u8::is_ascii_digit);
    // `.` matches anything but a line terminator; only CR can be left here.
    if !shape || line[12..].contains('\r') {
        return None;
    }
    line[9..12].parse().ok()
}

/// http-parser-js rejects two `Content-Length` headers whose values differ
/// as JS numbers (`+value`; NaN differs even from itself).
fn check_content_length(headers: &[(String, String)]) -> Result<(), &'static str> {
    let mut first: Option<f64> = None;
    for (name, value) in headers {
        if !name.eq_ignore_ascii_case("content-length") {
            continue;
        }
        let number = js::number_from_string(value);
        match first {
            None => first = Some(number),
            #[allow(clippy::float_cmp)]
            Some(length) if length != number => return Err(PARSE_ERROR),
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::pairs;

    const RESPONSE: &[u8] = b"HTTP/1.1 101 Switching Protocols\r\n\
        Upgrade: websocket\r\n\
        Connection: Upgrade\r\n\
        X-Extra: 1\r\n\
        x-extra:2\r\n\
        \r\n\
        \x81\x02hi";

    fn head_length() -> usize {
        RESPONSE.len() - 4
    }

    fn parse_all(bytes: &[u8]) -> (ResponseParser, Progress) {
        let mut parser = ResponseParser::new();
        let progress = parser.feed(bytes);
        (parser, progress)
    }

    #[test]
    fn reads_status_headers_and_keeps_the_rest() {
        let (parser, progress) = parse_all(RESPONSE);
        assert_eq!(progress, Progress::Complete(head_length()));
        assert_eq!(parser.status_code(), Some(101));
        assert_eq!(
            parser.headers(),
            pairs(&[
                ("upgrade", "websocket"),
                ("connection", "Upgrade"),
                ("x-extra", "1, 2")
            ])
        );
        assert_eq!(parser.header("x-extra").as_deref(), Some("1, 2"));
        assert_eq!(parser.header("missing"), None);
        assert!(parser.is_complete());
        assert_eq!(parser.error(), None);
    }

    #[test]
    fn any_split_gives_the_same_result() {
        let (whole, _) = parse_all(RESPONSE);
        for split in 0..=RESPONSE.len() {
            let mut parser = ResponseParser::new();
            let (a, b) = RESPONSE.split_at(split);
            let end = match parser.feed(a) {
                Progress::Complete(at) => at,
                Progress::Incomplete => match parser.feed(b) {
                    Progress::Complete(at) => split + at,
                    other => panic!("split {split}: {other:?}"),
                },
                Progress::Failed => panic!("split {split} failed"),
            };
            assert_eq!(end, head_length(), "split {split}");
            assert_eq!(parser.headers(), whole.headers(), "split {split}");
            assert_eq!(parser.status_code(), Some(101));
        }
    }

    #[test]
    fn byte_at_a_time() {
        let mut parser = ResponseParser::new();
        let mut end = None;
        for (at, byte) in RESPONSE.iter().enumerate() {
            match parser.feed(std::slice::from_ref(byte)) {
                Progress::Incomplete => {}
                Progress::Complete(offset) => {
                    end = Some(at + offset);
                    break;
                }
                Progress::Failed => panic!("failed at {at}"),
            }
        }
        assert_eq!(end, Some(head_length()));
        assert_eq!(parser.header("upgrade").as_deref(), Some("websocket"));
    }

    #[test]
    fn nothing_is_exposed_before_completion() {
        let mut parser = ResponseParser::new();
        assert_eq!(
            parser.feed(b"HTTP/1.1 101 OK\r\nUpgrade: websocket\r\n"),
            Progress::Incomplete
        );
        assert_eq!(parser.status_code(), None);
        assert!(parser.headers().is_empty());
        assert_eq!(parser.header("upgrade"), None);
    }

    #[test]
    fn feeding_after_completion_changes_nothing() {
        let (mut parser, _) = parse_all(b"HTTP/1.1 200 OK\r\n\r\n");
        assert_eq!(
            parser.feed(b"HTTP/1.1 500 No\r\n\r\n"),
            Progress::Complete(0)
        );
        assert_eq!(parser.status_code(), Some(200));
    }

    #[test]
    fn lf_only_lines_and_leading_blank_lines() {
        let (parser, progress) = parse_all(b"\r\n\nHTTP/1.0 407 Auth\nA: b\n\nrest");
        assert_eq!(progress, Progress::Complete(27));
        assert_eq!(parser.status_code(), Some(407));
        assert_eq!(parser.headers(), pairs(&[("a", "b")]));
    }

    #[test]
    fn status_line_rules() {
        for (line, status) in [
            ("HTTP/1.1 101 Switching Protocols", Some(101)),
            ("HTTP/1.1 101", Some(101)),
            ("HTTP/1.1 1011", Some(101)),
            ("HTTP/2.0 200  two spaces", Some(200)),
            ("HTTP/9.9 999 x", Some(999)),
            ("HTTP/1.1 20 short", None),
            ("HTTP/1.1  200 OK", None),
            ("HTTP/11.1 200 OK", None),
            ("http/1.1 200 OK", None),
            ("HTTP/1.1 2x0 OK", None),
            ("HTTP/1.1 200 O\rK", None),
            ("garbage", None),
        ] {
            let bytes = format!("{line}\r\n\r\n");
            let (parser, progress) = parse_all(bytes.as_bytes());
            match status {
                Some(code) => {
                    assert!(matches!(progress, Progress::Complete(_)), "{line}");
                    assert_eq!(parser.status_code(), Some(code), "{line}");
                }
                None => {
                    assert_eq!(progress, Progress::Failed, "{line}");
                    assert_eq!(parser.error(), Some(PARSE_ERROR));
                    assert_eq!(parser.status_code(), None);
                }
            }
        }
    }

    #[test]
    fn header_line_rules() {
        let (parser, _) = parse_all(
            b"HTTP/1.1 101 OK\r\n\
              A:   spaced \t \r\n\
              \t folded  more \r\n\
              B:\r\n\
              \tonto-empty\r\n\
              C :ignored\r\n\
              :ignored\r\n\
              no colon\r\n\
              D: x:y\r\n\
              E\t: ignored\r\n\
              \r\n",
        );
        assert_eq!(
            parser.headers(),
            pairs(&[
                ("a", "spaced folded  more"),
                ("b", "onto-empty"),
                ("d", "x:y")
            ])
        );
    }

    #[test]
    fn a_fold_with_no_header_before_it_is_ignored() {
        let (parser, _) = parse_all(b"HTTP/1.1 101 OK\r\n  lonely\r\nA: 1\r\n\r\n");
        assert_eq!(parser.headers(), pairs(&[("a", "1")]));
    }

    #[test]
    fn a_cr_inside_a_header_line_fails() {
        let (parser, progress) = parse_all(b"HTTP/1.1 101 OK\r\nA: x\ry\r\n\r\n");
        assert_eq!(progress, Progress::Failed);
        assert_eq!(parser.error(), Some(PARSE_ERROR));
        assert!(parser.headers().is_empty());
    }

    #[test]
    fn high_bits_are_dropped_as_nodes_ascii_decoding_does() {
        let (parser, _) = parse_all(b"HTTP/1.1 101 OK\r\nX-Name: caf\xc3\xa9\r\n\r\n");
        assert_eq!(parser.header("x-name").as_deref(), Some("cafC)"));
    }

    #[test]
    fn conflicting_content_lengths_fail() {
        let fails = |a: &str, b: &str| {
            let text =
                format!("HTTP/1.1 400 No\r\nContent-Length: {a}\r\ncontent-length: {b}\r\n\r\n");
            parse_all(text.as_bytes()).1 == Progress::Failed
        };
        assert!(!fails("5", "5"));
        assert!(!fails("5", " 5.0 "));
        assert!(!fails("0x10", "16"));
        assert!(!fails("", "0"));
        assert!(fails("5", "6"));
        assert!(fails("abc", "abc"));
        assert!(fails("inf", "inf"));
        let (_, single) = parse_all(b"HTTP/1.1 400 No\r\nContent-Length: abc\r\n\r\n");
        assert!(matches!(single, Progress::Complete(_)));
    }

    #[test]
    fn a_head_of_exactly_the_cap_is_accepted() {
        let start = b"HTTP/1.1 101 OK\r\nX: ";
        let filler = MAX_HEAD_SIZE - start.len() - 4;
        let mut bytes = start.to_vec();
        bytes.extend(std::iter::repeat_n(b'a', filler));
        bytes.extend_from_slice(b"\r\n\r\n");
        assert_eq!(bytes.len(), MAX_HEAD_SIZE);
        let (parser, progress) = parse_all(&bytes);
        assert_eq!(progress, Progress::Complete(MAX_HEAD_SIZE));
        assert_eq!(parser.header("x").map(|v| v.len()), Some(filler));
    }

    #[test]
    fn one_byte_over_the_cap_fails_however_it_is_split() {
        let start = b"HTTP/1.1 101 OK\r\nX: ";
        let mut bytes = start.to_vec();
        bytes.extend(std::iter::repeat_n(b'a', MAX_HEAD_SIZE - start.len() - 3));
        bytes.extend_from_slice(b"\r\n\r\n");
        assert_eq!(bytes.len(), MAX_HEAD_SIZE + 1);
        let (parser, progress) = parse_all(&bytes);
        assert_eq!(progress, Progress::Failed);
        assert_eq!(parser.error(), Some(HEAD_TOO_LARGE));
        assert_eq!(parser.status_code(), None);

        let mut parser = ResponseParser::new();
        let mut failed_at = None;
        for (at, chunk) in bytes.chunks(1000).enumerate() {
            if parser.feed(chunk) == Progress::Failed {
                failed_at = Some(at);
                break;
            }
        }
        assert_eq!(failed_at, Some(MAX_HEAD_SIZE / 1000));
        assert_eq!(parser.error(), Some(HEAD_TOO_LARGE));
    }

    #[test]
    fn a_200_kb_head_fails_early_and_fast() {
        let mut bytes = b"HTTP/1.1 101 OK\r\n".to_vec();
        for i in 0..20_000 {
            bytes.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
        }
        assert!(bytes.len() > 200_000);
        let started = std::time::Instant::now();
        let mut parser = ResponseParser::new();
        let mut result = Progress::Incomplete;
        for byte in &bytes {
            result = parser.feed(std::slice::from_ref(byte));
            if result != Progress::Incomplete {
                break;
            }
        }
        assert_eq!(result, Progress::Failed);
        assert_eq!(parser.error(), Some(HEAD_TOO_LARGE));
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn one_long_line_fed_in_pieces_is_linear() {
        let mut parser = ResponseParser::new();
        parser.feed(b"HTTP/1.1 101 OK\r\nX: ");
        let piece = [b'a'; 10];
        let started = std::time::Instant::now();
        for _ in 0..8000 {
            assert_eq!(parser.feed(&piece), Progress::Incomplete);
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }
}
