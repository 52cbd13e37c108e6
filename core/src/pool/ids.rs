//! Task ids and worker session identities: unique within a pool, unlikely to repeat across
//! pools and restarts (a handler can use a task id as an idempotency key, and a late result
//! never matches a new task), and revealing nothing about each other, so a peer that sees one
//! id cannot name another task.
//!
//! An id is a counter passed through a keyed permutation of the 62-bit numbers (a Feistel
//! network whose round function is SipHash under a random key): distinct counters give
//! distinct ids, and without the key the ids look random.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// Ids have this many bits, so they stay below 2^63 and are plain integers everywhere.
const ID_BITS: u32 = 62;
const HALF_BITS: u32 = ID_BITS / 2;
const HALF_MASK: u64 = (1 << HALF_BITS) - 1;
/// Four rounds make a keyed permutation indistinguishable from a random one (Luby–Rackoff).
const ROUNDS: u64 = 4;

pub(crate) struct IdSource {
    /// SipHash under a key drawn from the OS: the round function.
    key: RandomState,
    counter: u64,
}

impl IdSource {
    pub(crate) fn new() -> Self {
        IdSource {
            key: RandomState::new(),
            counter: 0,
        }
    }

    /// The next id: never 0, below 2^62, never one this source gave before.
    pub(crate) fn next(&mut self) -> u64 {
        loop {
            self.counter += 1;
            // 2^62 ids is more than a pool ever hands out; wrapping would only repeat.
            let id = self.permute(self.counter & ((1 << ID_BITS) - 1));
            if id != 0 {
                return id;
            }
        }
    }

    fn permute(&self, value: u64) -> u64 {
        let (mut left, mut right) = (value >> HALF_BITS, value & HALF_MASK);
        for round in 0..ROUNDS {
            let mut hasher = self.key.build_hasher();
            hasher.write_u64(round);
            hasher.write_u64(right);
            let mixed = left ^ (hasher.finish() & HALF_MASK);
            left = right;
            right = mixed;
        }
        (left << HALF_BITS) | right
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustc_hash::FxHashSet;

    #[test]
    fn ids_are_distinct_nonzero_and_below_2_62() {
        let mut ids = IdSource::new();
        let drawn: FxHashSet<u64> = (0..100_000).map(|_| ids.next()).collect();
        assert_eq!(drawn.len(), 100_000);
        assert!(drawn.iter().all(|&id| id != 0 && id < 1 << 62));
    }

    #[test]
    fn consecutive_ids_reveal_nothing_of_each_other() {
        let mut ids = IdSource::new();
        let drawn: Vec<u64> = (0..10_000).map(|_| ids.next()).collect();
        // Neither grow nor stay close: about half the steps go down, and a step's size is
        // spread over the whole range (a counter would step by 1).
        let downs = drawn.windows(2).filter(|w| w[1] < w[0]).count();
        assert!(
            (4_000..6_000).contains(&downs),
            "{downs} of 9,999 steps go down"
        );
        let close = drawn
            .windows(2)
            .filter(|w| w[0].abs_diff(w[1]) < 1 << 40)
            .count();
        assert!(close < 10, "{close} steps under 2^40");
        // Two sources give different ids.
        let mut other = IdSource::new();
        let theirs: FxHashSet<u64> = (0..10_000).map(|_| other.next()).collect();
        assert!(drawn.iter().filter(|id| theirs.contains(id)).count() < 2);
    }
}
