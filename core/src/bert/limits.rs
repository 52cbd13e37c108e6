//! Limits the decoder enforces on bytes from peers.

/// Nesting deeper than this is refused whatever the limits say. The decoder keeps its nesting
/// on the heap, but the encoder and `Drop` recurse once per level: at this depth a value
/// encodes within a 1 MiB thread stack even in a debug build (Ruby's threads get 1 MiB).
pub const HARD_MAX_DEPTH: usize = 256;

/// Bounds on what one decoded frame may contain. Each is checked before anything is allocated
/// for it, so a small hostile frame cannot claim a large allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeLimits {
    /// Deepest nesting of lists, tuples and maps (capped at [`HARD_MAX_DEPTH`]).
    pub max_depth: usize,
    /// Largest frame accepted, in bytes.
    pub max_input_bytes: usize,
    /// Most terms in one frame, counting every element of every container.
    pub max_elements: usize,
    /// Largest big-integer magnitude, in bytes (1,024 bytes is about 2,466 decimal digits).
    pub max_bigint_bytes: usize,
}

impl DecodeLimits {
    /// Limits sized for messages: 128 levels, 64 MiB, 4,000,000 terms, 1 KiB big integers.
    pub const DEFAULT: DecodeLimits = DecodeLimits {
        max_depth: 128,
        max_input_bytes: 64 << 20,
        max_elements: 4_000_000,
        max_bigint_bytes: 1024,
    };

    /// The nesting limit actually applied.
    pub(crate) fn effective_depth(&self) -> usize {
        self.max_depth.min(HARD_MAX_DEPTH)
    }
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits::DEFAULT
    }
}
