//! What the loop and the writer thread share: the batch waiting to be written (each flush
//! folds into it, so the loop never waits for the writer, and what waits is bounded by the
//! batch's own bounds), the events read back from Redis, and the writer's counters. Locks are
//! held only to fold or take a batch, never across a call to Redis.

use super::batch::Batch;
use serde_json::Value as Json;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

#[derive(Default)]
struct Inbox {
    batch: Batch,
    stop: bool,
}

/// The writer's counters, for `/metrics`.
#[derive(Default)]
pub struct Counters {
    /// Whether the last write (or connection) succeeded.
    pub up: AtomicBool,
    /// Flushes written.
    pub writes: AtomicU64,
    /// Connections and writes that failed.
    pub failures: AtomicU64,
    /// Events and minute totals not written: they did not fit while Redis was away, or were
    /// in a write that failed (a write is not repeated, so none is counted twice).
    pub dropped: AtomicU64,
}

#[derive(Default)]
pub struct Handoff {
    inbox: Mutex<Inbox>,
    wake: Condvar,
    /// Set by the writer when it has (re)connected: Redis may have lost everything (a
    /// restarted Redis comes back empty), so the next flush writes every row, not just those
    /// that changed.
    resync: AtomicBool,
    /// The events read back from Redis at the first connection, oldest first, until the loop
    /// takes them.
    restored: Mutex<Option<Vec<Json>>>,
    pub counters: Counters,
}

impl Handoff {
    fn inbox(&self) -> MutexGuard<'_, Inbox> {
        // Neither side panics while holding the lock; if one did, the batch is still whole.
        self.inbox.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The loop: folds a flush into the waiting batch and wakes the writer.
    pub fn submit(&self, batch: Batch) {
        self.inbox().batch.merge(batch);
        self.wake.notify_one();
    }

    /// The writer: waits until there is a batch (or `anyway`) and `not_before` has come;
    /// `false` when the store is closing.
    pub fn wait(&self, not_before: Option<Instant>, anyway: bool) -> bool {
        let mut inbox = self.inbox();
        loop {
            if inbox.stop {
                return false;
            }
            if let Some(wait) = not_before.and_then(|at| at.checked_duration_since(Instant::now()))
            {
                if !wait.is_zero() {
                    inbox = self
                        .wake
                        .wait_timeout(inbox, wait)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                    continue;
                }
            }
            if anyway || !inbox.batch.is_empty() {
                return true;
            }
            inbox = self
                .wake
                .wait(inbox)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// The writer: the waiting batch, leaving an empty one.
    pub fn take(&self) -> Batch {
        std::mem::take(&mut self.inbox().batch)
    }

    /// The writer: a batch it could not write goes back ahead of the one waiting (which is
    /// newer: its rows win, its events come after).
    pub fn put_back(&self, mut older: Batch) {
        let mut inbox = self.inbox();
        older.merge(std::mem::take(&mut inbox.batch));
        inbox.batch = older;
    }

    /// The loop, closing the store: the writer stops at its next wait.
    pub fn stop(&self) {
        self.inbox().stop = true;
        self.wake.notify_one();
    }

    pub fn ask_resync(&self) {
        self.resync.store(true, Ordering::Relaxed);
    }

    /// The loop: whether the next flush must write every row (and no longer after this).
    pub fn take_resync(&self) -> bool {
        self.resync.swap(false, Ordering::Relaxed)
    }

    pub fn put_restored(&self, events: Vec<Json>) {
        *self.restored.lock().unwrap_or_else(PoisonError::into_inner) = Some(events);
    }

    pub fn take_restored(&self) -> Option<Vec<Json>> {
        self.restored
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}
