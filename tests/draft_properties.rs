//! Property tests for the hixie-75/76 reader: arbitrary bytes, cut
//! anywhere, never panic, give the same events however they are cut, and
//! hold no more than `maxLength` allows.

// Test code may unwrap and panic (Cargo.toml denies it in the crate).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use faye_websocket_native::session::draft::{feed, Draft, DraftEvent};
use proptest::prelude::*;
use proptest::sample::Index;

fn draft() -> impl Strategy<Value = Draft> {
    prop_oneof![Just(Draft::Hixie75), Just(Draft::Hixie76)]
}

/// Bytes biased towards the draft's markers, so that frames, lengths and
/// closes occur often.
fn stream() -> impl Strategy<Value = Vec<u8>> {
    let byte = prop_oneof![
        3 => any::<u8>(),
        2 => Just(0x00u8),
        2 => Just(0xFFu8),
        1 => 0x80u8..=0x82,
    ];
    prop::collection::vec(byte, 0..1500)
}

fn pieces<'a>(bytes: &'a [u8], cuts: &[Index]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|cut| cut.index(bytes.len() + 1)).collect();
    points.sort_unstable();
    let mut pieces = Vec::new();
    let mut from = 0;
    for point in points {
        pieces.push(&bytes[from..point]);
        from = point;
    }
    pieces.push(&bytes[from..]);
    pieces
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic_memory_bounded(
        draft in draft(),
        max_length in prop_oneof![1u64..64, 64u64..5000],
        bytes in stream(),
        cuts in prop::collection::vec(any::<Index>(), 0..20),
    ) {
        let whole = feed(draft, max_length, &[&bytes]);
        let cut = feed(draft, max_length, &pieces(&bytes, &cuts));
        prop_assert_eq!(&cut.events, &whole.events);
        // A text frame holds at most maxLength + 1 bytes (a Vec's capacity
        // at most twice that), plus hixie-76's 8 key bytes.
        let bound = 2 * (max_length as usize + 1) + 8;
        prop_assert!(whole.max_held <= bound, "held {} > {}", whole.max_held, bound);
        prop_assert!(cut.max_held <= bound, "held {} > {}", cut.max_held, bound);
        // Nothing after a close; messages are never over maxLength.
        if let Some(at) = whole.events.iter().position(|event| *event == DraftEvent::Close) {
            prop_assert_eq!(at + 1, whole.events.len());
        }
        for event in &whole.events {
            if let DraftEvent::Message(bytes) = event {
                prop_assert!(bytes.len() as u64 <= max_length);
                prop_assert!(!bytes.contains(&0xFF));
            }
        }
    }

    #[test]
    fn text_frames_come_back_as_sent(
        draft in draft(),
        messages in prop::collection::vec(prop::collection::vec(0u8..0xFF, 0..300), 0..20),
        cuts in prop::collection::vec(any::<Index>(), 0..20),
    ) {
        let mut bytes = if draft == Draft::Hixie76 { vec![b'k'; 8] } else { Vec::new() };
        for message in &messages {
            bytes.push(0x00);
            bytes.extend_from_slice(message);
            bytes.push(0xFF);
        }
        let fed = feed(draft, 0, &pieces(&bytes, &cuts));
        let mut expected: Vec<DraftEvent> =
            messages.iter().cloned().map(DraftEvent::Message).collect();
        if draft == Draft::Hixie76 {
            expected.insert(0, DraftEvent::Open);
        }
        prop_assert_eq!(fed.events, expected);
    }
}

/// The bad-input corpus (also the fuzz target's seeds): a first byte of
/// 0x75 or 0x76 for the draft, then the bytes after the handshake. Each
/// file, fed whole and a byte at a time with maxLength 64, gives the same
/// events within the bound.
#[test]
fn bad_input_corpus_whole_and_byte_at_a_time() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/draft-corpus");
    let mut files = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let draft = match bytes[0] {
            0x75 => Draft::Hixie75,
            0x76 => Draft::Hixie76,
            other => panic!("unknown draft byte {other:#x}"),
        };
        let stream = &bytes[1..];
        let whole = feed(draft, 64, &[stream]);
        let bytewise: Vec<&[u8]> = stream.chunks(1).collect();
        let cut = feed(draft, 64, &bytewise);
        assert_eq!(cut.events, whole.events);
        assert!(whole.max_held <= 2 * 65 + 8 && cut.max_held <= 2 * 65 + 8);
        files += 1;
    }
    assert!(files >= 8);
}
