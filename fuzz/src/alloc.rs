//! A counting allocator: the most memory live at once while one input is read, held to the
//! bound the decoder documents.
//!
//! Counted per thread (the checks run on one thread each, and the regression check's threads
//! do not see each other's allocations); the counters are `Cell`s in `const`-initialised
//! thread-locals, which never allocate or register a destructor, so the allocator can use
//! them.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn grew(bytes: usize) {
    // `try_with`: a thread being torn down still allocates after its locals are gone.
    let _ = LIVE.try_with(|live| {
        let now = live.get() + bytes as isize;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn shrank(bytes: usize) {
    let _ = LIVE.try_with(|live| live.set(live.get() - bytes as isize));
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counting beside it
// touches only thread-local cells.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrank(layout.size());
        // SAFETY: `ptr` came from `System` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size >= layout.size() {
            grew(new_size - layout.size());
        } else {
            shrank(layout.size() - new_size);
        }
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `read` and returns what it returned and the most bytes live at once while it ran,
/// above what was live before.
pub fn peak_during<T>(read: impl FnOnce() -> T) -> (T, usize) {
    let before = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(before));
    let result = read();
    let peak = PEAK.with(Cell::get) - before;
    (result, peak.max(0) as usize)
}

/// The decoder's documented bound (README, "Safe decoding"; core/src/bert/decode/mod.rs): a
/// frame of `n` bytes nested at most `depth` deep takes at most about `64 n + 4096 depth`
/// bytes besides its binaries, which take their own bytes (within the `n`). The 64 KiB on
/// top is the decoder's own stack of open containers and the error's text, as the
/// allocation test in core/tests allows.
pub fn decode_bound(n: usize, depth: usize) -> usize {
    64 * n + 64 * 64 * depth + 64 * 1024
}

/// Panics, naming the input's size, when `peak` is over [`decode_bound`].
pub fn assert_within(what: &str, n: usize, depth: usize, peak: usize) {
    let bound = decode_bound(n, depth);
    assert!(
        peak <= bound,
        "{what}: an input of {n} bytes took {peak} bytes at once (bound {bound})"
    );
}
