//! Helpers shared by the integration tests: a frame encoder that masks as a
//! client would, and feeding a session with events copied out of the chunk.

#![allow(dead_code)] // each test binary uses its own subset

use faye_websocket_native::mask::apply_mask;
use faye_websocket_native::session::{Config, Event, Payload, Session};

/// One frame with the given first byte (FIN, RSV, opcode), masked with `key`.
pub fn encode(first: u8, payload: &[u8], key: Option<[u8; 4]>) -> Vec<u8> {
    let mask_bit = if key.is_some() { 0x80 } else { 0 };
    let mut out = vec![first];
    match payload.len() {
        len @ 0..=125 => out.push(mask_bit | len as u8),
        len @ 126..=0xffff => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    let mut body = payload.to_vec();
    if let Some(key) = key {
        out.extend_from_slice(&key);
        apply_mask(&mut body, key, 0);
    }
    out.extend_from_slice(&body);
    out
}

pub fn open_session(config: Config) -> Session {
    let mut session = Session::new(config);
    session.open();
    session
}

/// The event with any chunk range resolved to owned bytes.
pub fn owned(event: Event, chunk: &[u8]) -> Event {
    let copy = |payload: Payload| Payload::Owned(payload.bytes(chunk).to_vec());
    match event {
        Event::Text(payload) => Event::Text(copy(payload)),
        Event::Binary(payload) => Event::Binary(copy(payload)),
        Event::Pong(payload) => Event::Pong(copy(payload)),
        other => other,
    }
}

/// Feeds `bytes` cut at `cuts` (sorted or not, out of range ignored) and
/// returns all events plus everything written to the output.
pub fn feed_in_pieces(
    session: &mut Session,
    bytes: &[u8],
    cuts: &[usize],
) -> (Vec<Event>, Vec<u8>) {
    let mut cuts: Vec<usize> = cuts
        .iter()
        .copied()
        .filter(|&cut| cut <= bytes.len())
        .collect();
    cuts.push(bytes.len());
    cuts.sort_unstable();
    let mut events = Vec::new();
    let mut output = Vec::new();
    let mut start = 0;
    let mut batch = Vec::new();
    for cut in cuts {
        let mut chunk = bytes[start..cut].to_vec();
        let mut offset = 0;
        loop {
            let paused = session.receive(&mut chunk[offset..], &mut batch);
            events.extend(batch.drain(..).map(|event| owned(event, &chunk[offset..])));
            output.extend_from_slice(session.output());
            session.clear_output();
            match paused {
                Some(consumed) => offset += consumed,
                None => break,
            }
        }
        start = cut;
    }
    (events, output)
}

pub fn feed_whole(session: &mut Session, bytes: &[u8]) -> (Vec<Event>, Vec<u8>) {
    feed_in_pieces(session, bytes, &[])
}

pub fn feed_byte_at_a_time(session: &mut Session, bytes: &[u8]) -> (Vec<Event>, Vec<u8>) {
    let cuts: Vec<usize> = (1..bytes.len()).collect();
    feed_in_pieces(session, bytes, &cuts)
}
