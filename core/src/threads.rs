//! Threads that take jobs from one channel and hand their results to another, waking the
//! reactor of whoever waits for them: the one shape of every thread pool here (a node's
//! `defer`, a pool's local tasks, a worker's tasks).

use crate::reactor::Waker;
use crossbeam_channel::{Receiver, Sender};
use std::sync::Arc;

/// Named threads serving one job channel. Dropping it closes the channel: each thread ends
/// after its current job. They are not joined, so a job that never returns cannot hang its
/// owner's shutdown.
pub(crate) struct JobThreads<J> {
    jobs: Sender<J>,
}

impl<J: Send + 'static> JobThreads<J> {
    /// Starts `count` threads (at least one) named `{name}-{i}`. Each runs `run` on every job
    /// it takes, sends what it returns to `results` and wakes `waker`; `run` catches what its
    /// job may raise. A thread ends once the jobs or the results are closed.
    pub(crate) fn start<R: Send + 'static>(
        name: &str,
        count: usize,
        results: &Sender<R>,
        waker: &Arc<Waker>,
        run: impl Fn(J) -> R + Send + Sync + 'static,
    ) -> std::io::Result<Self> {
        let count = count.max(1);
        let (jobs, taken) = crossbeam_channel::unbounded::<J>();
        let run = Arc::new(run);
        for i in 0..count {
            let (taken, results, waker, run) = (
                taken.clone(),
                results.clone(),
                Arc::clone(waker),
                Arc::clone(&run),
            );
            std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || serve(&taken, &results, &waker, &*run))?;
        }
        Ok(JobThreads { jobs })
    }

    /// Hands a job to the next free thread.
    pub(crate) fn submit(&self, job: J) {
        // The threads hold the receiver for as long as this sender lives.
        let _ = self.jobs.send(job);
    }
}

fn serve<J, R>(jobs: &Receiver<J>, results: &Sender<R>, waker: &Waker, run: &dyn Fn(J) -> R) {
    while let Ok(job) = jobs.recv() {
        if results.send(run(job)).is_err() {
            return;
        }
        waker.wake();
    }
}
