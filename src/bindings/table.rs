//! Receiving, the hot path: one `receive` call per socket chunk. It unmasks
//! the chunk in place and describes every event it held in a `Uint32Array`
//! table shared with `lib/connection.js` (layout: the `TABLE_*` and
//! `EVENT_*` constants), so a chunk of small messages costs one native call
//! instead of one per message; JS then makes each message from the chunk
//! itself (`toString`/`subarray`). Payloads that are not in the chunk (they
//! spanned chunks or fragments) are handed over one by one with
//! `take_text`/`take_buffer`, in event order.

use std::cell::Cell;
use std::collections::VecDeque;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::session::{NativeSession, EXTERNAL_BUFFER_MIN};
use super::{
    CHUNK_DONE, CHUNK_PAUSED, CHUNK_YIELD, EVENT_BINARY, EVENT_CLOSE, EVENT_ERROR, EVENT_PONG,
    EVENT_RAW, EVENT_SHUTDOWN, EVENT_SLOTS, EVENT_TEXT, PAYLOAD_IN_CHUNK, PAYLOAD_TAKEN,
    RAW_BINARY, SHUTDOWN_ERROR, SHUTDOWN_SEND_FRAME, TABLE_HEADER,
};
use crate::session::{Event, Payload};

thread_local! {
    /// The event buffer `receive` parses into, shared by the thread's
    /// sessions (a call never runs JS, so one at a time uses it): an idle
    /// connection keeps no buffer of its own.
    static PARSED: Cell<Vec<Event>> = const { Cell::new(Vec::new()) };
}

#[napi]
impl NativeSession {
    /// Parses `chunk` from `offset` (unmasking it in place) and writes the
    /// events to `table`. JS dispatches them and calls again with the offset
    /// from the table header until the header says the chunk is done: parsing
    /// pauses before a frame that makes the session write (a pong, a close
    /// echo, a failure's close frame), so that replies leave after whatever the
    /// handlers of earlier messages sent, in the order faye writes them.
    #[napi(catch_unwind)]
    pub fn receive(
        &mut self,
        mut chunk: BufferSlice,
        offset: u32,
        mut table: Uint32ArraySlice,
    ) -> u32 {
        // SAFETY: JS runs on this thread only and is suspended during this
        // call, so nothing else reads or writes the table meanwhile.
        let table = unsafe { table.as_mut() };
        #[cfg(feature = "test-hooks")]
        super::test_hooks::panic_if_armed(super::test_hooks::PANIC_IN_RECEIVE);
        let chunk: &mut [u8] = &mut chunk;
        if self.events.is_empty() {
            let start = (offset as usize).min(chunk.len());
            self.events_base = start;
            self.events = PARSED.take();
            self.resume_at = self
                .session
                .receive(&mut chunk[start..], &mut self.events)
                .map(|consumed| start + consumed);
        }
        let count = self.write_events(table);
        if self.events.is_empty() {
            PARSED.set(std::mem::take(&mut self.events));
        }
        let done = self.events.is_empty() && self.resume_at.is_none();
        // 2: go on from the offset on a later turn of the event loop.
        let yielded = self.events.is_empty() && self.resume_at.is_some() && self.session.yielded();
        let header = [
            count,
            self.resume_at.unwrap_or(chunk.len()) as u32,
            if done {
                CHUNK_DONE
            } else if yielded {
                CHUNK_YIELD
            } else {
                CHUNK_PAUSED
            },
            !self.session.output().is_empty() as u32,
        ];
        if let Some(slots) = table.get_mut(..TABLE_HEADER as usize) {
            slots.copy_from_slice(&header);
        }
        count
    }

    /// The next taken payload (text message, close reason or error message).
    #[napi(catch_unwind)]
    pub fn take_text(&mut self) -> String {
        let bytes = self.next_taken();
        // Text payloads were validated by the receiver, reasons and messages
        // are Rust strings; the lossy path only guards the invariant.
        match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
        }
    }

    /// The next taken payload as a Buffer (binary message or pong payload).
    #[napi(catch_unwind)]
    pub fn take_buffer(&mut self, env: Env) -> Result<Buffer> {
        let bytes = self.next_taken();
        if bytes.len() >= EXTERNAL_BUFFER_MIN {
            Ok(bytes.into())
        } else {
            BufferSlice::copy_from(&env, &bytes)?.into_buffer(&env)
        }
    }
}

impl NativeSession {
    /// The queue's buffer is freed once it is empty: a connection that
    /// once received a message spanning chunks does not keep it while idle.
    fn next_taken(&mut self) -> Vec<u8> {
        let bytes = self.taken.pop_front().unwrap_or_default();
        if self.taken.is_empty() {
            self.taken = VecDeque::new();
        }
        bytes
    }

    /// Writes as many pending events as `table` holds; returns how many.
    fn write_events(&mut self, table: &mut [u32]) -> u32 {
        let header = TABLE_HEADER as usize;
        let capacity = table.len().saturating_sub(header) / EVENT_SLOTS as usize;
        let count = capacity.min(self.events.len());
        let base = self.events_base as u32;
        let Some(event_slots) = table.get_mut(header..) else {
            return 0;
        };
        let slots = event_slots.chunks_exact_mut(EVENT_SLOTS as usize);
        for (event, slot) in self.events.drain(..count).zip(slots) {
            let entry = match event {
                Event::Text(payload) => payload_entry(EVENT_TEXT, payload, base, &mut self.taken),
                Event::Binary(payload) => {
                    payload_entry(EVENT_BINARY, payload, base, &mut self.taken)
                }
                Event::Pong(payload) => payload_entry(EVENT_PONG, payload, base, &mut self.taken),
                Event::Close { code, reason } => {
                    self.taken.push_back(reason.into_bytes());
                    [EVENT_CLOSE, code as u32, 0, 0]
                }
                Event::Error { code, message } => {
                    self.taken.push_back(message.into_bytes());
                    [EVENT_ERROR, code as u32, 0, 0]
                }
                Event::Raw {
                    binary,
                    rsv,
                    payload,
                } => {
                    let [_, taken, start, end] =
                        payload_entry(EVENT_RAW, payload, base, &mut self.taken);
                    let flags = taken | (u32::from(binary) * RAW_BINARY) | u32::from(rsv);
                    [EVENT_RAW, flags, start, end]
                }
                Event::Shutdown {
                    code,
                    text,
                    error,
                    send_frame,
                } => {
                    self.taken.push_back(text.into_bytes());
                    let flags = (u32::from(error) * SHUTDOWN_ERROR)
                        | (u32::from(send_frame) * SHUTDOWN_SEND_FRAME);
                    [EVENT_SHUTDOWN, code as u32, flags, 0]
                }
            };
            slot.copy_from_slice(&entry);
        }
        count as u32
    }
}

fn payload_entry(
    kind: u32,
    payload: Payload,
    base: u32,
    taken: &mut VecDeque<Vec<u8>>,
) -> [u32; 4] {
    match payload {
        Payload::Chunk(range) => [
            kind,
            PAYLOAD_IN_CHUNK,
            base + range.start as u32,
            base + range.end as u32,
        ],
        Payload::Owned(bytes) => {
            taken.push_back(bytes);
            [kind, PAYLOAD_TAKEN, 0, 0]
        }
    }
}
