//! The hixie-75/76 frame reader (`allowDrafts`), either draft.
#![no_main]

use faye_websocket_native::fuzzing;

libfuzzer_sys::fuzz_target!(|data: &[u8]| assert!(
    fuzzing::draft_frames(data),
    "more held than a maxLength text frame, or a message after the close"
));
