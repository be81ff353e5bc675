//! The incremental frame reader and message assembler: hybi.js `parse`,
//! `_parseOpcode`, `_parseLength`, `_parseExtendedLength` and `_emitFrame`.
//!
//! It is pull-based: the session calls [`Receiver::next`] until it returns
//! `None`, acting on each completed unit in between. That lets the session's
//! state (closing or not) decide how the next frame is treated, exactly when
//! faye would consult it.
//!
//! The checks run in hybi.js's order, each as soon as the header bytes it
//! needs have arrived, so a bad first byte fails before the second arrives.

use crate::deflate::codec::{InflateError, Inflater};
use crate::protocol::close::{
    ENCODING_ERROR, EXTENSION_ERROR, POLICY_VIOLATION, PROTOCOL_ERROR, TOO_LARGE, UNACCEPTABLE,
};
use crate::protocol::frame::{
    read_extended_length, FirstByte, FrameHeader, LengthForm, OpCode, MASK_BIT,
    MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN, RSV1_BIT,
};
use crate::protocol::mask::apply_mask;
use crate::protocol::utf8::{self, Utf8Validator};
use crate::session::Payload;

/// Up to this much is reserved from an announced length before any payload
/// arrives, so a lying header cannot make us allocate 64 MiB up front.
const MAX_UP_FRONT_RESERVE: u64 = 1 << 20;

/// The rules a receiver enforces.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Servers require masked frames (faye answers 1003 otherwise).
    pub require_masking: bool,
    /// faye's `maxLength`: the bytes of one message, summed over fragments.
    pub max_length: u64,
    /// Our own cap (faye has none): frames in one message.
    pub max_fragments: usize,
}

/// A protocol failure: faye's close code and exact message.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Violation {
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
pub enum Incoming {
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
pub const INFLATE_BUDGET: usize = 512 * 1024;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum MessageKind {
    Text,
    Binary,
}

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

/// The message being assembled from fragments (faye's `_message`).
#[derive(Debug)]
struct Message {
    open: bool,
    kind: MessageKind,
    /// Announced bytes of the frames so far, for faye's maxLength check.
    length: u64,
    fragments: usize,
    /// While closing faye drops messages, so their bytes are not kept.
    dropped: bool,
    /// RSV1 was set on the first frame: the bytes are inflated as they come.
    compressed: bool,
    /// The first frame's RSV bits (only continuation frames follow it,
    /// and those may not have any).
    rsv: u8,
    data: Vec<u8>,
    utf8: Utf8Validator,
}

impl Message {
    fn new() -> Message {
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
    fn length_so_far(&self) -> u64 {
        if self.open {
            self.length
        } else {
            0
        }
    }

    fn start(
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

    fn extend(&mut self, frame_len: u64, closing: bool) {
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

    fn reserve_for(&mut self, frame_len: u64) {
        if !self.dropped {
            let bounded = frame_len.min(MAX_UP_FRONT_RESERVE);
            self.data
                .reserve(usize::try_from(bounded).unwrap_or_default());
        }
    }

    fn push(&mut self, piece: &[u8]) {
        self.data.extend_from_slice(piece);
        if self.kind == MessageKind::Text {
            self.utf8.feed(piece);
        }
    }

    /// Inflates a piece of a compressed message into the message.
    /// Stops after about `budget` bytes of output; returns the bytes of
    /// `piece` consumed and the bytes produced.
    fn push_compressed(
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
    fn finish_compressed(
        &mut self,
        inflater: &mut Inflater,
        max_length: u64,
    ) -> Result<(), Violation> {
        let start = self.data.len();
        let result = inflater.finish(&mut self.data, limit(max_length));
        self.validate_from(start);
        result.map_err(inflate_violation)
    }

    fn validate_from(&mut self, start: usize) {
        if self.kind == MessageKind::Text {
            self.utf8.feed(self.data.get(start..).unwrap_or_default());
        }
    }

    /// Ends the message: its kind, bytes and UTF-8 verdict, unless dropped.
    fn complete(&mut self) -> Option<(MessageKind, Vec<u8>, bool)> {
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
        InflateError::TooLarge => Violation::new(TOO_LARGE, "WebSocket frame length too large"),
        InflateError::Corrupt(message) => Violation::new(
            EXTENSION_ERROR,
            format!("{}: {message}", crate::deflate::negotiation::NAME),
        ),
    }
}

/// How far the header of the next frame has got.
enum HeaderStep {
    NeedMore,
    Failed(Violation),
    Ready(FrameHeader),
}

/// Reads frames from chunks of any size and assembles messages.
#[derive(Debug)]
pub struct Receiver {
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
    pub fn new(limits: Limits) -> Receiver {
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

    /// A new turn of the event loop: a fresh inflate budget.
    pub fn reset_inflate_budget(&mut self) {
        self.inflate_budget = INFLATE_BUDGET;
    }

    /// Hands every message over as [`Incoming::Raw`] for JS extensions,
    /// accepting `allowed_rsv` on the first frame of a message; any
    /// inflater moves out to the caller, which runs it in the pipeline.
    pub fn set_raw_messages(&mut self, allowed_rsv: u8) -> Option<Inflater> {
        self.raw = true;
        self.allowed_rsv = allowed_rsv;
        self.inflater.take().map(|inflater| *inflater)
    }

    /// Turns on permessage-deflate for the messages that follow.
    pub fn enable_inflate(&mut self, inflater: Inflater) {
        self.inflater = Some(Box::new(inflater));
        self.allowed_rsv |= RSV1_BIT;
    }

    /// Whether a compression stream is held (for memory accounting).
    pub fn holds_inflate_stream(&self) -> bool {
        self.inflater.as_deref().is_some_and(Inflater::holds_stream)
    }

    /// Consumes `chunk` from `cursor` until a unit completes (returned) or
    /// the chunk runs out (`None`). Payloads that lie wholly in the chunk are
    /// unmasked in place and returned as [`Payload::Chunk`].
    ///
    /// `closing`: we have sent a close frame. Like faye, failures are then
    /// ignored and messages dropped; the offending frame is skipped.
    pub fn next(
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

    // ----- header -----

    fn advance_header(&mut self, chunk: &[u8], cursor: &mut usize, closing: bool) -> HeaderStep {
        let available = chunk.get(*cursor..).unwrap_or_default();
        if self.header_len == 0 {
            // The usual case: the whole header is in this chunk, no copy.
            let step = self.read_header(available, closing);
            match &step {
                HeaderStep::NeedMore => self.keep_partial_header(available, cursor),
                HeaderStep::Ready(header) => *cursor += header.header_len,
                HeaderStep::Failed(_) => {}
            }
            return step;
        }
        let kept = self.header_len;
        let mut joined = self.header;
        let added = (MAX_HEADER_LEN - kept).min(available.len());
        for (slot, byte) in joined
            .iter_mut()
            .skip(kept)
            .zip(available.iter().take(added))
        {
            *slot = *byte;
        }
        let step = self.read_header(joined.get(..kept + added).unwrap_or_default(), closing);
        match &step {
            HeaderStep::NeedMore => {
                self.header = joined;
                self.header_len = kept + added;
                *cursor += added;
            }
            HeaderStep::Ready(header) => {
                self.header_len = 0;
                *cursor += header.header_len.saturating_sub(kept);
            }
            HeaderStep::Failed(_) => {}
        }
        step
    }

    fn keep_partial_header(&mut self, available: &[u8], cursor: &mut usize) {
        // NeedMore means fewer than MAX_HEADER_LEN bytes were available.
        for (slot, byte) in self.header.iter_mut().zip(available) {
            *slot = *byte;
        }
        self.header_len = available.len().min(MAX_HEADER_LEN);
        *cursor += self.header_len;
    }

    /// Decodes as much of a header as `bytes` holds, running each check of
    /// hybi.js once the bytes it needs are there. Checks are skipped while
    /// closing, where faye ignores their failure.
    fn read_header(&self, bytes: &[u8], closing: bool) -> HeaderStep {
        let Some(&first) = bytes.first() else {
            return HeaderStep::NeedMore;
        };
        let first = FirstByte::decode(first);
        let opcode = OpCode::from_bits(first.opcode_bits);
        if let Some(violation) = self.check_first_byte(&first, opcode).filter(|_| !closing) {
            return HeaderStep::Failed(violation);
        }
        let Some(&second) = bytes.get(1) else {
            return HeaderStep::NeedMore;
        };
        let masked = second & MASK_BIT != 0;
        let form = LengthForm::decode(second);
        if let Some(violation) = self.check_second_byte(masked, form).filter(|_| !closing) {
            return HeaderStep::Failed(violation);
        }
        let length_bytes = bytes.get(2..).unwrap_or_default();
        let Some(payload_len) = read_extended_length(length_bytes, form) else {
            return HeaderStep::NeedMore;
        };
        if let Some(violation) = self
            .check_extended_length(opcode, form, payload_len)
            .filter(|_| !closing)
        {
            return HeaderStep::Failed(violation);
        }
        let key_at = 2 + form.extra_bytes();
        let mask = match bytes.get(key_at..).and_then(|rest| rest.first_chunk::<4>()) {
            Some(key) if masked => Some(*key),
            None if masked => return HeaderStep::NeedMore,
            _ => None,
        };
        let header_len = key_at + if masked { 4 } else { 0 };
        HeaderStep::Ready(FrameHeader {
            fin: first.fin,
            rsv1: first.rsv1,
            rsv: first.rsv_bits(),
            opcode,
            mask,
            payload_len,
            header_len,
        })
    }

    /// `_parseOpcode`: RSV bits, opcode, fragmented control, unfinished message.
    fn check_first_byte(&self, first: &FirstByte, opcode: Option<OpCode>) -> Option<Violation> {
        // validFrameRsv: an active extension claims RSV1, on the first
        // frame of a data message only.
        let claimed = |first: &FirstByte| {
            first.rsv_bits() & !self.allowed_rsv == 0
                && matches!(opcode, Some(OpCode::Text | OpCode::Binary))
        };
        if first.any_rsv() && !claimed(first) {
            return Some(Violation::new(
                PROTOCOL_ERROR,
                format!(
                    "One or more reserved bits are on: reserved1 = {}, reserved2 = {}, reserved3 = {}",
                    u8::from(first.rsv1),
                    u8::from(first.rsv2),
                    u8::from(first.rsv3)
                ),
            ));
        }
        let Some(opcode) = opcode else {
            return Some(Violation::new(
                PROTOCOL_ERROR,
                format!("Unrecognized frame opcode: {}", first.opcode_bits),
            ));
        };
        if opcode.is_control() && !first.fin {
            return Some(Violation::new(
                PROTOCOL_ERROR,
                format!(
                    "Received fragmented control frame: opcode = {}",
                    first.opcode_bits
                ),
            ));
        }
        if self.message.open && matches!(opcode, OpCode::Text | OpCode::Binary) {
            return Some(Violation::new(
                PROTOCOL_ERROR,
                "Received new data frame but previous continuous frame is unfinished",
            ));
        }
        None
    }

    /// `_parseLength`: a 7-bit length is checked against maxLength before the
    /// mask bit; an extended one only after the mask bit.
    fn check_second_byte(&self, masked: bool, form: LengthForm) -> Option<Violation> {
        if let LengthForm::Short(length) = form {
            if let Some(violation) = self.check_message_length(u64::from(length)) {
                return Some(violation);
            }
        }
        if self.limits.require_masking && !masked {
            return Some(Violation::new(
                UNACCEPTABLE,
                "Received unmasked frame but masking is required",
            ));
        }
        None
    }

    /// `_parseExtendedLength`: control frames are short; then maxLength.
    fn check_extended_length(
        &self,
        opcode: Option<OpCode>,
        form: LengthForm,
        length: u64,
    ) -> Option<Violation> {
        if matches!(form, LengthForm::Short(_)) {
            return None;
        }
        let is_control = opcode.is_some_and(OpCode::is_control);
        if is_control && length > MAX_CONTROL_PAYLOAD as u64 {
            return Some(Violation::new(
                PROTOCOL_ERROR,
                format!(
                    "Received control frame having too long payload: {}",
                    js_number(length)
                ),
            ));
        }
        self.check_message_length(length)
    }

    /// `_checkFrameLength`. As in faye, a control frame inside a fragmented
    /// message is counted together with the message so far.
    fn check_message_length(&self, frame_len: u64) -> Option<Violation> {
        let total = self.message.length_so_far().saturating_add(frame_len);
        (total > self.limits.max_length)
            .then(|| Violation::new(TOO_LARGE, "WebSocket frame length too large"))
    }

    // ----- payload -----

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

fn invalid_utf8() -> Violation {
    Violation::new(ENCODING_ERROR, "Could not decode a text frame as UTF-8")
}

/// A length as JavaScript prints the double faye computed it as: beyond
/// 2^53 that is rounded (2^64 - 1 prints as 18446744073709552000).
fn js_number(value: u64) -> String {
    format!("{}", value as f64)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

    /// A frame with the given first byte, masked with `key` if given.
    pub(crate) use crate::test_support::encode as frame;

    /// A frame as a client sends it.
    pub(crate) fn masked(first: u8, payload: &[u8]) -> Vec<u8> {
        frame(first, payload, Some(KEY))
    }

    fn server_limits() -> Limits {
        Limits {
            require_masking: true,
            max_length: 0x3ff_ffff,
            max_fragments: 131_072,
        }
    }

    fn owned(payload: Payload, chunk: &[u8]) -> Payload {
        Payload::Owned(payload.bytes(chunk).to_vec())
    }

    /// Everything one chunk yields, with chunk payloads copied out.
    fn feed(receiver: &mut Receiver, bytes: &[u8], closing: bool) -> Vec<Incoming> {
        let mut chunk = bytes.to_vec();
        let mut cursor = 0;
        let mut items = Vec::new();
        while let Some(item) = receiver.next(&mut chunk, &mut cursor, closing) {
            items.push(match item {
                Incoming::Text(p) => Incoming::Text(owned(p, &chunk)),
                Incoming::Binary(p) => Incoming::Binary(owned(p, &chunk)),
                Incoming::Ping(p) => Incoming::Ping(owned(p, &chunk)),
                Incoming::Pong(p) => Incoming::Pong(owned(p, &chunk)),
                Incoming::Close(p) => Incoming::Close(owned(p, &chunk)),
                violation => violation,
            });
        }
        items
    }

    fn server_feed(bytes: &[u8]) -> Vec<Incoming> {
        feed(&mut Receiver::new(server_limits()), bytes, false)
    }

    fn failure(code: u16, message: &str) -> Vec<Incoming> {
        vec![Incoming::Violation(Violation::new(code, message))]
    }

    fn text(bytes: &[u8]) -> Incoming {
        Incoming::Text(Payload::Owned(bytes.to_vec()))
    }

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
    fn reserved_bits_fail_with_1002_naming_each_bit() {
        let message = |bits: &str| format!("One or more reserved bits are on: {bits}");
        assert_eq!(
            server_feed(&[0xc1]),
            failure(
                1002,
                &message("reserved1 = 1, reserved2 = 0, reserved3 = 0")
            )
        );
        assert_eq!(
            server_feed(&[0xa1]),
            failure(
                1002,
                &message("reserved1 = 0, reserved2 = 1, reserved3 = 0")
            )
        );
        assert_eq!(
            server_feed(&[0x91]),
            failure(
                1002,
                &message("reserved1 = 0, reserved2 = 0, reserved3 = 1")
            )
        );
        // Checked before the opcode.
        assert_eq!(
            server_feed(&[0x73]),
            failure(
                1002,
                &message("reserved1 = 1, reserved2 = 1, reserved3 = 1")
            )
        );
    }

    #[test]
    fn unknown_opcodes_fail_with_1002() {
        assert_eq!(
            server_feed(&[0x83]),
            failure(1002, "Unrecognized frame opcode: 3")
        );
        assert_eq!(
            server_feed(&[0x8b]),
            failure(1002, "Unrecognized frame opcode: 11")
        );
    }

    #[test]
    fn fragmented_control_frames_fail_with_1002() {
        assert_eq!(
            server_feed(&[0x09]),
            failure(1002, "Received fragmented control frame: opcode = 9")
        );
        assert_eq!(
            server_feed(&[0x08]),
            failure(1002, "Received fragmented control frame: opcode = 8")
        );
    }

    #[test]
    fn a_new_data_frame_inside_a_message_fails_with_1002() {
        let mut bytes = masked(0x01, b"a");
        bytes.extend(masked(0x81, b"b"));
        assert_eq!(
            server_feed(&bytes),
            failure(
                1002,
                "Received new data frame but previous continuous frame is unfinished"
            )
        );
    }

    #[test]
    fn a_short_length_over_the_limit_fails_before_the_mask_check() {
        let limits = Limits {
            max_length: 4,
            ..server_limits()
        };
        let items = feed(&mut Receiver::new(limits), &[0x81, 0x05], false);
        assert_eq!(items, failure(1009, "WebSocket frame length too large"));
        let items = feed(&mut Receiver::new(limits), &[0x81, 0x04], false);
        assert_eq!(
            items,
            failure(1003, "Received unmasked frame but masking is required")
        );
    }

    #[test]
    fn unmasked_frames_fail_with_1003_on_servers_only() {
        assert_eq!(
            server_feed(&[0x81, 0x01]),
            failure(1003, "Received unmasked frame but masking is required")
        );
        let client = Limits {
            require_masking: false,
            ..server_limits()
        };
        assert_eq!(
            feed(&mut Receiver::new(client), &frame(0x81, b"ok", None), false),
            vec![text(b"ok")]
        );
        // A server's frame that happens to be masked is unmasked.
        assert_eq!(
            feed(&mut Receiver::new(client), &masked(0x81, b"ok"), false),
            vec![text(b"ok")]
        );
    }

    #[test]
    fn an_extended_length_is_checked_after_the_mask_bit() {
        // Unmasked and too long for a ping: the mask check comes first.
        assert_eq!(
            server_feed(&[0x89, 0x7e]),
            failure(1003, "Received unmasked frame but masking is required")
        );
        assert_eq!(
            server_feed(&[0x89, 0xfe, 0, 126]),
            failure(1002, "Received control frame having too long payload: 126")
        );
        assert_eq!(
            server_feed(&[0x8a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            failure(
                1002,
                "Received control frame having too long payload: 18446744073709552000"
            )
        );
    }

    #[test]
    fn a_non_minimal_length_on_a_control_frame_is_accepted() {
        let bytes = [0x89, 0xfe, 0, 2, 0, 0, 0, 0, b'h', b'i'];
        assert_eq!(
            server_feed(&bytes),
            vec![Incoming::Ping(Payload::Owned(b"hi".to_vec()))]
        );
    }

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
    fn the_length_limit_counts_every_fragment() {
        let limits = Limits {
            max_length: 10,
            ..server_limits()
        };
        let mut bytes = masked(0x01, &[b'a'; 6]);
        bytes.extend(masked(0x80, &[b'b'; 5]));
        assert_eq!(
            feed(&mut Receiver::new(limits), &bytes, false),
            failure(1009, "WebSocket frame length too large")
        );
        // 16-bit form: checked on the extended length too.
        let mut bytes = masked(0x01, &[b'a'; 6]);
        bytes.extend([0x80, 0xfe, 0, 5]);
        assert_eq!(
            feed(&mut Receiver::new(limits), &bytes, false),
            failure(1009, "WebSocket frame length too large")
        );
    }

    #[test]
    fn a_control_frame_inside_a_message_counts_the_message_length() {
        // faye's quirk: _checkFrameLength adds the open message's length.
        let limits = Limits {
            max_length: 10,
            ..server_limits()
        };
        let mut bytes = masked(0x01, &[b'a'; 8]);
        bytes.extend(masked(0x89, b"ping!"));
        assert_eq!(
            feed(&mut Receiver::new(limits), &bytes, false),
            failure(1009, "WebSocket frame length too large")
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

    #[test]
    fn a_message_started_before_closing_is_dropped_at_its_end() {
        let mut receiver = Receiver::new(server_limits());
        assert_eq!(feed(&mut receiver, &masked(0x01, b"a"), false), vec![]);
        assert_eq!(feed(&mut receiver, &masked(0x80, &[0xff]), true), vec![]);
    }

    #[test]
    fn lengths_print_like_javascript_numbers() {
        assert_eq!(js_number(126), "126");
        assert_eq!(js_number(65535), "65535");
        assert_eq!(js_number(1 << 63), "9223372036854776000");
        assert_eq!(js_number(u64::MAX), "18446744073709552000");
        assert_eq!(js_number((1 << 53) + 1), "9007199254740992");
    }
}
