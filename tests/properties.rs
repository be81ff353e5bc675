//! Property tests: random valid frame sequences cut at random points parse
//! to the same messages; arbitrary bytes never panic and, however they are
//! cut, give the same events.

// Test code may unwrap and panic (Cargo.toml denies it in the crate).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{encode, feed_in_pieces, feed_whole, open_session};
use faye_websocket_native::session::{Config, Event, Payload, Role, Session};
use faye_websocket_native::utf8::Utf8Validator;
use proptest::prelude::*;
use proptest::sample::Index;

#[derive(Clone, Debug)]
enum Control {
    Ping(Vec<u8>),
    Pong(Vec<u8>),
}

#[derive(Clone, Debug)]
enum Unit {
    Message {
        text: bool,
        payload: Vec<u8>,
        cuts: Vec<Index>,
        between: Vec<Control>,
    },
    Control(Control),
}

fn control_payload() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 0..=125)
}

fn control() -> impl Strategy<Value = Control> {
    prop_oneof![
        control_payload().prop_map(Control::Ping),
        control_payload().prop_map(Control::Pong)
    ]
}

fn text_payload() -> impl Strategy<Value = Vec<u8>> {
    let chars = |max| {
        prop::collection::vec(any::<char>(), 0..max).prop_map(|c| String::from_iter(c).into_bytes())
    };
    prop_oneof![4 => chars(200), 1 => chars(20_000)]
}

fn binary_payload() -> impl Strategy<Value = Vec<u8>> {
    let bytes = |max| prop::collection::vec(any::<u8>(), 0..max);
    prop_oneof![4 => bytes(300), 1 => bytes(70_000)]
}

fn message() -> impl Strategy<Value = Unit> {
    let payload = prop_oneof![
        text_payload().prop_map(|p| (true, p)),
        binary_payload().prop_map(|p| (false, p)),
    ];
    (
        payload,
        prop::collection::vec(any::<Index>(), 0..5),
        prop::collection::vec(control(), 0..4),
    )
        .prop_map(|((text, payload), cuts, between)| Unit::Message {
            text,
            payload,
            cuts,
            between,
        })
}

fn units() -> impl Strategy<Value = Vec<Unit>> {
    prop::collection::vec(
        prop_oneof![3 => message(), 1 => control().prop_map(Unit::Control)],
        1..8,
    )
}

/// Encodes like a client (a fresh key per frame) and returns the stream with
/// the events and server output it must produce.
struct Expected {
    stream: Vec<u8>,
    events: Vec<Event>,
    output: Vec<u8>,
}

impl Expected {
    fn build(units: &[Unit], base_key: u32) -> Expected {
        let mut expected = Expected {
            stream: Vec::new(),
            events: Vec::new(),
            output: Vec::new(),
        };
        let mut frames = 0u32;
        let mut next_key = || {
            frames += 1;
            base_key
                .wrapping_mul(2_654_435_761)
                .wrapping_add(frames)
                .to_be_bytes()
        };
        for unit in units {
            match unit {
                Unit::Control(control) => expected.control(control, next_key()),
                Unit::Message {
                    text,
                    payload,
                    cuts,
                    between,
                } => {
                    let fragments = split(payload, cuts);
                    let count = fragments.len();
                    for (index, fragment) in fragments.into_iter().enumerate() {
                        let opcode = if index == 0 {
                            if *text {
                                1
                            } else {
                                2
                            }
                        } else {
                            0
                        };
                        let fin = if index + 1 == count { 0x80 } else { 0 };
                        expected
                            .stream
                            .extend(encode(fin | opcode, fragment, Some(next_key())));
                        if let Some(control) = between.get(index).filter(|_| index + 1 < count) {
                            expected.control(control, next_key());
                        }
                    }
                    let payload = Payload::Owned(payload.clone());
                    expected.events.push(if *text {
                        Event::Text(payload)
                    } else {
                        Event::Binary(payload)
                    });
                }
            }
        }
        expected
    }

    fn control(&mut self, control: &Control, key: [u8; 4]) {
        match control {
            Control::Ping(payload) => {
                self.stream.extend(encode(0x89, payload, Some(key)));
                self.output.extend(encode(0x8a, payload, None));
            }
            Control::Pong(payload) => {
                self.stream.extend(encode(0x8a, payload, Some(key)));
                self.events
                    .push(Event::Pong(Payload::Owned(payload.clone())));
            }
        }
    }
}

/// The payload cut into fragments at the given points (empty ones allowed).
fn split<'a>(payload: &'a [u8], cuts: &[Index]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts
        .iter()
        .map(|cut| cut.index(payload.len() + 1))
        .collect();
    points.sort_unstable();
    let mut fragments = Vec::new();
    let mut start = 0;
    for point in points {
        fragments.push(&payload[start..point]);
        start = point;
    }
    fragments.push(&payload[start..]);
    fragments
}

fn cut_points(cuts: &[Index], len: usize) -> Vec<usize> {
    cuts.iter().map(|cut| cut.index(len + 1)).collect()
}

fn config(role: Role, small_limits: bool) -> Config {
    let base = if role == Role::Server {
        Config::server()
    } else {
        Config::client()
    };
    if small_limits {
        Config {
            max_length: 300,
            max_fragments: 3,
            ..base
        }
    } else {
        base
    }
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Server), Just(Role::Client)]
}

/// Opens the session, or also closes it, so every state gets fuzzed.
fn session_in_state(config: Config, state: u8) -> Session {
    let mut session = Session::new(config);
    if state >= 1 {
        session.open();
    }
    if state >= 2 {
        session.close(1000, b"");
        session.clear_output();
    }
    session
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn valid_streams_cut_anywhere_give_the_sent_messages(
        units in units(),
        base_key in any::<u32>(),
        cuts in prop::collection::vec(any::<Index>(), 0..10),
    ) {
        let expected = Expected::build(&units, base_key);
        let mut session = open_session(Config::server());
        let cuts = cut_points(&cuts, expected.stream.len());
        let (events, output) = feed_in_pieces(&mut session, &expected.stream, &cuts);
        prop_assert_eq!(events, expected.events);
        prop_assert_eq!(output, expected.output);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_cutting_changes_nothing(
        bytes in prop::collection::vec(any::<u8>(), 0..2_000),
        cuts in prop::collection::vec(any::<Index>(), 0..10),
        role in role(),
        small_limits in any::<bool>(),
        state in 0u8..3,
    ) {
        let config = config(role, small_limits);
        let whole = feed_whole(&mut session_in_state(config, state), &bytes);
        let cuts = cut_points(&cuts, bytes.len());
        let pieces = feed_in_pieces(&mut session_in_state(config, state), &bytes, &cuts);
        prop_assert_eq!(&whole.0, &pieces.0);
        if role == Role::Server {
            prop_assert_eq!(whole.1, pieces.1);
        }
    }

    #[test]
    fn corrupted_valid_streams_never_panic_and_cutting_changes_nothing(
        units in units(),
        base_key in any::<u32>(),
        flips in prop::collection::vec((any::<Index>(), any::<u8>()), 1..4),
        cuts in prop::collection::vec(any::<Index>(), 0..10),
        role in role(),
        small_limits in any::<bool>(),
        state in 0u8..3,
    ) {
        let mut stream = Expected::build(&units, base_key).stream;
        for (at, value) in flips {
            let index = at.index(stream.len());
            stream[index] ^= value;
        }
        let config = config(role, small_limits);
        let whole = feed_whole(&mut session_in_state(config, state), &stream);
        let cuts = cut_points(&cuts, stream.len());
        let pieces = feed_in_pieces(&mut session_in_state(config, state), &stream, &cuts);
        prop_assert_eq!(&whole.0, &pieces.0);
        if role == Role::Server {
            prop_assert_eq!(whole.1, pieces.1);
        }
    }

    #[test]
    fn streaming_utf8_agrees_with_std_however_it_is_cut(
        parts in prop::collection::vec(prop_oneof![
            any::<String>().prop_map(String::into_bytes),
            prop::collection::vec(any::<u8>(), 0..4),
        ], 0..6),
        cuts in prop::collection::vec(any::<Index>(), 0..8),
    ) {
        let bytes = parts.concat();
        let mut points = cut_points(&cuts, bytes.len());
        points.push(bytes.len());
        points.sort_unstable();
        let mut validator = Utf8Validator::new();
        let mut start = 0;
        for point in points {
            validator.feed(&bytes[start..point]);
            start = point;
        }
        prop_assert_eq!(validator.finish(), std::str::from_utf8(&bytes).is_ok());
    }
}
