//! The client's reading of the server's handshake response, then its first frames.
#![no_main]

use faye_websocket_native::fuzzing;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzing::client_handshake_response(data));
