//! The frame reader as a client with permessage-deflate negotiated.
#![no_main]

use faye_websocket_native::fuzzing;
use faye_websocket_native::session::Role;

libfuzzer_sys::fuzz_target!(|data: &[u8]| fuzzing::frame_reader(data, Role::Client, true));
