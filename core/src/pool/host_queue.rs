//! Tasks whose handlers live in a host language (Ruby, Python). Pool and worker task threads
//! are Rust threads, and a host may only be called from its own threads: so a Rust task
//! thread hands each job to a [`HostQueue`] that host threads serve, and waits for the
//! answer. Heartbeats and leases stay on the Rust I/O threads whatever the host code does.

use super::task::{TaskContext, TaskError, TaskResult};
use crate::bert::Value;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// One task for a host thread to run; `finish` sends its result back.
pub struct HostJob {
    pub context: TaskContext,
    pub args: Value,
    reply: Sender<TaskResult>,
}

impl HostJob {
    /// Hands the result to the task thread waiting for it. A job dropped unfinished fails
    /// with class `Stopped`.
    pub fn finish(self, result: TaskResult) {
        let _ = self.reply.send(result);
    }
}

/// What a serving host thread gets from [`HostQueue::next`].
pub enum Next {
    Job(HostJob),
    /// Nothing came within the wait: the thread may check its interrupts and ask again.
    Idle,
    /// The queue was closed and no job waits: the thread should end.
    Closed,
}

/// The jobs of a node's or worker's host-language tasks.
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
    /// A task handler (for `Node::task` or `Worker::task`) that hands each job to this queue
    /// and waits for a host thread's result. `host` names the language in errors.
    pub fn forwarder(
        &self,
        host: &'static str,
    ) -> impl Fn(&TaskContext, Value) -> TaskResult + Send + Sync + 'static {
        let jobs = Arc::new(self.jobs.clone());
        move |context, args| {
            let (reply, answer) = crossbeam_channel::bounded(1);
            let job = HostJob {
                context: context.clone(),
                args,
                reply,
            };
            if jobs.send(job).is_err() {
                return Err(TaskError::new(
                    "Stopped",
                    format!("no {host} threads serve this task"),
                ));
            }
            answer.recv().unwrap_or_else(|_| {
                Err(TaskError::new(
                    "Stopped",
                    format!("the {host} thread running the task went away"),
                ))
            })
        }
    }

    /// The next job, waiting at most `wait` (call it without the host's lock).
    pub fn next(&self, wait: Duration) -> Next {
        match self.pending.recv_timeout(wait) {
            Ok(job) => Next::Job(job),
            Err(RecvTimeoutError::Timeout) if !self.closed.load(Ordering::Acquire) => Next::Idle,
            Err(_) => Next::Closed,
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

    #[test]
    fn a_job_goes_to_the_host_and_its_result_comes_back() {
        let queue = Arc::new(HostQueue::default());
        let forward = queue.forwarder("test");
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
        let context = TaskContext::new(1, Arc::from("double"), 1, None);
        assert_eq!(forward(&context, Value::Int(21)), Ok(Value::Int(42)));
        queue.close();
        server.join().unwrap();
    }

    #[test]
    fn a_dropped_job_fails_as_stopped() {
        let queue = Arc::new(HostQueue::default());
        let forward = queue.forwarder("test");
        let dropper = {
            let queue = Arc::clone(&queue);
            std::thread::spawn(move || {
                if let Next::Job(job) = queue.next(Duration::from_secs(5)) {
                    drop(job);
                }
            })
        };
        let error = forward(&TaskContext::new(2, Arc::from("t"), 1, None), Value::Nil).unwrap_err();
        assert_eq!(error.class, "Stopped");
        dropper.join().unwrap();
    }
}
