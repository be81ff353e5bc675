//! The Sec-WebSocket-Extensions parser and permessage-deflate's negotiation.
#![no_main]

use faye_websocket_native::fuzzing;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzing::extension_header(data));
