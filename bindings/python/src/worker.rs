//! `dripdrop._native.Worker`: a worker process's connection to a pool, run on a Rust thread
//! (its I/O thread) while Python threads serve its task queue.

use crate::errors::{py_result, to_py_err};
use crate::tasks::PyTaskQueue;
use dripdrop::{Worker, WorkerHandle, WorkerOptions};
use pyo3::prelude::*;
use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::Duration;

#[pyclass(module = "dripdrop._native", name = "Worker", subclass)]
pub struct PyWorker {
    worker: Mutex<Option<Worker>>,
    handle: WorkerHandle,
    queue: Py<PyTaskQueue>,
    thread: Mutex<Option<JoinHandle<Result<(), dripdrop::Error>>>>,
}

#[pymethods]
impl PyWorker {
    #[new]
    #[pyo3(signature = (address, concurrency=None, heartbeat=1.0, liveness=3, name=None))]
    fn new(
        py: Python<'_>,
        address: &str,
        concurrency: Option<usize>,
        heartbeat: f64,
        liveness: u32,
        name: Option<String>,
    ) -> PyResult<Self> {
        let mut options = WorkerOptions {
            heartbeat: Duration::try_from_secs_f64(heartbeat)
                .map_err(|_| pyo3::exceptions::PyValueError::new_err("bad heartbeat"))?,
            liveness,
            name,
            ..WorkerOptions::default()
        };
        if let Some(n) = concurrency {
            options.concurrency = n;
        }
        let addresses: Vec<&str> = address.split(',').collect();
        let worker = py_result(py, Worker::new(&addresses, options))?;
        Ok(PyWorker {
            handle: worker.handle(),
            worker: Mutex::new(Some(worker)),
            queue: Py::new(py, PyTaskQueue::new())?,
            thread: Mutex::new(None),
        })
    }

    /// Announces task `name`, run by the Python threads serving `queue()`.
    fn _task(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        let mut worker = self
            .worker
            .lock()
            .map_err(|_| to_py_err(py, dripdrop::Error::Stopped))?;
        let worker = worker
            .as_mut()
            .ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("the worker already runs"))?;
        worker.host_task(name, self.queue.get().queue());
        Ok(())
    }

    /// The queue its Python threads serve.
    fn _queue(&self, py: Python<'_>) -> Py<PyTaskQueue> {
        self.queue.clone_ref(py)
    }

    /// Starts the worker's I/O on a Rust thread.
    fn _start(&self, py: Python<'_>) -> PyResult<()> {
        let worker = self
            .worker
            .lock()
            .map_err(|_| to_py_err(py, dripdrop::Error::Stopped))?
            .take()
            .ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("the worker already ran"))?;
        let thread = std::thread::Builder::new()
            .name("dripdrop-worker-io".into())
            .spawn(move || {
                let mut worker = worker;
                worker.run()
            })
            .map_err(|e| pyo3::exceptions::PyOSError::new_err(e.to_string()))?;
        *self
            .thread
            .lock()
            .map_err(|_| to_py_err(py, dripdrop::Error::Stopped))? = Some(thread);
        Ok(())
    }

    /// Waits up to `timeout` seconds for the worker to end; True once it has (its error, if
    /// any, is raised).
    fn _wait(&self, py: Python<'_>, timeout: f64) -> PyResult<bool> {
        let deadline = std::time::Instant::now() + Duration::from_secs_f64(timeout.max(0.0));
        loop {
            let finished = {
                let guard = self
                    .thread
                    .lock()
                    .map_err(|_| to_py_err(py, dripdrop::Error::Stopped))?;
                guard.as_ref().is_none_or(|t| t.is_finished())
            };
            if finished {
                let thread = self
                    .thread
                    .lock()
                    .map_err(|_| to_py_err(py, dripdrop::Error::Stopped))?
                    .take();
                if let Some(thread) = thread {
                    let result = thread.join().unwrap_or(Err(dripdrop::Error::Stopped));
                    py_result(py, result)?;
                }
                return Ok(true);
            }
            if std::time::Instant::now() >= deadline {
                return Ok(false);
            }
            py.detach(|| std::thread::sleep(Duration::from_millis(10)));
        }
    }

    /// Makes the worker say DISCONNECT and end.
    fn stop(&self) {
        self.handle.stop();
    }
}
