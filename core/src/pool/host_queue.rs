//! Tasks whose handlers live in a host language (Ruby, Python). A host may only be called
//! from its own threads, so the pool's or worker's I/O thread hands each job of such a task
//! to a [`HostQueue`] that host threads serve, and the host thread hands the result straight
//! back to the I/O thread. Heartbeats and leases stay on the I/O thread whatever the host code
//! does.

use super::task::{cancelled_before_start, Job, TaskContext, TaskError, TaskResult};
use crate::bert::Value;
use crate::reactor::Waker;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// One task lent to a host thread; [`HostJob::finish`] sends its result back. A job dropped
/// unfinished (its thread died, the queue went away) fails with class `Stopped`, so its
/// caller is never left waiting.
pub struct HostJob {
    /// The task's id, name, attempt, deadline and cancel flag.
    pub context: TaskContext,
    /// The task's arguments.
    pub args: Value,
    /// Where the result goes, until it went.
    results: Option<Sender<(u64, TaskResult)>>,
    waker: Arc<Waker>,
}

impl HostJob {
    pub(crate) fn new(job: Job, results: Sender<(u64, TaskResult)>, waker: Arc<Waker>) -> Self {
        HostJob {
            context: job.context,
            args: job.args,
            results: Some(results),
            waker,
        }
    }

    /// Hands the result to the pool's or worker's I/O thread.
    pub fn finish(mut self, result: TaskResult) {
        self.send(result);
    }

    fn send(&mut self, result: TaskResult) {
        if let Some(results) = self.results.take() {
            // The I/O thread gone, nobody waits for the result any more.
            if results.send((self.context.id(), result)).is_ok() {
                self.waker.wake();
            }
        }
    }
}

impl Drop for HostJob {
    fn drop(&mut self) {
        let error = TaskError::new("Stopped", "the thread running the task went away");
        self.send(Err(error));
    }
}

/// What a serving host thread gets from [`HostQueue::next`].
pub enum Next {
    /// A job to run, then to [`finish`](HostJob::finish).
    Job(HostJob),
    /// Nothing came within the wait: the thread may check its interrupts and ask again.
    Idle,
    /// The queue was closed and no job waits: the thread should end.
    Closed,
}

/// The jobs of a node's or worker's host-language tasks, served by host threads. Register
/// a task on it with `Node::host_task` or `Worker::host_task`.
pub struct HostQueue {
    jobs: Sender<HostJob>,
    pending: Receiver<HostJob>,
    closed: AtomicBool,
}

impl Default for HostQueue {
    fn default() -> Self {
        let (jobs, pending) = crossbeam_channel::unbounded();
        HostQueue {
            jobs,
            pending,
            closed: AtomicBool::new(false),
        }
    }
}

impl HostQueue {
    /// An empty queue.
    pub fn new() -> Self {
        HostQueue::default()
    }

    pub(crate) fn push(&self, job: HostJob) {
        // The queue holds its own receiver: a send cannot fail.
        let _ = self.jobs.send(job);
    }

    /// The next job, waiting at most `wait` (call it without the host's lock). A job
    /// cancelled (or past its deadline) while it waited is answered here and skipped.
    pub fn next(&self, wait: Duration) -> Next {
        loop {
            match self.pending.recv_timeout(wait) {
                Ok(job) if job.context.is_cancelled() => job.finish(Err(cancelled_before_start())),
                Ok(job) => return Next::Job(job),
                Err(RecvTimeoutError::Timeout) if !self.closed.load(Ordering::Acquire) => {
                    return Next::Idle
                }
                Err(_) => return Next::Closed,
            }
        }
    }

    /// Ends serving threads once no job waits (each sees `Closed` at its next wait).
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reactor;

    fn job(id: u64, args: Value) -> Job {
        Job {
            context: TaskContext::new(id, Arc::from("double"), 1, None),
            args,
        }
    }

    #[test]
    fn a_job_goes_to_the_host_and_its_result_comes_back() {
        let (waker, _wake) = reactor::waker_pair().unwrap();
        let waker = Arc::new(waker);
        let queue = Arc::new(HostQueue::default());
        let (results_tx, results) = crossbeam_channel::unbounded();
        queue.push(HostJob::new(job(1, Value::Int(21)), results_tx, waker));
        let server = {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || loop {
                match queue.next(Duration::from_millis(10)) {
                    Next::Job(job) => {
                        let n = match job.args {
                            Value::Int(n) => n,
                            _ => 0,
                        };
                        job.finish(Ok(Value::Int(n * 2)));
                    }
                    Next::Idle => continue,
                    Next::Closed => return,
                }
            })
        };
        assert_eq!(results.recv().unwrap(), (1, Ok(Value::Int(42))));
        queue.close();
        server.join().unwrap();
    }

    #[test]
    fn a_dropped_job_fails_as_stopped_and_a_cancelled_one_is_not_served() {
        let (waker, _wake) = reactor::waker_pair().unwrap();
        let waker = Arc::new(waker);
        let queue = HostQueue::default();
        let (results_tx, results) = crossbeam_channel::unbounded();
        let mut cancelled = job(2, Value::Nil);
        let cancels = Arc::new(super::super::cancels::Cancels::default());
        cancelled.context.watch(&cancels);
        cancels.cancel(2);
        queue.push(HostJob::new(
            cancelled,
            results_tx.clone(),
            Arc::clone(&waker),
        ));
        queue.push(HostJob::new(job(3, Value::Nil), results_tx, waker));
        match queue.next(Duration::from_secs(5)) {
            Next::Job(job) => {
                assert_eq!(job.context.id(), 3);
                drop(job);
            }
            _ => panic!("job 3 waits"),
        }
        let (id, result) = results.recv().unwrap();
        assert_eq!((id, result.unwrap_err().class), (2, "Cancelled".to_owned()));
        let (id, result) = results.recv().unwrap();
        assert_eq!((id, result.unwrap_err().class), (3, "Stopped".to_owned()));
    }
}
