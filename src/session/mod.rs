//! One WebSocket connection after the handshake, without I/O: chunks of
//! socket bytes in, events and bytes to write out. The state rules follow
//! websocket-driver 0.8.0's hybi.js: which frames each `readyState` sends
//! and accepts, `_fail` and `_shutdown` for failures and the peer's close,
//! and close-before-open discarding what was queued.

pub mod draft;
mod output;
mod pipeline;
pub(crate) mod receiver;
pub(crate) mod sender;

pub use receiver::Payload;

use std::mem::MaybeUninit;

use crate::deflate::codec::{Compressor, CompressorSettings, DeflateError, Inflater};
use crate::deflate::negotiation::Negotiated;
use crate::protocol::close::peer_close_code_and_reason;
use crate::protocol::frame::{encode_header, OpCode};
use crate::session::receiver::{Incoming, Limits, Receiver, Violation};
use crate::session::sender::Sender;
use output::Output;

/// faye's default `maxLength`: 2^26 - 1.
pub(crate) const DEFAULT_MAX_LENGTH: u64 = 0x3ff_ffff;

/// Frames in one message. Above the 65 536 of Autobahn case 9.3.1, and each
/// fragment costs us only its bytes, which maxLength already bounds.
pub(crate) const DEFAULT_MAX_FRAGMENTS: usize = 131_072;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    Server,
    Client,
}

#[derive(Clone, Copy, Debug)]
pub struct Config {
    pub role: Role,
    pub max_length: u64,
    pub max_fragments: usize,
}

impl Config {
    pub fn server() -> Config {
        Config {
            role: Role::Server,
            max_length: DEFAULT_MAX_LENGTH,
            max_fragments: DEFAULT_MAX_FRAGMENTS,
        }
    }

    pub fn client() -> Config {
        Config {
            role: Role::Client,
            ..Config::server()
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum ReadyState {
    Connecting = 0,
    Open = 1,
    Closing = 2,
    Closed = 3,
}

#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Event {
    /// A complete text message, valid UTF-8.
    Text(Payload),
    /// A complete binary message.
    Binary(Payload),
    /// A pong frame's payload (JS matches ping callbacks by it).
    Pong(Payload),
    /// The peer's close frame, after faye's code rules.
    Close { code: u16, reason: String },
    /// A protocol failure: faye's code and exact message.
    Error { code: u16, message: String },
    /// With JS extensions: a whole message as it came off the wire, for the
    /// pipeline (`rsv` holds the first frame's RSV bits in place).
    Raw {
        binary: bool,
        rsv: u8,
        payload: Payload,
    },
    /// With JS extensions: the peer's close (`error` false) or a failure
    /// (`error` true). Nothing was written: the caller waits for the
    /// pipeline, then writes the close frame if `send_frame`.
    Shutdown {
        code: u16,
        text: String,
        error: bool,
        send_frame: bool,
    },
}

/// What [`Session::send_text_filled`] did.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum TextFill {
    /// The frame is queued; its text took this many bytes.
    Written(usize),
    /// Nothing was queued: the session no longer sends, or `fill` gave up.
    NotWritten,
    /// permessage-deflate is active: the caller sends the bytes with
    /// `send_text` instead, which compresses them.
    Compressing,
}

pub struct Session {
    role: Role,
    state: ReadyState,
    receiver: Receiver,
    sender: Sender,
    output: Output,
    /// A frame met while events were waiting, acted on at the next receive
    /// (boxed: rare, and inline it would add 32 bytes to every connection).
    paused: Option<Box<Incoming>>,
    /// permessage-deflate is active: every message goes out compressed.
    compressor: Option<Box<Compressor>>,
    /// JS extensions are active: messages are handed over raw, closing
    /// waits for the JS pipeline, and permessage-deflate (if negotiated)
    /// runs as one of its stages with this inflater.
    pipeline: bool,
    pipeline_inflater: Option<Box<Inflater>>,
    max_length: u64,
    /// The last `receive` stopped because its inflate budget was spent.
    yielded: bool,
}

impl Session {
    pub fn new(config: Config) -> Session {
        let is_server = config.role == Role::Server;
        let limits = Limits {
            require_masking: is_server,
            max_length: config.max_length,
            max_fragments: config.max_fragments,
        };
        Session {
            role: config.role,
            state: ReadyState::Connecting,
            receiver: Receiver::new(limits),
            sender: Sender::new(!is_server),
            output: Output::default(),
            paused: None,
            compressor: None,
            pipeline: false,
            pipeline_inflater: None,
            max_length: config.max_length,
            yielded: false,
        }
    }

    /// Whether the last `receive` returned early to let the event loop run
    /// (a compressed message inflating to more than `INFLATE_BUDGET`): the
    /// caller goes on from the returned offset on a later turn.
    pub(crate) fn yielded(&self) -> bool {
        self.yielded
    }

    /// Takes the compressor away for work off the JS thread; while it is
    /// away, messages are not compressed here (the caller queues them).
    pub(crate) fn take_compressor(&mut self) -> Option<Compressor> {
        self.compressor.take().map(|compressor| *compressor)
    }

    pub(crate) fn restore_compressor(&mut self, compressor: Compressor) {
        self.compressor = Some(Box::new(compressor));
    }

    /// A message compressed elsewhere, framed with RSV1 set.
    pub(crate) fn send_compressed(&mut self, opcode: OpCode, compressed: &[u8]) -> bool {
        if !self.can_send() {
            return false;
        }
        self.sender
            .compressed_message(self.output.buffer(), opcode, compressed);
        true
    }

    /// A message that should have been compressed but could not be: framed
    /// as it is, without RSV1.
    pub fn send_uncompressed(&mut self, opcode: OpCode, data: &[u8]) -> bool {
        if !self.can_send() {
            return false;
        }
        self.sender.message(self.output.buffer(), opcode, data);
        true
    }

    /// Turns permessage-deflate on with the negotiated parameters: incoming
    /// messages with RSV1 are inflated, every outgoing message is
    /// compressed. Fails only for compressor settings zlib refuses.
    pub fn enable_deflate(
        &mut self,
        negotiated: &Negotiated,
        settings: CompressorSettings,
    ) -> Result<(), DeflateError> {
        let compressor = Compressor::new(
            settings,
            negotiated.own_zlib_bits(),
            negotiated.own_context_takeover,
        )?;
        self.compressor = Some(Box::new(compressor));
        self.receiver.enable_inflate(Inflater::new(
            negotiated.peer_zlib_bits(),
            negotiated.peer_context_takeover,
        ));
        Ok(())
    }

    pub(crate) fn deflate_enabled(&self) -> bool {
        self.compressor.is_some()
    }

    /// Whether an inflate stream (and its window) is held right now.
    pub fn holds_inflate_stream(&self) -> bool {
        self.receiver.holds_inflate_stream()
    }

    pub fn ready_state(&self) -> ReadyState {
        self.state
    }

    /// Frames sent while connecting are already in `output()`, so the caller
    /// writes them right after the handshake.
    pub fn open(&mut self) {
        if self.state == ReadyState::Connecting {
            self.state = ReadyState::Open;
        }
    }

    /// Parses one socket chunk, appending its events. Payloads that lie in
    /// the chunk are unmasked in place and refer to it by range.
    ///
    /// Returns `None` once the chunk is used up. It pauses instead, returning
    /// `Some(consumed)`, when it meets a frame that makes the session write
    /// (a ping's pong, a close echo, a failure's close frame) while events
    /// are waiting: faye acts on each frame as it parses it, so whatever the
    /// caller sends in answer to those events must leave first. The caller
    /// delivers the events and calls again with `&mut chunk[consumed..]`
    /// (possibly empty); the paused frame is acted on then, in whatever state
    /// the caller's handlers left the session.
    pub fn receive(&mut self, chunk: &mut [u8], events: &mut Vec<Event>) -> Option<usize> {
        if let Some(paused) = self.paused.take() {
            self.handle(*paused, &[], events);
        }
        self.yielded = false;
        self.receiver.reset_inflate_budget();
        let mut cursor = 0;
        // After a close frame or a failure, faye stops parsing for good.
        while self.state != ReadyState::Closed {
            let closing = self.state == ReadyState::Closing;
            let incoming = self.receiver.next(chunk, &mut cursor, closing)?;
            if incoming == Incoming::Yield {
                self.yielded = true;
                return Some(cursor);
            }
            if writes_output(&incoming) && !events.is_empty() {
                self.paused = Some(Box::new(detached(incoming, chunk)));
                return Some(cursor);
            }
            self.handle(incoming, chunk, events);
        }
        None
    }

    pub fn send_text(&mut self, data: &[u8]) -> bool {
        self.send_message(OpCode::Text, data)
    }

    /// A text message whose UTF-8 `fill` writes into the output itself
    /// (see `Sender::message_filled`).
    pub(crate) fn send_text_filled(
        &mut self,
        max_len: usize,
        fill: impl FnOnce(&mut [MaybeUninit<u8>]) -> Option<usize>,
    ) -> TextFill {
        if self.compressor.is_some() {
            return TextFill::Compressing;
        }
        if !self.can_send() {
            return TextFill::NotWritten;
        }
        match self
            .sender
            .message_filled(self.output.buffer(), OpCode::Text, max_len, fill)
        {
            Some(written) => TextFill::Written(written),
            None => TextFill::NotWritten,
        }
    }

    pub(crate) fn send_binary(&mut self, data: &[u8]) -> bool {
        self.send_message(OpCode::Binary, data)
    }

    /// Writes only the header of an unmasked binary frame; the caller writes
    /// the `len` payload bytes right after `output()`, saving a copy of large
    /// payloads. Clients must mask, so they cannot use this.
    pub fn begin_binary(&mut self, len: usize) -> bool {
        if !self.can_send() || self.role == Role::Client || self.compressor.is_some() {
            return false;
        }
        encode_header(self.output.buffer(), OpCode::Binary, len, None);
        true
    }

    pub fn ping(&mut self, payload: &[u8]) -> bool {
        if !self.can_send() {
            return false;
        }
        self.sender
            .control(self.output.buffer(), OpCode::Ping, payload);
        true
    }

    /// Open: sends a close frame and waits for the peer's. Connecting: there
    /// is nothing to close on the wire; the caller reports faye's
    /// close-before-open itself.
    pub fn close(&mut self, code: u16, reason: &[u8]) -> bool {
        match self.state {
            ReadyState::Open => {
                self.sender.close(self.output.buffer(), code, reason);
                self.state = ReadyState::Closing;
                true
            }
            ReadyState::Connecting => {
                self.state = ReadyState::Closed;
                self.clear_output();
                false
            }
            ReadyState::Closing | ReadyState::Closed => false,
        }
    }

    /// Bytes to write to the socket, in order.
    pub fn output(&self) -> &[u8] {
        self.output.bytes()
    }

    /// Drops the first `length` bytes of the output (all of it: as
    /// `clear_output`).
    pub(crate) fn consume_output(&mut self, length: usize) {
        self.output.consume(length);
    }

    /// The connection is closed (its socket too): everything it holds is
    /// freed at once. V8 does not see the native memory behind a session,
    /// so it may collect closed ones late, and their compressors (about
    /// 260 KiB each at the default settings) would pile up meanwhile.
    pub fn release(&mut self) {
        self.state = ReadyState::Closed;
        self.receiver.release();
        self.compressor = None;
        self.pipeline_inflater = None;
        self.paused = None;
        self.clear_output();
    }

    pub fn clear_output(&mut self) {
        self.output.release();
    }

    /// Whether messages are still accepted (connecting or open).
    pub(crate) fn can_send_messages(&self) -> bool {
        self.can_send()
    }

    fn can_send(&self) -> bool {
        matches!(self.state, ReadyState::Connecting | ReadyState::Open)
    }

    fn send_message(&mut self, opcode: OpCode, data: &[u8]) -> bool {
        if !self.can_send() {
            return false;
        }
        let Some(compressor) = self.compressor.as_deref_mut() else {
            self.sender.message(self.output.buffer(), opcode, data);
            return true;
        };
        let mut scratch = output::take_scratch();
        match compressor.compress(data, &mut scratch) {
            Ok(()) => self
                .sender
                .compressed_message(self.output.buffer(), opcode, &scratch),
            // Only an allocation failure inside zlib gets here; send the
            // message uncompressed rather than lose it.
            Err(_) => self.sender.message(self.output.buffer(), opcode, data),
        }
        output::keep_scratch(scratch);
        true
    }

    fn handle(&mut self, incoming: Incoming, chunk: &[u8], events: &mut Vec<Event>) {
        match incoming {
            Incoming::Text(payload) => events.push(Event::Text(payload)),
            Incoming::Binary(payload) => events.push(Event::Binary(payload)),
            // Answered in every state but Closed, as faye's `frame()` allows.
            Incoming::Ping(payload) => {
                self.sender
                    .control(self.output.buffer(), OpCode::Pong, payload.bytes(chunk))
            }
            Incoming::Pong(payload) => events.push(Event::Pong(payload)),
            Incoming::Raw {
                binary,
                rsv,
                payload,
            } => events.push(Event::Raw {
                binary,
                rsv,
                payload,
            }),
            Incoming::Yield => {}
            Incoming::Close(payload) => self.peer_closed(payload.bytes(chunk), events),
            Incoming::Violation(violation) => self.failed(violation, events),
        }
    }

    /// `_shutdown` for the peer's close frame: echo it if we were open.
    fn peer_closed(&mut self, payload: &[u8], events: &mut Vec<Event>) {
        let (code, reason) = peer_close_code_and_reason(payload);
        if self.pipeline {
            let send_frame = self.state == ReadyState::Open;
            self.state = ReadyState::Closed;
            events.push(Event::Shutdown {
                code,
                text: reason,
                error: false,
                send_frame,
            });
            return;
        }
        if self.state == ReadyState::Open {
            self.sender
                .close(self.output.buffer(), code, reason.as_bytes());
        }
        self.state = ReadyState::Closed;
        events.push(Event::Close { code, reason });
    }

    /// `_shutdown` for a failure: a close frame carrying it, if we were open.
    fn failed(&mut self, violation: Violation, events: &mut Vec<Event>) {
        if self.pipeline {
            let send_frame = self.state == ReadyState::Open;
            self.state = ReadyState::Closed;
            events.push(Event::Shutdown {
                code: violation.code,
                text: violation.message,
                error: true,
                send_frame,
            });
            return;
        }
        if self.state == ReadyState::Open {
            self.sender.close(
                self.output.buffer(),
                violation.code,
                violation.message.as_bytes(),
            );
        }
        self.state = ReadyState::Closed;
        events.push(Event::Error {
            code: violation.code,
            message: violation.message,
        });
    }
}

fn writes_output(incoming: &Incoming) -> bool {
    matches!(
        incoming,
        Incoming::Ping(_) | Incoming::Close(_) | Incoming::Violation(_)
    )
}

/// The frame with a chunk payload copied out (control payloads are at most
/// 125 bytes), since the caller resumes with the rest of the chunk.
fn detached(incoming: Incoming, chunk: &[u8]) -> Incoming {
    let own = |payload: Payload| Payload::Owned(payload.bytes(chunk).to_vec());
    match incoming {
        Incoming::Ping(payload) => Incoming::Ping(own(payload)),
        Incoming::Close(payload) => Incoming::Close(own(payload)),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::mask::apply_mask;
    use crate::test_support::{frame, masked, open_server, owned};

    /// Events with chunk payloads copied out, for comparison.
    fn receive(session: &mut Session, bytes: &[u8]) -> Vec<Event> {
        let mut chunk = bytes.to_vec();
        let mut events = Vec::new();
        let mut start = 0;
        loop {
            let mut batch = Vec::new();
            let paused = session.receive(&mut chunk[start..], &mut batch);
            events.extend(batch.into_iter().map(|event| owned(event, &chunk[start..])));
            match paused {
                Some(consumed) => start += consumed,
                None => return events,
            }
        }
    }

    fn take_output(session: &mut Session) -> Vec<u8> {
        let output = session.output().to_vec();
        session.clear_output();
        output
    }

    fn close_event(code: u16, reason: &str) -> Vec<Event> {
        vec![Event::Close {
            code,
            reason: reason.to_owned(),
        }]
    }

    /// Peer close payload → (echoed frame payload, event), per faye's table.
    fn peer_close(payload: &[u8]) -> (Vec<u8>, Vec<Event>) {
        let mut session = open_server();
        let events = receive(&mut session, &masked(0x88, payload));
        assert_eq!(session.ready_state(), ReadyState::Closed);
        let echo = take_output(&mut session);
        assert_eq!(echo[0], 0x88);
        (echo[2..].to_vec(), events)
    }

    #[test]
    fn close_codes_are_echoed_or_rewritten_like_faye() {
        assert_eq!(
            peer_close(b"\x03\xe9bye"),
            (b"\x03\xe9bye".to_vec(), close_event(1001, "bye"))
        );
        assert_eq!(
            peer_close(b"\x03\xedx"),
            (b"\x03\xeax".to_vec(), close_event(1002, "x"))
        );
        assert_eq!(
            peer_close(b"\x13\x87ok"),
            (b"\x13\x87ok".to_vec(), close_event(4999, "ok"))
        );
        assert_eq!(
            peer_close(b""),
            (b"\x03\xe8".to_vec(), close_event(1000, ""))
        );
        assert_eq!(
            peer_close(b"\x03"),
            (b"\x03\xea".to_vec(), close_event(1002, ""))
        );
        assert_eq!(
            peer_close(b"\x03\xe8\xff"),
            (b"\x03\xea".to_vec(), close_event(1002, ""))
        );
        assert_eq!(
            peer_close(b"\x0b\xb8"),
            (b"\x0b\xb8".to_vec(), close_event(3000, ""))
        );
    }

    #[test]
    fn a_close_answering_ours_is_not_echoed() {
        let mut session = open_server();
        assert!(session.close(3001, b"going"));
        assert_eq!(session.ready_state(), ReadyState::Closing);
        assert_eq!(
            take_output(&mut session),
            frame(0x88, b"\x0b\xb9going", None)
        );
        let events = receive(&mut session, &masked(0x88, b"\x03\xe8ack"));
        assert_eq!(events, close_event(1000, "ack"));
        assert_eq!(session.ready_state(), ReadyState::Closed);
        assert!(session.output().is_empty());
    }

    #[test]
    fn a_failure_when_open_sends_a_close_frame_then_stops() {
        let mut session = open_server();
        let mut bytes = masked(0x81, b"first");
        bytes.extend([0x83, 0x80, 0, 0, 0, 0]);
        bytes.extend(masked(0x81, b"ignored"));
        let events = receive(&mut session, &bytes);
        assert_eq!(
            events,
            vec![
                Event::Text(Payload::Owned(b"first".to_vec())),
                Event::Error {
                    code: 1002,
                    message: "Unrecognized frame opcode: 3".to_owned()
                },
            ]
        );
        assert_eq!(
            take_output(&mut session),
            frame(0x88, b"\x03\xeaUnrecognized frame opcode: 3", None)
        );
        assert_eq!(session.ready_state(), ReadyState::Closed);
        assert_eq!(receive(&mut session, &masked(0x89, b"")), vec![]);
        assert!(session.output().is_empty());
    }

    #[test]
    fn a_failure_while_connecting_sends_nothing() {
        let mut session = Session::new(Config::server());
        let events = receive(&mut session, &[0x81, 0x00]);
        assert_eq!(
            events,
            vec![Event::Error {
                code: 1003,
                message: "Received unmasked frame but masking is required".to_owned()
            }]
        );
        assert!(session.output().is_empty());
        assert_eq!(session.ready_state(), ReadyState::Closed);
    }

    #[test]
    fn failures_while_closing_are_ignored() {
        let mut session = open_server();
        session.close(1000, b"");
        session.clear_output();
        let mut bytes = frame(0x81, b"unmasked", None);
        bytes.extend(masked(0x81, &[0xff]));
        bytes.extend(masked(0x89, b"hi"));
        assert_eq!(receive(&mut session, &bytes), vec![]);
        assert_eq!(session.ready_state(), ReadyState::Closing);
        assert_eq!(take_output(&mut session), frame(0x8a, b"hi", None));
    }

    #[test]
    fn pings_are_answered_and_pongs_reported_in_every_live_state() {
        let mut connecting = Session::new(Config::server());
        assert_eq!(receive(&mut connecting, &masked(0x89, b"c")), vec![]);
        assert_eq!(take_output(&mut connecting), frame(0x8a, b"c", None));

        let mut closing = open_server();
        closing.close(1000, b"");
        closing.clear_output();
        let mut bytes = masked(0x89, b"p");
        bytes.extend(masked(0x8a, b"unsolicited"));
        assert_eq!(
            receive(&mut closing, &bytes),
            vec![Event::Pong(Payload::Owned(b"unsolicited".to_vec()))]
        );
        assert_eq!(take_output(&mut closing), frame(0x8a, b"p", None));
    }

    #[test]
    fn messages_while_closing_are_dropped() {
        let mut session = open_server();
        session.close(1000, b"");
        assert_eq!(receive(&mut session, &masked(0x82, b"late")), vec![]);
    }

    #[test]
    fn sending_depends_on_the_state() {
        let mut session = Session::new(Config::server());
        assert!(session.send_text(b"queued"));
        assert!(session.ping(b""));
        assert_eq!(
            session.output(),
            [frame(0x81, b"queued", None), frame(0x89, b"", None)].concat()
        );
        session.open();
        assert_eq!(session.ready_state(), ReadyState::Open);
        assert!(session.send_binary(&[1, 2]));
        assert!(session.close(1000, b""));
        assert!(!session.send_text(b"x"));
        assert!(!session.send_binary(b"x"));
        assert!(!session.ping(b"x"));
        assert!(!session.begin_binary(1));
        assert!(!session.close(1000, b""));
    }

    #[test]
    fn closing_before_open_discards_queued_frames() {
        let mut session = Session::new(Config::server());
        session.send_text(b"never sent");
        assert!(!session.close(1000, b""));
        assert_eq!(session.ready_state(), ReadyState::Closed);
        assert!(session.output().is_empty());
        assert!(!session.send_text(b"x"));
    }

    #[test]
    fn begin_binary_writes_only_a_header_and_only_for_servers() {
        let mut session = open_server();
        assert!(session.begin_binary(70_000));
        assert_eq!(session.output(), [0x82, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]);
        let mut client = Session::new(Config::client());
        client.open();
        assert!(!client.begin_binary(1));
        assert!(client.output().is_empty());
    }

    #[test]
    fn clients_mask_every_frame_with_a_new_key() {
        let mut client = Session::new(Config::client());
        client.open();
        client.send_text(b"same");
        client.send_text(b"same");
        let output = take_output(&mut client);
        let (first, second) = output.split_at(10);
        assert_eq!(first[..2], [0x81, 0x84]);
        assert_ne!(first[2..6], second[2..6]);
        for frame in [first, second] {
            let mut payload = frame[6..].to_vec();
            apply_mask(&mut payload, [frame[2], frame[3], frame[4], frame[5]], 0);
            assert_eq!(payload, b"same");
        }
    }

    #[test]
    fn clients_accept_unmasked_server_frames() {
        let mut client = Session::new(Config::client());
        client.open();
        assert_eq!(
            receive(&mut client, &frame(0x81, b"hi", None)),
            vec![Event::Text(Payload::Owned(b"hi".to_vec()))]
        );
    }

    #[test]
    fn a_failure_close_frame_quotes_the_message() {
        let mut session = open_server();
        let events = receive(
            &mut session,
            &[0x8a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        );
        let message = "Received control frame having too long payload: 18446744073709552000";
        assert_eq!(
            events,
            vec![Event::Error {
                code: 1002,
                message: message.to_owned()
            }]
        );
        let payload = [&b"\x03\xea"[..], message.as_bytes()].concat();
        assert_eq!(take_output(&mut session), frame(0x88, &payload, None));
    }

    #[test]
    fn pauses_before_a_ping_so_the_callers_reply_leaves_first() {
        let mut session = open_server();
        let mut chunk = [masked(0x81, b"hi"), masked(0x89, b"p")].concat();
        let mut events = Vec::new();

        let consumed = session.receive(&mut chunk, &mut events);
        assert_eq!(consumed, Some(chunk.len()));
        assert_eq!(events.len(), 1);
        assert!(session.output().is_empty(), "the pong waits for the caller");

        // The caller answers the message, then resumes.
        events.clear();
        session.send_text(b"hi");
        assert_eq!(session.receive(&mut [], &mut events), None);
        let expected = [frame(0x81, b"hi", None), frame(0x8a, b"p", None)].concat();
        assert_eq!(take_output(&mut session), expected);
    }

    #[test]
    fn a_close_paused_behind_events_sees_the_callers_close() {
        let mut session = open_server();
        let mut chunk = [masked(0x81, b"bye"), masked(0x88, b"\x03\xe8ack")].concat();
        let mut events = Vec::new();
        let consumed = session.receive(&mut chunk, &mut events).unwrap_or_default();

        // The caller closes in answer to the message: no echo follows.
        assert!(session.close(3001, b"going"));
        events.clear();
        assert_eq!(session.receive(&mut chunk[consumed..], &mut events), None);
        assert_eq!(events, close_event(1000, "ack"));
        let ours = [&b"\x0b\xb9"[..], b"going"].concat();
        assert_eq!(take_output(&mut session), frame(0x88, &ours, None));
    }
}
