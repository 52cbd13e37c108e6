//! A pool's local threads: they run the node's registered tasks in this process, as one
//! more worker of the pool whose credit is its thread count.

use super::task::{start_task_threads, Job, TaskContext, TaskRegistry, TaskResult};
use crate::bert::Value;
use crate::waker::Waker;
use crossbeam_channel::{Receiver, Sender};
use std::sync::Arc;

pub(crate) struct LocalThreads {
    jobs: Option<Sender<Job>>,
    results: Receiver<(u64, TaskResult)>,
    threads: usize,
}

impl LocalThreads {
    /// Starts `threads` threads that wake the dispatcher when a task is done.
    pub(crate) fn start(
        pool: &str,
        threads: usize,
        registry: TaskRegistry,
        waker: Arc<Waker>,
    ) -> std::io::Result<Self> {
        let (job_tx, job_rx) = crossbeam_channel::unbounded::<Job>();
        let (result_tx, result_rx) = crossbeam_channel::unbounded();
        start_task_threads(
            &format!("dripdrop-pool-{pool}"),
            threads,
            &job_rx,
            &result_tx,
            &registry,
            &waker,
        )?;
        Ok(LocalThreads {
            jobs: Some(job_tx),
            results: result_rx,
            threads,
        })
    }

    pub(crate) fn threads(&self) -> usize {
        self.threads
    }

    pub(crate) fn run(&self, context: TaskContext, args: Value) {
        if let Some(jobs) = &self.jobs {
            // The threads hold the receiver as long as this sender lives.
            let _ = jobs.send(Job { context, args });
        }
    }

    pub(crate) fn try_result(&self) -> Option<(u64, TaskResult)> {
        self.results.try_recv().ok()
    }
}

impl Drop for LocalThreads {
    /// The threads end after their current task; they are not joined, so a task that never
    /// returns cannot hang the pool's shutdown.
    fn drop(&mut self) {
        self.jobs.take();
    }
}
