//! Streaming UTF-8 validation for text messages that arrive in pieces.
//!
//! Strict UTF-8 as faye's regex defines it: overlongs, surrogates and code
//! points above U+10FFFF are invalid; non-characters such as U+FFFE are valid.
//! The verdict is read only when the message completes, because faye checks
//! the whole message at its end (Autobahn 6.4.x: NON-STRICT, like faye).

use simdutf8::compat::from_utf8;

/// The longest incomplete sequence that can be pending: 3 bytes of a 4-byte
/// character.
const MAX_PENDING: usize = 3;

#[derive(Debug, Default)]
pub struct Utf8Validator {
    /// The start of a character cut off at the end of the last piece.
    pending: [u8; MAX_PENDING],
    pending_len: usize,
    invalid: bool,
}

impl Utf8Validator {
    pub fn new() -> Utf8Validator {
        Utf8Validator::default()
    }

    /// Validates the next piece of the message.
    pub fn feed(&mut self, piece: &[u8]) {
        if self.invalid {
            return;
        }
        let rest = self.complete_pending(piece);
        // Still pending means the whole piece went into the pending bytes.
        if !self.invalid && self.pending_len == 0 {
            self.validate(rest);
        }
    }

    /// True if everything fed so far is valid and ends on a character
    /// boundary. Resets the validator for the next message.
    pub fn finish(&mut self) -> bool {
        let valid = !self.invalid && self.pending_len == 0;
        *self = Utf8Validator::default();
        valid
    }

    /// Glues the pending bytes to the start of `piece` and validates that
    /// short run. Returns the part of `piece` that still needs validation.
    fn complete_pending<'a>(&mut self, piece: &'a [u8]) -> &'a [u8] {
        if self.pending_len == 0 {
            return piece;
        }
        let old_len = self.pending_len;
        let borrowed = piece.len().min(MAX_PENDING);
        let mut joined = [0u8; 2 * MAX_PENDING];
        let pending = self.pending.get(..old_len).unwrap_or_default();
        let head = piece.get(..borrowed).unwrap_or_default();
        for (slot, byte) in joined.iter_mut().zip(pending.iter().chain(head)) {
            *slot = *byte;
        }
        let joined = joined.get(..old_len + borrowed).unwrap_or_default();
        match from_utf8(joined) {
            Ok(_) => self.pending_len = 0,
            Err(error) if error.error_len().is_some() => self.invalid = true,
            Err(error) if error.valid_up_to() == 0 => {
                // Still not a whole character: the piece was that short.
                self.remember_pending(joined);
                return &[];
            }
            Err(error) => {
                // The pending character completed; what follows it may have
                // started a new incomplete one, which `validate` sees again.
                self.pending_len = 0;
                return piece
                    .get(error.valid_up_to().saturating_sub(old_len)..)
                    .unwrap_or_default();
            }
        }
        piece.get(borrowed..).unwrap_or_default()
    }

    fn validate(&mut self, bytes: &[u8]) {
        match from_utf8(bytes) {
            Ok(_) => self.pending_len = 0,
            Err(error) if error.error_len().is_some() => self.invalid = true,
            Err(error) => {
                self.remember_pending(bytes.get(error.valid_up_to()..).unwrap_or_default())
            }
        }
    }

    fn remember_pending(&mut self, incomplete: &[u8]) {
        self.pending_len = incomplete.len().min(MAX_PENDING);
        for (slot, byte) in self.pending.iter_mut().zip(incomplete) {
            *slot = *byte;
        }
    }
}

/// One-shot check for a message that arrived whole.
pub(crate) fn is_valid(bytes: &[u8]) -> bool {
    simdutf8::basic::from_utf8(bytes).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid_when_fed_in_pieces(bytes: &[u8], cuts: &[usize]) -> bool {
        let mut validator = Utf8Validator::new();
        let mut start = 0;
        for &cut in cuts {
            validator.feed(&bytes[start..cut]);
            start = cut;
        }
        validator.feed(&bytes[start..]);
        validator.finish()
    }

    fn check_every_split(bytes: &[u8]) {
        let expected = std::str::from_utf8(bytes).is_ok();
        assert_eq!(is_valid(bytes), expected, "{bytes:x?}");
        assert_eq!(valid_when_fed_in_pieces(bytes, &[]), expected, "{bytes:x?}");
        for a in 0..=bytes.len() {
            assert_eq!(
                valid_when_fed_in_pieces(bytes, &[a]),
                expected,
                "{bytes:x?} cut {a}"
            );
            for b in a..=bytes.len() {
                assert_eq!(
                    valid_when_fed_in_pieces(bytes, &[a, b]),
                    expected,
                    "{bytes:x?} cuts {a} {b}"
                );
            }
        }
        let every_byte: Vec<usize> = (1..bytes.len()).collect();
        assert_eq!(
            valid_when_fed_in_pieces(bytes, &every_byte),
            expected,
            "{bytes:x?} bytewise"
        );
    }

    #[test]
    fn valid_text_in_any_pieces() {
        check_every_split("κόσμε".as_bytes());
        check_every_split("a€b𝄞c\u{10ffff}".as_bytes());
        check_every_split("\u{fffe}\u{ffff}".as_bytes());
        check_every_split(b"");
    }

    #[test]
    fn invalid_text_in_any_pieces() {
        check_every_split(&[
            0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80,
            0x65,
        ]);
        check_every_split(&[0xed, 0xa0, 0x80]); // surrogate
        check_every_split(&[0xc0, 0xaf]); // overlong
        check_every_split(&[0xf4, 0x90, 0x80, 0x80]); // above U+10FFFF
        check_every_split(&[0xff, 0xfe]);
        check_every_split(&[0x61, 0xf0, 0x9f, 0x98]); // truncated at the end
        check_every_split(&[0xe2, 0x82, 0x41, 0x42]);
    }

    #[test]
    fn finish_resets_for_the_next_message() {
        let mut validator = Utf8Validator::new();
        validator.feed(&[0xff]);
        assert!(!validator.finish());
        validator.feed(b"ok");
        assert!(validator.finish());
        validator.feed(&[0xe2, 0x82]);
        assert!(!validator.finish());
        assert!(validator.finish());
    }
}
