//! `NativeDraftSession`: a hixie-75 or hixie-76 connection (`allowDrafts`),
//! a class of its own so that hybi's `NativeSession` is untouched by it.
//! Drafts are rare and their frames small: one call per event is enough.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::{DRAFT_CLOSE, DRAFT_DONE, DRAFT_MESSAGE, DRAFT_OPEN};
use crate::handshake::headers::HeaderList;
use crate::session::draft::{Draft, DraftEvent, DraftRequest, DraftSession};

/// websocket-driver 0.7.4's choice of driver: `'hixie-75'`, `'hixie-76'`,
/// or null for hybi.
#[napi(catch_unwind)]
pub fn draft_version(
    version: Option<String>,
    key: Option<String>,
    key1: Option<String>,
    key2: Option<String>,
) -> Option<&'static str> {
    Draft::select(
        version.as_deref(),
        key.as_deref(),
        key1.as_deref(),
        key2.as_deref(),
    )
    .map(Draft::name)
}

#[napi]
pub struct NativeDraftSession {
    session: DraftSession,
    user_headers: Vec<(String, String)>,
    /// The last `Message` event's bytes, for `take_message`.
    message: Vec<u8>,
    /// Where the last `receive` stopped in its chunk.
    next_offset: u32,
}

#[napi]
impl NativeDraftSession {
    /// `hixie76` picks the draft; `max_length` 0 means faye's default.
    #[napi(constructor, catch_unwind)]
    pub fn new(hixie76: bool, max_length: f64) -> Self {
        let draft = if hixie76 {
            Draft::Hixie76
        } else {
            Draft::Hixie75
        };
        NativeDraftSession {
            session: DraftSession::new(draft, max_length.max(0.0) as u64),
            user_headers: Vec::new(),
            message: Vec::new(),
            next_offset: 0,
        }
    }

    /// The `headers` option; throws on CR or LF, as hybi's does.
    #[napi(catch_unwind)]
    pub fn set_headers(&mut self, names: Vec<String>, values: Vec<String>) -> Result<()> {
        let mut checked = HeaderList::new();
        for (name, value) in names.iter().zip(&values) {
            checked
                .set(name, value)
                .map_err(|error| Error::from_reason(error.message))?;
        }
        self.user_headers = names.into_iter().zip(values).collect();
        Ok(())
    }

    /// Runs the handshake (the response is in `take_output`); returns the
    /// failure's message, or null.
    // Positional arguments: the JS interface lib/ calls.
    #[allow(clippy::too_many_arguments)]
    #[napi(catch_unwind)]
    pub fn start(
        &mut self,
        method: String,
        connection: Option<String>,
        upgrade: Option<String>,
        origin: Option<String>,
        key1: Option<String>,
        key2: Option<String>,
        url: String,
    ) -> Option<String> {
        let request = DraftRequest {
            method: &method,
            connection: connection.as_deref(),
            upgrade: upgrade.as_deref(),
            origin: origin.as_deref(),
            key1: key1.as_deref(),
            key2: key2.as_deref(),
            url: &url,
        };
        let result = self.session.start(&request, &self.user_headers);
        self.user_headers = Vec::new();
        result.err()
    }

    /// Parses `chunk` from `offset` up to its first event (`DRAFT_*`);
    /// `next_offset` says where to go on.
    #[napi(catch_unwind)]
    pub fn receive(&mut self, chunk: &[u8], offset: u32) -> u32 {
        let start = (offset as usize).min(chunk.len());
        let (event, used) = self.session.receive(&chunk[start..]);
        self.next_offset = (start + used) as u32;
        match event {
            DraftEvent::Done => DRAFT_DONE,
            DraftEvent::Open => DRAFT_OPEN,
            DraftEvent::Message(bytes) => {
                self.message = bytes;
                DRAFT_MESSAGE
            }
            DraftEvent::Close => DRAFT_CLOSE,
        }
    }

    #[napi(getter, catch_unwind)]
    pub fn next_offset(&self) -> u32 {
        self.next_offset
    }

    /// The last message's bytes (JS decodes them as faye does).
    #[napi(catch_unwind)]
    pub fn take_message(&mut self) -> Buffer {
        std::mem::take(&mut self.message).into()
    }

    /// Queues or writes a text frame; false once closed.
    #[napi(catch_unwind)]
    pub fn send_text(&mut self, text: String) -> bool {
        self.session.send_text(text.as_bytes())
    }

    /// The driver's close: false if already closed.
    #[napi(catch_unwind)]
    pub fn close(&mut self) -> bool {
        self.session.close()
    }

    /// The bytes to write, or null.
    #[napi(catch_unwind)]
    pub fn take_output(&mut self) -> Option<Buffer> {
        let output = self.session.take_output();
        (!output.is_empty()).then(|| output.into())
    }

    /// The connection closed: frees the buffers now, as `NativeSession::release` does.
    #[napi(catch_unwind)]
    pub fn release(&mut self) {
        self.session.release();
        self.message = Vec::new();
    }

    #[napi(getter, catch_unwind)]
    pub fn ready_state(&self) -> u32 {
        self.session.ready_state() as u32
    }
}
