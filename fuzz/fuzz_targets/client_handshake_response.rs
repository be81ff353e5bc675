//! The client's reading of the server's handshake response, then its first frames.
#![no_main]

use faye_websocket_native::fuzzing;

libfuzzer_sys::fuzz_target!(|data: &[u8]| assert!(
    fuzzing::client_handshake_response(data),
    "a message over maxLength, or text that is not UTF-8"
));
