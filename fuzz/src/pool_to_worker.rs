//! `pool_to_worker`: any frame a pool may send a worker (TASK, TASKS, CANCEL, HEARTBEAT,
//! DISCONNECT), read as the worker reads it.
//!
//! - memory within the documented bound;
//! - the fast reading of tasks agrees with the general one, errors included: every frame it
//!   takes, the general reading reads the same (the same arrival instant, so the same
//!   deadlines);
//! - CANCEL reads back from what the pool writes.

use crate::alloc::{assert_within, peak_during};
use dripdrop::fuzzing::pool::{to_worker, to_worker_generic, write_cancel, ToWorker};
use dripdrop::DecodeLimits;
use std::time::Instant;

pub fn check(data: &[u8]) {
    let limits = DecodeLimits::DEFAULT;
    let arrived = Instant::now();
    let (fast, peak) = peak_during(|| to_worker(data, arrived, &limits));
    assert_within("ToWorker::decode", data.len(), limits.max_depth, peak);

    let generic = to_worker_generic(data, arrived, &limits);
    assert_eq!(fast, generic, "fast and general readings differ");

    if let Ok(ToWorker::Cancel(id)) = fast {
        let again = to_worker(&write_cancel(id), arrived, &limits);
        assert_eq!(again, Ok(ToWorker::Cancel(id)), "CANCEL does not read back");
    }
}
