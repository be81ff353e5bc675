//! The same stream fed whole and one byte at a time gives the same events
//! and the same output (Autobahn's "TCP clean").

// Test code may unwrap and panic (Cargo.toml denies it in the crate).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{encode, feed_byte_at_a_time, feed_whole, open_session};
use faye_websocket_native::session::{Config, Event, Payload, ReadyState};

const KEY: [u8; 4] = [0xde, 0xad, 0xbe, 0xef];

fn client_frame(first: u8, payload: &[u8]) -> Vec<u8> {
    encode(first, payload, Some(KEY))
}

/// Every kind of frame, every length form, fragments with control frames
/// between them, and a close at the end.
fn varied_stream() -> Vec<u8> {
    let large: Vec<u8> = (0..70_000u32).map(|i| (i * 7) as u8).collect();
    [
        client_frame(0x81, b""),
        client_frame(0x81, "héllo wörld".as_bytes()),
        client_frame(0x82, &large[..125]),
        client_frame(0x82, &large[..126]),
        client_frame(0x82, &large[..65_535]),
        client_frame(0x82, &large),
        client_frame(0x01, "κό".as_bytes()),
        client_frame(0x89, b"ping in the middle"),
        client_frame(0x00, &"σμε".as_bytes()[..3]),
        client_frame(0x8a, b"pong in the middle"),
        client_frame(0x00, b""),
        client_frame(0x80, &"σμε".as_bytes()[3..]),
        client_frame(0x02, &large[..1000]),
        client_frame(0x80, &large[1000..3000]),
        client_frame(0x89, b""),
        client_frame(0x88, b"\x03\xe8done"),
        client_frame(0x81, b"after close: ignored"),
    ]
    .concat()
}

#[test]
fn byte_at_a_time_equals_whole() {
    let stream = varied_stream();
    let whole = feed_whole(&mut open_session(Config::server()), &stream);
    let bytewise = feed_byte_at_a_time(&mut open_session(Config::server()), &stream);
    assert_eq!(whole, bytewise);

    let (events, _) = whole;
    assert_eq!(events.len(), 10);
    assert_eq!(
        events[1],
        Event::Text(Payload::Owned("héllo wörld".as_bytes().to_vec()))
    );
    assert_eq!(
        events[6],
        Event::Pong(Payload::Owned(b"pong in the middle".to_vec()))
    );
    assert_eq!(
        events[7],
        Event::Text(Payload::Owned("κόσμε".as_bytes().to_vec()))
    );
    assert_eq!(
        events[9],
        Event::Close {
            code: 1000,
            reason: "done".to_owned()
        }
    );
}

#[test]
fn byte_at_a_time_equals_whole_for_failures() {
    let failures: [Vec<u8>; 6] = [
        [client_frame(0x81, b"ok"), vec![0xc1, 0x80]].concat(),
        [client_frame(0x01, b"a"), client_frame(0x80, &[0xff])].concat(),
        vec![0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0],
        client_frame(0x80, b"stray continuation"),
        vec![0x81, 0x05, b'h', b'e', b'l', b'l', b'o'],
        [client_frame(0x01, b"a"), client_frame(0x81, b"b")].concat(),
    ];
    for stream in failures {
        let whole = feed_whole(&mut open_session(Config::server()), &stream);
        let mut session = open_session(Config::server());
        let bytewise = feed_byte_at_a_time(&mut session, &stream);
        assert_eq!(whole, bytewise, "{stream:x?}");
        assert!(
            matches!(whole.0.last(), Some(Event::Error { .. })),
            "{whole:?}"
        );
        assert_eq!(session.ready_state(), ReadyState::Closed);
    }
}

#[test]
fn client_byte_at_a_time_equals_whole() {
    let stream = [
        encode(0x81, b"from server", None),
        encode(0x82, &[9; 300], None),
        encode(0x89, b"p", None),
        encode(0x88, b"\x03\xe9bye", None),
    ]
    .concat();
    // Client output is masked with random keys, so compare events only.
    let whole = feed_whole(&mut open_session(Config::client()), &stream);
    let bytewise = feed_byte_at_a_time(&mut open_session(Config::client()), &stream);
    assert_eq!(whole.0, bytewise.0);
    assert_eq!(
        whole.0.last(),
        Some(&Event::Close {
            code: 1001,
            reason: "bye".to_owned()
        })
    );
}
