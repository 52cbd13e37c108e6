//! Decoding never asks for much more memory than the frame's own size, whatever the frame
//! claims. A counting allocator records the largest single request; this file holds one test
//! so no other test's allocations run beside it.

use dripdrop::bert::{decode, encode};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

mod support;

struct Largest;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Largest {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Largest = Largest;

/// The largest single allocation made while decoding `bytes`.
fn largest_allocation(bytes: &[u8]) -> usize {
    LARGEST.store(0, Ordering::Relaxed);
    let _ = decode(bytes);
    LARGEST.load(Ordering::Relaxed)
}

#[test]
fn no_frame_makes_the_decoder_allocate_more_than_its_size_allows() {
    // A Value is 32 bytes and each claimed element needs at least one byte of input, so no
    // container can ask for more than 32 bytes per input byte (64 for map pairs).
    let bound = |len: usize| 64 * len + 1024;
    let hostile: [&[u8]; 4] = [
        &[131, 108, 0xff, 0xff, 0xff, 0xff],
        &[131, 116, 0x7f, 0xff, 0xff, 0xff, 97, 1],
        &[131, 109, 0xff, 0xff, 0xff, 0xf0, 1, 2, 3],
        &[131, 111, 0x00, 0x10, 0x00, 0x00, 0, 1],
    ];
    for frame in hostile {
        assert!(largest_allocation(frame) <= bound(frame.len()), "{frame:?}");
    }
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
            let largest = largest_allocation(&bytes);
            prop_assert!(
                largest <= bound(bytes.len()),
                "{} bytes asked for {}",
                bytes.len(),
                largest
            );
            Ok(())
        })
        .expect("allocation stays bounded");
}
