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

use std::collections::VecDeque;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::client_handshake::{
    ClientHandshake, ConnectProgress, HandshakeProgress, ProxyConnect, Target,
};
use crate::deflate::CompressorSettings;
use crate::deflate_negotiation::DeflateOptions;
use crate::handshake::{self, ServerRequest};
use crate::headers::HeaderList;
use crate::session::{Config, Event, Payload, Session};

/// Table layout: a header of `TABLE_HEADER` slots
/// `[event count, next chunk offset, chunk done (0/1), output pending (0/1)]`,
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

#[napi]
pub const PAYLOAD_IN_CHUNK: u32 = 0;
#[napi]
pub const PAYLOAD_TAKEN: u32 = 1;

/// Owned binary payloads at least this long become external buffers (no
/// copy); shorter ones are copied, which is cheaper than a finalizer.
const EXTERNAL_BUFFER_MIN: usize = 64 * 1024;

#[napi]
pub struct NativeSession {
    session: Session,
    /// Events parsed from the current chunk and not yet written to a table.
    events: Vec<Event>,
    /// Offset of `events`' chunk ranges within the chunk JS passed.
    events_base: usize,
    /// Where parsing of the current chunk resumes; `None` once it is done.
    resume_at: Option<usize>,
    /// Payloads JS takes with `take_text`/`take_buffer`, in event order.
    taken: VecDeque<Vec<u8>>,
    /// What only the opening handshake needs, allocated when an option or
    /// the handshake asks for it; a server drops it once open, so an idle
    /// connection carries none of it.
    setup: Option<Box<Setup>>,
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
    /// The client's opening handshake, from `start_client` on.
    client: Option<ClientHandshake>,
    /// Client: where frames start in the chunk that completed the handshake.
    body_offset: u32,
    /// permessage-deflate is registered with these options.
    deflate: Option<DeflateOptions>,
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
        }
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
        env: Env,
        method: String,
        connection: Option<String>,
        upgrade: Option<String>,
        version: Option<String>,
        key: Option<String>,
        extensions: Option<String>,
        protocol: Option<String>,
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
        let response = match handshake::server_response_with_deflate(&request, protocol.as_deref(), setup.user_headers, deflate) {
            Ok((mut response, negotiated)) => {
                if let (Some(negotiated), Some(options)) = (negotiated, deflate) {
                    // The settings were checked by `set_deflate`.
                    let _ = self.session.enable_deflate(&negotiated, options.settings);
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
        // A copy into V8's memory: cheaper than an external buffer with a
        // finalizer, and nothing of it stays on the native heap.
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
    ) -> Result<Buffer> {
        let target = Target {
            path: &path,
            host: &host,
            username: &username,
            password: &password,
        };
        let setup = self.setup_mut();
        let (client, request) = ClientHandshake::new_with_deflate(
            &target,
            protocol_header.as_deref(),
            protocols,
            &setup.user_header_pairs,
            setup.deflate.clone(),
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
                if let (Some(negotiated), Some(options)) = (client.negotiated_deflate(), &setup.deflate) {
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
            self.resume_at = self
                .session
                .receive(&mut chunk[start..], &mut self.events)
                .map(|consumed| start + consumed);
        }
        let count = self.write_events(table);
        let done = self.events.is_empty() && self.resume_at.is_none();
        let header = [
            count,
            self.resume_at.unwrap_or(chunk.len()) as u32,
            done as u32,
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
        let bytes = self.taken.pop_front().unwrap_or_default();
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
        let bytes = self.taken.pop_front().unwrap_or_default();
        if bytes.len() >= EXTERNAL_BUFFER_MIN {
            Ok(bytes.into())
        } else {
            BufferSlice::copy_from(&env, &bytes)?.into_buffer(&env)
        }
    }

    /// Queues a text frame; returns the payload's byte length, or −1 when
    /// the session no longer sends (closing or closed).
    #[napi(catch_unwind)]
    pub fn send_text(&mut self, text: String) -> i32 {
        accepted_length(self.session.send_text(text.as_bytes()), text.len())
    }

    #[napi(catch_unwind)]
    pub fn send_binary(&mut self, data: &[u8]) -> i32 {
        accepted_length(self.session.send_binary(data), data.len())
    }

    /// Queues only the header of a binary frame of `length` bytes (server
    /// side): JS writes the payload itself right after the output, saving a
    /// copy of large messages.
    #[napi(catch_unwind)]
    pub fn begin_binary(&mut self, length: f64) -> bool {
        self.session.begin_binary(length as usize)
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

    /// Everything queued for the socket since the last call, or null.
    #[napi(catch_unwind)]
    pub fn take_output(&mut self, env: Env) -> Result<Option<Buffer>> {
        let output = self.session.output();
        if output.is_empty() {
            return Ok(None);
        }
        let buffer = BufferSlice::copy_from(&env, output)?.into_buffer(&env)?;
        self.session.clear_output();
        Ok(Some(buffer))
    }
}

impl NativeSession {
    fn setup_mut(&mut self) -> &mut Setup {
        self.setup.get_or_insert_with(Box::default)
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
            };
            slot.copy_from_slice(&entry);
        }
        count as u32
    }
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

/// Exported for `WebSocket.isWebSocket` (faye's rule).
#[napi(catch_unwind)]
pub fn is_websocket(method: String, connection: Option<String>, upgrade: Option<String>) -> bool {
    handshake::is_websocket(&method, connection.as_deref(), upgrade.as_deref())
}

/// The subprotocol the server picks: the first of the client's
/// `Sec-WebSocket-Protocol` list that `supported` contains.
#[napi(catch_unwind)]
pub fn select_protocol(offered: Option<String>, supported: Vec<String>) -> Option<String> {
    handshake::select_protocol(offered.as_deref(), &supported)
}
