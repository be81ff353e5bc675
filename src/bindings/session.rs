//! The napi bindings: the only module that knows about JavaScript.
//!
//! One `NativeSession` per connection. The hot path is `receive`: one call per
//! socket chunk. It unmasks the chunk in place and describes every event it
//! held in a `Uint32Array` table shared with `lib/connection.js`, so a chunk of
//! small messages costs one native call instead of one per message; JS then
//! makes each message from the chunk itself (`toString`/`subarray`). Payloads
//! that are not in the chunk (they spanned chunks or fragments) are handed over
//! one by one with `take_text`/`take_buffer`, in event order.

// Under `cargo test` the napi macros register nothing, so exported free
// functions look unused.
#![cfg_attr(test, allow(dead_code))]

use std::cell::Cell;
use std::collections::VecDeque;

use crate::deflate::codec::Compressor;
use crate::protocol::frame::OpCode;

use napi::bindgen_prelude::*;
use napi::{sys, JsString, JsValue};
use napi_derive::napi;

use crate::deflate::codec::CompressorSettings;
use crate::deflate::negotiation::DeflateOptions;
use crate::handshake::client::{ClientHandshake, HandshakeProgress, Offer, Target};
use crate::handshake::headers::HeaderList;
use crate::handshake::proxy::{ConnectProgress, ProxyConnect};
use crate::handshake::server::{self as handshake, ServerRequest};
use crate::session::{Config, Event, Payload, Session};

/// Table layout: a header of `TABLE_HEADER` slots
/// `[event count, next chunk offset, chunk done (0/1, or 2: go on from the
/// offset on a later turn of the event loop), output pending (0/1)]`,
/// then `EVENT_SLOTS` slots per event: `[kind, a, b, c]`.
#[napi]
pub const TABLE_HEADER: u32 = 4;
#[napi]
pub const EVENT_SLOTS: u32 = 4;

/// Message and pong events: `a` is `PAYLOAD_IN_CHUNK` (then `b..c` is the
/// payload's range in the chunk) or `PAYLOAD_TAKEN` (call `take_text` or
/// `take_buffer`).
#[napi]
pub const EVENT_TEXT: u32 = 1;
#[napi]
pub const EVENT_BINARY: u32 = 2;
#[napi]
pub const EVENT_PONG: u32 = 3;
/// The peer closed: `a` is the code; the reason comes from `take_text`.
#[napi]
pub const EVENT_CLOSE: u32 = 4;
/// A protocol failure: `a` is the close code; the message comes from `take_text`.
#[napi]
pub const EVENT_ERROR: u32 = 5;

/// With JS extensions, a whole message for the pipeline: `a` has bit 0 set
/// when the payload is taken (else `b..c` is its range in the chunk), bit 1
/// for binary, and the RSV bits in their frame-byte places (0x40, 0x20, 0x10).
#[napi]
pub const EVENT_RAW: u32 = 6;
/// With JS extensions, the peer's close or a failure, nothing written yet:
/// `a` is the code, `b` has bit 0 for a failure and bit 1 when a close frame
/// is due once the pipeline has drained; the reason or message comes from
/// `take_text`.
#[napi]
pub const EVENT_SHUTDOWN: u32 = 7;

#[napi]
pub const PAYLOAD_IN_CHUNK: u32 = 0;
#[napi]
pub const PAYLOAD_TAKEN: u32 = 1;

thread_local! {
    /// The event buffer `receive` parses into, shared by the thread's
    /// sessions (a call never runs JS, so one at a time uses it): an idle
    /// connection keeps no buffer of its own.
    static PARSED: Cell<Vec<Event>> = const { Cell::new(Vec::new()) };
}

/// Owned binary payloads at least this long become external buffers (no
/// copy); shorter ones are copied, which is cheaper than a finalizer.
const EXTERNAL_BUFFER_MIN: usize = 64 * 1024;

/// Strings up to this many UTF-16 code units are written into the output
/// directly (which reserves 3 bytes per unit).
const DIRECT_TEXT_MAX_UNITS: usize = 16 * 1024;

#[napi]
pub struct NativeSession {
    session: Session,
    /// Events parsed from the current chunk and not yet written to a table.
    /// The buffer is the thread's `PARSED` while a call uses it, and stays
    /// here only while events wait for another call.
    events: Vec<Event>,
    /// Offset of `events`' chunk ranges within the chunk JS passed.
    events_base: usize,
    /// Where parsing of the current chunk resumes; `None` once it is done.
    resume_at: Option<usize>,
    /// Payloads JS takes with `take_text`/`take_buffer`, in event order.
    taken: VecDeque<Vec<u8>>,
    /// What only the opening handshake needs, allocated when an option or
    /// the handshake asks for it; dropped once open (a server's in
    /// `start_server`, a client's in `end_handshake`), so an idle
    /// connection carries none of it.
    setup: Option<Box<Setup>>,
    pipeline_error: Option<String>,
}

/// Opening-handshake state of a `NativeSession`.
#[derive(Default)]
struct Setup {
    /// Headers from the `headers` option, used by the opening handshake.
    user_headers: HeaderList,
    /// The same headers as given, for the client's request, where they come
    /// after the driver's own.
    user_header_pairs: Vec<(String, String)>,
    handshake_error: Option<String>,
    /// The client's opening handshake, from `start_client` until
    /// `end_handshake`.
    client: Option<ClientHandshake>,
    /// Client: where frames start in the chunk that completed the handshake.
    body_offset: u32,
    /// permessage-deflate is registered with these options.
    deflate: Option<DeflateOptions>,
    /// What `deflate_server_response` or `activate_deflate` agreed on, for
    /// a handshake negotiated by JS.
    agreed_deflate: Option<crate::deflate::negotiation::Negotiated>,
}

#[napi]
impl NativeSession {
    /// `max_length` 0 means faye's default (2^26 − 1).
    #[napi(constructor, catch_unwind)]
    pub fn new(client: bool, max_length: f64) -> Self {
        let mut config = if client {
            Config::client()
        } else {
            Config::server()
        };
        if max_length > 0.0 {
            config.max_length = max_length as u64;
        }
        NativeSession {
            session: Session::new(config),
            events: Vec::new(),
            events_base: 0,
            resume_at: None,
            taken: VecDeque::new(),
            setup: None,
            pipeline_error: None,
        }
    }

    /// With JS extensions (websocket-extensions' framework): hands messages
    /// to the JS pipeline from now on. `allowed_rsv` is the RSV bits of the
    /// active extensions, in frame-byte places.
    #[napi(catch_unwind)]
    pub fn enable_pipeline(&mut self, allowed_rsv: u32) {
        self.session.enable_pipeline(allowed_rsv as u8);
    }

    /// Server, JS negotiation: permessage-deflate's response to the offers
    /// in this header (its entries for permessage-deflate), or null when it
    /// accepts none. Its parameters are used if `start_server` is then
    /// given a response that includes it (`use_deflate`).
    #[napi(catch_unwind)]
    pub fn deflate_server_response(&mut self, header: String) -> Option<String> {
        use crate::deflate::negotiation::{self as negotiation, NAME};
        use crate::handshake::extension_header::{self, ParamValue};
        let setup = self.setup.as_deref_mut()?;
        let options = setup.deflate.as_ref()?;
        let offers = extension_header::parse(&header).ok()?;
        let mine: Vec<&[(String, ParamValue)]> = offers
            .iter()
            .filter(|offer| offer.name == NAME)
            .map(|offer| offer.params.as_slice())
            .collect();
        let (params, negotiated) = negotiation::server_response(options, &mine)?;
        setup.agreed_deflate = Some(negotiated);
        Some(extension_header::serialize(NAME, &params))
    }

    /// Client, JS negotiation: permessage-deflate's offer, or its error.
    #[napi(catch_unwind)]
    pub fn deflate_client_offer(&self) -> Result<Option<String>> {
        let Some(options) = self.deflate_options() else {
            return Ok(None);
        };
        crate::deflate::negotiation::client_offer_header(options)
            .map(Some)
            .map_err(Error::from_reason)
    }

    /// Client, JS negotiation: permessage-deflate's `activate` for its
    /// entry of the response (`name; params` as one header value).
    #[napi(catch_unwind)]
    pub fn activate_deflate(&mut self, entry: String) -> bool {
        let Some(options) = self.setup.as_ref().and_then(|setup| setup.deflate.as_ref()) else {
            return false;
        };
        let Ok(offers) = crate::handshake::extension_header::parse(&entry) else {
            return false;
        };
        let Some(offer) = offers.first() else {
            return false;
        };
        match crate::deflate::negotiation::client_activate(options, &offer.params) {
            Some(negotiated) => {
                let _ = self.session.enable_deflate(&negotiated, options.settings);
                true
            }
            None => false,
        }
    }

    /// Client, JS negotiation: the extension response was refused; what
    /// was queued is discarded and `handshake_error` holds the message.
    #[napi(catch_unwind)]
    pub fn fail_handshake(&mut self, message: String) {
        self.session.shutdown();
        self.session.clear_output();
        self.setup_mut().handshake_error = Some(message);
    }

    /// A message frame as the JS pipeline left it (opcode 1 or 2, RSV bits
    /// in frame-byte places). Written whatever the state.
    #[napi(catch_unwind)]
    pub fn send_frame(&mut self, opcode: u32, rsv: u32, data: &[u8]) {
        let opcode = if opcode == 1 {
            OpCode::Text
        } else {
            OpCode::Binary
        };
        self.session.send_frame(opcode, rsv as u8, data);
    }

    /// A close frame, whatever the state (the JS pipeline has drained).
    #[napi(catch_unwind)]
    pub fn write_close(&mut self, code: u32, reason: &[u8]) {
        self.session.write_close(code as u16, reason);
    }

    /// `close()` with JS extensions: true when open (now closing, the close
    /// frame to be written once the pipeline drains).
    #[napi(catch_unwind)]
    pub fn begin_closing(&mut self) -> bool {
        self.session.begin_closing()
    }

    /// websocket-driver's `_fail` for a failure the JS pipeline found:
    /// −1 ignored (already closing), 1 a close frame is due, 0 none.
    #[napi(catch_unwind)]
    pub fn shutdown(&mut self) -> i32 {
        match self.session.shutdown() {
            None => -1,
            Some(send_frame) => i32::from(send_frame),
        }
    }

    /// permessage-deflate as a stage of the JS pipeline: compresses one
    /// message (no tail). Null on failure, with `pipeline_error` set (an
    /// error thrown from a `&mut self` method would leave the object
    /// borrowed in napi-rs 3.16).
    #[napi(catch_unwind)]
    pub fn pipeline_deflate(&mut self, data: &[u8]) -> Option<Buffer> {
        let mut out = Vec::new();
        let result = self.session.pipeline_compress(data, &mut out);
        self.pipeline_output(result, out)
    }

    /// permessage-deflate as a stage of the JS pipeline: inflates one
    /// message, stopping one byte past maxLength. Null for corrupt data,
    /// with zlib's message in `pipeline_error`.
    #[napi(catch_unwind)]
    pub fn pipeline_inflate(&mut self, data: &[u8]) -> Option<Buffer> {
        let mut out = Vec::new();
        let result = self.session.pipeline_inflate(data, &mut out);
        self.pipeline_output(result, out)
    }

    /// Why the last `pipeline_deflate`, `pipeline_inflate` or
    /// `restore_compressor` returned null.
    #[napi(getter, catch_unwind)]
    pub fn pipeline_error(&self) -> Option<String> {
        self.pipeline_error.clone()
    }

    /// Prepares one message for compression on libuv's thread pool
    /// (`CompressJob.run`). The compressor goes with it (context takeover
    /// stays in order): until the result is given back (`send_compressed`
    /// or `restore_compressor`), nothing else may be compressed, and JS
    /// queues what follows. Null when there is no compressor here.
    ///
    /// The task is not returned from here: napi-rs keeps `&mut self`
    /// borrowed while a task returned by a method is pending.
    #[napi(catch_unwind)]
    pub fn compress_job(&mut self, data: Buffer) -> Option<CompressJob> {
        let compressor = self.session.take_compressor()?;
        Some(CompressJob {
            task: Some(CompressTask {
                compressor: Some(compressor),
                input: data,
            }),
        })
    }

    /// Frames a message compressed by `compress_async` (RSV1 set) and takes
    /// its compressor back. False when the session no longer sends.
    #[napi(catch_unwind)]
    pub fn send_compressed(&mut self, result: &mut CompressedMessage, binary: bool) -> bool {
        if let Some(compressor) = result.compressor.take() {
            self.session.restore_compressor(compressor);
        }
        let data = std::mem::take(&mut result.data);
        let opcode = if binary { OpCode::Binary } else { OpCode::Text };
        match result.error.take() {
            // As when compressing inline: only an allocation failure inside
            // zlib gets here, and the message goes uncompressed rather than
            // being lost.
            Some(_) => self.session.send_uncompressed(opcode, &data),
            None => self.session.send_compressed(opcode, &data),
        }
    }

    /// Takes the compressor back from a `compress_async` result and returns
    /// the compressed bytes (the JS pipeline's permessage-deflate stage).
    #[napi(catch_unwind)]
    pub fn restore_compressor(&mut self, result: &mut CompressedMessage) -> Option<Buffer> {
        if let Some(compressor) = result.compressor.take() {
            self.session.restore_compressor(compressor);
        }
        let data = std::mem::take(&mut result.data);
        self.pipeline_output(result.error.take().map_or(Ok(()), Err), data)
    }

    /// Registers permessage-deflate (its `configure` options) for the
    /// handshake. Undefined options are null; `level`, `memLevel` and
    /// `strategy` are checked here, with Node zlib's messages.
    #[allow(clippy::too_many_arguments)]
    #[napi(catch_unwind)]
    pub fn set_deflate(
        &mut self,
        level: Option<f64>,
        mem_level: Option<f64>,
        strategy: Option<f64>,
        no_context_takeover: bool,
        max_window_bits: Option<f64>,
        request_no_context_takeover: bool,
        request_max_window_bits: Option<f64>,
    ) -> Result<()> {
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
        settings.validate().map_err(Error::from_reason)?;
        self.setup_mut().deflate = Some(DeflateOptions {
            settings,
            no_context_takeover,
            max_window_bits,
            request_no_context_takeover,
            request_max_window_bits,
        });
        Ok(())
    }

    /// Whether permessage-deflate was negotiated in the handshake.
    #[napi(getter, catch_unwind)]
    pub fn deflate_enabled(&self) -> bool {
        self.session.deflate_enabled()
    }

    /// The `headers` option, for the opening handshake; throws on CR or LF.
    #[napi(catch_unwind)]
    pub fn set_headers(&mut self, names: Vec<String>, values: Vec<String>) -> Result<()> {
        let headers = header_list(&names, &values)?;
        let setup = self.setup_mut();
        setup.user_headers = headers;
        setup.user_header_pairs = names.into_iter().zip(values).collect();
        Ok(())
    }

    #[napi(getter, catch_unwind)]
    pub fn ready_state(&self) -> u32 {
        self.session.ready_state() as u32
    }

    /// Runs the server handshake and returns the bytes to write: the 101
    /// response followed by every frame queued before open, or faye's 400
    /// response (then `handshake_error` holds the message).
    #[allow(clippy::too_many_arguments)]
    #[napi(catch_unwind)]
    pub fn start_server(
        &mut self,
        method: String,
        connection: Option<String>,
        upgrade: Option<String>,
        version: Option<String>,
        key: Option<String>,
        extensions: Option<String>,
        protocol: Option<String>,
        js_negotiation: Option<JsNegotiation>,
        env: Env,
    ) -> Result<Buffer> {
        let request = ServerRequest {
            method: &method,
            connection: connection.as_deref(),
            upgrade: upgrade.as_deref(),
            version: version.as_deref(),
            key: key.as_deref(),
            extensions: extensions.as_deref(),
        };
        // The setup is not needed after this call, unless it fails.
        let setup = self.setup.take().map(|setup| *setup).unwrap_or_default();
        let deflate = setup.deflate.as_ref();
        let result = match &js_negotiation {
            None => handshake::server_response_with_deflate(
                &request,
                protocol.as_deref(),
                setup.user_headers,
                deflate,
            ),
            Some(js) => handshake::server_response_with_extensions(
                &request,
                protocol.as_deref(),
                setup.user_headers,
                js.error.as_deref().map_or(Ok(js.response.as_deref()), Err),
            )
            .map(|response| {
                (
                    response,
                    if js.use_deflate {
                        setup.agreed_deflate
                    } else {
                        None
                    },
                )
            }),
        };
        let response = match result {
            Ok((mut response, negotiated)) => {
                if let (Some(negotiated), Some(options)) = (negotiated, deflate) {
                    // The settings were checked by `set_deflate`.
                    let _ = self.session.enable_deflate(&negotiated, options.settings);
                }
                if let Some(js) = &js_negotiation {
                    self.session.enable_pipeline(js.allowed_rsv as u8);
                }
                self.session.open();
                response.extend_from_slice(self.session.output());
                self.session.clear_output();
                response
            }
            Err(error) => {
                // Closing a connecting session discards what was queued.
                self.session.close(1002, b"");
                let response = handshake::bad_request(&error.message);
                self.setup_mut().handshake_error = Some(error.message);
                response
            }
        };
        // A copy into V8's memory: cheaper than an external buffer, whose
        // finalizer V8 must run after a GC.
        BufferSlice::copy_from(&env, &response)?.into_buffer(&env)
    }

    #[napi(getter, catch_unwind)]
    pub fn handshake_error(&self) -> Option<String> {
        self.setup.as_ref()?.handshake_error.clone()
    }

    /// Client: the opening handshake request, with a fresh key. `path` and
    /// `host` come from the WHATWG URL, `username`/`password` (still
    /// percent-encoded) from its userinfo; `protocol_header` is
    /// `protocols.join(', ')` when the list was not empty and `protocols`
    /// the names the server may choose from. Throws on CR or LF.
    #[napi(catch_unwind)]
    pub fn start_client(
        &mut self,
        path: String,
        host: String,
        username: String,
        password: String,
        protocol_header: Option<String>,
        protocols: Vec<String>,
        js_offer: Option<JsOffer>,
    ) -> Result<Buffer> {
        let target = Target {
            path: &path,
            host: &host,
            username: &username,
            password: &password,
        };
        let setup = self.setup_mut();
        let offer = match (&js_offer, setup.deflate.clone()) {
            (Some(js), _) => Offer::Caller(js.offer.as_deref()),
            (None, Some(deflate)) => Offer::Deflate(deflate),
            (None, None) => Offer::Nothing,
        };
        let (client, request) = ClientHandshake::new(
            &target,
            protocol_header.as_deref(),
            protocols,
            &setup.user_header_pairs,
            offer,
        )
        .map_err(|error| Error::from_reason(error.message))?;
        setup.client = Some(client);
        Ok(request.into())
    }

    /// Client: reads bytes of the server's response. Returns
    /// `HANDSHAKE_PENDING`, `HANDSHAKE_OPEN` (the session is open; frames
    /// start at `body_offset` in this chunk) or `HANDSHAKE_FAILED` (see
    /// `handshake_error`; what was queued is discarded).
    #[napi(catch_unwind)]
    pub fn receive_handshake(&mut self, chunk: &[u8]) -> u32 {
        let Some(setup) = self.setup.as_deref_mut() else {
            return HANDSHAKE_FAILED;
        };
        let Some(client) = setup.client.as_mut() else {
            return HANDSHAKE_FAILED;
        };
        match client.receive(chunk) {
            HandshakeProgress::Pending => HANDSHAKE_PENDING,
            HandshakeProgress::Open { body_offset } => {
                setup.body_offset = body_offset as u32;
                if let (Some(negotiated), Some(options)) =
                    (client.negotiated_deflate(), &setup.deflate)
                {
                    let _ = self.session.enable_deflate(negotiated, options.settings);
                }
                self.session.open();
                HANDSHAKE_OPEN
            }
            HandshakeProgress::Failed(message) => {
                self.session.close(1002, b"");
                setup.handshake_error = Some(message);
                HANDSHAKE_FAILED
            }
        }
    }

    /// Client: the response's status code, once its head was read.
    #[napi(getter, catch_unwind)]
    pub fn status_code(&self) -> Option<u32> {
        self.client()?.status_code().map(u32::from)
    }

    /// Client: the response's headers as `[name, value, name, value, ...]`,
    /// names lower-cased and repeated headers joined with `", "`.
    #[napi(getter, catch_unwind)]
    pub fn response_headers(&self) -> Vec<String> {
        let Some(client) = self.client() else {
            return Vec::new();
        };
        client
            .headers()
            .into_iter()
            .flat_map(|(name, value)| [name, value])
            .collect()
    }

    #[napi(getter, catch_unwind)]
    pub fn body_offset(&self) -> u32 {
        self.setup.as_ref().map_or(0, |setup| setup.body_offset)
    }

    /// Client: the subprotocol the server chose, if any.
    #[napi(getter, catch_unwind)]
    pub fn selected_protocol(&self) -> Option<String> {
        self.client()?.protocol().map(str::to_string)
    }

    /// Client: JS has read the response and activated its extensions; the
    /// handshake state is freed, as a server's is in `start_server`.
    #[napi(catch_unwind)]
    pub fn end_handshake(&mut self) {
        self.setup = None;
    }

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
                1
            } else if yielded {
                2
            } else {
                0
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

    /// Queues a text frame; returns the payload's byte length, or −1 when
    /// the session no longer sends (closing or closed).
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
                Ok(Some(written)) => return Ok(accepted_length(true, written)),
                Ok(None) if !self.session.can_send_messages() => return Ok(-1),
                _ => {}
            }
        }
        // SAFETY: the value is a JS string from this call's arguments.
        let text = unsafe { String::from_napi_value(value.env, value.value)? };
        Ok(accepted_length(
            self.session.send_text(text.as_bytes()),
            text.len(),
        ))
    }

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
    /// A pipeline stage's output, or None with the error kept for
    /// `pipeline_error`.
    fn pipeline_output(
        &mut self,
        result: std::result::Result<(), String>,
        out: Vec<u8>,
    ) -> Option<Buffer> {
        match result {
            Ok(()) => Some(out.into()),
            Err(error) => {
                self.pipeline_error = Some(error);
                None
            }
        }
    }

    /// The queue's buffer is freed once it is empty: a connection that
    /// once received a message spanning chunks does not keep it while idle.
    fn next_taken(&mut self) -> Vec<u8> {
        let bytes = self.taken.pop_front().unwrap_or_default();
        if self.taken.is_empty() {
            self.taken = VecDeque::new();
        }
        bytes
    }

    fn setup_mut(&mut self) -> &mut Setup {
        self.setup.get_or_insert_with(Box::default)
    }

    fn deflate_options(&self) -> Option<&DeflateOptions> {
        self.setup.as_ref()?.deflate.as_ref()
    }

    fn client(&self) -> Option<&ClientHandshake> {
        self.setup.as_ref()?.client.as_ref()
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
                    let flags = taken | (u32::from(binary) << 1) | u32::from(rsv);
                    [EVENT_RAW, flags, start, end]
                }
                Event::Shutdown {
                    code,
                    text,
                    error,
                    send_frame,
                } => {
                    self.taken.push_back(text.into_bytes());
                    let flags = u32::from(error) | (u32::from(send_frame) << 1);
                    [EVENT_SHUTDOWN, code as u32, flags, 0]
                }
            };
            slot.copy_from_slice(&entry);
        }
        count as u32
    }
}

/// The server handshake's extensions as JS negotiated them (JS extensions
/// registered): the `Sec-WebSocket-Extensions` value (or the error),
/// whether it includes permessage-deflate (as `deflate_server_response`
/// agreed) and the RSV bits the active extensions claim.
#[napi(object)]
pub struct JsNegotiation {
    pub response: Option<String>,
    /// What the negotiation threw, if it did.
    pub error: Option<String>,
    pub use_deflate: bool,
    pub allowed_rsv: u32,
}

/// The client's extension offer as JS made it (JS extensions registered).
#[napi(object)]
pub struct JsOffer {
    pub offer: Option<String>,
}

#[napi]
pub const HANDSHAKE_PENDING: u32 = 0;
#[napi]
pub const HANDSHAKE_OPEN: u32 = 1;
#[napi]
pub const HANDSHAKE_FAILED: u32 = 2;

/// A client's tunnel through an HTTP proxy: reads the answer to CONNECT.
#[napi]
pub struct NativeProxyConnect {
    connect: ProxyConnect,
    body_offset: u32,
}

#[napi]
impl NativeProxyConnect {
    #[napi(constructor, catch_unwind)]
    pub fn new() -> Self {
        NativeProxyConnect {
            connect: ProxyConnect::new(),
            body_offset: 0,
        }
    }

    /// Returns `HANDSHAKE_PENDING`, `HANDSHAKE_OPEN` (a 200: the tunnel is
    /// up; the next protocol's bytes start at `body_offset`) or
    /// `HANDSHAKE_FAILED` (any other answer).
    #[napi(catch_unwind)]
    pub fn receive(&mut self, chunk: &[u8]) -> u32 {
        match self.connect.receive(chunk) {
            ConnectProgress::Pending => HANDSHAKE_PENDING,
            ConnectProgress::Established { body_offset } => {
                self.body_offset = body_offset as u32;
                HANDSHAKE_OPEN
            }
            ConnectProgress::Refused => HANDSHAKE_FAILED,
        }
    }

    #[napi(getter, catch_unwind)]
    pub fn body_offset(&self) -> u32 {
        self.body_offset
    }

    #[napi(getter, catch_unwind)]
    pub fn status_code(&self) -> Option<u32> {
        self.connect.status_code().map(u32::from)
    }
}

/// The CONNECT request for a proxy: `authority` is `hostname:port` of the
/// WebSocket URL, `origin_host` its `host`; the credentials come from the
/// proxy URL; `names`/`values` are the `proxy.headers` option. Throws on CR
/// or LF.
#[napi(catch_unwind)]
pub fn proxy_connect_request(
    authority: String,
    origin_host: String,
    username: String,
    password: String,
    names: Vec<String>,
    values: Vec<String>,
) -> Result<Buffer> {
    let headers: Vec<(String, String)> = names.into_iter().zip(values).collect();
    ProxyConnect::request(&authority, &origin_host, &username, &password, &headers)
        .map(Buffer::from)
        .map_err(|error| Error::from_reason(error.message))
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

fn accepted_length(accepted: bool, length: usize) -> i32 {
    if accepted {
        length.min(i32::MAX as usize) as i32
    } else {
        -1
    }
}

fn header_list(names: &[String], values: &[String]) -> Result<HeaderList> {
    let mut headers = HeaderList::new();
    for (name, value) in names.iter().zip(values) {
        headers
            .set(name, value)
            .map_err(|error| Error::from_reason(error.message))?;
    }
    Ok(headers)
}

/// Header lines (`Name: value\r\n`) by websocket-driver's rules, for the
/// EventSource response; throws on CR or LF.
#[napi(catch_unwind)]
pub fn render_headers(names: Vec<String>, values: Vec<String>) -> Result<String> {
    let mut lines = Vec::new();
    header_list(&names, &values)?.write_to(&mut lines);
    Ok(String::from_utf8_lossy(&lines).into_owned())
}

/// The subprotocol the server picks: the first of the client's
/// `Sec-WebSocket-Protocol` list that `supported` contains.
#[napi(catch_unwind)]
pub fn select_protocol(offered: Option<String>, supported: Vec<String>) -> Option<String> {
    crate::handshake::select_protocol(offered.as_deref(), &supported)
}

/// One message compressed on libuv's thread pool, with the connection's
/// compressor, which comes back with the result.
pub struct CompressTask {
    compressor: Option<Compressor>,
    input: Buffer,
}

/// A message and the compressor, ready to go to the thread pool.
#[napi]
pub struct CompressJob {
    task: Option<CompressTask>,
}

#[napi]
impl CompressJob {
    /// Runs the compression on libuv's thread pool; resolves with a
    /// `CompressedMessage`. A second call rejects.
    #[napi(catch_unwind)]
    pub fn run(&mut self) -> AsyncTask<CompressTask> {
        AsyncTask::new(self.task.take().unwrap_or(CompressTask {
            compressor: None,
            input: Vec::<u8>::new().into(),
        }))
    }
}

/// The compressed message, or on failure the message as it was, with the
/// error: the caller decides whether it goes out uncompressed.
fn compress_message(
    compressor: Option<&mut Compressor>,
    input: &[u8],
) -> (Vec<u8>, Option<String>) {
    let mut out = Vec::new();
    let error = match compressor {
        Some(compressor) => compressor.compress(input, &mut out).err(),
        None => Some("permessage-deflate is not active".to_owned()),
    };
    if error.is_some() {
        out.clear();
        out.extend_from_slice(input);
    }
    (out, error)
}

/// What a `CompressTask` made: the compressed bytes (or the message itself,
/// with the error, when compression failed) and the compressor to give back
/// to the session.
#[napi]
pub struct CompressedMessage {
    compressor: Option<Compressor>,
    data: Vec<u8>,
    error: Option<String>,
}

impl Task for CompressTask {
    type Output = (Option<Compressor>, Vec<u8>, Option<String>);
    type JsValue = CompressedMessage;

    fn compute(&mut self) -> Result<Self::Output> {
        let mut compressor = self.compressor.take();
        let (data, error) = compress_message(compressor.as_mut(), &self.input);
        Ok((compressor, data, error))
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        let (compressor, data, error) = output;
        Ok(CompressedMessage {
            compressor,
            data,
            error,
        })
    }
}

/// One extension of a `Sec-WebSocket-Extensions` header, for lib/extensions.js.
#[napi(object)]
pub struct ExtensionOffer {
    pub name: String,
    pub params: Vec<ExtensionParam>,
}

/// A parameter: `value` is true for a bare key, a number when the value
/// looks like one (websocket-extensions' parseFloat), else the text.
#[napi(object)]
pub struct ExtensionParam {
    pub key: String,
    pub value: Either3<bool, f64, String>,
}

/// websocket-extensions' Parser.parseHeader with the linear-time parser of
/// src/extension_header.rs; null when the header does not parse.
#[napi(catch_unwind)]
pub fn parse_extension_header(header: String) -> Option<Vec<ExtensionOffer>> {
    let offers = crate::handshake::extension_header::parse(&header).ok()?;
    Some(offers.into_iter().map(extension_offer).collect())
}

fn extension_offer(offer: crate::handshake::extension_header::Offer) -> ExtensionOffer {
    use crate::handshake::extension_header::ParamValue;
    let params = offer
        .params
        .into_iter()
        .map(|(key, value)| ExtensionParam {
            key,
            value: match value {
                ParamValue::Flag => Either3::A(true),
                ParamValue::Number(number) => Either3::B(number),
                ParamValue::Text(text) => Either3::C(text),
            },
        })
        .collect();
    ExtensionOffer {
        name: offer.name,
        params,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_compression_hands_back_the_message_itself() {
        let (data, error) = compress_message(None, b"message");
        assert_eq!(data, b"message");
        assert_eq!(error.as_deref(), Some("permessage-deflate is not active"));
    }

    #[test]
    fn a_compression_hands_back_the_compressed_bytes() {
        let mut compressor = Compressor::new(Default::default(), 15, true).unwrap();
        let (data, error) = compress_message(Some(&mut compressor), &[b'a'; 1000]);
        assert_eq!(error, None);
        assert!(data.len() < 100);
    }
}
