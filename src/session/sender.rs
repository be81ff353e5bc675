//! The frame writer: appends whole frames (FIN set) to the output buffer.

use std::mem::MaybeUninit;

use crate::protocol::frame::{
    encode_header_rsv, OpCode, MAX_CONTROL_PAYLOAD, MAX_HEADER_LEN, RSV1_BIT,
};
use crate::protocol::mask::{apply_mask, MaskKeySource};

/// A close payload is the 2-byte code plus at most this much reason.
pub(crate) const MAX_CLOSE_REASON: usize = MAX_CONTROL_PAYLOAD - 2;

/// Writes frames, masking them with a fresh key each when we are a client.
pub(crate) struct Sender {
    keys: Option<Box<MaskKeySource>>,
}

impl Sender {
    pub(crate) fn new(masking: bool) -> Sender {
        Sender {
            keys: masking.then(|| Box::new(MaskKeySource::new())),
        }
    }

    /// A text or binary message as one frame.
    pub(crate) fn message(&mut self, out: &mut Vec<u8>, opcode: OpCode, payload: &[u8]) {
        self.write(out, opcode, &[payload]);
    }

    /// A message whose payload `fill` writes straight into `out`, saving a
    /// copy: `fill` gets room for up to `max_len` bytes and returns how many
    /// it wrote, or `None` to leave `out` as it was. The header is written
    /// for `max_len` first and rewritten for the real length (moving the
    /// payload when that header is shorter).
    pub(crate) fn message_filled(
        &mut self,
        out: &mut Vec<u8>,
        opcode: OpCode,
        max_len: usize,
        fill: impl FnOnce(&mut [MaybeUninit<u8>]) -> Option<usize>,
    ) -> Option<usize> {
        let start = out.len();
        let key = self.keys.as_deref_mut().map(MaskKeySource::next_key);
        out.reserve(max_len.saturating_add(MAX_HEADER_LEN));
        encode_header_rsv(out, opcode, 0, max_len, key);
        let guessed_start = out.len();
        let room = out.spare_capacity_mut().get_mut(..max_len)?;
        let written = match fill(room) {
            Some(written) if written <= max_len => written,
            _ => {
                out.truncate(start);
                return None;
            }
        };
        // SAFETY: `fill` initialised the first `written` bytes of the spare
        // capacity, which start at `guessed_start`.
        unsafe { out.set_len(guessed_start + written) };
        // The real header is never longer than the guessed one.
        out.truncate(start);
        encode_header_rsv(out, opcode, 0, written, key);
        let payload_start = out.len();
        if payload_start != guessed_start {
            // SAFETY: the bytes up to `guessed_start + written` are still
            // initialised (truncating a Vec<u8> keeps its memory).
            unsafe { out.set_len(guessed_start + written) };
            out.copy_within(guessed_start..guessed_start + written, payload_start);
            out.truncate(payload_start + written);
        } else {
            // SAFETY: as above; the header kept its length.
            unsafe { out.set_len(payload_start + written) };
        }
        if let (Some(key), Some(payload)) = (key, out.get_mut(payload_start..)) {
            apply_mask(payload, key, 0);
        }
        Some(written)
    }

    /// A compressed message as one frame, RSV1 set (permessage-deflate).
    pub(crate) fn compressed_message(&mut self, out: &mut Vec<u8>, opcode: OpCode, payload: &[u8]) {
        self.write_frame(out, opcode, RSV1_BIT, &[payload]);
    }

    /// A message with the RSV bits an extension pipeline set.
    pub(crate) fn message_rsv(
        &mut self,
        out: &mut Vec<u8>,
        opcode: OpCode,
        rsv: u8,
        payload: &[u8],
    ) {
        self.write_frame(out, opcode, rsv, &[payload]);
    }

    /// A ping or pong. faye sends longer payloads as they are, which makes an
    /// invalid control frame that the peer must fail the connection on; we
    /// cut them to the 125 bytes a control frame may carry instead.
    pub(crate) fn control(&mut self, out: &mut Vec<u8>, opcode: OpCode, payload: &[u8]) {
        let allowed = payload.get(..MAX_CONTROL_PAYLOAD).unwrap_or(payload);
        self.write(out, opcode, &[allowed]);
    }

    /// A close frame: the code, then the reason cut to fit a control frame
    /// without splitting a UTF-8 character (faye sends it whole, invalid).
    pub(crate) fn close(&mut self, out: &mut Vec<u8>, code: u16, reason: &[u8]) {
        let reason = truncate_at_char_boundary(reason, MAX_CLOSE_REASON);
        self.write(out, OpCode::Close, &[&code.to_be_bytes(), reason]);
    }

    fn write(&mut self, out: &mut Vec<u8>, opcode: OpCode, parts: &[&[u8]]) {
        self.write_frame(out, opcode, 0, parts);
    }

    fn write_frame(&mut self, out: &mut Vec<u8>, opcode: OpCode, rsv: u8, parts: &[&[u8]]) {
        let len: usize = parts.iter().map(|part| part.len()).sum();
        let key = self.keys.as_deref_mut().map(MaskKeySource::next_key);
        out.reserve(len.saturating_add(14));
        encode_header_rsv(out, opcode, rsv, len, key);
        let payload_start = out.len();
        for part in parts {
            out.extend_from_slice(part);
        }
        if let (Some(key), Some(payload)) = (key, out.get_mut(payload_start..)) {
            apply_mask(payload, key, 0);
        }
    }
}

/// The longest prefix of `text` of at most `max` bytes that does not end
/// inside a UTF-8 character.
pub(crate) fn truncate_at_char_boundary(text: &[u8], max: usize) -> &[u8] {
    if text.len() <= max {
        return text;
    }
    let is_continuation = |index: usize| text.get(index).is_some_and(|byte| byte & 0xc0 == 0x80);
    let mut end = max;
    while end > 0 && is_continuation(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unmask(frame: &[u8], header_len: usize) -> Vec<u8> {
        let key = [
            frame[header_len - 4],
            frame[header_len - 3],
            frame[header_len - 2],
            frame[header_len - 1],
        ];
        let mut payload = frame[header_len..].to_vec();
        apply_mask(&mut payload, key, 0);
        payload
    }

    fn filled(masking: bool, max_len: usize, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![0xaa];
        let written =
            Sender::new(masking).message_filled(&mut out, OpCode::Text, max_len, |room| {
                for (slot, byte) in room.iter_mut().zip(payload) {
                    slot.write(*byte);
                }
                Some(payload.len())
            });
        assert_eq!(written, Some(payload.len()));
        out
    }

    #[test]
    fn filled_frames_match_copied_ones() {
        for (max_len, len) in [
            (0, 0),
            (10, 3),
            (125, 125),
            (126, 125),
            (400, 5),
            (400, 200),
            (70000, 100),
            (70000, 65536),
        ] {
            let payload: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut expected = vec![0xaa];
            Sender::new(false).message(&mut expected, OpCode::Text, &payload);
            assert_eq!(
                filled(false, max_len, &payload),
                expected,
                "max {max_len} len {len}"
            );
            let masked = filled(true, max_len, &payload);
            let header_len = expected.len() - 1 - len + 4;
            assert_eq!(masked[1] & 0x7f, expected[1] & 0x7f);
            assert_eq!(unmask(&masked[1..], header_len), payload);
        }
    }

    #[test]
    fn a_refused_fill_leaves_the_output_alone() {
        let mut out = vec![1, 2, 3];
        let written = Sender::new(false).message_filled(&mut out, OpCode::Text, 300, |_| None);
        assert_eq!(written, None);
        assert_eq!(out, [1, 2, 3]);
    }

    #[test]
    fn server_frames_are_unmasked_with_fin_set() {
        let mut out = Vec::new();
        Sender::new(false).message(&mut out, OpCode::Text, b"hi");
        assert_eq!(out, [0x81, 2, b'h', b'i']);
    }

    #[test]
    fn server_frames_use_all_three_length_forms() {
        for (len, header) in [
            (0, vec![0x82, 0]),
            (125, vec![0x82, 125]),
            (126, vec![0x82, 126, 0, 126]),
            (65535, vec![0x82, 126, 0xff, 0xff]),
            (65536, vec![0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]),
        ] {
            let mut out = Vec::new();
            Sender::new(false).message(&mut out, OpCode::Binary, &vec![7; len]);
            assert_eq!(out[..header.len()], header[..], "len {len}");
            assert_eq!(out.len(), header.len() + len);
        }
    }

    #[test]
    fn client_frames_are_masked_with_a_fresh_key_each() {
        let mut sender = Sender::new(true);
        let mut first = Vec::new();
        let mut second = Vec::new();
        let payload = vec![0u8; 200];
        sender.message(&mut first, OpCode::Binary, &payload);
        sender.message(&mut second, OpCode::Binary, &payload);
        assert_eq!(first[..4], [0x82, 0xfe, 0, 200]);
        assert_eq!(unmask(&first, 8), payload);
        assert_eq!(unmask(&second, 8), payload);
        // Masking zeros exposes the key stream; two random keys differ.
        assert_ne!(first[4..8], second[4..8]);
    }

    #[test]
    fn close_frames_carry_the_code_and_a_truncated_reason() {
        let mut out = Vec::new();
        Sender::new(false).close(&mut out, 1001, b"bye");
        assert_eq!(out, [0x88, 5, 0x03, 0xe9, b'b', b'y', b'e']);

        let reason = "é".repeat(70); // 140 bytes; 123 would split a character
        let mut out = Vec::new();
        Sender::new(false).close(&mut out, 1000, reason.as_bytes());
        assert_eq!(out[1], 2 + 122);
        assert!(std::str::from_utf8(&out[4..]).is_ok());
    }

    #[test]
    fn close_frames_from_clients_are_masked() {
        let mut out = Vec::new();
        Sender::new(true).close(&mut out, 1000, b"done");
        assert_eq!(out[..2], [0x88, 0x86]);
        assert_eq!(unmask(&out, 6), [0x03, 0xe8, b'd', b'o', b'n', b'e']);
    }

    #[test]
    fn long_ping_payloads_are_cut_to_125_bytes() {
        let mut out = Vec::new();
        Sender::new(false).control(&mut out, OpCode::Ping, &[1; 300]);
        assert_eq!(out[..2], [0x89, 125]);
        assert_eq!(out.len(), 127);
    }

    #[test]
    fn truncation_respects_character_boundaries() {
        assert_eq!(truncate_at_char_boundary(b"abc", 2), b"ab");
        assert_eq!(truncate_at_char_boundary("a€".as_bytes(), 3), b"a");
        assert_eq!(
            truncate_at_char_boundary("a€".as_bytes(), 4),
            "a€".as_bytes()
        );
        assert_eq!(truncate_at_char_boundary("€".as_bytes(), 2), b"");
    }
}
