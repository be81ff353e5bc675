//! permessage-deflate through the session: RSV1 rules, inflating while
//! assembling (fragments, chunk boundaries), the inflated-size limit, corrupt
//! data, and compressed output.

// Test code may unwrap and panic (Cargo.toml denies it in the crate).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{encode, feed_in_pieces, open_session};
use faye_websocket_native::deflate::{Compressor, CompressorSettings, Inflater};
use faye_websocket_native::deflate_negotiation::Negotiated;
use faye_websocket_native::session::{Config, Event, Payload, ReadyState, Session};

const KEY: [u8; 4] = [1, 2, 3, 4];

fn negotiated(takeover: bool, bits: f64) -> Negotiated {
    Negotiated {
        own_context_takeover: takeover,
        own_window_bits: bits,
        peer_context_takeover: takeover,
        peer_window_bits: bits,
    }
}

fn server(takeover: bool, bits: f64, max_length: u64) -> Session {
    let mut config = Config::server();
    config.max_length = max_length;
    let mut session = open_session(config);
    session
        .enable_deflate(&negotiated(takeover, bits), CompressorSettings::default())
        .unwrap();
    session
}

/// The peer's compressor.
fn peer(takeover: bool, bits: u8) -> Compressor {
    Compressor::new(CompressorSettings::default(), bits, takeover).unwrap()
}

fn compressed(peer: &mut Compressor, message: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    peer.compress(message, &mut out).unwrap();
    out
}

fn feed(session: &mut Session, bytes: &[u8]) -> Vec<Event> {
    feed_in_pieces(session, bytes, &[]).0
}

fn text(message: &[u8]) -> Event {
    Event::Text(Payload::Owned(message.to_vec()))
}

fn error(code: u16, message: &str) -> Event {
    Event::Error {
        code,
        message: message.to_owned(),
    }
}

fn sample(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| b"abcdefgh ijklmnop\n"[(i * 7 + i / 13) % 18])
        .collect()
}

#[test]
fn compressed_messages_are_inflated_in_every_combination_and_cut() {
    let messages = [
        sample(10),
        Vec::new(),
        sample(3000),
        sample(3000),
        sample(70_000),
    ];
    for bits in [8u8, 9, 12, 15] {
        for takeover in [false, true] {
            let mut sender = peer(takeover, bits);
            let mut wire = Vec::new();
            for message in &messages {
                wire.extend(encode(0xc1, &compressed(&mut sender, message), Some(KEY)));
            }
            for cuts in [
                vec![],
                vec![1, 2, 3, 50, 51, 2000],
                (0..wire.len()).step_by(997).collect(),
            ] {
                let mut session = server(takeover, f64::from(bits), 1 << 26);
                let (events, _) = feed_in_pieces(&mut session, &wire, &cuts);
                let expected: Vec<Event> = messages.iter().map(|m| text(m)).collect();
                assert_eq!(events, expected, "bits {bits} takeover {takeover}");
            }
        }
    }
}

#[test]
fn fragmented_compressed_messages_carry_rsv1_on_the_first_frame_only() {
    let message = sample(5000);
    let body = compressed(&mut peer(true, 15), &message);
    let (a, rest) = body.split_at(10);
    let (b, c) = rest.split_at(rest.len() / 2);
    let mut wire = encode(0x42, a, Some(KEY)); // binary, RSV1, no FIN
    wire.extend(encode(0x89, b"ping", Some(KEY))); // a ping in between
    wire.extend(encode(0x00, b, Some(KEY)));
    wire.extend(encode(0x80, c, Some(KEY)));
    let mut session = server(true, 15.0, 1 << 26);
    let (events, output) = feed_in_pieces(&mut session, &wire, &[]);
    assert_eq!(events, vec![Event::Binary(Payload::Owned(message))]);
    assert_eq!(output, [0x8a, 4, b'p', b'i', b'n', b'g']);
}

#[test]
fn rsv1_is_refused_on_continuation_and_control_frames_and_without_deflate() {
    let cases: [(Vec<u8>, &str); 3] = [
        (
            [encode(0x01, b"a", Some(KEY)), encode(0xc0, b"b", Some(KEY))].concat(),
            "One or more reserved bits are on: reserved1 = 1, reserved2 = 0, reserved3 = 0",
        ),
        (
            encode(0xc9, b"", Some(KEY)),
            "One or more reserved bits are on: reserved1 = 1, reserved2 = 0, reserved3 = 0",
        ),
        (
            encode(0xe1, b"", Some(KEY)),
            "One or more reserved bits are on: reserved1 = 1, reserved2 = 1, reserved3 = 0",
        ),
    ];
    for (wire, message) in cases {
        let mut session = server(true, 15.0, 1 << 26);
        assert_eq!(feed(&mut session, &wire), vec![error(1002, message)]);
    }
    let mut plain = open_session(Config::server());
    assert_eq!(
        feed(&mut plain, &encode(0xc1, &[0x00], Some(KEY))),
        vec![error(
            1002,
            "One or more reserved bits are on: reserved1 = 1, reserved2 = 0, reserved3 = 0"
        )]
    );
}

#[test]
fn uncompressed_messages_still_pass_on_a_deflate_connection() {
    let mut session = server(true, 15.0, 1 << 26);
    assert_eq!(
        feed(&mut session, &encode(0x81, b"plain", Some(KEY))),
        vec![text(b"plain")]
    );
}

#[test]
fn the_inflated_size_limit_is_exact_and_enforced_while_inflating() {
    let message = sample(100_000);
    let body = compressed(&mut peer(false, 15), &message);
    let wire = encode(0xc2, &body, Some(KEY));
    let mut at_limit = server(false, 15.0, 100_000);
    assert_eq!(
        feed(&mut at_limit, &wire),
        vec![Event::Binary(Payload::Owned(message))]
    );
    let mut over = server(false, 15.0, 99_999);
    let (events, output) = feed_in_pieces(&mut over, &wire, &[]);
    assert_eq!(
        events,
        vec![error(1009, "WebSocket frame length too large")]
    );
    assert_eq!(over.ready_state(), ReadyState::Closed);
    assert_eq!(&output[..4], [0x88, 0x22, 0x03, 0xf1]);
    assert!(!over.holds_inflate_stream());
}

#[test]
fn a_zip_bomb_fails_at_the_limit() {
    // 64 MiB of zeros in 64 KiB of compressed data, in 100-byte fragments.
    let zeros = vec![0u8; 64 << 20];
    let body = compressed(&mut peer(false, 15), &zeros);
    drop(zeros);
    assert!(body.len() < 100_000, "{}", body.len());
    let mut wire = Vec::new();
    let pieces: Vec<&[u8]> = body.chunks(100).collect();
    for (index, piece) in pieces.iter().enumerate() {
        let first = index == 0;
        let last = index == pieces.len() - 1;
        let byte = (if last { 0x80 } else { 0 }) | (if first { 0x42 } else { 0x00 });
        wire.extend(encode(byte, piece, Some(KEY)));
    }
    let mut session = server(false, 15.0, 1 << 20);
    assert_eq!(
        feed(&mut session, &wire),
        vec![error(1009, "WebSocket frame length too large")]
    );
}

#[test]
fn corrupt_data_fails_with_1010_and_zlibs_message() {
    let mut session = server(true, 15.0, 1 << 26);
    let (events, output) = feed_in_pieces(
        &mut session,
        &encode(0xc1, &[0xff, 0xff, 0xff], Some(KEY)),
        &[],
    );
    assert_eq!(
        events,
        vec![error(1010, "permessage-deflate: invalid block type")]
    );
    let close = [
        &b"\x88\x28\x03\xf2"[..],
        b"permessage-deflate: invalid block type",
    ]
    .concat();
    assert_eq!(output, close);
    assert!(!session.holds_inflate_stream());
}

#[test]
fn invalid_utf8_after_inflating_is_1007() {
    let body = compressed(&mut peer(true, 15), &[0x61, 0xff, 0x62]);
    let mut session = server(true, 15.0, 1 << 26);
    assert_eq!(
        feed(&mut session, &encode(0xc1, &body, Some(KEY))),
        vec![error(1007, "Could not decode a text frame as UTF-8")]
    );
}

#[test]
fn outgoing_messages_are_compressed_with_rsv1_and_control_frames_are_not() {
    for takeover in [false, true] {
        let mut session = server(takeover, 10.0, 1 << 26);
        let mut inflater = Inflater::new(10, takeover);
        for message in [&b"hello"[..], b"hello", b"", &sample(200_000)] {
            session.send_text(message);
            let output = session.output().to_vec();
            session.clear_output();
            assert_eq!(output[0], 0xc1);
            let (header_len, len) = match output[1] {
                126 => (4, u16::from_be_bytes([output[2], output[3]]) as usize),
                127 => (
                    10,
                    u64::from_be_bytes(output[2..10].try_into().unwrap()) as usize,
                ),
                len => (2, len as usize),
            };
            assert_eq!(output.len(), header_len + len);
            let mut inflated = Vec::new();
            inflater
                .inflate_message(&output[header_len..], &mut inflated, usize::MAX)
                .unwrap();
            assert_eq!(inflated, message);
        }
        session.ping(b"p");
        assert_eq!(session.output(), [0x89, 1, b'p']);
        session.clear_output();
        assert!(
            !session.begin_binary(100_000),
            "large binaries are compressed too"
        );
        session.close(1000, b"bye");
        assert_eq!(session.output()[0], 0x88);
    }
}

#[test]
fn a_message_whose_compression_failed_goes_out_uncompressed() {
    let mut session = server(true, 15.0, 1 << 26);
    assert!(session.send_uncompressed(faye_websocket_native::frame::OpCode::Text, b"hi"));
    assert_eq!(session.output(), [0x81, 2, b'h', b'i']);
}
