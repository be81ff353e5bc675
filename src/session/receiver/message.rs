//! Message assembly (hybi.js `_emitFrame` and `_emitMessage`): fragments
//! joined, inflated as they come when compressed, UTF-8 checked, and the
//! payload type events carry.

use std::ops::Range;

use super::{Violation, INVALID_UTF8_MESSAGE, TOO_LARGE_MESSAGE};
use crate::deflate::codec::{InflateError, Inflater};
use crate::protocol::close::{ENCODING_ERROR, EXTENSION_ERROR, TOO_LARGE};
use crate::protocol::utf8::Utf8Validator;

/// Up to this much is reserved from an announced length before any payload
/// arrives, so a lying header cannot make us allocate 64 MiB up front.
const MAX_UP_FRONT_RESERVE: u64 = 1 << 20;

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

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum MessageKind {
    Text,
    Binary,
}

/// The message being assembled from fragments (faye's `_message`).
#[derive(Debug)]
pub(super) struct Message {
    pub(super) open: bool,
    pub(super) kind: MessageKind,
    /// Announced bytes of the frames so far, for faye's maxLength check.
    pub(super) length: u64,
    pub(super) fragments: usize,
    /// While closing faye drops messages, so their bytes are not kept.
    pub(super) dropped: bool,
    /// RSV1 was set on the first frame: the bytes are inflated as they come.
    pub(super) compressed: bool,
    /// The first frame's RSV bits (only continuation frames follow it,
    /// and those may not have any).
    pub(super) rsv: u8,
    pub(super) data: Vec<u8>,
    pub(super) utf8: Utf8Validator,
}

impl Message {
    pub(super) fn new() -> Message {
        Message {
            open: false,
            kind: MessageKind::Binary,
            length: 0,
            fragments: 0,
            dropped: false,
            compressed: false,
            rsv: 0,
            data: Vec::new(),
            utf8: Utf8Validator::new(),
        }
    }

    /// The length faye's `_checkFrameLength` adds a new frame to.
    pub(super) fn length_so_far(&self) -> u64 {
        if self.open {
            self.length
        } else {
            0
        }
    }

    pub(super) fn start(
        &mut self,
        kind: MessageKind,
        frame_len: u64,
        closing: bool,
        compressed: bool,
        rsv: u8,
    ) {
        self.open = true;
        self.rsv = rsv;
        self.kind = kind;
        self.length = frame_len;
        self.fragments = 1;
        self.dropped = closing;
        self.compressed = compressed;
        self.data.clear();
        self.utf8 = Utf8Validator::new();
        if !compressed {
            self.reserve_for(frame_len);
        }
    }

    pub(super) fn extend(&mut self, frame_len: u64, closing: bool) {
        self.length = self.length.saturating_add(frame_len);
        self.fragments = self.fragments.saturating_add(1);
        if closing && !self.dropped {
            self.dropped = true;
            self.data = Vec::new();
        }
        if !self.compressed {
            self.reserve_for(frame_len);
        }
    }

    pub(super) fn reserve_for(&mut self, frame_len: u64) {
        if !self.dropped {
            let bounded = frame_len.min(MAX_UP_FRONT_RESERVE);
            self.data
                .reserve(usize::try_from(bounded).unwrap_or_default());
        }
    }

    pub(super) fn push(&mut self, piece: &[u8]) {
        self.data.extend_from_slice(piece);
        if self.kind == MessageKind::Text {
            self.utf8.feed(piece);
        }
    }

    /// Inflates a piece of a compressed message into the message.
    /// Stops after about `budget` bytes of output; returns the bytes of
    /// `piece` consumed and the bytes produced.
    pub(super) fn push_compressed(
        &mut self,
        piece: &[u8],
        inflater: &mut Inflater,
        max_length: u64,
        budget: usize,
    ) -> Result<(usize, usize), Violation> {
        let start = self.data.len();
        let result = inflater.push_within(piece, &mut self.data, limit(max_length), budget);
        self.validate_from(start);
        let produced = self.data.len() - start;
        result
            .map(|consumed| (consumed, produced))
            .map_err(inflate_violation)
    }

    /// Ends a compressed message: the tail, then the inflated size check.
    pub(super) fn finish_compressed(
        &mut self,
        inflater: &mut Inflater,
        max_length: u64,
    ) -> Result<(), Violation> {
        let start = self.data.len();
        let result = inflater.finish(&mut self.data, limit(max_length));
        self.validate_from(start);
        result.map_err(inflate_violation)
    }

    pub(super) fn validate_from(&mut self, start: usize) {
        if self.kind == MessageKind::Text {
            self.utf8.feed(self.data.get(start..).unwrap_or_default());
        }
    }

    /// Ends the message: its kind, bytes and UTF-8 verdict, unless dropped.
    pub(super) fn complete(&mut self) -> Option<(MessageKind, Vec<u8>, bool)> {
        let mut finished = std::mem::replace(self, Message::new());
        let valid_utf8 = finished.utf8.finish();
        (!finished.dropped).then_some((finished.kind, finished.data, valid_utf8))
    }
}

fn limit(max_length: u64) -> usize {
    usize::try_from(max_length).unwrap_or(usize::MAX)
}

/// hybi.js `_emitMessage`'s failures for what the extension did: faye's
/// post-inflate length check, or the extension's error (1010).
fn inflate_violation(error: InflateError) -> Violation {
    match error {
        InflateError::TooLarge => Violation::new(TOO_LARGE, TOO_LARGE_MESSAGE),
        InflateError::Corrupt(message) => Violation::new(
            EXTENSION_ERROR,
            format!("{}: {message}", crate::deflate::negotiation::NAME),
        ),
    }
}

pub(super) fn invalid_utf8() -> Violation {
    Violation::new(ENCODING_ERROR, INVALID_UTF8_MESSAGE)
}

#[cfg(test)]
mod tests {
    use super::MAX_UP_FRONT_RESERVE;
    use crate::session::receiver::{Incoming, Receiver};
    use crate::session::Payload;
    use crate::test_support::{failure, feed, masked, server_feed, server_limits, text};

    #[test]
    fn a_huge_announced_length_fails_at_once_without_allocating() {
        let mut receiver = Receiver::new(server_limits());
        let header = [0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            feed(&mut receiver, &header, false),
            failure(1009, "WebSocket frame length too large")
        );
        assert_eq!(receiver.message.data.capacity(), 0);
    }

    #[test]
    fn a_large_announced_length_reserves_at_most_one_mebibyte() {
        let mut receiver = Receiver::new(server_limits());
        let header = [0x82, 0xff, 0, 0, 0, 0, 0x03, 0xff, 0xff, 0xff, 1, 2, 3, 4];
        assert_eq!(feed(&mut receiver, &header, false), vec![]);
        assert!(receiver.message.data.capacity() <= MAX_UP_FRONT_RESERVE as usize);
    }

    #[test]
    fn fragments_are_assembled_around_control_frames() {
        let mut bytes = masked(0x01, "κό".as_bytes());
        bytes.extend(masked(0x89, b"p"));
        bytes.extend(masked(0x00, "σμ".as_bytes()));
        bytes.extend(masked(0x80, "ε".as_bytes()));
        assert_eq!(
            server_feed(&bytes),
            vec![
                Incoming::Ping(Payload::Owned(b"p".to_vec())),
                text("κόσμε".as_bytes())
            ]
        );
    }

    #[test]
    fn invalid_utf8_is_reported_only_when_the_message_ends() {
        let mut bytes = masked(0x01, &[b'a', 0xff]);
        bytes.extend(masked(0x89, b"still here"));
        let mut receiver = Receiver::new(server_limits());
        assert_eq!(
            feed(&mut receiver, &bytes, false),
            vec![Incoming::Ping(Payload::Owned(b"still here".to_vec()))]
        );
        assert_eq!(
            feed(&mut receiver, &masked(0x80, b"b"), false),
            failure(1007, "Could not decode a text frame as UTF-8")
        );
        assert_eq!(
            server_feed(&masked(0x81, &[0xed, 0xa0, 0x80])),
            failure(1007, "Could not decode a text frame as UTF-8")
        );
        // A character cut by the end of the message.
        assert_eq!(
            server_feed(&masked(0x81, &[0xe2, 0x82])),
            failure(1007, "Could not decode a text frame as UTF-8")
        );
        // Non-characters are valid.
        assert_eq!(
            server_feed(&masked(0x81, "\u{ffff}".as_bytes())),
            vec![text("\u{ffff}".as_bytes())]
        );
    }

    #[test]
    fn a_message_started_before_closing_is_dropped_at_its_end() {
        let mut receiver = Receiver::new(server_limits());
        assert_eq!(feed(&mut receiver, &masked(0x01, b"a"), false), vec![]);
        assert_eq!(feed(&mut receiver, &masked(0x80, &[0xff]), true), vec![]);
    }
}
