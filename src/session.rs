//! One WebSocket connection after the handshake, without I/O: chunks of
//! socket bytes in, events and bytes to write out. The state rules follow
//! websocket-driver 0.8.0's hybi.js (see the behaviour reference §4.3–§5.5).

use std::ops::Range;

use crate::frame::{encode_header, OpCode};
use crate::receiver::{Incoming, Limits, Receiver, Violation};
use crate::sender::Sender;

/// faye's default `maxLength`: 2^26 - 1.
pub const DEFAULT_MAX_LENGTH: u64 = 0x3ff_ffff;

/// Frames in one message. Above the 65 536 of Autobahn case 9.3.1, and each
/// fragment costs us only its bytes, which maxLength already bounds.
pub const DEFAULT_MAX_FRAGMENTS: usize = 131_072;

/// Output capacity kept after a flush; more is released so that idle
/// connections stay small.
const KEPT_OUTPUT_CAPACITY: usize = 64 * 1024;

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
        Config { role: Role::Server, max_length: DEFAULT_MAX_LENGTH, max_fragments: DEFAULT_MAX_FRAGMENTS }
    }

    pub fn client() -> Config {
        Config { role: Role::Client, ..Config::server() }
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

/// The bytes of a message or control frame.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Payload {
    /// These bytes of the chunk passed to `receive`, already unmasked.
    Chunk(Range<usize>),
    /// Assembled from several frames or chunks.
    Owned(Vec<u8>),
}

impl Payload {
    /// The bytes, given the chunk this payload came from.
    pub fn bytes<'a>(&'a self, chunk: &'a [u8]) -> &'a [u8] {
        match self {
            Payload::Chunk(range) => chunk.get(range.clone()).unwrap_or_default(),
            Payload::Owned(bytes) => bytes,
        }
    }
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
}

pub struct Session {
    role: Role,
    state: ReadyState,
    receiver: Receiver,
    sender: Sender,
    output: Vec<u8>,
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
            output: Vec::new(),
        }
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
    pub fn receive(&mut self, chunk: &mut [u8], events: &mut Vec<Event>) {
        let mut cursor = 0;
        // After a close frame or a failure, faye stops parsing for good.
        while self.state != ReadyState::Closed {
            let closing = self.state == ReadyState::Closing;
            let Some(incoming) = self.receiver.next(chunk, &mut cursor, closing) else {
                return;
            };
            self.handle(incoming, chunk, events);
        }
    }

    pub fn send_text(&mut self, data: &[u8]) -> bool {
        self.send_message(OpCode::Text, data)
    }

    pub fn send_binary(&mut self, data: &[u8]) -> bool {
        self.send_message(OpCode::Binary, data)
    }

    /// Writes only the header of an unmasked binary frame; the caller writes
    /// the `len` payload bytes right after `output()`, saving a copy of large
    /// payloads. Clients must mask, so they cannot use this.
    pub fn begin_binary(&mut self, len: usize) -> bool {
        if !self.can_send() || self.role == Role::Client {
            return false;
        }
        encode_header(&mut self.output, OpCode::Binary, len, None);
        true
    }

    pub fn ping(&mut self, payload: &[u8]) -> bool {
        if !self.can_send() {
            return false;
        }
        self.sender.control(&mut self.output, OpCode::Ping, payload);
        true
    }

    /// Open: sends a close frame and waits for the peer's. Connecting: there
    /// is nothing to close on the wire; the caller reports faye's
    /// close-before-open itself.
    pub fn close(&mut self, code: u16, reason: &[u8]) -> bool {
        match self.state {
            ReadyState::Open => {
                self.sender.close(&mut self.output, code, reason);
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
        &self.output
    }

    pub fn clear_output(&mut self) {
        self.output.clear();
        self.output.shrink_to(KEPT_OUTPUT_CAPACITY);
    }

    fn can_send(&self) -> bool {
        matches!(self.state, ReadyState::Connecting | ReadyState::Open)
    }

    fn send_message(&mut self, opcode: OpCode, data: &[u8]) -> bool {
        if !self.can_send() {
            return false;
        }
        self.sender.message(&mut self.output, opcode, data);
        true
    }

    fn handle(&mut self, incoming: Incoming, chunk: &[u8], events: &mut Vec<Event>) {
        match incoming {
            Incoming::Text(payload) => events.push(Event::Text(payload)),
            Incoming::Binary(payload) => events.push(Event::Binary(payload)),
            // Answered in every state but Closed, as faye's `frame()` allows.
            Incoming::Ping(payload) => self.sender.control(&mut self.output, OpCode::Pong, payload.bytes(chunk)),
            Incoming::Pong(payload) => events.push(Event::Pong(payload)),
            Incoming::Close(payload) => self.peer_closed(payload.bytes(chunk), events),
            Incoming::Violation(violation) => self.failed(violation, events),
        }
    }

    /// `_shutdown` for the peer's close frame: echo it if we were open.
    fn peer_closed(&mut self, payload: &[u8], events: &mut Vec<Event>) {
        let (code, reason) = peer_close_code_and_reason(payload);
        if self.state == ReadyState::Open {
            self.sender.close(&mut self.output, code, reason.as_bytes());
        }
        self.state = ReadyState::Closed;
        events.push(Event::Close { code, reason });
    }

    /// `_shutdown` for a failure: a close frame carrying it, if we were open.
    fn failed(&mut self, violation: Violation, events: &mut Vec<Event>) {
        if self.state == ReadyState::Open {
            self.sender.close(&mut self.output, violation.code, violation.message.as_bytes());
        }
        self.state = ReadyState::Closed;
        events.push(Event::Error { code: violation.code, message: violation.message });
    }
}

/// hybi.js's reading of a close payload: a code that is missing (1 byte),
/// reserved or unknown becomes 1002, and so does a reason that is not UTF-8
/// (the reason then becomes ''). An empty payload means 1000.
pub fn peer_close_code_and_reason(payload: &[u8]) -> (u16, String) {
    let Some((code, reason)) = payload.split_first_chunk::<2>() else {
        let code = if payload.is_empty() { 1000 } else { 1002 };
        return (code, String::new());
    };
    let code = u16::from_be_bytes(*code);
    let code = if is_acceptable_close_code(code) { code } else { 1002 };
    match std::str::from_utf8(reason) {
        Ok(reason) => (code, reason.to_owned()),
        Err(_) => (1002, String::new()),
    }
}

fn is_acceptable_close_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1011 | 3000..=4999)
}

