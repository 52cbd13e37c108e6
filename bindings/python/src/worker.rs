//! `dripdrop._native.Worker`: a worker process's connection to a pool, run on a Rust thread
//! (its I/O thread) while Python threads serve its task queue.

use crate::errors::{catching, py_result, seconds};
use crate::options::named;
use crate::tasks::PyTaskQueue;
use dripdrop::pool::HostQueue;
use dripdrop::{Error, Worker, WorkerHandle, WorkerOptions};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

#[pyclass(module = "dripdrop._native", name = "Worker", subclass, frozen)]
pub struct PyWorker {
    /// Until `_start` moves it to its thread.
    worker: Mutex<Option<Worker>>,
    handle: WorkerHandle,
    queue: Arc<HostQueue>,
    concurrency: usize,
    thread: Mutex<Option<JoinHandle<Result<(), Error>>>>,
}

/// How often `_wait` looks whether the worker's thread ended.
const WAIT_STEP: Duration = Duration::from_millis(10);

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[pymethods]
impl PyWorker {
    /// A worker for the pool at `address` (several separated by commas); options by name
    /// (`concurrency`, `heartbeat`, `liveness`, `reconnect_min`, `reconnect_max`, `name`),
    /// read by core.
    #[new]
    #[pyo3(signature = (address, **options))]
    fn new(py: Python<'_>, address: &str, options: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        catching(py, "Worker()", || {
            let options = py_result(py, WorkerOptions::from_named(named(options)?))?;
            let concurrency = options.concurrency;
            let addresses: Vec<&str> = address.split(',').collect();
            let worker = py_result(py, Worker::new(&addresses, options))?;
            Ok(PyWorker {
                handle: worker.handle(),
                worker: Mutex::new(Some(worker)),
                queue: Arc::new(HostQueue::default()),
                concurrency,
                thread: Mutex::new(None),
            })
        })
    }

    /// How many Python threads run its tasks (core's default unless given).
    fn _concurrency(&self) -> usize {
        self.concurrency
    }

    /// Announces task `name`, run by the Python threads serving `_queue()`.
    fn _task(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        catching(py, "Worker.task", || {
            let mut worker = locked(&self.worker);
            let worker = worker
                .as_mut()
                .ok_or_else(|| PyRuntimeError::new_err("the worker already runs"))?;
            worker.host_task(name, &self.queue);
            Ok(())
        })
    }

    /// The queue its Python threads serve.
    fn _queue(&self) -> PyTaskQueue {
        PyTaskQueue::serving(Arc::clone(&self.queue))
    }

    /// Starts the worker's I/O on a Rust thread.
    fn _start(&self, py: Python<'_>) -> PyResult<()> {
        catching(py, "Worker.run", || {
            let worker = locked(&self.worker)
                .take()
                .ok_or_else(|| PyRuntimeError::new_err("the worker already ran"))?;
            let thread = std::thread::Builder::new()
                .name("dripdrop-worker-io".into())
                .spawn(move || {
                    let mut worker = worker;
                    worker.run()
                })
                .map_err(|e| pyo3::exceptions::PyOSError::new_err(e.to_string()))?;
            *locked(&self.thread) = Some(thread);
            Ok(())
        })
    }

    /// Waits up to `timeout` seconds for the worker to end; True once it has (its error, if
    /// any, is raised). The GIL is released while it waits.
    fn _wait(&self, py: Python<'_>, timeout: f64) -> PyResult<bool> {
        catching(py, "Worker.run", || {
            let deadline = Instant::now().checked_add(seconds(py, "timeout", timeout)?);
            loop {
                let finished = locked(&self.thread)
                    .as_ref()
                    .is_none_or(|t| t.is_finished());
                if finished {
                    if let Some(thread) = locked(&self.thread).take() {
                        let result = thread.join().unwrap_or(Err(Error::Stopped));
                        py_result(py, result)?;
                    }
                    return Ok(true);
                }
                if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                    return Ok(false);
                }
                py.detach(|| std::thread::sleep(WAIT_STEP));
            }
        })
    }

    /// Makes the worker say DISCONNECT and end.
    fn stop(&self) {
        self.handle.stop();
    }
}

impl Drop for PyWorker {
    /// The Python threads serving its tasks end with it.
    fn drop(&mut self) {
        self.queue.close();
    }
}
