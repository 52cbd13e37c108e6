//! `defer`, EventMachine's `EM.defer` for Rust closures: operations run on the node's thread
//! pool, and their callbacks back on the node's thread.

use super::Node;
use crate::error::Error;
use crate::panic_message::panic_message;
use crate::reactor::Waker;
use crate::threads::JobThreads;
use crossbeam_channel::Receiver;
use rustc_hash::FxHashMap;
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// What an operation returned (boxed: the pool runs operations of every type), or its panic.
type Output = Result<Box<dyn Any + Send>, Error>;
type Operation = Box<dyn FnOnce() -> Box<dyn Any + Send> + Send>;
/// A callback waiting for its operation, with the output unboxed to its type.
pub(crate) type DeferCallback = Box<dyn FnOnce(&mut Node, Output)>;

/// The node's `defer` threads and the callbacks waiting for them.
pub(crate) struct Deferred {
    threads: JobThreads<(u64, Operation)>,
    done: Receiver<(u64, Output)>,
    callbacks: FxHashMap<u64, DeferCallback>,
    next_id: u64,
}

impl Deferred {
    /// Starts `threads` threads now, so a first `defer` does not wait for one to spawn.
    pub(crate) fn start(threads: usize, waker: &Arc<Waker>) -> std::io::Result<Self> {
        let (done_tx, done) = crossbeam_channel::unbounded();
        let threads = JobThreads::start(
            "dripdrop-defer",
            threads,
            &done_tx,
            waker,
            |(id, operation): (u64, Operation)| {
                let output =
                    catch_unwind(AssertUnwindSafe(operation)).map_err(|payload| Error::Callback {
                        context: "deferred operation".to_owned(),
                        message: panic_message(payload.as_ref()),
                    });
                (id, output)
            },
        )?;
        Ok(Deferred {
            threads,
            done,
            callbacks: FxHashMap::default(),
            next_id: 0,
        })
    }

    /// Runs `op` on a thread; `callback` gets what it returned (or its panic).
    pub(crate) fn submit<T: Send + 'static>(
        &mut self,
        op: impl FnOnce() -> T + Send + 'static,
        callback: impl FnOnce(&mut Node, Result<T, Error>) + 'static,
    ) {
        let id = self.next_id;
        self.next_id += 1;
        let deliver: DeferCallback = Box::new(move |node, output| {
            let result = output.map(|boxed| match boxed.downcast::<T>() {
                Ok(value) => *value,
                Err(_) => unreachable!("the operation boxed a T"),
            });
            callback(node, result);
        });
        self.callbacks.insert(id, deliver);
        self.threads
            .submit((id, Box::new(move || Box::new(op()) as Box<dyn Any + Send>)));
    }

    /// The callback of an operation that finished, with its output.
    pub(crate) fn next_finished(&mut self) -> Option<(DeferCallback, Output)> {
        loop {
            let (id, output) = self.done.try_recv().ok()?;
            if let Some(callback) = self.callbacks.remove(&id) {
                return Some((callback, output));
            }
        }
    }

    pub(crate) fn threads(&self) -> usize {
        self.threads.count()
    }

    /// Operations whose callbacks have not run yet.
    pub(crate) fn pending(&self) -> usize {
        self.callbacks.len()
    }
}
