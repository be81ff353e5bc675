//! JS extensions (websocket-extensions' framework): messages go to the JS
//! pipeline raw, permessage-deflate can run as one of its stages, and
//! closing waits for the pipeline to drain.

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::session::NativeSession;
use crate::deflate::codec::DeflateError;
use crate::handshake::extension_header::{self, ParamValue};
use crate::protocol::frame::OpCode;

#[napi]
impl NativeSession {
    /// With JS extensions (websocket-extensions' framework): hands messages
    /// to the JS pipeline from now on. `allowed_rsv` is the RSV bits of the
    /// active extensions, in frame-byte places.
    #[napi(catch_unwind)]
    pub fn enable_pipeline(&mut self, allowed_rsv: u32) {
        self.session.enable_pipeline(allowed_rsv as u8);
    }

    /// A message frame as the JS pipeline left it (opcode 1 or 2, RSV bits
    /// in frame-byte places). Written whatever the state.
    #[napi(catch_unwind)]
    pub fn send_frame(&mut self, opcode: u32, rsv: u32, data: &[u8]) {
        let opcode = if opcode == super::OPCODE_TEXT {
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

    /// After `begin_closing`, once the pipeline has drained: the close
    /// frame, unless the connection failed or the peer closed meanwhile
    /// (then false).
    #[napi(catch_unwind)]
    pub fn finish_closing(&mut self, code: u32, reason: &[u8]) -> bool {
        self.session.finish_closing(code as u16, reason)
    }

    /// websocket-driver's `_fail` for a failure the JS pipeline found:
    /// null when ignored (already closing), else whether a close frame is
    /// due (the connection was open).
    #[napi(catch_unwind)]
    pub fn shutdown(&mut self) -> Option<bool> {
        self.session.shutdown()
    }

    /// permessage-deflate as a stage of the JS pipeline: compresses one
    /// message (no tail), or says why it could not. (A result rather than
    /// a throw: an error thrown from a `&mut self` method would leave the
    /// object borrowed in napi-rs 3.16.)
    #[napi(catch_unwind)]
    pub fn pipeline_deflate(&mut self, data: &[u8]) -> Either<Buffer, Failure> {
        let mut out = Vec::new();
        let result = self.session.pipeline_compress(data, &mut out);
        stage_output(result, out)
    }

    /// permessage-deflate as a stage of the JS pipeline: inflates one
    /// message, stopping one byte past maxLength, or gives zlib's message
    /// for corrupt data.
    #[napi(catch_unwind)]
    pub fn pipeline_inflate(&mut self, data: &[u8]) -> Either<Buffer, Failure> {
        let mut out = Vec::new();
        let result = self.session.pipeline_inflate(data, &mut out);
        stage_output(result, out)
    }
}

/// Why a permessage-deflate stage of the JS pipeline (or the client
/// handshake) failed: the message for the JS `Error`.
#[napi(object)]
pub struct Failure {
    pub message: String,
}

/// A pipeline stage's output, or its failure.
pub(super) fn stage_output(
    result: std::result::Result<(), DeflateError>,
    out: Vec<u8>,
) -> Either<Buffer, Failure> {
    match result {
        Ok(()) => Either::A(out.into()),
        Err(error) => Either::B(Failure {
            message: error.to_string(),
        }),
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
/// src/handshake/extension_header.rs; null when the header does not parse.
#[napi(catch_unwind)]
pub fn parse_extension_header(header: String) -> Option<Vec<ExtensionOffer>> {
    let offers = extension_header::parse(&header).ok()?;
    Some(offers.into_iter().map(extension_offer).collect())
}

fn extension_offer(offer: extension_header::Offer) -> ExtensionOffer {
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
