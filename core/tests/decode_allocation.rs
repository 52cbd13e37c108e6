//! Decoding takes memory in proportion to what a frame holds, never to what it claims. A
//! counting allocator records the peak of the bytes live while a frame decodes; this file holds
//! one test so no other test's allocations run beside it.
//!
//! The bound is the decoder's documented one (core/src/bert/decode/mod.rs): each element that
//! arrives takes at most twice a `Value` (32 bytes; containers grow by doubling), a map pair
//! twice that, a binary its own bytes, and each container still open reserves at most 64
//! elements ahead: `64 n + 64 · 64 · d` bytes for a frame of `n` bytes nested `d` deep, plus the
//! decoder's own stack of open containers.

use dripdrop::bert::{decode, encode};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

mod support;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= layout.size() {
            grew(new_size - layout.size());
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The most memory live at once, above what was live before, while decoding `bytes`.
fn peak_while_decoding(bytes: &[u8]) -> usize {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let _ = decode(bytes);
    PEAK.load(Ordering::Relaxed) - before
}

/// The documented bound for a frame of `len` bytes (nesting at most the default 128 deep).
fn bound(len: usize) -> usize {
    const DEPTH: usize = 128;
    64 * len + 64 * 64 * DEPTH + 64 * 1024
}

/// BERT's version byte, LIST and NIL tags (the format's, not this crate's API).
const VERSION: u8 = 131;
const LIST: u8 = 108;
const NIL: u8 = 106;

/// `depth` nested lists, each claiming every byte that remains, then `filler` NILs: every
/// level's claim passes the check against the input, so reserving claims up front would take
/// the frame's size times its depth.
fn nested_claims(depth: usize, filler: usize) -> Vec<u8> {
    let mut frame = vec![VERSION];
    for level in 0..depth {
        let remaining = (depth - level - 1) * 5 + filler;
        frame.push(LIST);
        frame.extend_from_slice(&(remaining as u32).to_be_bytes());
    }
    frame.extend(std::iter::repeat_n(NIL, filler));
    frame
}

#[test]
fn no_frame_makes_the_decoder_take_more_memory_than_it_holds() {
    let claims = nested_claims(127, 31_000);
    let hostile: [&[u8]; 5] = [
        &[131, 108, 0xff, 0xff, 0xff, 0xff],
        &[131, 116, 0x7f, 0xff, 0xff, 0xff, 97, 1],
        &[131, 109, 0xff, 0xff, 0xff, 0xf0, 1, 2, 3],
        &[131, 111, 0x00, 0x10, 0x00, 0x00, 0, 1],
        &claims,
    ];
    for frame in hostile {
        let peak = peak_while_decoding(frame);
        assert!(
            peak <= bound(frame.len()),
            "{} bytes took {peak} bytes (bound {})",
            frame.len(),
            bound(frame.len())
        );
    }
    // The nested claims alone: once 127 levels × the frame's size × 32 bytes (127 MB for a
    // 31.6 KB frame); now a few megabytes.
    assert!(peak_while_decoding(&claims) < 4 << 20);

    let mut runner = TestRunner::new(Config::with_cases(3000));
    let frames = (
        support::strategies::value(),
        proptest::collection::vec(any::<(usize, u8)>(), 1..4),
    )
        .prop_filter_map("encodable", |(value, edits)| {
            let mut bytes = encode(&value).ok()?;
            for (at, byte) in edits {
                let at = at % bytes.len();
                bytes[at] = byte;
            }
            Some(bytes)
        });
    runner
        .run(&frames, |bytes| {
            let peak = peak_while_decoding(&bytes);
            prop_assert!(
                peak <= bound(bytes.len()),
                "{} bytes took {}",
                bytes.len(),
                peak
            );
            Ok(())
        })
        .expect("memory stays bounded");
    // Depth sweeps of nested claims, deep and shallow, long and short.
    for depth in [1, 2, 16, 64, 127] {
        for filler in [0, 1, 100, 10_000] {
            let frame = nested_claims(depth, filler);
            let peak = peak_while_decoding(&frame);
            assert!(
                peak <= bound(frame.len()),
                "depth {depth}, filler {filler}: {peak}"
            );
        }
    }
}
