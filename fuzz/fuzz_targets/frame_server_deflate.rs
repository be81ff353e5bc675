//! The frame reader as a server with permessage-deflate negotiated.
#![no_main]

use faye_websocket_native::fuzzing;
use faye_websocket_native::session::Role;

libfuzzer_sys::fuzz_target!(|data: &[u8]| assert!(
    fuzzing::frame_reader(data, Role::Server, true),
    "a message over maxLength, or text that is not UTF-8"
));
