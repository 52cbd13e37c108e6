//! Requests sent on xreq and req routes that wait for their replies.

use super::callbacks::ReplyCallback;
use crate::reactor::TimerId;
use rustc_hash::FxHashMap;

/// A request waiting for its reply: the callback, and the timer that ends the wait.
pub(crate) struct Pending {
    pub(crate) callback: ReplyCallback,
    pub(crate) timer: Option<TimerId>,
}

/// Every request waiting for a reply, by route index and request id.
#[derive(Default)]
pub(crate) struct PendingRequests {
    waiting: FxHashMap<(usize, u64), Pending>,
}

impl PendingRequests {
    pub(crate) fn insert(&mut self, route: usize, id: u64, pending: Pending) {
        self.waiting.insert((route, id), pending);
    }

    /// The request a reply answers (or whose wait ended), taken out.
    pub(crate) fn take(&mut self, route: usize, id: u64) -> Option<Pending> {
        self.waiting.remove(&(route, id))
    }
}
