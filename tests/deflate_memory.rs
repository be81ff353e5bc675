//! Heap held by the permessage-deflate state of one connection, measured
//! with a counting allocator (figures for the README):
//! `cargo test --release --test deflate_memory -- --nocapture`.

// Test code may unwrap and panic (Cargo.toml denies it in the crate).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use faye_websocket_native::deflate::{Compressor, CompressorSettings, Inflater};

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::SeqCst);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::SeqCst);
        System.dealloc(ptr, layout)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::SeqCst)
}

/// Bytes held after one message each way: (compressor, inflater).
fn held(bits: u8, mem_level: i32, takeover: bool) -> (isize, isize) {
    let settings = CompressorSettings {
        mem_level,
        ..CompressorSettings::default()
    };
    let start = live();
    let mut compressor = Compressor::new(settings, bits, takeover).unwrap();
    let mut wire = Vec::new();
    compressor
        .compress(b"a message long enough to compress a little", &mut wire)
        .unwrap();
    let after_compressor = live();
    let mut inflater = Inflater::new(bits, takeover);
    let mut out = Vec::new();
    inflater.inflate_message(&wire, &mut out, 1 << 20).unwrap();
    drop(out);
    drop(wire);
    let compressor_bytes = after_compressor - start - 64; // minus the wire buffer's minimum
    let inflater_bytes = live() - after_compressor;
    drop(compressor);
    drop(inflater);
    (compressor_bytes.max(0), inflater_bytes)
}

#[test]
fn per_connection_state() {
    for (bits, mem_level, takeover) in [
        (15, 8, true),
        (15, 9, true),
        (15, 1, true),
        (10, 8, true),
        (9, 1, true),
        (15, 8, false),
    ] {
        let (deflate, inflate) = held(bits, mem_level, takeover);
        println!(
            "window bits {bits}, memLevel {mem_level}, context takeover {takeover}: compressor {} KiB, inflater {} KiB",
            deflate / 1024,
            inflate / 1024
        );
        if !takeover {
            assert!(
                deflate < 1024 && inflate < 1024,
                "nothing is kept without context takeover"
            );
        }
    }
}
