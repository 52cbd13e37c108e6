//! The local thread pool behind `defer`: EventMachine's `EM.defer` for Rust closures.
//!
//! Jobs run on pool threads; their results travel back over a channel and the node runs the
//! callback on its own thread. The threads start with the node, so a first `defer` does not
//! wait for one to spawn.

use crate::error::Error;
use crate::panic_message::panic_message;
use crate::waker::Waker;
use crossbeam_channel::{Receiver, Sender};
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::thread;

pub(crate) type Output = Result<Box<dyn Any + Send>, Error>;
type Job = Box<dyn FnOnce() -> Box<dyn Any + Send> + Send>;

pub(crate) struct DeferPool {
    jobs: Option<Sender<(u64, Job)>>,
    results: Receiver<(u64, Output)>,
    threads: usize,
}

impl DeferPool {
    /// Starts `threads` pool threads (at least one), which wake the node when a job is done.
    pub(crate) fn start(threads: usize, waker: Arc<Waker>) -> std::io::Result<Self> {
        let threads = threads.max(1);
        let (job_tx, job_rx) = crossbeam_channel::unbounded::<(u64, Job)>();
        let (result_tx, result_rx) = crossbeam_channel::unbounded();
        for i in 0..threads {
            let jobs = job_rx.clone();
            let results = result_tx.clone();
            let waker = Arc::clone(&waker);
            thread::Builder::new()
                .name(format!("dripdrop-defer-{i}"))
                .spawn(move || run_jobs(&jobs, &results, &waker))?;
        }
        Ok(DeferPool {
            jobs: Some(job_tx),
            results: result_rx,
            threads,
        })
    }

    pub(crate) fn submit(&self, id: u64, job: Job) {
        if let Some(jobs) = &self.jobs {
            // The receivers live as long as the pool threads, which outlive this sender.
            let _ = jobs.send((id, job));
        }
    }

    /// A finished job, if any.
    pub(crate) fn try_result(&self) -> Option<(u64, Output)> {
        self.results.try_recv().ok()
    }

    pub(crate) fn threads(&self) -> usize {
        self.threads
    }
}

impl Drop for DeferPool {
    /// Closing the job channel lets each thread end after its current job; they are not
    /// joined, so a job that never returns cannot hang the node's shutdown.
    fn drop(&mut self) {
        self.jobs.take();
    }
}

fn run_jobs(jobs: &Receiver<(u64, Job)>, results: &Sender<(u64, Output)>, waker: &Waker) {
    while let Ok((id, job)) = jobs.recv() {
        let output = catch_unwind(AssertUnwindSafe(job)).map_err(|payload| Error::Callback {
            context: "deferred operation".to_owned(),
            message: panic_message(payload.as_ref()),
        });
        if results.send((id, output)).is_err() {
            return;
        }
        waker.wake();
    }
}
