//! Task handlers written in Python. Pool and worker threads are Rust threads, and Python may
//! only be called from threads Python made: so a Rust task thread hands each job to a queue
//! that Python threads serve (`TaskQueue.serve`), and waits for the answer. Heartbeats and
//! leases stay on the Rust I/O threads, whatever the Python code does.

use crate::convert::{from_py, to_py};
use crossbeam_channel::RecvTimeoutError;
use crossbeam_channel::{Receiver, Sender};
use dripdrop::pool::{TaskContext, TaskError, TaskResult};
use dripdrop::Value;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

struct Job {
    context: TaskContext,
    args: Value,
    reply: Sender<TaskResult>,
}

/// The jobs of a node's or worker's Python tasks, for Python threads to run.
#[pyclass(module = "dripdrop._native", name = "TaskQueue", frozen)]
pub struct PyTaskQueue {
    jobs: Sender<Job>,
    pending: Receiver<Job>,
    closed: AtomicBool,
}

/// How often a serving thread looks whether its queue was closed.
const CLOSE_CHECK: Duration = Duration::from_millis(100);

impl PyTaskQueue {
    pub fn new() -> PyTaskQueue {
        let (jobs, pending) = crossbeam_channel::unbounded();
        PyTaskQueue {
            jobs,
            pending,
            closed: AtomicBool::new(false),
        }
    }

    /// A Rust task handler that hands the job to this queue and waits for its result.
    pub fn forwarder(&self) -> impl Fn(&TaskContext, Value) -> TaskResult + Send + Sync + 'static {
        let jobs = Arc::new(self.jobs.clone());
        move |context, args| {
            let (reply, answer) = crossbeam_channel::bounded(1);
            let job = Job {
                context: context.clone(),
                args,
                reply,
            };
            if jobs.send(job).is_err() {
                return Err(TaskError::new(
                    "Stopped",
                    "no Python threads serve this task",
                ));
            }
            answer
                .recv()
                .unwrap_or_else(|_| Err(TaskError::new("Stopped", "the Python threads went away")))
        }
    }
}

/// The task's error as the caller will see it: the exception's class, message and traceback.
fn task_error(py: Python<'_>, e: PyErr) -> TaskError {
    let class = e
        .get_type(py)
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "Exception".into());
    let message = e.value(py).str().map(|s| s.to_string()).unwrap_or_default();
    let lines = py
        .import("traceback")
        .and_then(|tb| tb.call_method1("format_tb", (e.traceback(py),)))
        .and_then(|lines| lines.extract::<Vec<String>>())
        .unwrap_or_default();
    let lines = lines
        .iter()
        .flat_map(|chunk| chunk.lines().map(str::to_owned))
        .collect();
    TaskError::new(class, message).with_backtrace(lines)
}

#[pymethods]
impl PyTaskQueue {
    /// Runs jobs until the queue closes, on this (Python) thread: `handlers` maps task names
    /// to callables; a callable that takes two arguments also gets the task (its id and
    /// attempt). The GIL is released while waiting.
    fn serve(&self, py: Python<'_>, handlers: &Bound<'_, PyDict>) -> PyResult<()> {
        loop {
            let pending = &self.pending;
            let job = match py.detach(|| pending.recv_timeout(CLOSE_CHECK)) {
                Ok(job) => job,
                Err(RecvTimeoutError::Timeout) if !self.closed.load(Ordering::Acquire) => continue,
                Err(_) => return Ok(()),
            };
            let result = match handlers.get_item(job.context.name())? {
                None => Err(TaskError::new(
                    dripdrop::pool::UNKNOWN_TASK_CLASS,
                    format!("no Python task named {:?}", job.context.name()),
                )),
                Some(handler) => {
                    let call = || -> PyResult<Value> {
                        let args = to_py(py, &job.args)?;
                        let wants_task: bool = handler
                            .getattr("__dripdrop_takes_task__")
                            .and_then(|v| v.extract())
                            .unwrap_or(false);
                        let out = if wants_task {
                            let task = PyDict::new(py);
                            task.set_item("id", job.context.id())?;
                            task.set_item("attempt", job.context.attempt())?;
                            task.set_item("name", job.context.name())?;
                            handler.call1((args, task))?
                        } else {
                            handler.call1((args,))?
                        };
                        from_py(&out)
                    };
                    call().map_err(|e| task_error(py, e))
                }
            };
            let _ = job.reply.send(result);
        }
    }

    /// Ends `serve` on every thread (within a tenth of a second) once no job is waiting.
    fn close(&self) {
        self.closed.store(true, Ordering::Release);
    }
}
