//! `NodeHandle`: how other threads reach a running node.

use super::inbox::Posted;
use super::Node;
use crate::error::Error;
use crate::reactor::Waker;
use crossbeam_channel::Sender;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A `Send + Sync + Clone` handle to a node: post closures to run on its thread, or stop it.
///
/// ```
/// use dripdrop::Node;
///
/// let mut node = Node::new()?;
/// let handle = node.handle();
/// let other = std::thread::spawn(move || {
///     // Runs on the node's thread, at its next turn.
///     handle.post(|node| node.stop()).expect("the node is running");
/// });
/// node.run()?;                                // returns once the posted closure stopped it
/// other.join().unwrap();
/// # Ok::<(), dripdrop::Error>(())
/// ```
#[derive(Clone)]
pub struct NodeHandle {
    posted: Sender<Posted>,
    waker: Arc<Waker>,
    stop_requested: Arc<AtomicBool>,
    shutdown_requested: Arc<AtomicBool>,
}

impl NodeHandle {
    pub(super) fn new(
        posted: Sender<Posted>,
        waker: Arc<Waker>,
        stop_requested: Arc<AtomicBool>,
        shutdown_requested: Arc<AtomicBool>,
    ) -> Self {
        NodeHandle {
            posted,
            waker,
            stop_requested,
            shutdown_requested,
        }
    }

    /// Runs `f` on the node's thread at its next turn. `Err(Stopped)` once the node is gone.
    pub fn post(&self, f: impl FnOnce(&mut Node) + Send + 'static) -> Result<(), Error> {
        self.posted.send(Box::new(f)).map_err(|_| Error::Stopped)?;
        self.waker.wake();
        Ok(())
    }

    /// Wakes the loop without giving it anything to do: a host whose interrupts arrive while the
    /// loop waits uses it to have them looked at (see [`Node::run_with`]).
    pub fn wake(&self) {
        self.waker.wake();
    }

    /// Asks the node to stop, as [`Node::stop`] does.
    pub fn stop(&self) {
        self.stop_requested.store(true, Ordering::Release);
        self.waker.wake();
    }

    /// Asks the node to stop for good, as SIGTERM does in a launched process: as `stop`, and
    /// besides the queued sends, the tasks it submitted to its pools get until the stop
    /// linger to finish; those that do not are cancelled and handed back to their callers
    /// (`Error::Stopped`) before `run` returns, so no caller is left without an answer.
    pub fn shutdown(&self) {
        self.shutdown_requested.store(true, Ordering::Release);
        self.stop();
    }
}
