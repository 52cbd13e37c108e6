//! The tasks a runner's callers gave up on, for their handlers to see
//! (`TaskContext::is_cancelled`): one board per runner, so a task costs no allocation of its
//! own, and a look at a board where nothing was cancelled is one atomic load.

use rustc_hash::FxHashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

#[derive(Debug, Default)]
pub(crate) struct Cancels {
    /// Some id is on the board: only then is the set looked at.
    any: AtomicBool,
    /// Ids of running or waiting tasks that were cancelled; an id leaves when its task's
    /// result is taken, so the set holds at most the runner's tasks.
    ids: Mutex<FxHashSet<u64>>,
}

impl Cancels {
    /// Flags task `id` cancelled.
    pub(crate) fn cancel(&self, id: u64) {
        self.lock().insert(id);
        self.any.store(true, Ordering::Release);
    }

    pub(crate) fn is_cancelled(&self, id: u64) -> bool {
        self.any.load(Ordering::Acquire) && self.lock().contains(&id)
    }

    /// Task `id` ended: its flag, if any, goes.
    pub(crate) fn forget(&self, id: u64) {
        if !self.any.load(Ordering::Acquire) {
            return;
        }
        let mut ids = self.lock();
        ids.remove(&id);
        if ids.is_empty() {
            self.any.store(false, Ordering::Release);
        }
    }

    // The set is never left half-changed by a panic (no user code runs under the lock).
    fn lock(&self) -> std::sync::MutexGuard<'_, FxHashSet<u64>> {
        self.ids.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancelled_id_is_seen_until_it_is_forgotten() {
        let cancels = Cancels::default();
        assert!(!cancels.is_cancelled(7));
        cancels.cancel(7);
        cancels.cancel(8);
        assert!(cancels.is_cancelled(7) && cancels.is_cancelled(8));
        assert!(!cancels.is_cancelled(9));
        cancels.forget(7);
        assert!(!cancels.is_cancelled(7) && cancels.is_cancelled(8));
        cancels.forget(8);
        assert!(!cancels.any.load(Ordering::Acquire));
        // Forgetting what was never flagged changes nothing.
        cancels.forget(9);
        assert!(!cancels.is_cancelled(9));
    }
}
