//! The frame reader as a client (unmasked frames required), no extension.
#![no_main]

use faye_websocket_native::fuzzing;
use faye_websocket_native::session::Role;

libfuzzer_sys::fuzz_target!(|data: &[u8]| assert!(
    fuzzing::frame_reader(data, Role::Client, false),
    "a message over maxLength, or text that is not UTF-8"
));
