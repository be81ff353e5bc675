//! The permessage-deflate codec (RFC 7692 §7.2), as permessage-deflate 0.1.7
//! runs it over Node's zlib (lib/session.js), done with zlib-rs.
//!
//! - A message is compressed as raw deflate ending in a `Z_SYNC_FLUSH`, whose
//!   `00 00 ff ff` tail is then removed; inflating appends the tail again.
//! - With context takeover the stream (and its window) lives on from one
//!   message to the next; without it, the stream is dropped after every
//!   message, so an idle connection keeps no window at all.
//! - Streams are created lazily, on the first message that needs one.
//! - zlib cannot make raw streams with an 8-bit window (zlib-rs refuses them
//!   and its constructor would panic), so, like permessage-deflate, both sides
//!   use `max(bits, 9)`: our compressor may then refer 512 bytes back where
//!   the peer asked for 256, which is what every zlib-based peer does.
//! - The inflater stops with [`InflateError::TooLarge`] as soon as its output
//!   passes the caller's limit, never holding more than limit + 1 bytes of
//!   output (faye inflates the whole message first), and reports corrupt data
//!   with zlib's own message (`invalid block type`); either way the stream is
//!   freed.

use zlib_rs::{Deflate, DeflateConfig, DeflateFlush, Inflate, InflateFlush, Status, Strategy};

/// What a sync flush ends with, and what RFC 7692 removes from the wire.
pub(crate) const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// The smallest window zlib accepts for raw streams.
pub(crate) const MIN_ZLIB_WINDOW_BITS: u8 = 9;
pub(crate) const MAX_WINDOW_BITS: u8 = 15;

/// Output grows by at most this much per inflate step.
const INFLATE_STEP: usize = 64 * 1024;

/// The negotiated window bits (8–15, or anything permessage-deflate's
/// arithmetic produced) as zlib can use them.
pub(crate) fn zlib_window_bits(bits: u8) -> u8 {
    bits.clamp(MIN_ZLIB_WINDOW_BITS, MAX_WINDOW_BITS)
}

/// The compressor settings permessage-deflate passes to zlib as they are
/// (`level`, `memLevel`, `strategy`); they are not negotiated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompressorSettings {
    /// -1 (zlib's default, 6) or 0–9.
    pub level: i32,
    /// 1–9; zlib's default is 8.
    pub mem_level: i32,
    /// 0 default, 1 filtered, 2 Huffman only, 3 RLE, 4 fixed.
    pub strategy: i32,
}

impl Default for CompressorSettings {
    fn default() -> Self {
        CompressorSettings {
            level: -1,
            mem_level: 8,
            strategy: 0,
        }
    }
}

impl CompressorSettings {
    /// `configure()`'s `level`, `memLevel` and `strategy` as JS gave them
    /// (`None` when undefined), checked as Node's zlib checks them when the
    /// stream is created. A number that is not an integer fails the check.
    pub(crate) fn from_options(
        level: Option<f64>,
        mem_level: Option<f64>,
        strategy: Option<f64>,
    ) -> Result<CompressorSettings, DeflateError> {
        let defaults = CompressorSettings::default();
        let integer = |value: Option<f64>, default: i32| match value {
            None => default,
            Some(number) if number.fract() == 0.0 && number.abs() < 1e9 => number as i32,
            Some(_) => i32::MIN,
        };
        let settings = CompressorSettings {
            level: integer(level, defaults.level),
            mem_level: integer(mem_level, defaults.mem_level),
            strategy: integer(strategy, defaults.strategy),
        };
        settings.validate()?;
        Ok(settings)
    }

    /// Checks the values as Node's zlib does when the stream is created,
    /// with Node's messages.
    pub(crate) fn validate(&self) -> Result<(), DeflateError> {
        let range = |option: &'static str, low: i32, high: i32, value: i32| {
            if (low..=high).contains(&value) {
                Ok(())
            } else {
                Err(DeflateError::OutOfRange {
                    option,
                    low,
                    high,
                    value,
                })
            }
        };
        range("level", -1, 9, self.level)?;
        range("memLevel", 1, 9, self.mem_level)?;
        range("strategy", 0, 4, self.strategy)
    }

    fn strategy(&self) -> Strategy {
        Strategy::try_from(self.strategy).unwrap_or_default()
    }
}

/// The outgoing half: compresses whole messages.
pub struct Compressor {
    settings: CompressorSettings,
    window_bits: u8,
    context_takeover: bool,
    stream: Option<Deflate>,
}

impl Compressor {
    /// `window_bits` is the negotiated value for our side (8–15).
    pub fn new(
        settings: CompressorSettings,
        window_bits: u8,
        context_takeover: bool,
    ) -> Result<Compressor, DeflateError> {
        settings.validate()?;
        Ok(Compressor {
            settings,
            window_bits: zlib_window_bits(window_bits),
            context_takeover,
            stream: None,
        })
    }

    /// Whether a stream (and its window) is held between messages.
    #[cfg(test)]
    pub(crate) fn holds_stream(&self) -> bool {
        self.stream.is_some()
    }

    /// Appends `input` compressed to `out`, without the `00 00 ff ff` tail.
    ///
    /// An empty message is the single byte `00` (RFC 7692 §7.2.3.6), an
    /// empty stored block, which leaves any stream as it was. zlib would
    /// write nothing at all for it after an earlier sync flush (it refuses
    /// two flushes in a row), and permessage-deflate then sends an empty
    /// payload that puts the peer's inflater out of step.
    pub fn compress(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<(), DeflateError> {
        if input.is_empty() {
            out.push(0x00);
            return Ok(());
        }
        let config = DeflateConfig {
            level: self.settings.level,
            window_bits: -i32::from(self.window_bits),
            mem_level: self.settings.mem_level,
            strategy: self.settings.strategy(),
            ..DeflateConfig::default()
        };
        let stream = self
            .stream
            .get_or_insert_with(|| Deflate::new_with_config(config));
        let start = out.len();
        let result = compress_sync(stream, input, out);
        if result.is_err() || !self.context_takeover {
            self.stream = None;
        }
        if let Err(error) = result {
            out.truncate(start);
            return Err(error);
        }
        if out
            .get(start..)
            .is_some_and(|written| written.ends_with(&TAIL))
        {
            out.truncate(out.len() - TAIL.len());
        }
        Ok(())
    }
}

/// Runs `input` through the stream with a sync flush, appending to `out`.
fn compress_sync(
    stream: &mut Deflate,
    input: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), DeflateError> {
    let mut rest = input;
    // Typical messages shrink; the buffer doubles if they do not.
    let mut step = (input.len() / 2).clamp(64, 1 << 20);
    loop {
        let len = out.len();
        out.resize(len + step, 0);
        let (before_in, before_out) = (stream.total_in(), stream.total_out());
        let status = stream.compress(rest, &mut out[len..], DeflateFlush::SyncFlush);
        let consumed = (stream.total_in() - before_in) as usize;
        let produced = (stream.total_out() - before_out) as usize;
        out.truncate(len + produced);
        rest = rest.get(consumed..).unwrap_or_default();
        match status {
            Err(error) => {
                let message = stream.error_message().unwrap_or(error.as_str());
                return Err(DeflateError::Zlib(message.to_owned()));
            }
            // Done when everything went in and the output was not filled.
            Ok(_) if rest.is_empty() && produced < step => return Ok(()),
            Ok(Status::BufError) if consumed == 0 && produced == 0 => return Ok(()),
            Ok(_) => step = (step * 2).min(1 << 24),
        }
    }
}

impl std::fmt::Debug for Compressor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compressor")
            .field("settings", &self.settings)
            .field("window_bits", &self.window_bits)
            .field("context_takeover", &self.context_takeover)
            .field("holds_stream", &self.stream.is_some())
            .finish()
    }
}

impl std::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inflater")
            .field("window_bits", &self.window_bits)
            .field("context_takeover", &self.context_takeover)
            .field("holds_stream", &self.stream.is_some())
            .finish()
    }
}

/// Why the codec refused its settings or a message, with Node's zlib's
/// message or zlib's own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeflateError {
    /// A `configure()` option out of the range Node's zlib accepts.
    OutOfRange {
        option: &'static str,
        low: i32,
        high: i32,
        value: i32,
    },
    /// zlib's message, e.g. `invalid block type`.
    Zlib(String),
    /// A pipeline stage ran with permessage-deflate not negotiated.
    NotActive,
}

impl std::fmt::Display for DeflateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeflateError::OutOfRange {
                option,
                low,
                high,
                value,
            } => write!(
                f,
                "The value of \"options.{option}\" is out of range. It must be >= {low} and <= {high}. Received {value}"
            ),
            DeflateError::Zlib(message) => f.write_str(message),
            DeflateError::NotActive => f.write_str("permessage-deflate is not active"),
        }
    }
}

/// Why inflating a message stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InflateError {
    /// The output passed the limit.
    TooLarge,
    /// zlib's message, e.g. `invalid block type`.
    Corrupt(String),
}

/// The incoming half: inflates messages piece by piece as frames arrive.
pub struct Inflater {
    window_bits: u8,
    context_takeover: bool,
    stream: Option<Inflate>,
    /// The stream ended (a block with BFINAL set): the rest of the message
    /// is ignored, as zlib does, and the next message starts a new stream.
    ended: bool,
    /// Bytes of the current message have been pushed.
    fed: bool,
}

impl Inflater {
    /// `window_bits` is the negotiated value for the peer's side (8–15).
    pub fn new(window_bits: u8, context_takeover: bool) -> Inflater {
        Inflater {
            window_bits: zlib_window_bits(window_bits),
            context_takeover,
            stream: None,
            ended: false,
            fed: false,
        }
    }

    pub(crate) fn holds_stream(&self) -> bool {
        self.stream.is_some()
    }

    /// Inflates a piece of a compressed message, appending to `out`, which
    /// must not pass `max_len` bytes in total. On an error the stream is
    /// freed; the caller ends the connection.
    pub(crate) fn push(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        max_len: usize,
    ) -> Result<(), InflateError> {
        if input.is_empty() {
            return Ok(());
        }
        self.push_within(input, out, max_len, usize::MAX)
            .map(|_| ())
    }

    /// [`Inflater::push`] that stops once about `budget` bytes were produced
    /// (at least one step is always made), returning how much of `input` it
    /// consumed; the caller feeds the rest later. This bounds the work of
    /// one call when a little input inflates to a lot.
    pub(crate) fn push_within(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        max_len: usize,
        budget: usize,
    ) -> Result<usize, InflateError> {
        if input.is_empty() {
            return Ok(0);
        }
        self.fed = true;
        let result = self.inflate(input, out, max_len, budget);
        if result.is_err() {
            self.stream = None;
            self.ended = false;
            self.fed = false;
        }
        result
    }

    /// Ends the message: inflates the tail RFC 7692 removed, then frees the
    /// stream unless the context is taken over.
    ///
    /// An empty payload is taken as an empty message and the tail is not
    /// added: that is what permessage-deflate sends for an empty message
    /// after the first, and zlib would otherwise read the tail as the start
    /// of a stored block and lose step with the sender.
    pub(crate) fn finish(&mut self, out: &mut Vec<u8>, max_len: usize) -> Result<(), InflateError> {
        let result = if self.fed {
            self.push(&TAIL, out, max_len)
        } else {
            Ok(())
        };
        self.fed = false;
        if !self.context_takeover || self.ended {
            self.stream = None;
            self.ended = false;
        }
        result
    }

    /// A whole message at once.
    pub fn inflate_message(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        max_len: usize,
    ) -> Result<(), InflateError> {
        self.push(input, out, max_len)?;
        self.finish(out, max_len)
    }

    fn inflate(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        max_len: usize,
        budget: usize,
    ) -> Result<usize, InflateError> {
        let first = out.len();
        let window_bits = self.window_bits;
        let stream = self
            .stream
            .get_or_insert_with(|| Inflate::new(false, window_bits));
        let mut rest = input;
        while !self.ended {
            // Room for one byte past the limit, to tell "exactly the limit"
            // from "more".
            let room = max_len.saturating_add(1).saturating_sub(out.len());
            let step = room.clamp(1, INFLATE_STEP);
            grow_within(out, step, max_len.saturating_add(1));
            let len = out.len();
            out.resize(len + step, 0);
            let (before_in, before_out) = (stream.total_in(), stream.total_out());
            let status = stream.decompress(rest, &mut out[len..], InflateFlush::SyncFlush);
            let consumed = (stream.total_in() - before_in) as usize;
            let produced = (stream.total_out() - before_out) as usize;
            out.truncate(len + produced);
            rest = rest.get(consumed..).unwrap_or_default();
            if out.len() > max_len {
                return Err(InflateError::TooLarge);
            }
            match status {
                Err(error) => {
                    let message = stream.error_message().unwrap_or(error.as_str());
                    return Err(InflateError::Corrupt(message.to_owned()));
                }
                Ok(Status::StreamEnd) => self.ended = true,
                Ok(_) if produced < step && (rest.is_empty() || consumed == 0) => break,
                Ok(_) if out.len() - first >= budget && !rest.is_empty() => {
                    return Ok(input.len() - rest.len());
                }
                Ok(_) => {}
            }
        }
        // After the end of the stream the rest is ignored, as zlib does.
        Ok(input.len())
    }
}

/// Makes room for `step` more bytes, growing geometrically but never past
/// `cap` bytes of capacity, so a message at the limit is not doubled.
fn grow_within(out: &mut Vec<u8>, step: usize, cap: usize) {
    let needed = out.len().saturating_add(step);
    if needed <= out.capacity() {
        return;
    }
    let target = out
        .capacity()
        .saturating_mul(2)
        .max(needed)
        .min(cap.max(needed));
    out.reserve_exact(target - out.len());
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample(len: usize, seed: u32) -> Vec<u8> {
        // Compressible but not trivial: words from a small vocabulary.
        let words: [&[u8]; 8] = [
            b"alpha ",
            b"beta ",
            b"gamma ",
            b"{\"id\":",
            b"42,",
            b"\"x\"}",
            b"\n",
            b"delta ",
        ];
        let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        let mut out = Vec::with_capacity(len + 8);
        while out.len() < len {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            out.extend_from_slice(words[(state % 8) as usize]);
        }
        out.truncate(len);
        out
    }

    pub(crate) fn random(len: usize, seed: u64) -> Vec<u8> {
        let mut state = seed | 1;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect()
    }

    fn compress(compressor: &mut Compressor, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        compressor.compress(input, &mut out).unwrap();
        out
    }

    fn inflate(inflater: &mut Inflater, input: &[u8]) -> Result<Vec<u8>, InflateError> {
        let mut out = Vec::new();
        inflater
            .inflate_message(input, &mut out, usize::MAX)
            .map(|()| out)
    }

    #[test]
    fn matches_node_zlib_for_small_messages() {
        // Bytes permessage-deflate 0.1.7 produced on Node 20 (default settings).
        let mut compressor = Compressor::new(CompressorSettings::default(), 15, true).unwrap();
        assert_eq!(compress(&mut compressor, b""), [0x00]);
        assert_eq!(
            compress(&mut compressor, b"hello"),
            [0xca, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]
        );
        let mut inflater = Inflater::new(15, true);
        let full = [
            0xca, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0xc8, 0x40, 0x27, 0x01, 0x00,
        ];
        assert_eq!(
            inflate(&mut inflater, &full).unwrap(),
            b"hello hello hello hello"
        );
    }

    #[test]
    fn round_trips_every_window_and_takeover_combination() {
        let messages: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"a".to_vec(),
            sample(100, 1),
            sample(100, 1),
            random(3000, 7),
            sample(70_000, 2),
            sample(70_000, 2),
            Vec::new(),
            sample(300_000, 3),
        ];
        for bits in 8..=15 {
            for takeover in [false, true] {
                for level in [-1, 0, 1, 9] {
                    let settings = CompressorSettings {
                        level,
                        ..CompressorSettings::default()
                    };
                    let mut compressor = Compressor::new(settings, bits, takeover).unwrap();
                    let mut inflater = Inflater::new(bits, takeover);
                    for (index, message) in messages.iter().enumerate() {
                        let wire = compress(&mut compressor, message);
                        let inflated = inflate(&mut inflater, &wire).unwrap_or_else(|e| {
                            panic!(
                                "{e:?} bits {bits} takeover {takeover} level {level} len {}",
                                message.len()
                            )
                        });
                        assert_eq!(
                            &inflated, message,
                            "bits {bits} takeover {takeover} level {level}"
                        );
                        // Without takeover nothing is held between messages;
                        // with it, a stream exists once a message needed one.
                        let needed = takeover && messages[..=index].iter().any(|m| !m.is_empty());
                        assert_eq!(compressor.holds_stream(), needed);
                        assert_eq!(
                            inflater.holds_stream(),
                            takeover,
                            "the empty message is one byte on the wire"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn every_mem_level_and_strategy_works() {
        let message = sample(20_000, 9);
        for mem_level in 1..=9 {
            for strategy in 0..=4 {
                let settings = CompressorSettings {
                    level: 6,
                    mem_level,
                    strategy,
                };
                let mut compressor = Compressor::new(settings, 15, true).unwrap();
                let mut inflater = Inflater::new(15, true);
                for _ in 0..3 {
                    let wire = compress(&mut compressor, &message);
                    assert_eq!(inflate(&mut inflater, &wire).unwrap(), message);
                }
            }
        }
    }

    #[test]
    fn invalid_settings_are_refused_with_nodes_messages() {
        let bad = |level, mem_level, strategy| {
            Compressor::new(
                CompressorSettings {
                    level,
                    mem_level,
                    strategy,
                },
                15,
                true,
            )
            .err()
            .map(|error| error.to_string())
        };
        assert_eq!(
            bad(10, 8, 0),
            Some("The value of \"options.level\" is out of range. It must be >= -1 and <= 9. Received 10".to_owned())
        );
        assert!(bad(-2, 8, 0).is_some());
        assert!(bad(6, 0, 0).is_some());
        assert!(bad(6, 10, 0).is_some());
        assert!(bad(6, 8, 5).is_some());
        assert!(bad(6, 8, -1).is_some());
        assert!(bad(9, 9, 4).is_none());
    }

    #[test]
    fn empty_messages_are_one_zero_byte_and_keep_both_sides_in_step() {
        let mut compressor = Compressor::new(CompressorSettings::default(), 15, true).unwrap();
        let mut inflater = Inflater::new(15, true);
        for message in [&b"first"[..], b"", b"", b"second", b""] {
            let wire = compress(&mut compressor, message);
            if message.is_empty() {
                assert_eq!(wire, [0x00]);
            }
            assert_eq!(inflate(&mut inflater, &wire).unwrap(), message);
        }
        // What permessage-deflate sends for an empty message after the
        // first: nothing. It is an empty message and the stream stays usable.
        assert_eq!(inflate(&mut inflater, b"").unwrap(), b"");
        let wire = compress(&mut compressor, b"third");
        assert_eq!(inflate(&mut inflater, &wire).unwrap(), b"third");
    }

    #[test]
    fn context_takeover_makes_repeats_smaller() {
        let message = sample(2000, 5);
        let mut with = Compressor::new(CompressorSettings::default(), 15, true).unwrap();
        let mut without = Compressor::new(CompressorSettings::default(), 15, false).unwrap();
        let first = compress(&mut with, &message);
        let second = compress(&mut with, &message);
        assert!(
            second.len() < first.len() / 4,
            "{} vs {}",
            second.len(),
            first.len()
        );
        assert_eq!(
            compress(&mut without, &message),
            compress(&mut without, &message)
        );
    }

    #[test]
    fn a_message_inflates_the_same_in_any_pieces() {
        let messages = [sample(50_000, 11), random(5000, 3), sample(10, 4)];
        let mut compressor = Compressor::new(CompressorSettings::default(), 15, true).unwrap();
        let wires: Vec<Vec<u8>> = messages
            .iter()
            .map(|m| compress(&mut compressor, m))
            .collect();
        for piece in [1, 2, 3, 7, 100, 4096] {
            let mut inflater = Inflater::new(15, true);
            for (wire, message) in wires.iter().zip(&messages) {
                let mut out = Vec::new();
                for part in wire.chunks(piece) {
                    inflater.push(part, &mut out, usize::MAX).unwrap();
                }
                inflater.finish(&mut out, usize::MAX).unwrap();
                assert_eq!(&out, message, "pieces of {piece}");
            }
        }
    }

    #[test]
    fn the_limit_is_exact() {
        let message = sample(100_000, 8);
        let mut compressor = Compressor::new(CompressorSettings::default(), 15, false).unwrap();
        let wire = compress(&mut compressor, &message);
        let mut out = Vec::new();
        assert_eq!(
            Inflater::new(15, false).inflate_message(&wire, &mut out, 100_000),
            Ok(())
        );
        assert_eq!(out, message);
        let mut out = Vec::new();
        assert_eq!(
            Inflater::new(15, false).inflate_message(&wire, &mut out, 99_999),
            Err(InflateError::TooLarge)
        );
        assert!(out.len() <= 100_000);
        // An empty message against a zero limit.
        let empty = compress(&mut compressor, b"");
        assert_eq!(
            Inflater::new(15, false).inflate_message(&empty, &mut Vec::new(), 0),
            Ok(())
        );
    }

    /// `mib` MiB of zeros as one compressed message (level 9, no tail).
    pub(crate) fn zip_bomb(mib: usize) -> Vec<u8> {
        let zeros = vec![0u8; 1 << 20];
        let config = DeflateConfig {
            level: 9,
            window_bits: -15,
            ..DeflateConfig::default()
        };
        let mut deflate = Deflate::new_with_config(config);
        let mut wire = Vec::new();
        for index in 0..=mib {
            let (input, flush) = if index < mib {
                (&zeros[..], DeflateFlush::NoFlush)
            } else {
                (&[][..], DeflateFlush::SyncFlush)
            };
            let len = wire.len();
            wire.resize(len + (1 << 20), 0);
            let before = deflate.total_out();
            deflate.compress(input, &mut wire[len..], flush).unwrap();
            wire.truncate(len + (deflate.total_out() - before) as usize);
        }
        wire.truncate(wire.len() - TAIL.len());
        wire
    }

    #[test]
    fn a_zip_bomb_stops_at_the_limit_with_bounded_memory() {
        // 256 MiB of zeros compress to about 261 KB.
        let wire = zip_bomb(256);
        assert!(wire.len() < 300_000, "bomb is {} bytes", wire.len());

        let limit = 1 << 20;
        let mut inflater = Inflater::new(15, true);
        let mut out = Vec::new();
        assert_eq!(
            inflater.push(&wire, &mut out, limit),
            Err(InflateError::TooLarge)
        );
        assert!(
            out.capacity() <= limit + 1 + INFLATE_STEP,
            "capacity {}",
            out.capacity()
        );
        assert!(!inflater.holds_stream(), "the stream is freed");
    }

    #[test]
    fn corrupt_data_gives_zlibs_message_and_frees_the_stream() {
        let mut inflater = Inflater::new(15, true);
        assert_eq!(
            inflate(&mut inflater, &[0xff, 0xff, 0xff]),
            Err(InflateError::Corrupt("invalid block type".into()))
        );
        assert!(!inflater.holds_stream());
        assert_eq!(
            inflate(
                &mut Inflater::new(15, true),
                &[0x00, 0x01, 0x00, 0x00, 0x00]
            ),
            Err(InflateError::Corrupt("invalid stored block lengths".into()))
        );
    }

    #[test]
    fn a_truncated_message_is_accepted_as_zlib_does_and_the_next_one_fails() {
        // Node's zlib (and so faye) returns what the truncated data held; the
        // stream is then out of step, and the next message fails.
        let full = [
            0xca, 0x48, 0xcd, 0xc9, 0xc9, 0x57, 0xc8, 0x40, 0x27, 0x01, 0x00,
        ];
        let mut inflater = Inflater::new(15, true);
        assert_eq!(inflate(&mut inflater, &full[..5]).unwrap(), b"hellh");
        assert_eq!(
            inflate(&mut inflater, &full),
            Err(InflateError::Corrupt("invalid stored block lengths".into()))
        );
    }

    #[test]
    fn a_final_block_ends_the_message_and_the_next_message_starts_afresh() {
        // zlib.deflateRawSync('final block'): BFINAL set.
        let final_block = [
            0x4b, 0xcb, 0xcc, 0x4b, 0xcc, 0x51, 0x48, 0xca, 0xc9, 0x4f, 0xce, 0x06, 0x00,
        ];
        let mut inflater = Inflater::new(15, true);
        assert_eq!(
            inflate(&mut inflater, &final_block).unwrap(),
            b"final block"
        );
        assert!(!inflater.holds_stream());
        let hello = [0xca, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
        assert_eq!(inflate(&mut inflater, &hello).unwrap(), b"hello");
    }

    #[test]
    fn window_bits_8_inflates_streams_made_with_9() {
        let message = sample(5000, 12);
        let mut compressor = Compressor::new(CompressorSettings::default(), 8, true).unwrap();
        let mut inflater = Inflater::new(8, true);
        for _ in 0..3 {
            let wire = compress(&mut compressor, &message);
            assert_eq!(inflate(&mut inflater, &wire).unwrap(), message);
        }
        assert_eq!(zlib_window_bits(8), 9);
        assert_eq!(zlib_window_bits(0), 9);
        assert_eq!(zlib_window_bits(200), 15);
    }

    /// Release-mode timings for the README: `cargo test --release --lib
    /// deflate::tests::timing -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn timing() {
        use std::time::Instant;
        let message = sample(16 << 20, 77);
        let noise = random(16 << 20, 5);
        for (name, input) in [("text-like", &message), ("random", &noise)] {
            for level in [1, -1] {
                let settings = CompressorSettings {
                    level,
                    ..CompressorSettings::default()
                };
                let mut compressor = Compressor::new(settings, 15, true).unwrap();
                let started = Instant::now();
                let wire = compress(&mut compressor, input);
                let compressing = started.elapsed();
                let mut inflater = Inflater::new(15, true);
                let started = Instant::now();
                let out = inflate(&mut inflater, &wire).unwrap();
                let inflating = started.elapsed();
                assert_eq!(&out, input);
                println!(
                    "16 MiB {name} level {level}: compress {compressing:?} ({} bytes), inflate {inflating:?}",
                    wire.len()
                );
            }
        }
        let started = Instant::now();
        for _ in 0..1000 {
            let mut compressor = Compressor::new(CompressorSettings::default(), 15, true).unwrap();
            let mut inflater = Inflater::new(15, true);
            let wire = compress(&mut compressor, b"x");
            inflate(&mut inflater, &wire).unwrap();
        }
        println!(
            "create + first message, both directions: {:?}",
            started.elapsed() / 1000
        );
    }
}
