//! permessage-deflate off the JS thread: a message and the connection's
//! compressor go to libuv's thread pool together (`compress_job`, then
//! `CompressJob.run`), and the compressor comes back with the result
//! (`send_compressed` or `restore_compressor`).

use napi::bindgen_prelude::*;
use napi_derive::napi;

use super::pipeline::stage_output;
use super::pipeline::Failure;
use super::session::NativeSession;
use crate::deflate::codec::{Compressor, DeflateError};
use crate::protocol::frame::OpCode;

#[napi]
impl NativeSession {
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
    /// the compressed bytes (the JS pipeline's permessage-deflate stage), or
    /// why compression failed.
    #[napi(catch_unwind)]
    pub fn restore_compressor(
        &mut self,
        result: &mut CompressedMessage,
    ) -> Either<Buffer, Failure> {
        if let Some(compressor) = result.compressor.take() {
            self.session.restore_compressor(compressor);
        }
        let data = std::mem::take(&mut result.data);
        stage_output(result.error.take().map_or(Ok(()), Err), data)
    }
}

/// One message compressed on libuv's thread pool, with the connection's
/// compressor, which comes back with the result.
pub struct CompressTask {
    pub(super) compressor: Option<Compressor>,
    pub(super) input: Buffer,
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
    #[napi(catch_unwind, ts_return_type = "Promise<CompressedMessage>")]
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
) -> (Vec<u8>, Option<DeflateError>) {
    let mut out = Vec::new();
    let error = match compressor {
        Some(compressor) => compressor.compress(input, &mut out).err(),
        None => Some(DeflateError::NotActive),
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
    error: Option<DeflateError>,
}

impl Task for CompressTask {
    type Output = (Option<Compressor>, Vec<u8>, Option<DeflateError>);
    type JsValue = CompressedMessage;

    /// Runs on libuv's thread pool, where napi-rs catches no panic (one
    /// would abort Node): a panic here rejects the task's promise instead,
    /// and the compressor it left in an unknown state is dropped.
    fn compute(&mut self) -> Result<Self::Output> {
        let mut compressor = self.compressor.take();
        let input = &self.input;
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            #[cfg(feature = "test-hooks")]
            super::test_hooks::panic_if_armed(super::test_hooks::PANIC_IN_COMPRESS);
            let (data, error) = compress_message(compressor.as_mut(), input);
            (compressor, data, error)
        }))
        .map_err(napi::bindgen_prelude::panic_to_error)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_compression_hands_back_the_message_itself() {
        let (data, error) = compress_message(None, b"message");
        assert_eq!(data, b"message");
        assert_eq!(error, Some(DeflateError::NotActive));
    }

    #[test]
    fn a_compression_hands_back_the_compressed_bytes() {
        let mut compressor = Compressor::new(Default::default(), 15, true).unwrap();
        let (data, error) = compress_message(Some(&mut compressor), &[b'a'; 1000]);
        assert_eq!(error, None);
        assert!(data.len() < 100);
    }
}
