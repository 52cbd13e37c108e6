//! `defer`, EventMachine's `EM.defer` for Rust closures: operations run on the node's thread
//! pool, and their callbacks back on the node's thread.

use super::Node;
use crate::error::Error;
use crate::panic_message::panic_message;
use crate::reactor::Waker;
use crate::threads::JobThreads;
use crossbeam_channel::{Receiver, Sender};
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
    /// Started at the first `defer`, so a node that never defers starts no thread.
    threads: Option<JobThreads<(u64, Operation)>>,
    thread_count: usize,
    done_tx: Sender<(u64, Output)>,
    done: Receiver<(u64, Output)>,
    waker: Arc<Waker>,
    callbacks: FxHashMap<u64, DeferCallback>,
    next_id: u64,
}

impl Deferred {
    /// A pool of `threads` threads (at least one), started when first needed, that wake
    /// `waker` when an operation is done.
    pub(crate) fn new(threads: usize, waker: &Arc<Waker>) -> Self {
        let (done_tx, done) = crossbeam_channel::unbounded();
        Deferred {
            threads: None,
            thread_count: threads.max(1),
            done_tx,
            done,
            waker: Arc::clone(waker),
            callbacks: FxHashMap::default(),
            next_id: 0,
        }
    }

    fn threads(&mut self) -> std::io::Result<&JobThreads<(u64, Operation)>> {
        if self.threads.is_none() {
            let threads = JobThreads::start(
                "dripdrop-defer",
                self.thread_count,
                &self.done_tx,
                &self.waker,
                |(id, operation): (u64, Operation)| {
                    let output = catch_unwind(AssertUnwindSafe(operation)).map_err(|payload| {
                        Error::Callback {
                            context: "deferred operation".to_owned(),
                            message: panic_message(payload.as_ref()),
                        }
                    });
                    (id, output)
                },
            )?;
            self.threads = Some(threads);
        }
        Ok(self.threads.as_ref().expect("started above"))
    }

    /// Runs `op` on a thread; `callback` gets what it returned (or its panic, or why no
    /// thread could run it).
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
        let operation: Operation = Box::new(move || Box::new(op()) as Box<dyn Any + Send>);
        if let Err(e) = self
            .threads()
            .map(|threads| threads.submit((id, operation)))
        {
            let error = Error::Callback {
                context: "deferred operation".to_owned(),
                message: format!("no thread could start to run it: {e}"),
            };
            // Our own receiver: the callback gets the error at the loop's next turn.
            let _ = self.done_tx.send((id, Err(error)));
            self.waker.wake();
        }
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

    /// Threads the pool runs (or will, once started).
    pub(crate) fn thread_count(&self) -> usize {
        self.thread_count
    }

    /// Operations whose callbacks have not run yet.
    pub(crate) fn pending(&self) -> usize {
        self.callbacks.len()
    }
}
