//! The session with JS extensions (websocket-extensions' framework):
//! messages go to the JS pipeline raw, permessage-deflate runs as one of its
//! stages, frames come back as the pipeline left them, and closing waits for
//! the pipeline to drain (websocket-driver's `_fail` and `close` then).

use super::{ReadyState, Session};
use crate::deflate::codec::{DeflateError, InflateError};
use crate::protocol::close::NORMAL;
use crate::protocol::frame::{OpCode, RSV_BITS};

impl Session {
    /// Hands messages to a JS extension pipeline from now on; `allowed_rsv`
    /// are the RSV bits the active extensions claim (RSV1 included when
    /// permessage-deflate is active). Call after `enable_deflate`.
    pub(crate) fn enable_pipeline(&mut self, allowed_rsv: u8) {
        self.pipeline = true;
        if let Some(inflater) = self.receiver.set_raw_messages(allowed_rsv & RSV_BITS) {
            self.pipeline_inflater = Some(Box::new(inflater));
        }
    }

    /// permessage-deflate as a pipeline stage: one whole message out.
    pub(crate) fn pipeline_compress(
        &mut self,
        data: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), DeflateError> {
        match self.compressor.as_deref_mut() {
            Some(compressor) => compressor.compress(data, out),
            None => Err(DeflateError::NotActive),
        }
    }

    /// permessage-deflate as a pipeline stage: one whole message in. Output
    /// stops one byte past maxLength (the caller's length check then fails
    /// the message with 1009, as faye's check after the pipeline does).
    pub(crate) fn pipeline_inflate(
        &mut self,
        data: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), DeflateError> {
        let limit = usize::try_from(self.max_length).unwrap_or(usize::MAX);
        match self.pipeline_inflater.as_deref_mut() {
            Some(inflater) => match inflater.inflate_message(data, out, limit) {
                Ok(()) | Err(InflateError::TooLarge) => Ok(()),
                Err(InflateError::Corrupt(message)) => Err(DeflateError::Zlib(message)),
            },
            None => Err(DeflateError::NotActive),
        }
    }

    /// Writes a message frame as the pipeline left it, whatever the state:
    /// messages in the pipeline when closing began still go out, before the
    /// close frame (websocket-driver's `frame()` callback).
    pub(crate) fn send_frame(&mut self, opcode: OpCode, rsv: u8, data: &[u8]) {
        self.sender
            .message_rsv(self.output.buffer(), opcode, rsv & RSV_BITS, data);
    }

    /// Writes a close frame, whatever the state (the pipeline has drained).
    pub(crate) fn write_close(&mut self, code: u16, reason: &[u8]) {
        self.sender.close(self.output.buffer(), code, reason);
    }

    /// The close frame `begin_closing` left to write, once the pipeline has
    /// drained; false (nothing written) when the connection failed or the
    /// peer closed meanwhile.
    pub(crate) fn finish_closing(&mut self, code: u16, reason: &[u8]) -> bool {
        if self.state != ReadyState::Closing {
            return false;
        }
        self.write_close(code, reason);
        true
    }

    /// `close()` with JS extensions: Open becomes Closing without a frame
    /// (the caller writes it once the pipeline has drained) and true is
    /// returned; Connecting closes as [`Session::close`] does.
    pub(crate) fn begin_closing(&mut self) -> bool {
        match self.state {
            ReadyState::Open => {
                self.state = ReadyState::Closing;
                true
            }
            _ => self.close(NORMAL, b""),
        }
    }

    /// websocket-driver's `_fail` for a failure found by the JS pipeline:
    /// ignored (None) once closing; otherwise parsing stops for good and
    /// the result says whether a close frame is due (the connection was open).
    pub(crate) fn shutdown(&mut self) -> Option<bool> {
        match self.state {
            ReadyState::Closing | ReadyState::Closed => None,
            state => {
                self.state = ReadyState::Closed;
                Some(state == ReadyState::Open)
            }
        }
    }
}
