//! One hixie-75 or hixie-76 connection, without I/O: websocket-driver
//! 0.8.0's draft75.js and draft76.js, which a server uses only with
//! `allowDrafts` (and 0.7.4 picked for any request without hybi headers).
//!
//! Text frames are `0x00 <bytes> 0xFF`; a leading byte with the high bit
//! set starts a frame whose length follows in base-128 digits, and which is
//! skipped. hixie-76 also reads `0xFF 0x00` as the closing handshake. Text
//! is not checked as UTF-8. A frame over `maxLength` closes the connection
//! without an error, and a close has no code or reason.
//!
//! Bytes held across calls are bounded: at most `maxLength + 1` of an
//! unfinished text frame, 8 key bytes, and the output the caller takes.

pub use crate::handshake::draft75::DraftRequest;
use crate::handshake::draft76::{self, BODY_SIZE};
use crate::handshake::server::bad_request;
use crate::session::ReadyState;

/// The pre-standard protocol of a connection.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Draft {
    Hixie75,
    Hixie76,
}

impl Draft {
    /// websocket-driver 0.7.4's choice for a request's headers (empty
    /// values are absent, as JS tests their truthiness): `None` (hybi) when
    /// it has `Sec-WebSocket-Version` or `Sec-WebSocket-Key`, else hixie-76
    /// when it has `Sec-WebSocket-Key1` or `Key2`, else hixie-75.
    pub fn select(
        version: Option<&str>,
        key: Option<&str>,
        key1: Option<&str>,
        key2: Option<&str>,
    ) -> Option<Draft> {
        let present = |value: Option<&str>| value.is_some_and(|value| !value.is_empty());
        if present(version) || present(key) {
            None
        } else if present(key1) || present(key2) {
            Some(Draft::Hixie76)
        } else {
            Some(Draft::Hixie75)
        }
    }

    /// The driver's `version`.
    pub fn name(self) -> &'static str {
        match self {
            Draft::Hixie75 => "hixie-75",
            Draft::Hixie76 => "hixie-76",
        }
    }
}

/// What [`DraftSession::receive`] stopped at.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum DraftEvent {
    /// The chunk is used up.
    Done,
    /// hixie-76's key bytes arrived: the answer and the frames queued
    /// before open are in the output.
    Open,
    /// A text frame's bytes, not checked as UTF-8.
    Message(Vec<u8>),
    /// The connection closed: the peer's `FF 00` (answered in the output)
    /// or a frame over `maxLength`.
    Close,
}

/// Where the reader is within the byte stream.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stage {
    /// hixie-76: collecting the 8 key bytes after the request head.
    KeyBody,
    /// Before a frame.
    Leading,
    /// A length-prefixed frame's base-128 length.
    Length,
    /// A length-prefixed frame's bytes, skipped.
    Skip,
    /// A text frame's bytes, up to `0xFF`.
    Text,
}

pub struct DraftSession {
    draft: Draft,
    state: ReadyState,
    stage: Stage,
    max_length: u64,
    /// The length-prefixed frame's length so far, and how much of it was skipped.
    length: u64,
    skipped: u64,
    /// hixie-76 read `0xFF`: a zero length is the closing handshake. It stays
    /// set after a non-zero one, as in draft76.js.
    closing: bool,
    text: Vec<u8>,
    keys: [u32; 2],
    body: Vec<u8>,
    /// Frames sent before open, written after the handshake.
    queued: Vec<u8>,
    output: Vec<u8>,
}

impl DraftSession {
    /// `max_length` 0 means faye's default (2^26 − 1).
    pub fn new(draft: Draft, max_length: u64) -> DraftSession {
        DraftSession {
            draft,
            state: ReadyState::Connecting,
            stage: Stage::Leading,
            max_length: if max_length == 0 {
                crate::session::DEFAULT_MAX_LENGTH
            } else {
                max_length
            },
            length: 0,
            skipped: 0,
            closing: false,
            text: Vec::new(),
            keys: [0; 2],
            body: Vec::new(),
            queued: Vec::new(),
            output: Vec::new(),
        }
    }

    pub fn draft(&self) -> Draft {
        self.draft
    }

    /// The connection closed: the buffers go now, as a hybi session's do
    /// (`Session::release`), and later input is ignored.
    pub fn release(&mut self) {
        self.state = ReadyState::Closed;
        self.text = Vec::new();
        self.body = Vec::new();
        self.queued = Vec::new();
        self.output = Vec::new();
    }

    /// Connecting, Open or Closed (a draft never stays closing).
    pub fn ready_state(&self) -> ReadyState {
        self.state
    }

    /// `Base.start`: checks the request and writes the 101 response head;
    /// hixie-75 is then open, hixie-76 waits for its key bytes. A refused
    /// request gets faye's 400 response and closes the session, and the
    /// error is its message. Returns whether the session opened. Does
    /// nothing once started or closed.
    pub fn start(
        &mut self,
        request: &DraftRequest,
        user_headers: &[(String, String)],
    ) -> Result<bool, String> {
        if self.state != ReadyState::Connecting || self.stage == Stage::KeyBody {
            return Ok(false);
        }
        let response = match self.draft {
            Draft::Hixie75 => crate::handshake::draft75::response(request, user_headers),
            Draft::Hixie76 => draft76::response(request, user_headers).map(|(response, keys)| {
                self.keys = keys;
                response
            }),
        };
        match response {
            Ok(response) => {
                self.output.extend_from_slice(&response);
                if self.draft == Draft::Hixie76 {
                    self.stage = Stage::KeyBody;
                    return Ok(false);
                }
                self.open();
                Ok(true)
            }
            Err(error) => {
                self.output.extend_from_slice(&bad_request(&error.message));
                self.queued = Vec::new();
                self.state = ReadyState::Closed;
                Err(error.message)
            }
        }
    }

    fn open(&mut self) {
        self.state = ReadyState::Open;
        self.stage = Stage::Leading;
        self.body = Vec::new();
        let queued = std::mem::take(&mut self.queued);
        self.output.extend_from_slice(&queued);
    }

    /// Parses `chunk` up to the first event; the second value is how many
    /// of its bytes were used. Call again with the rest until `Done`.
    /// Nothing is read before start or after close.
    pub fn receive(&mut self, chunk: &[u8]) -> (DraftEvent, usize) {
        let mut at = 0;
        while at < chunk.len() {
            if self.state == ReadyState::Closed
                || (self.state == ReadyState::Connecting && self.stage != Stage::KeyBody)
            {
                return (DraftEvent::Done, chunk.len());
            }
            let (event, used) = self.step(&chunk[at..]);
            at += used;
            if let Some(event) = event {
                return (event, at);
            }
        }
        (DraftEvent::Done, chunk.len())
    }

    /// One stage's worth of `bytes` (never empty).
    fn step(&mut self, bytes: &[u8]) -> (Option<DraftEvent>, usize) {
        match self.stage {
            Stage::KeyBody => self.read_key_body(bytes),
            Stage::Leading => {
                self.read_leading(bytes[0]);
                (None, 1)
            }
            Stage::Length => (self.read_length(bytes[0]), 1),
            Stage::Skip => {
                let used = (self.length - self.skipped).min(bytes.len() as u64);
                self.skipped += used;
                if self.skipped == self.length {
                    self.stage = Stage::Leading;
                }
                (None, used as usize)
            }
            Stage::Text => self.read_text(bytes),
        }
    }

    fn read_key_body(&mut self, bytes: &[u8]) -> (Option<DraftEvent>, usize) {
        let used = (BODY_SIZE - self.body.len()).min(bytes.len());
        self.body.extend_from_slice(&bytes[..used]);
        let Ok(body) = <[u8; BODY_SIZE]>::try_from(self.body.as_slice()) else {
            return (None, used);
        };
        self.output
            .extend_from_slice(&draft76::signature(self.keys, &body));
        self.open();
        (Some(DraftEvent::Open), used)
    }

    fn read_leading(&mut self, byte: u8) {
        if self.draft == Draft::Hixie76 && byte == 0xFF {
            self.closing = true;
            self.length = 0;
            self.stage = Stage::Length;
        } else if byte & 0x80 == 0x80 {
            self.length = 0;
            self.stage = Stage::Length;
        } else {
            self.text.clear();
            self.stage = Stage::Text;
        }
    }

    fn read_length(&mut self, byte: u8) -> Option<DraftEvent> {
        self.length = u64::from(byte & 0x7F) + 128 * self.length;
        if self.length > self.max_length || (self.closing && self.length == 0) {
            self.close();
            return Some(DraftEvent::Close);
        }
        if byte & 0x80 != 0x80 {
            self.skipped = 0;
            self.stage = if self.length == 0 {
                Stage::Leading
            } else {
                Stage::Skip
            };
        }
        None
    }

    fn read_text(&mut self, bytes: &[u8]) -> (Option<DraftEvent>, usize) {
        let end = bytes.iter().position(|&byte| byte == 0xFF);
        let taken = &bytes[..end.unwrap_or(bytes.len())];
        // One byte over maxLength is where draft75.js gives up.
        let room = (self.max_length + 1).saturating_sub(self.text.len() as u64);
        if taken.len() as u64 >= room {
            self.close();
            return (Some(DraftEvent::Close), room as usize);
        }
        self.text.extend_from_slice(taken);
        match end {
            Some(end) => {
                self.stage = Stage::Leading;
                let message = std::mem::take(&mut self.text);
                (Some(DraftEvent::Message(message)), end + 1)
            }
            None => (None, bytes.len()),
        }
    }

    /// Queues a text frame (until open), writes it (open), or refuses it
    /// (closed).
    pub fn send_text(&mut self, text: &[u8]) -> bool {
        let out = match self.state {
            ReadyState::Connecting => &mut self.queued,
            ReadyState::Open => &mut self.output,
            _ => return false,
        };
        out.reserve(text.len() + 2);
        out.push(0x00);
        out.extend_from_slice(text);
        out.push(0xFF);
        true
    }

    /// The driver's `close`: hixie-76 writes `FF 00` if open; both close at
    /// once. False if already closed.
    pub fn close(&mut self) -> bool {
        if self.state == ReadyState::Closed {
            return false;
        }
        if self.draft == Draft::Hixie76 && self.state == ReadyState::Open {
            self.output.extend_from_slice(&[0xFF, 0x00]);
        }
        self.state = ReadyState::Closed;
        self.queued = Vec::new();
        self.text = Vec::new();
        true
    }

    /// The bytes to write, handed over.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.output)
    }

    /// Bytes held for input not yet complete (an unfinished text frame or
    /// key body).
    pub fn held(&self) -> usize {
        self.text.capacity() + self.body.capacity()
    }
}

/// What [`feed`] saw: every event, and the most bytes the session held for
/// unfinished input after any piece.
#[derive(Debug)]
pub struct Fed {
    pub events: Vec<DraftEvent>,
    pub max_held: usize,
}

/// The entry point for the fuzz target and the property tests: a session
/// of `draft` whose handshake was accepted (hixie-76's key numbers both 0,
/// its 8 key bytes still to come) is fed `pieces` in order, its output
/// taken after each, until it closes.
pub fn feed(draft: Draft, max_length: u64, pieces: &[&[u8]]) -> Fed {
    let mut session = DraftSession::new(draft, max_length);
    match draft {
        Draft::Hixie75 => session.open(),
        Draft::Hixie76 => session.stage = Stage::KeyBody,
    }
    let mut fed = Fed {
        events: Vec::new(),
        max_held: 0,
    };
    for piece in pieces {
        let mut rest = *piece;
        loop {
            let (event, used) = session.receive(rest);
            rest = &rest[used..];
            session.take_output();
            fed.max_held = fed.max_held.max(session.held());
            if event == DraftEvent::Done {
                break;
            }
            fed.events.push(event);
        }
    }
    fed
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY1: &str = "4 @1  46546xW%0l 1 5";
    const KEY2: &str = "12998 5 Y3 1  .P00";
    const BODY: &[u8] = b"^n:ds[4U";
    const ANSWER: &[u8] = b"8jKS'y:G*Co,Wxa-";

    fn request() -> DraftRequest<'static> {
        DraftRequest {
            method: "GET",
            connection: Some("Upgrade"),
            upgrade: Some("WebSocket"),
            origin: None,
            key1: Some(KEY1),
            key2: Some(KEY2),
            url: "ws://h/",
        }
    }

    fn started(draft: Draft, max_length: u64) -> DraftSession {
        let mut session = DraftSession::new(draft, max_length);
        session.start(&request(), &[]).expect("accepted");
        session.take_output();
        session
    }

    /// Every event in `chunk`, in order.
    fn events(session: &mut DraftSession, mut chunk: &[u8]) -> Vec<DraftEvent> {
        let mut events = Vec::new();
        loop {
            let (event, used) = session.receive(chunk);
            chunk = &chunk[used..];
            if event == DraftEvent::Done {
                return events;
            }
            events.push(event);
        }
    }

    fn message(text: &str) -> DraftEvent {
        DraftEvent::Message(text.as_bytes().to_vec())
    }

    #[test]
    fn selects_the_driver_as_0_7_4_does() {
        assert_eq!(Draft::select(Some("13"), None, Some("1"), None), None);
        assert_eq!(Draft::select(None, Some("k"), None, None), None);
        assert_eq!(
            Draft::select(None, None, None, Some("1 ")),
            Some(Draft::Hixie76)
        );
        assert_eq!(
            Draft::select(Some(""), Some(""), None, None),
            Some(Draft::Hixie75)
        );
        assert_eq!(
            Draft::select(None, None, Some(""), None),
            Some(Draft::Hixie75)
        );
        assert_eq!(Draft::Hixie76.name(), "hixie-76");
    }

    #[test]
    fn hixie_76_opens_when_the_key_bytes_arrive_and_flushes_the_queue() {
        let mut session = started(Draft::Hixie76, 0);
        assert!(session.send_text(b"early"));
        assert_eq!(events(&mut session, &BODY[..3]), []);
        assert_eq!(session.ready_state(), ReadyState::Connecting);
        let mut rest = BODY[3..].to_vec();
        rest.extend_from_slice(b"\x00hi\xFF");
        assert_eq!(
            events(&mut session, &rest),
            [DraftEvent::Open, message("hi")]
        );
        let mut expected = ANSWER.to_vec();
        expected.extend_from_slice(b"\x00early\xFF");
        assert_eq!(session.take_output(), expected);
    }

    #[test]
    fn hixie_75_is_open_after_start() {
        let mut session = DraftSession::new(Draft::Hixie75, 0);
        session.send_text(b"q");
        assert_eq!(session.start(&request(), &[]), Ok(true));
        assert!(session.take_output().ends_with(b"\r\n\r\n\x00q\xFF"));
        assert_eq!(events(&mut session, b"\x00a\xFF\x00b"), [message("a")]);
        assert_eq!(events(&mut session, b"c\xFF"), [message("bc")]);
    }

    #[test]
    fn refused_request_writes_400_and_closes() {
        let mut session = DraftSession::new(Draft::Hixie76, 0);
        session.send_text(b"dropped");
        let request = DraftRequest {
            key2: Some("1"),
            ..request()
        };
        let error = session.start(&request, &[]).expect_err("refused");
        assert_eq!(error, "Client sent invalid Sec-WebSocket-Key headers");
        assert!(session
            .take_output()
            .starts_with(b"HTTP/1.1 400 Bad Request\r\n"));
        assert_eq!(session.ready_state(), ReadyState::Closed);
        assert!(!session.close());
        assert_eq!(events(&mut session, BODY), []);
    }

    #[test]
    fn release_closes_and_ignores_later_input() {
        let mut session = started(Draft::Hixie75, 0);
        assert_eq!(events(&mut session, b"\x00half"), []);
        session.release();
        assert_eq!(session.ready_state(), ReadyState::Closed);
        assert_eq!(events(&mut session, b" more\xFF\x00next\xFF"), []);
        assert!(!session.send_text(b"late"));
        assert!(session.take_output().is_empty());
    }

    #[test]
    fn length_prefixed_frames_are_skipped_across_chunks() {
        let mut session = started(Draft::Hixie75, 0);
        // Length 0x81 0x00 = 128 bytes.
        let mut chunk = vec![0x80, 0x81, 0x00];
        chunk.extend_from_slice(&[0x00; 100]);
        assert_eq!(events(&mut session, &chunk), []);
        let mut rest = vec![0xFF; 28];
        rest.extend_from_slice(b"\x00after\xFF\x80\x00\x00x\xFF");
        assert_eq!(
            events(&mut session, &rest),
            [message("after"), message("x")]
        );
    }

    #[test]
    fn hixie_76_closing_handshake_is_answered() {
        let mut session = started(Draft::Hixie76, 0);
        events(&mut session, BODY);
        session.take_output();
        assert_eq!(
            events(&mut session, b"\x00m\xFF\xFF\x00\x00late\xFF"),
            [message("m"), DraftEvent::Close]
        );
        assert_eq!(session.take_output(), [0xFF, 0x00]);
        assert!(!session.send_text(b"x"));
    }

    #[test]
    fn hixie_75_reads_ff_00_as_an_empty_skipped_frame() {
        let mut session = started(Draft::Hixie75, 0);
        assert_eq!(events(&mut session, b"\xFF\x00\x00z\xFF"), [message("z")]);
        assert!(session.close());
        assert_eq!(session.take_output(), b"");
    }

    #[test]
    fn max_length_closes_without_an_error() {
        let mut session = started(Draft::Hixie75, 4);
        assert_eq!(events(&mut session, b"\x00abcd\xFF"), [message("abcd")]);
        assert_eq!(events(&mut session, b"\x00abc"), []);
        assert_eq!(events(&mut session, b"de\xFF"), [DraftEvent::Close]);
        assert!(session.held() == 0);

        let mut session = started(Draft::Hixie75, 4);
        assert_eq!(events(&mut session, b"\x80\x05"), [DraftEvent::Close]);
        let mut session = started(Draft::Hixie75, 200);
        assert_eq!(events(&mut session, b"\x80\x81\x48"), []);
        let mut session = started(Draft::Hixie75, 200);
        assert_eq!(events(&mut session, b"\x80\x81\x49"), [DraftEvent::Close]);
    }

    #[test]
    fn close_writes_ff_00_only_for_an_open_hixie_76() {
        let mut connecting = started(Draft::Hixie76, 0);
        assert!(connecting.close());
        assert_eq!(connecting.take_output(), b"");
        let mut open = started(Draft::Hixie76, 0);
        events(&mut open, BODY);
        open.take_output();
        assert!(open.close());
        assert_eq!(open.take_output(), [0xFF, 0x00]);
    }

    #[test]
    fn closing_flag_stays_after_a_non_empty_ff_frame() {
        let mut session = started(Draft::Hixie76, 0);
        events(&mut session, BODY);
        assert_eq!(
            events(&mut session, b"\xFF\x02ab\x00ok\xFF"),
            [message("ok")]
        );
        assert_eq!(events(&mut session, b"\x80\x00"), [DraftEvent::Close]);
    }
}
