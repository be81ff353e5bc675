//! The server's checks of an upgrade request and its response.
#![no_main]

use faye_websocket_native::fuzzing;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzing::server_handshake(data));
