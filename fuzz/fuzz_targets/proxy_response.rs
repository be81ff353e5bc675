//! The client's reading of a proxy's answer to CONNECT.
#![no_main]

use faye_websocket_native::fuzzing;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzing::proxy_response(data));
