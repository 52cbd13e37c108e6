//! The decoder's two readings of a term inside a protocol frame: built (`decode_nested`,
//! what the pool and worker keep) and walked over (`skip_nested`, what a pool does to a
//! result nobody waits for). They must agree on where every term ends and on which fail.

use crate::bert::{DecodeError, DecodeLimits, Value};

/// The term that starts at `at`, `levels` wire levels deep, and where it ends.
pub fn decode_nested(
    bytes: &[u8],
    at: usize,
    levels: usize,
    limits: &DecodeLimits,
) -> Result<(Value, usize), DecodeError> {
    crate::bert::decode_nested(bytes, at, levels, limits)
}

/// Where the term that starts at `at` ends, checked but built into nothing.
pub fn skip_nested(
    bytes: &[u8],
    at: usize,
    levels: usize,
    limits: &DecodeLimits,
) -> Result<usize, DecodeError> {
    crate::bert::skip_nested(bytes, at, levels, limits)
}
