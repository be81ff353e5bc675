//! The opening handshakes: the server's (`start_server`), the client's
//! (`start_client` … `end_handshake`), a proxy tunnel (`NativeProxyConnect`),
//! and the handshake-time options (`set_headers`, `set_deflate`, and
//! permessage-deflate's part when JS extensions negotiate).

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::pipeline::Failure;
use super::session::NativeSession;
use crate::deflate::codec::CompressorSettings;
use crate::deflate::negotiation::{self, DeflateOptions, Negotiated};
use crate::handshake;
use crate::handshake::client::{ClientHandshake, HandshakeProgress, Offer, Target, FAILURE_PREFIX};
use crate::handshake::extension_header;
use crate::handshake::headers::HeaderList;
use crate::handshake::proxy::{ConnectProgress, ProxyConnect};
use crate::handshake::server::{self, Extensions, ServerRequest};

#[napi]
impl NativeSession {
    /// The `headers` option, for the opening handshake; throws on CR or LF.
    #[napi(catch_unwind)]
    pub fn set_headers(&mut self, names: Vec<String>, values: Vec<String>) -> Result<()> {
        let headers = header_list(&names, &values)?;
        let setup = self.setup_mut();
        setup.user_headers = headers;
        setup.user_header_pairs = names.into_iter().zip(values).collect();
        Ok(())
    }

    /// Registers permessage-deflate (its `configure` options) for the
    /// handshake; `level`, `memLevel` and `strategy` are checked here, with
    /// Node zlib's messages.
    #[napi(catch_unwind)]
    pub fn set_deflate(&mut self, options: DeflateConfig) -> Result<()> {
        let settings =
            CompressorSettings::from_options(options.level, options.mem_level, options.strategy)
                .map_err(|error| Error::from_reason(error.to_string()))?;
        self.setup_mut().deflate = Some(DeflateOptions {
            settings,
            no_context_takeover: options.no_context_takeover,
            max_window_bits: options.max_window_bits,
            request_no_context_takeover: options.request_no_context_takeover,
            request_max_window_bits: options.request_max_window_bits,
        });
        Ok(())
    }

    /// Whether permessage-deflate was negotiated in the handshake.
    #[napi(getter, catch_unwind)]
    pub fn deflate_enabled(&self) -> bool {
        self.session.deflate_enabled()
    }

    /// Runs the server handshake and returns the bytes to write: the 101
    /// response followed by every frame queued before open, or a
    /// `HandshakeRejection` with faye's 400 response and the message.
    // Positional arguments: one options object costs this call ~1.5 µs of
    // its ~6 (a property read per field), measured over 10^5 handshakes.
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
    ) -> Result<Either<Buffer, HandshakeRejection>> {
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
        let extensions = match &js_negotiation {
            None => Extensions::Deflate(deflate),
            Some(js) => js.extensions(setup.agreed_deflate, deflate),
        };
        let (response, error) = match server::accept(
            &mut self.session,
            &request,
            protocol.as_deref(),
            setup.user_headers,
            extensions,
        ) {
            Ok(response) => (response, None),
            Err(rejected) => (rejected.response, Some(rejected.error.message)),
        };
        // A copy into V8's memory: cheaper than an external buffer, whose
        // finalizer V8 must run after a GC.
        let response = BufferSlice::copy_from(&env, &response)?.into_buffer(&env)?;
        Ok(match error {
            None => Either::A(response),
            Some(message) => Either::B(HandshakeRejection { response, message }),
        })
    }

    /// Client: the opening handshake request, with a fresh key. Throws on
    /// CR or LF.
    #[napi(catch_unwind)]
    pub fn start_client(&mut self, request: ClientRequest) -> Result<Buffer> {
        let ClientRequest {
            path,
            host,
            username,
            password,
            protocol_header,
            protocols,
            js_offer,
        } = request;
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
    /// start at `body_offset` in this chunk) or the `Failure` (what was
    /// queued is discarded).
    #[napi(catch_unwind)]
    pub fn receive_handshake(&mut self, chunk: &[u8]) -> Either<u32, Failure> {
        // Only before `start_client` or after `end_handshake`: lib/ never
        // calls it then.
        let not_started = || {
            Either::B(Failure {
                message: format!("{FAILURE_PREFIX}no handshake in progress"),
            })
        };
        let Some(setup) = self.setup.as_deref_mut() else {
            return not_started();
        };
        let Some(client) = setup.client.as_mut() else {
            return not_started();
        };
        let settings = setup.deflate.as_ref().map(|options| options.settings);
        match client.receive_for(&mut self.session, chunk, settings) {
            HandshakeProgress::Pending => Either::A(HANDSHAKE_PENDING),
            HandshakeProgress::Open { body_offset } => {
                setup.body_offset = body_offset as u32;
                Either::A(HANDSHAKE_OPEN)
            }
            HandshakeProgress::Failed(message) => Either::B(Failure { message }),
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

    /// Client, JS negotiation: the extension response was refused; what
    /// was queued is discarded.
    #[napi(catch_unwind)]
    pub fn fail_handshake(&mut self) {
        self.session.shutdown();
        self.session.clear_output();
    }

    /// Server, JS negotiation: permessage-deflate's response to the offers
    /// in this header (its entries for permessage-deflate), or null when it
    /// accepts none. Its parameters are used if `start_server` is then
    /// given a response that includes it (`use_deflate`).
    #[napi(catch_unwind)]
    pub fn deflate_server_response(&mut self, header: String) -> Option<String> {
        let setup = self.setup.as_deref_mut()?;
        let options = setup.deflate.as_ref()?;
        let offers = extension_header::parse(&header).ok()?;
        let (response, negotiated) = negotiation::answer(options, &offers)?;
        setup.agreed_deflate = Some(negotiated);
        Some(response)
    }

    /// Client, JS negotiation: permessage-deflate's offer; throws for bad
    /// window bits.
    #[napi(catch_unwind)]
    pub fn deflate_client_offer(&self) -> Result<Option<String>> {
        let Some(options) = self.deflate_options() else {
            return Ok(None);
        };
        negotiation::client_offer_header(options)
            .map(Some)
            .map_err(|error| Error::from_reason(error.to_string()))
    }

    /// Client, JS negotiation: permessage-deflate's `activate` for its
    /// entry of the response (`name; params` as one header value).
    #[napi(catch_unwind)]
    pub fn activate_deflate(&mut self, entry: String) -> bool {
        let Some(options) = self.setup.as_ref().and_then(|setup| setup.deflate.as_ref()) else {
            return false;
        };
        match negotiation::client_activate_entry(options, &entry) {
            Some(negotiated) => {
                let _ = self.session.enable_deflate(&negotiated, options.settings);
                true
            }
            None => false,
        }
    }
}

/// `start_server`'s answer to a request it refused: faye's 400 response,
/// to write, and the message for the error event.
#[napi(object)]
pub struct HandshakeRejection {
    pub response: Buffer,
    pub message: String,
}

/// `set_deflate`'s options: permessage-deflate's `configure` options,
/// null when not given.
#[napi(object, use_nullable = true)]
pub struct DeflateConfig {
    pub level: Option<f64>,
    pub mem_level: Option<f64>,
    pub strategy: Option<f64>,
    pub no_context_takeover: bool,
    pub max_window_bits: Option<f64>,
    pub request_no_context_takeover: bool,
    pub request_max_window_bits: Option<f64>,
}

/// `start_client`'s request. `path` and `host` come from the WHATWG URL,
/// `username`/`password` (still percent-encoded) from its userinfo;
/// `protocol_header` is `protocols.join(', ')` when the list was not empty
/// and `protocols` the names the server may choose from; `js_offer` is
/// the extension offer when JS extensions are registered.
#[napi(object, use_nullable = true)]
pub struct ClientRequest {
    pub path: String,
    pub host: String,
    pub username: String,
    pub password: String,
    pub protocol_header: Option<String>,
    pub protocols: Vec<String>,
    pub js_offer: Option<JsOffer>,
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

impl JsNegotiation {
    /// What the core needs: the response (or the error) and, when the
    /// response includes permessage-deflate, what `deflate_server_response`
    /// agreed with the registered options.
    fn extensions<'a>(
        &'a self,
        agreed: Option<Negotiated>,
        options: Option<&'a DeflateOptions>,
    ) -> Extensions<'a> {
        Extensions::Js {
            response: self
                .error
                .as_deref()
                .map_or(Ok(self.response.as_deref()), Err),
            deflate: if self.use_deflate {
                agreed.zip(options)
            } else {
                None
            },
            allowed_rsv: self.allowed_rsv as u8,
        }
    }
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
    handshake::select_protocol(offered.as_deref(), &supported)
}
