//! The frame writer: appends whole frames (FIN set) to the output buffer.

use crate::frame::{encode_header_rsv, OpCode, MAX_CONTROL_PAYLOAD, RSV1_BIT};
use crate::mask::{apply_mask, MaskKeySource};

/// A close payload is the 2-byte code plus at most this much reason.
pub const MAX_CLOSE_REASON: usize = MAX_CONTROL_PAYLOAD - 2;

/// Writes frames, masking them with a fresh key each when we are a client.
pub struct Sender {
    keys: Option<MaskKeySource>,
}

impl Sender {
    pub fn new(masking: bool) -> Sender {
        Sender {
            keys: masking.then(MaskKeySource::new),
        }
    }

    /// A text or binary message as one frame.
    pub fn message(&mut self, out: &mut Vec<u8>, opcode: OpCode, payload: &[u8]) {
        self.write(out, opcode, &[payload]);
    }

    /// A compressed message as one frame, RSV1 set (permessage-deflate).
    pub fn compressed_message(&mut self, out: &mut Vec<u8>, opcode: OpCode, payload: &[u8]) {
        self.write_frame(out, opcode, RSV1_BIT, &[payload]);
    }

    /// A message with the RSV bits an extension pipeline set.
    pub fn message_rsv(&mut self, out: &mut Vec<u8>, opcode: OpCode, rsv: u8, payload: &[u8]) {
        self.write_frame(out, opcode, rsv, &[payload]);
    }

    /// A ping or pong. faye sends longer payloads as they are, which makes an
    /// invalid control frame that the peer must fail the connection on; we
    /// cut them to the 125 bytes a control frame may carry instead.
    pub fn control(&mut self, out: &mut Vec<u8>, opcode: OpCode, payload: &[u8]) {
        let allowed = payload.get(..MAX_CONTROL_PAYLOAD).unwrap_or(payload);
        self.write(out, opcode, &[allowed]);
    }

    /// A close frame: the code, then the reason cut to fit a control frame
    /// without splitting a UTF-8 character (faye sends it whole, invalid).
    pub fn close(&mut self, out: &mut Vec<u8>, code: u16, reason: &[u8]) {
        let reason = truncate_at_char_boundary(reason, MAX_CLOSE_REASON);
        self.write(out, OpCode::Close, &[&code.to_be_bytes(), reason]);
    }

    fn write(&mut self, out: &mut Vec<u8>, opcode: OpCode, parts: &[&[u8]]) {
        self.write_frame(out, opcode, 0, parts);
    }

    fn write_frame(&mut self, out: &mut Vec<u8>, opcode: OpCode, rsv: u8, parts: &[&[u8]]) {
        let len: usize = parts.iter().map(|part| part.len()).sum();
        let key = self.keys.as_mut().map(MaskKeySource::next_key);
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
pub fn truncate_at_char_boundary(text: &[u8], max: usize) -> &[u8] {
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
