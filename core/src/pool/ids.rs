//! Task ids: unique within a pool, and unlikely to repeat across pools and restarts, so a
//! handler can use one as an idempotency key and a late result never matches a new task.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

/// Bits of the counter under the random prefix: room for a trillion tasks per pool.
const COUNTER_BITS: u32 = 40;

pub(crate) struct IdSource {
    next: u64,
}

impl IdSource {
    pub(crate) fn new() -> Self {
        // RandomState is seeded from the OS; mixing in the time separates two sources
        // created in the same process.
        let mut hasher = RandomState::new().build_hasher();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        hasher.write_u128(nanos);
        // 23 bits, so ids stay below 2^63 and are plain integers everywhere.
        let prefix = hasher.finish() >> (64 - 23);
        IdSource {
            next: (prefix << COUNTER_BITS) | 1,
        }
    }

    /// Ids grow, so the scheduler can tell the older of two tasks by their ids.
    pub(crate) fn next(&mut self) -> u64 {
        let id = self.next;
        self.next += 1;
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_grow_and_stay_below_2_63() {
        let mut ids = IdSource::new();
        let (a, b) = (ids.next(), ids.next());
        assert!(b > a && b < 1 << 63);
    }
}
