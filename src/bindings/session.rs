//! `NativeSession`: one connection's object, and its sending, closing and
//! output methods.

use std::collections::VecDeque;

use napi::bindgen_prelude::*;
use napi::{sys, JsString, JsValue};
use napi_derive::napi;

use super::{MAX_LENGTH_DEFAULT, NOT_SENT};
use crate::deflate::negotiation::{DeflateOptions, Negotiated};
use crate::handshake::client::ClientHandshake;
use crate::handshake::headers::HeaderList;
use crate::session::{Config, Event, Session, TextFill};

/// Owned binary payloads at least this long become external buffers (no
/// copy); shorter ones are copied, which is cheaper than a finalizer.
pub(super) const EXTERNAL_BUFFER_MIN: usize = 64 * 1024;

/// Strings up to this many UTF-16 code units are written into the output
/// directly (which reserves 3 bytes per unit).
const DIRECT_TEXT_MAX_UNITS: usize = 16 * 1024;

#[napi]
pub struct NativeSession {
    pub(super) session: Session,
    /// Events parsed from the current chunk and not yet written to a table.
    /// The buffer is the thread's `PARSED` while a call uses it, and stays
    /// here only while events wait for another call.
    pub(super) events: Vec<Event>,
    /// Offset of `events`' chunk ranges within the chunk JS passed.
    pub(super) events_base: usize,
    /// Where parsing of the current chunk resumes; `None` once it is done.
    pub(super) resume_at: Option<usize>,
    /// Payloads JS takes with `take_text`/`take_buffer`, in event order.
    pub(super) taken: VecDeque<Vec<u8>>,
    /// What only the opening handshake needs, allocated when an option or
    /// the handshake asks for it; dropped once open (a server's in
    /// `start_server`, a client's in `end_handshake`), so an idle
    /// connection carries none of it.
    pub(super) setup: Option<Box<Setup>>,
}

/// Opening-handshake state of a `NativeSession`.
#[derive(Default)]
pub(super) struct Setup {
    /// Headers from the `headers` option, used by the opening handshake.
    pub(super) user_headers: HeaderList,
    /// The same headers as given, for the client's request, where they come
    /// after the driver's own.
    pub(super) user_header_pairs: Vec<(String, String)>,
    /// The client's opening handshake, from `start_client` until
    /// `end_handshake`.
    pub(super) client: Option<ClientHandshake>,
    /// Client: where frames start in the chunk that completed the handshake.
    pub(super) body_offset: u32,
    /// permessage-deflate is registered with these options.
    pub(super) deflate: Option<DeflateOptions>,
    /// What `deflate_server_response` or `activate_deflate` agreed on, for
    /// a handshake negotiated by JS.
    pub(super) agreed_deflate: Option<Negotiated>,
}

#[napi]
impl NativeSession {
    /// `max_length` `MAX_LENGTH_DEFAULT` means faye's default (2^26 − 1).
    #[napi(constructor, catch_unwind)]
    pub fn new(client: bool, max_length: f64) -> Self {
        let mut config = if client {
            Config::client()
        } else {
            Config::server()
        };
        if max_length > f64::from(MAX_LENGTH_DEFAULT) {
            config.max_length = max_length as u64;
        }
        NativeSession {
            session: Session::new(config),
            events: Vec::new(),
            events_base: 0,
            resume_at: None,
            taken: VecDeque::new(),
            setup: None,
        }
    }

    /// Queues a text frame; returns the payload's byte length, or
    /// `NOT_SENT` when the session no longer sends (closing or closed).
    /// `units` is the string's `length` (UTF-16 code units). Short strings
    /// are written as UTF-8 straight into the session's output by one
    /// `napi_get_value_string_utf8`; longer ones (and compressed messages)
    /// go through a Rust `String`.
    #[napi(catch_unwind)]
    pub fn send_text(&mut self, text: JsString, units: u32) -> Result<i32> {
        let value = text.value();
        let units = units as usize;
        if units <= DIRECT_TEXT_MAX_UNITS {
            // A UTF-16 code unit takes at most 3 bytes of UTF-8 (a surrogate
            // pair 4 for 2 units); napi adds a NUL terminator after them.
            let room = units * 3 + 1;
            let filled = self.session.send_text_filled(room, |buf| {
                let mut written = 0usize;
                // SAFETY: `buf` is `room` writable bytes; napi writes at most
                // `room` of them (the text and its NUL) and reports the text's.
                let status = unsafe {
                    sys::napi_get_value_string_utf8(
                        value.env,
                        value.value,
                        buf.as_mut_ptr().cast(),
                        room,
                        &mut written,
                    )
                };
                (status == sys::Status::napi_ok && written < room).then_some(written)
            });
            match filled {
                TextFill::Written(written) => return Ok(accepted_length(true, written)),
                TextFill::NotWritten if !self.session.can_send_messages() => return Ok(NOT_SENT),
                TextFill::NotWritten | TextFill::Compressing => {}
            }
        }
        // SAFETY: the value is a JS string from this call's arguments.
        let text = unsafe { String::from_napi_value(value.env, value.value)? };
        Ok(accepted_length(
            self.session.send_text(text.as_bytes()),
            text.len(),
        ))
    }

    /// As `send_text`, for a binary frame.
    #[napi(catch_unwind)]
    pub fn send_binary(&mut self, data: &[u8]) -> i32 {
        accepted_length(self.session.send_binary(data), data.len())
    }

    /// Queues only the header of a binary frame of `length` bytes (server
    /// side) and returns the output's length after it: JS writes the payload
    /// itself at that point of the output, saving copies of large messages.
    /// Null when the frame cannot be sent that way.
    #[napi(catch_unwind)]
    pub fn begin_binary(&mut self, length: f64) -> Option<u32> {
        self.session
            .begin_binary(length as usize)
            .then(|| self.session.output().len() as u32)
    }

    #[napi(catch_unwind)]
    pub fn ping(&mut self, payload: &[u8]) -> bool {
        self.session.ping(payload)
    }

    /// Starts the closing handshake; false when there was no open connection
    /// to send a close frame on.
    #[napi(catch_unwind)]
    pub fn close(&mut self, code: u32, reason: &[u8]) -> bool {
        self.session.close(code as u16, reason)
    }

    /// How many bytes are queued for the socket.
    /// The connection closed: frees the codec state and every buffer now
    /// (see `Session::release`); the session ignores any later input.
    #[napi(catch_unwind)]
    pub fn release(&mut self) {
        self.session.release();
        self.events = Vec::new();
        self.taken = VecDeque::new();
        self.resume_at = None;
        self.setup = None;
    }

    #[napi(catch_unwind)]
    pub fn output_length(&self) -> u32 {
        self.session.output().len() as u32
    }

    /// Moves what is queued for the socket into `target` (JS allocates it
    /// with `output_length` bytes, from Node's buffer pool when small, which
    /// is far cheaper than a Buffer made here); returns the bytes moved.
    #[napi(catch_unwind)]
    pub fn take_output_into(&mut self, mut target: BufferSlice) -> u32 {
        let target: &mut [u8] = &mut target;
        let output = self.session.output();
        let length = output.len().min(target.len());
        if let (Some(to), Some(from)) = (target.get_mut(..length), output.get(..length)) {
            to.copy_from_slice(from);
        }
        self.session.consume_output(length);
        length as u32
    }
}

impl NativeSession {
    pub(super) fn setup_mut(&mut self) -> &mut Setup {
        self.setup.get_or_insert_with(Box::default)
    }

    pub(super) fn deflate_options(&self) -> Option<&DeflateOptions> {
        self.setup.as_ref()?.deflate.as_ref()
    }

    pub(super) fn client(&self) -> Option<&ClientHandshake> {
        self.setup.as_ref()?.client.as_ref()
    }
}

pub(super) fn accepted_length(accepted: bool, length: usize) -> i32 {
    if accepted {
        length.min(i32::MAX as usize) as i32
    } else {
        NOT_SENT
    }
}
