//! The frame header as it arrives: hybi.js `_parseOpcode`, `_parseLength`
//! and `_parseExtendedLength`. Each check runs as soon as the header bytes it
//! needs have arrived, in hybi.js's order, so a bad first byte fails before
//! the second arrives; a header split across chunks is kept until complete.

use super::{Receiver, Violation, TOO_LARGE_MESSAGE};
use crate::js;
use crate::protocol::close::{PROTOCOL_ERROR, TOO_LARGE, UNACCEPTABLE};
use crate::protocol::frame::{
    read_extended_length, FirstByte, FrameHeader, LengthForm, OpCode, MASK_BIT,
    MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN,
};

/// How far the header of the next frame has got.
pub(super) enum HeaderStep {
    NeedMore,
    Failed(Violation),
    Ready(FrameHeader),
}

impl Receiver {
    // ----- header -----

    pub(super) fn advance_header(
        &mut self,
        chunk: &[u8],
        cursor: &mut usize,
        closing: bool,
    ) -> HeaderStep {
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
                    js::number_to_string(length as f64)
                ),
            ));
        }
        self.check_message_length(length)
    }

    /// `_checkFrameLength`. As in faye, a control frame inside a fragmented
    /// message is counted together with the message so far.
    fn check_message_length(&self, frame_len: u64) -> Option<Violation> {
        let total = self.message.length_so_far().saturating_add(frame_len);
        (total > self.limits.max_length).then(|| Violation::new(TOO_LARGE, TOO_LARGE_MESSAGE))
    }
}

#[cfg(test)]
mod tests {
    use crate::session::receiver::{Incoming, Limits, Receiver};
    use crate::session::Payload;
    use crate::test_support::{failure, feed, frame, masked, server_feed, server_limits, text};

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
}
