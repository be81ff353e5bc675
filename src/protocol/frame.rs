//! RFC 6455 frame layout: opcodes, the bits of the first two header bytes,
//! the 7/16/64-bit payload lengths and the header encoder.

/// The longest possible header: 2 fixed bytes, 8 length bytes, 4 mask bytes.
pub(crate) const MAX_HEADER_LEN: usize = 14;

/// The largest payload of a control frame (RFC 6455 §5.5).
pub(crate) const MAX_CONTROL_PAYLOAD: usize = 125;

pub(crate) const FIN_BIT: u8 = 0x80;
pub(crate) const RSV1_BIT: u8 = 0x40;
pub(crate) const RSV2_BIT: u8 = 0x20;
pub(crate) const RSV3_BIT: u8 = 0x10;
pub(crate) const RSV_BITS: u8 = RSV1_BIT | RSV2_BIT | RSV3_BIT;
pub(crate) const OPCODE_BITS: u8 = 0x0f;
pub(crate) const MASK_BIT: u8 = 0x80;
pub(crate) const LENGTH_BITS: u8 = 0x7f;

/// The opcodes hybi-13 defines; every other value is a protocol error.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub enum OpCode {
    Continuation = 0,
    Text = 1,
    Binary = 2,
    Close = 8,
    Ping = 9,
    Pong = 10,
}

impl OpCode {
    pub(crate) fn from_bits(bits: u8) -> Option<OpCode> {
        match bits {
            0 => Some(OpCode::Continuation),
            1 => Some(OpCode::Text),
            2 => Some(OpCode::Binary),
            8 => Some(OpCode::Close),
            9 => Some(OpCode::Ping),
            10 => Some(OpCode::Pong),
            _ => None,
        }
    }

    /// Close, ping and pong; hybi.js calls everything else a message opcode.
    pub(crate) fn is_control(self) -> bool {
        matches!(self, OpCode::Close | OpCode::Ping | OpCode::Pong)
    }
}

/// What the first header byte says.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct FirstByte {
    pub fin: bool,
    pub rsv1: bool,
    pub rsv2: bool,
    pub rsv3: bool,
    /// Raw, because an unknown value must be quoted in the error message.
    pub opcode_bits: u8,
}

impl FirstByte {
    pub(crate) fn decode(byte: u8) -> FirstByte {
        FirstByte {
            fin: byte & FIN_BIT != 0,
            rsv1: byte & RSV1_BIT != 0,
            rsv2: byte & RSV2_BIT != 0,
            rsv3: byte & RSV3_BIT != 0,
            opcode_bits: byte & OPCODE_BITS,
        }
    }

    pub(crate) fn any_rsv(&self) -> bool {
        self.rsv1 || self.rsv2 || self.rsv3
    }

    /// The RSV bits in their places in the byte (`RSV1_BIT | ...`).
    pub(crate) fn rsv_bits(&self) -> u8 {
        (if self.rsv1 { RSV1_BIT } else { 0 })
            | (if self.rsv2 { RSV2_BIT } else { 0 })
            | (if self.rsv3 { RSV3_BIT } else { 0 })
    }
}

/// How the second header byte encodes the payload length.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum LengthForm {
    /// The length itself, 0..=125.
    Short(u8),
    /// A 16-bit length follows.
    Extended16,
    /// A 64-bit length follows.
    Extended64,
}

impl LengthForm {
    pub(crate) fn decode(byte: u8) -> LengthForm {
        match byte & LENGTH_BITS {
            126 => LengthForm::Extended16,
            127 => LengthForm::Extended64,
            short => LengthForm::Short(short),
        }
    }

    /// How many length bytes follow the second header byte.
    pub(crate) fn extra_bytes(self) -> usize {
        match self {
            LengthForm::Short(_) => 0,
            LengthForm::Extended16 => 2,
            LengthForm::Extended64 => 8,
        }
    }
}

/// Reads a big-endian extended length; `None` until all its bytes are there.
/// Like faye, a non-minimal encoding (126 form for 5 bytes) is accepted.
pub(crate) fn read_extended_length(bytes: &[u8], form: LengthForm) -> Option<u64> {
    match form {
        LengthForm::Short(length) => Some(u64::from(length)),
        LengthForm::Extended16 => {
            let (&[high, low], _) = bytes.split_first_chunk::<2>()?;
            Some(u64::from(u16::from_be_bytes([high, low])))
        }
        LengthForm::Extended64 => {
            let (eight, _) = bytes.split_first_chunk::<8>()?;
            Some(u64::from_be_bytes(*eight))
        }
    }
}

/// A complete, decoded frame header.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct FrameHeader {
    pub fin: bool,
    /// Set on the first frame of a compressed message (permessage-deflate).
    pub rsv1: bool,
    /// All three RSV bits, in their places in the first byte.
    pub rsv: u8,
    /// `None` for opcodes hybi-13 does not define (only reachable while
    /// closing, when faye ignores the failure and skips the frame).
    pub opcode: Option<OpCode>,
    pub mask: Option<[u8; 4]>,
    pub payload_len: u64,
    /// Bytes the header occupied on the wire.
    pub header_len: usize,
}

/// Appends a header with FIN set (we never fragment, like faye).
pub(crate) fn encode_header(
    out: &mut Vec<u8>,
    opcode: OpCode,
    payload_len: usize,
    mask: Option<[u8; 4]>,
) {
    encode_header_rsv(out, opcode, 0, payload_len, mask);
}

/// [`encode_header`] with any RSV bits (`RSV1_BIT | RSV2_BIT | RSV3_BIT`),
/// as an extension's pipeline left them.
pub(crate) fn encode_header_rsv(
    out: &mut Vec<u8>,
    opcode: OpCode,
    rsv: u8,
    payload_len: usize,
    mask: Option<[u8; 4]>,
) {
    let mask_bit = if mask.is_some() { MASK_BIT } else { 0 };
    out.push(FIN_BIT | (rsv & RSV_BITS) | opcode as u8);
    match payload_len {
        // The casts cannot truncate: each arm bounds the value.
        0..=125 => out.push(mask_bit | payload_len as u8),
        126..=0xffff => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(payload_len as u16).to_be_bytes());
        }
        _ => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(payload_len as u64).to_be_bytes());
        }
    }
    if let Some(key) = mask {
        out.extend_from_slice(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(len: usize, mask: Option<[u8; 4]>) -> Vec<u8> {
        let mut out = Vec::new();
        encode_header(&mut out, OpCode::Binary, len, mask);
        out
    }

    #[test]
    fn encodes_seven_bit_lengths() {
        assert_eq!(header(0, None), [0x82, 0]);
        assert_eq!(header(125, None), [0x82, 125]);
    }

    #[test]
    fn encodes_sixteen_bit_lengths() {
        assert_eq!(header(126, None), [0x82, 126, 0, 126]);
        assert_eq!(header(65535, None), [0x82, 126, 0xff, 0xff]);
    }

    #[test]
    fn encodes_sixty_four_bit_lengths() {
        assert_eq!(header(65536, None), [0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
    }

    #[test]
    fn encodes_mask_bit_and_key() {
        assert_eq!(header(1, Some([1, 2, 3, 4])), [0x82, 0x81, 1, 2, 3, 4]);
        assert_eq!(header(126, Some([9; 4])), [0x82, 0xfe, 0, 126, 9, 9, 9, 9]);
    }

    #[test]
    fn reads_extended_lengths_only_when_complete() {
        assert_eq!(read_extended_length(&[1], LengthForm::Extended16), None);
        assert_eq!(
            read_extended_length(&[1, 0], LengthForm::Extended16),
            Some(256)
        );
        assert_eq!(
            read_extended_length(&[0x80, 0, 0, 0, 0, 0, 0], LengthForm::Extended64),
            None
        );
        assert_eq!(
            read_extended_length(&[0x80, 0, 0, 0, 0, 0, 0, 0], LengthForm::Extended64),
            Some(1 << 63)
        );
    }

    #[test]
    fn decodes_first_and_second_bytes() {
        let first = FirstByte::decode(0x41);
        assert!(!first.fin && first.rsv1 && !first.rsv2 && !first.rsv3);
        assert_eq!(first.opcode_bits, 1);
        assert_eq!(LengthForm::decode(0xfe), LengthForm::Extended16);
        assert_eq!(LengthForm::decode(0x7f), LengthForm::Extended64);
        assert_eq!(LengthForm::decode(0x85), LengthForm::Short(5));
        assert_eq!(OpCode::from_bits(3), None);
        assert!(OpCode::Ping.is_control() && !OpCode::Continuation.is_control());
    }
}
