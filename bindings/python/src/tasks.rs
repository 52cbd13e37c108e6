//! Task handlers written in Python: Python threads serve a core `HostQueue`
//! (`TaskQueue.serve`), since Python may only be called from threads Python made.

use crate::convert::{from_py, to_py};
use crate::errors::catching;
use crate::task::PyTask;
use dripdrop::pool::{HostQueue, Next, TaskError};
use dripdrop::Value;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::Arc;
use std::time::Duration;

/// The jobs of a node's or worker's Python tasks, for Python threads to run.
#[pyclass(module = "dripdrop._native", name = "TaskQueue", frozen)]
pub struct PyTaskQueue {
    queue: Arc<HostQueue>,
}

/// How often a serving thread looks whether its queue was closed.
const CLOSE_CHECK: Duration = Duration::from_millis(100);

impl PyTaskQueue {
    /// Python's side of `queue`, which a node or worker hands its Python tasks' jobs to.
    pub fn serving(queue: Arc<HostQueue>) -> PyTaskQueue {
        PyTaskQueue { queue }
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
    /// to callables; a callable whose `__dripdrop_takes_task__` is true also gets the `Task`.
    /// What a handler raises is the task's error. The GIL is released while waiting.
    fn serve(&self, py: Python<'_>, handlers: &Bound<'_, PyDict>) -> PyResult<()> {
        catching(py, "TaskQueue.serve", || self.serve_jobs(py, handlers))
    }

    /// Ends `serve` on every thread (within a tenth of a second) once no job is waiting.
    fn close(&self) {
        self.queue.close();
    }
}

impl PyTaskQueue {
    fn serve_jobs(&self, py: Python<'_>, handlers: &Bound<'_, PyDict>) -> PyResult<()> {
        loop {
            let queue = &self.queue;
            let job = match py.detach(|| queue.next(CLOSE_CHECK)) {
                Next::Job(job) => job,
                Next::Idle => continue,
                Next::Closed => return Ok(()),
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
                            let task = PyTask::new(job.context.clone());
                            handler.call1((args, task))?
                        } else {
                            handler.call1((args,))?
                        };
                        from_py(&out)
                    };
                    call().map_err(|e| task_error(py, e))
                }
            };
            job.finish(result);
        }
    }
}
