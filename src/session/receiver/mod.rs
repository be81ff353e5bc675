//! The incremental frame reader: hybi.js `parse` and `_emitFrame`. Header
//! checks are in `header`, message assembly in `message`; this module
//! decides where each frame's payload goes (the payload plan).
//!
//! It is pull-based: the session calls [`Receiver::next`] until it returns
//! `None`, acting on each completed unit in between. That lets the session's
//! state (closing or not) decide how the next frame is treated, exactly when
//! faye would consult it.

mod header;
mod message;

pub use message::Payload;

use header::HeaderStep;
use message::{invalid_utf8, Message, MessageKind};

use crate::deflate::codec::Inflater;
use crate::protocol::close::{POLICY_VIOLATION, PROTOCOL_ERROR};
use crate::protocol::frame::{FrameHeader, OpCode, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN, RSV1_BIT};
use crate::protocol::mask::apply_mask;
use crate::protocol::utf8;

/// faye's message for a message over `maxLength` (close code 1009).
pub(crate) const TOO_LARGE_MESSAGE: &str = "WebSocket frame length too large";
/// faye's message for a text message that is not UTF-8 (close code 1007).
pub(crate) const INVALID_UTF8_MESSAGE: &str = "Could not decode a text frame as UTF-8";

/// The rules a receiver enforces.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// Servers require masked frames (faye answers 1003 otherwise).
    pub require_masking: bool,
    /// faye's `maxLength`: the bytes of one message, summed over fragments.
    pub max_length: u64,
    /// Our own cap (faye has none): frames in one message.
    pub max_fragments: usize,
}

/// A protocol failure: faye's close code and exact message.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) struct Violation {
    pub code: u16,
    pub message: String,
}

impl Violation {
    fn new(code: u16, message: impl Into<String>) -> Violation {
        Violation {
            code,
            message: message.into(),
        }
    }
}

/// One completed unit of input.
#[derive(Clone, PartialEq, Eq, Debug)]
pub(crate) enum Incoming {
    Text(Payload),
    Binary(Payload),
    Ping(Payload),
    Pong(Payload),
    Close(Payload),
    /// A complete message for the JS extension pipeline: its first frame's
    /// RSV bits and its bytes as they came (not inflated, not validated).
    Raw {
        binary: bool,
        rsv: u8,
        payload: Payload,
    },
    /// Parsing has stopped for good.
    Violation(Violation),
    /// This call's inflate budget is spent: the caller lets the event loop
    /// run, then goes on from the returned cursor (the rest of the frame is
    /// still masked as it came).
    Yield,
}

/// Inflated bytes one `receive` call produces at most (about 1.5 ms of
/// zlib work): a little compressed input that inflates to a lot is spread
/// over several turns of the event loop.
pub(crate) const INFLATE_BUDGET: usize = 512 * 1024;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ControlKind {
    Close,
    Ping,
    Pong,
}

/// The opcode sorted by what the receiver does with the frame.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum FrameKind {
    Starts(MessageKind),
    Continues,
    Control(ControlKind),
    /// An opcode hybi-13 does not define (seen only while closing).
    Unknown,
}

impl FrameKind {
    fn of(opcode: Option<OpCode>) -> FrameKind {
        match opcode {
            Some(OpCode::Text) => FrameKind::Starts(MessageKind::Text),
            Some(OpCode::Binary) => FrameKind::Starts(MessageKind::Binary),
            Some(OpCode::Continuation) => FrameKind::Continues,
            Some(OpCode::Close) => FrameKind::Control(ControlKind::Close),
            Some(OpCode::Ping) => FrameKind::Control(ControlKind::Ping),
            Some(OpCode::Pong) => FrameKind::Control(ControlKind::Pong),
            None => FrameKind::Unknown,
        }
    }
}

/// Where the current frame's payload goes.
#[derive(Clone, PartialEq, Eq, Debug)]
enum Plan {
    /// Into the small control buffer.
    Control(ControlKind),
    /// Into the message being assembled (or nowhere, if it is dropped).
    Assemble,
    /// Nowhere: the bytes are only counted.
    Skip,
    /// Nowhere, then fail: faye reads a stray continuation frame whole
    /// before it notices there is nothing to continue.
    SkipThenFail,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Stage {
    Header,
    Payload,
    Stopped,
}

/// The frame whose payload is being read.
#[derive(Debug)]
struct CurrentFrame {
    fin: bool,
    mask: Option<[u8; 4]>,
    remaining: u64,
    /// Payload bytes already unmasked, so the key continues where it left off.
    unmasked: usize,
    plan: Plan,
}

/// Reads frames from chunks of any size and assembles messages.
#[derive(Debug)]
pub(crate) struct Receiver {
    limits: Limits,
    stage: Stage,
    /// A header split across chunks, kept here until it is complete.
    header: [u8; MAX_HEADER_LEN],
    header_len: usize,
    frame: CurrentFrame,
    /// A control payload that spans chunks (at most 125 bytes). Allocated
    /// only then and handed over with the event: inline, it would add its
    /// 125 bytes to every connection.
    control: Vec<u8>,
    message: Message,
    /// permessage-deflate is active: RSV1 may start a data message.
    inflater: Option<Box<Inflater>>,
    /// The RSV bits active extensions claim on the first frame of a
    /// message (websocket-extensions' `validFrameRsv`).
    allowed_rsv: u8,
    /// JS extensions are active: messages go out as [`Incoming::Raw`].
    raw: bool,
    /// Bytes the inflater may still produce in this call.
    inflate_budget: usize,
}

impl Receiver {
    pub(crate) fn new(limits: Limits) -> Receiver {
        Receiver {
            limits,
            stage: Stage::Header,
            header: [0; MAX_HEADER_LEN],
            header_len: 0,
            frame: CurrentFrame {
                fin: true,
                mask: None,
                remaining: 0,
                unmasked: 0,
                plan: Plan::Skip,
            },
            control: Vec::new(),
            message: Message::new(),
            inflater: None,
            allowed_rsv: 0,
            raw: false,
            inflate_budget: INFLATE_BUDGET,
        }
    }

    /// The connection is closed: parsing stops for good, and the message
    /// being assembled and the inflater (its window and state, about 40 KiB
    /// at 15 window bits) are freed now rather than when the JS object is
    /// collected.
    pub(crate) fn release(&mut self) {
        self.stage = Stage::Stopped;
        self.message = Message::new();
        self.control = Vec::new();
        self.inflater = None;
    }

    /// A new turn of the event loop: a fresh inflate budget.
    pub(crate) fn reset_inflate_budget(&mut self) {
        self.inflate_budget = INFLATE_BUDGET;
    }

    /// Hands every message over as [`Incoming::Raw`] for JS extensions,
    /// accepting `allowed_rsv` on the first frame of a message; any
    /// inflater moves out to the caller, which runs it in the pipeline.
    pub(crate) fn set_raw_messages(&mut self, allowed_rsv: u8) -> Option<Inflater> {
        self.raw = true;
        self.allowed_rsv = allowed_rsv;
        self.inflater.take().map(|inflater| *inflater)
    }

    /// Turns on permessage-deflate for the messages that follow.
    pub(crate) fn enable_inflate(&mut self, inflater: Inflater) {
        self.inflater = Some(Box::new(inflater));
        self.allowed_rsv |= RSV1_BIT;
    }

    /// Whether a compression stream is held (for memory accounting).
    pub(crate) fn holds_inflate_stream(&self) -> bool {
        self.inflater.as_deref().is_some_and(Inflater::holds_stream)
    }

    /// Consumes `chunk` from `cursor` until a unit completes (returned) or
    /// the chunk runs out (`None`). Payloads that lie wholly in the chunk are
    /// unmasked in place and returned as [`Payload::Chunk`].
    ///
    /// `closing`: we have sent a close frame. Like faye, failures are then
    /// ignored and messages dropped; the offending frame is skipped.
    pub(crate) fn next(
        &mut self,
        chunk: &mut [u8],
        cursor: &mut usize,
        closing: bool,
    ) -> Option<Incoming> {
        loop {
            let item = match self.stage {
                Stage::Stopped => return None,
                Stage::Header if *cursor >= chunk.len() => return None,
                Stage::Header => match self.advance_header(chunk, cursor, closing) {
                    HeaderStep::NeedMore => return None,
                    // Checks are skipped while closing, so this is never ignored.
                    HeaderStep::Failed(violation) => Some(self.stop(violation)),
                    HeaderStep::Ready(header) => self.begin_frame(header, chunk, cursor, closing),
                },
                Stage::Payload if self.frame.remaining > 0 && *cursor >= chunk.len() => {
                    return None
                }
                Stage::Payload => self.advance_payload(chunk, cursor, closing),
            };
            if item.is_some() {
                return item;
            }
        }
    }

    /// Reports a failure and stops, or ignores it while closing, as faye's
    /// `_fail` does when `readyState > 1`.
    fn fail(&mut self, violation: Violation, closing: bool) -> Option<Incoming> {
        if closing {
            return None;
        }
        Some(self.stop(violation))
    }

    fn stop(&mut self, violation: Violation) -> Incoming {
        self.stage = Stage::Stopped;
        Incoming::Violation(violation)
    }

    /// Decides where the payload goes. A payload that lies wholly in the
    /// chunk and needs no assembly is unmasked in place and returned at once.
    fn begin_frame(
        &mut self,
        header: FrameHeader,
        chunk: &mut [u8],
        cursor: &mut usize,
        closing: bool,
    ) -> Option<Incoming> {
        let available = chunk.len().saturating_sub(*cursor);
        let in_chunk = usize::try_from(header.payload_len)
            .ok()
            .filter(|&len| len <= available);
        let kind = FrameKind::of(header.opcode);
        let plan = match kind {
            FrameKind::Control(control) if header.payload_len <= MAX_CONTROL_PAYLOAD as u64 => {
                if let Some(len) = in_chunk {
                    let range = self.unmask_in_place(chunk, cursor, len, header.mask);
                    return Some(control_item(control, Payload::Chunk(range)));
                }
                Plan::Control(control)
            }
            FrameKind::Starts(message) => {
                if !closing && !self.fragment_allowed(1) {
                    return self.fail(Self::too_many_fragments(), closing);
                }
                match in_chunk {
                    Some(len)
                        if header.fin && !closing && !(header.rsv1 && self.inflater.is_some()) =>
                    {
                        let range = self.unmask_in_place(chunk, cursor, len, header.mask);
                        if self.raw {
                            return Some(raw(message, header.rsv, Payload::Chunk(range)));
                        }
                        return self.whole_message(message, range, chunk);
                    }
                    _ => {
                        let compressed = header.rsv1 && self.inflater.is_some();
                        self.message.start(
                            message,
                            header.payload_len,
                            closing,
                            compressed,
                            header.rsv,
                        );
                        Plan::Assemble
                    }
                }
            }
            FrameKind::Continues => match self.continue_message(header.payload_len, closing) {
                Ok(plan) => plan,
                Err(violation) => return self.fail(violation, closing),
            },
            // Too long for a control frame, or an unknown opcode: possible
            // only while closing, and faye would do nothing useful with it.
            FrameKind::Control(_) | FrameKind::Unknown => Plan::Skip,
        };
        self.frame = CurrentFrame {
            fin: header.fin,
            mask: header.mask,
            remaining: header.payload_len,
            unmasked: 0,
            plan,
        };
        self.stage = Stage::Payload;
        None
    }

    fn fragment_allowed(&self, fragments: usize) -> bool {
        fragments <= self.limits.max_fragments
    }

    fn too_many_fragments() -> Violation {
        Violation::new(POLICY_VIOLATION, "Too many fragments in one message")
    }

    fn continue_message(&mut self, frame_len: u64, closing: bool) -> Result<Plan, Violation> {
        if !self.message.open {
            return Ok(if closing {
                Plan::Skip
            } else {
                Plan::SkipThenFail
            });
        }
        if !self.fragment_allowed(self.message.fragments.saturating_add(1)) && !closing {
            return Err(Self::too_many_fragments());
        }
        self.message.extend(frame_len, closing);
        Ok(Plan::Assemble)
    }

    fn unmask_in_place(
        &mut self,
        chunk: &mut [u8],
        cursor: &mut usize,
        len: usize,
        mask: Option<[u8; 4]>,
    ) -> std::ops::Range<usize> {
        let range = *cursor..cursor.saturating_add(len);
        if let (Some(key), Some(payload)) = (mask, chunk.get_mut(range.clone())) {
            apply_mask(payload, key, 0);
        }
        *cursor = range.end;
        range
    }

    /// An unfragmented message that arrived in one chunk.
    fn whole_message(
        &mut self,
        kind: MessageKind,
        range: std::ops::Range<usize>,
        chunk: &[u8],
    ) -> Option<Incoming> {
        match kind {
            MessageKind::Binary => Some(Incoming::Binary(Payload::Chunk(range))),
            MessageKind::Text if utf8::is_valid(chunk.get(range.clone()).unwrap_or_default()) => {
                Some(Incoming::Text(Payload::Chunk(range)))
            }
            MessageKind::Text => self.fail(invalid_utf8(), false),
        }
    }

    fn advance_payload(
        &mut self,
        chunk: &mut [u8],
        cursor: &mut usize,
        closing: bool,
    ) -> Option<Incoming> {
        let available = chunk.len().saturating_sub(*cursor);
        let take = usize::try_from(self.frame.remaining)
            .map_or(available, |remaining| remaining.min(available));
        let end = cursor.saturating_add(take);
        let stored = match chunk.get_mut(*cursor..end) {
            Some(piece) => self.store(piece),
            None => Ok(take),
        };
        let consumed = match stored {
            Ok(consumed) => consumed.min(take),
            Err(violation) => {
                *cursor = end;
                return self.fail(violation, closing);
            }
        };
        *cursor += consumed;
        self.frame.remaining -= consumed as u64;
        if consumed < take {
            return Some(Incoming::Yield);
        }
        if self.frame.remaining > 0 {
            return None;
        }
        self.stage = Stage::Header;
        self.finish_frame(closing)
    }

    /// Unmasks and keeps a piece of payload, if the plan keeps it at all.
    /// Compressed pieces are inflated at once, so the inflated size is
    /// checked as it grows; that can fail.
    /// Returns how much of `piece` was used: all of it, unless the inflate
    /// budget ran out (the rest is then masked again, as it came).
    fn store(&mut self, piece: &mut [u8]) -> Result<usize, Violation> {
        let keeps = match self.frame.plan {
            Plan::Control(_) => true,
            Plan::Assemble => !self.message.dropped,
            Plan::Skip | Plan::SkipThenFail => false,
        };
        if !keeps {
            return Ok(piece.len());
        }
        let unmasked = self.frame.unmasked;
        if let Some(key) = self.frame.mask {
            apply_mask(piece, key, unmasked);
            self.frame.unmasked = unmasked.wrapping_add(piece.len());
        }
        match (&self.frame.plan, self.inflater.as_deref_mut()) {
            (Plan::Control(_), _) => self.control.extend_from_slice(piece),
            (_, Some(inflater)) if self.message.compressed => {
                let (consumed, produced) = self.message.push_compressed(
                    piece,
                    inflater,
                    self.limits.max_length,
                    self.inflate_budget,
                )?;
                self.inflate_budget = self.inflate_budget.saturating_sub(produced);
                if consumed < piece.len() {
                    if let (Some(key), Some(rest)) = (self.frame.mask, piece.get_mut(consumed..)) {
                        apply_mask(rest, key, unmasked.wrapping_add(consumed));
                    }
                    self.frame.unmasked = unmasked.wrapping_add(consumed);
                }
                return Ok(consumed);
            }
            _ => self.message.push(piece),
        }
        Ok(piece.len())
    }

    fn finish_frame(&mut self, closing: bool) -> Option<Incoming> {
        match std::mem::replace(&mut self.frame.plan, Plan::Skip) {
            Plan::Control(control) => Some(control_item(
                control,
                Payload::Owned(std::mem::take(&mut self.control)),
            )),
            Plan::Assemble if self.frame.fin => self.finish_message(closing),
            Plan::Assemble | Plan::Skip => None,
            Plan::SkipThenFail => {
                let stray =
                    Violation::new(PROTOCOL_ERROR, "Received unexpected continuation frame");
                self.fail(stray, closing)
            }
        }
    }

    /// `_emitMessage`: the UTF-8 verdict is given only now, at the end of
    /// the message, as faye checks the whole message.
    fn finish_message(&mut self, closing: bool) -> Option<Incoming> {
        if self.message.compressed && !self.message.dropped {
            if let Some(inflater) = self.inflater.as_deref_mut() {
                if let Err(violation) = self
                    .message
                    .finish_compressed(inflater, self.limits.max_length)
                {
                    self.message = Message::new();
                    return self.fail(violation, closing);
                }
            }
        }
        let rsv = self.message.rsv;
        let (kind, data, valid_utf8) = self.message.complete()?;
        if closing {
            return None;
        }
        if self.raw {
            return Some(raw(kind, rsv, Payload::Owned(data)));
        }
        match kind {
            MessageKind::Binary => Some(Incoming::Binary(Payload::Owned(data))),
            MessageKind::Text if valid_utf8 => Some(Incoming::Text(Payload::Owned(data))),
            MessageKind::Text => self.fail(invalid_utf8(), closing),
        }
    }
}

fn raw(kind: MessageKind, rsv: u8, payload: Payload) -> Incoming {
    Incoming::Raw {
        binary: kind == MessageKind::Binary,
        rsv,
        payload,
    }
}

fn control_item(kind: ControlKind, payload: Payload) -> Incoming {
    match kind {
        ControlKind::Close => Incoming::Close(payload),
        ControlKind::Ping => Incoming::Ping(payload),
        ControlKind::Pong => Incoming::Pong(payload),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{failure, feed, frame, masked, server_feed, server_limits, text};

    #[test]
    fn reads_a_masked_text_frame_in_place() {
        let mut chunk = masked(0x81, b"Hello");
        let mut cursor = 0;
        let item = Receiver::new(server_limits()).next(&mut chunk, &mut cursor, false);
        assert_eq!(item, Some(Incoming::Text(Payload::Chunk(6..11))));
        assert_eq!(&chunk[6..11], b"Hello");
        assert_eq!(cursor, 11);
    }

    #[test]
    fn a_frame_split_across_chunks_is_owned() {
        let bytes = masked(0x82, &[1, 2, 3, 4, 5]);
        let mut receiver = Receiver::new(server_limits());
        assert_eq!(feed(&mut receiver, &bytes[..8], false), vec![]);
        assert_eq!(
            feed(&mut receiver, &bytes[8..], false),
            vec![Incoming::Binary(Payload::Owned(vec![1, 2, 3, 4, 5]))]
        );
    }

    #[test]
    fn a_stray_continuation_fails_once_its_payload_is_read() {
        let bytes = masked(0x80, b"abc");
        let mut receiver = Receiver::new(server_limits());
        assert_eq!(feed(&mut receiver, &bytes[..8], false), vec![]);
        assert_eq!(
            feed(&mut receiver, &bytes[8..], false),
            failure(1002, "Received unexpected continuation frame")
        );
        assert_eq!(
            server_feed(&masked(0x00, b"")),
            failure(1002, "Received unexpected continuation frame")
        );
    }

    #[test]
    fn too_many_fragments_fail_with_1008() {
        let limits = Limits {
            max_fragments: 3,
            ..server_limits()
        };
        let mut three = masked(0x01, b"a");
        three.extend(masked(0x00, b"b"));
        three.extend(masked(0x80, b"c"));
        assert_eq!(
            feed(&mut Receiver::new(limits), &three, false),
            vec![text(b"abc")]
        );
        let mut four = masked(0x01, b"a");
        four.extend(masked(0x00, b"b"));
        four.extend(masked(0x00, b"c"));
        four.extend(masked(0x80, b"d"));
        assert_eq!(
            feed(&mut Receiver::new(limits), &four, false),
            failure(1008, "Too many fragments in one message")
        );
    }

    #[test]
    fn nothing_is_read_after_a_failure() {
        let mut bytes = vec![0x83, 0x80, 0, 0, 0, 0];
        bytes.extend(masked(0x81, b"late"));
        let mut receiver = Receiver::new(server_limits());
        assert_eq!(
            feed(&mut receiver, &bytes, false),
            failure(1002, "Unrecognized frame opcode: 3")
        );
        assert_eq!(feed(&mut receiver, &masked(0x81, b"later"), false), vec![]);
    }

    #[test]
    fn while_closing_failures_are_ignored_and_the_frame_skipped() {
        let mut receiver = Receiver::new(server_limits());
        let mut bytes = frame(0xc1, b"rsv and unmasked", None);
        bytes.extend(masked(0x83, b"opcode 3"));
        bytes.extend(masked(0x80, b"stray"));
        bytes.extend(masked(0x8a, b"pong"));
        assert_eq!(
            feed(&mut receiver, &bytes, true),
            vec![Incoming::Pong(Payload::Owned(b"pong".to_vec()))]
        );
    }

    #[test]
    fn while_closing_a_huge_frame_is_counted_not_buffered() {
        let mut receiver = Receiver::new(server_limits());
        let header = [0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4];
        assert_eq!(feed(&mut receiver, &header, true), vec![]);
        assert_eq!(feed(&mut receiver, &vec![0x89; 1 << 20], true), vec![]);
        assert_eq!(receiver.message.data.capacity(), 0);
        assert_eq!(receiver.frame.remaining, (1 << 63) - (1 << 20));
    }

    #[test]
    fn while_closing_messages_are_dropped_but_control_frames_pass() {
        let mut receiver = Receiver::new(server_limits());
        let mut bytes = masked(0x81, b"dropped");
        bytes.extend(masked(0x01, b"also"));
        bytes.extend(masked(0x89, b"ping"));
        bytes.extend(masked(0x80, b"dropped"));
        bytes.extend(masked(0x88, &[0x03, 0xe8]));
        assert_eq!(
            feed(&mut receiver, &bytes, true),
            vec![
                Incoming::Ping(Payload::Owned(b"ping".to_vec())),
                Incoming::Close(Payload::Owned(vec![0x03, 0xe8])),
            ]
        );
    }
}
