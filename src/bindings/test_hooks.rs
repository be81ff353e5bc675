//! Test-only: forces a panic where a bug would make one, so the tests can
//! check that a panic becomes an `error` and a 1011 close on its connection
//! and never takes Node down. Compiled only with the `test-hooks` feature,
//! which the release build (`scripts/build.js`) never enables: the addon
//! users load has no `armTestPanic`. `__test__/stress/panic.test.js` builds
//! an addon with it into a directory of its own.

use std::sync::atomic::{AtomicU32, Ordering};

use napi_derive::napi;

/// The next `NativeSession.receive` call panics.
pub(super) const PANIC_IN_RECEIVE: u32 = 1;
/// The next compression on libuv's thread pool panics.
pub(super) const PANIC_IN_COMPRESS: u32 = 2;

/// The armed site, or 0. Atomic: the compression runs on another thread.
static ARMED: AtomicU32 = AtomicU32::new(0);

/// Arms one panic at `site` (`PANIC_IN_RECEIVE` or `PANIC_IN_COMPRESS`).
#[napi(catch_unwind)]
pub fn arm_test_panic(site: u32) {
    ARMED.store(site, Ordering::SeqCst);
}

/// Panics once if `site` is armed.
#[allow(clippy::panic)]
pub(super) fn panic_if_armed(site: u32) {
    if ARMED
        .compare_exchange(site, 0, Ordering::SeqCst, Ordering::SeqCst)
        .is_ok()
    {
        panic!("test-hooks: a forced panic (site {site})");
    }
}
