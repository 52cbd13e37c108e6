//! What other threads hand a node: closures posted through a `NodeHandle`, and requests whose
//! `Response` was dropped unanswered (wherever it was dropped). Both wake the node's reactor.

use super::Node;
use crate::route::Asker;
use crossbeam_channel::{Receiver, Sender};

/// A closure another thread posted to run on the node's thread.
pub(crate) type Posted = Box<dyn FnOnce(&mut Node) + Send>;

/// A request to answer with an error: its route's index and its asker.
pub(crate) type Unanswered = (usize, Asker);

pub(crate) struct Inbox {
    posted_tx: Sender<Posted>,
    posted: Receiver<Posted>,
    unanswered_tx: Sender<Unanswered>,
    unanswered: Receiver<Unanswered>,
}

impl Inbox {
    pub(crate) fn new() -> Self {
        let (posted_tx, posted) = crossbeam_channel::unbounded();
        let (unanswered_tx, unanswered) = crossbeam_channel::unbounded();
        Inbox {
            posted_tx,
            posted,
            unanswered_tx,
            unanswered,
        }
    }

    /// Where handles post closures.
    pub(crate) fn poster(&self) -> Sender<Posted> {
        self.posted_tx.clone()
    }

    /// Where dropped responses send their askers.
    pub(crate) fn unanswered_sender(&self) -> Sender<Unanswered> {
        self.unanswered_tx.clone()
    }

    pub(crate) fn next_posted(&self) -> Option<Posted> {
        self.posted.try_recv().ok()
    }

    pub(crate) fn next_unanswered(&self) -> Option<Unanswered> {
        self.unanswered.try_recv().ok()
    }
}
