//! `dripdrop._native.Task`: what a task handler sees of its task (its second parameter).

use dripdrop::TaskContext;
use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;

/// The task a handler runs: `id` (the same on every attempt: an idempotency key), `name`,
/// `attempt` (1, more after a worker died under it), `is_cancelled()` (the caller gave up, or
/// the deadline passed: a long task may return early) and `time_left` (seconds until the
/// caller's deadline, or None). `task["id"]` and kin still work for code written when this
/// was a dict.
#[pyclass(module = "dripdrop._native", name = "Task", frozen)]
pub struct PyTask {
    context: TaskContext,
}

impl PyTask {
    pub fn new(context: TaskContext) -> Self {
        PyTask { context }
    }
}

#[pymethods]
impl PyTask {
    #[getter]
    fn id(&self) -> u64 {
        self.context.id()
    }

    #[getter]
    fn name(&self) -> &str {
        self.context.name()
    }

    #[getter]
    fn attempt(&self) -> u32 {
        self.context.attempt()
    }

    /// Seconds until the caller's deadline (0.0 once it passed), or None without one.
    #[getter]
    fn time_left(&self) -> Option<f64> {
        self.context.time_left().map(|left| left.as_secs_f64())
    }

    /// Whether the caller cancelled the task or its deadline passed.
    fn is_cancelled(&self) -> bool {
        self.context.is_cancelled()
    }

    /// `task["id"]`, `task["name"]`, `task["attempt"]`, `task["time_left"]`.
    fn __getitem__(&self, py: Python<'_>, key: &str) -> PyResult<Py<PyAny>> {
        match key {
            "id" => self.id().into_py_any(py),
            "name" => self.name().into_py_any(py),
            "attempt" => self.attempt().into_py_any(py),
            "time_left" => self.time_left().into_py_any(py),
            _ => Err(PyKeyError::new_err(key.to_owned())),
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "<Task {} {:?} attempt {}>",
            self.id(),
            self.name(),
            self.attempt()
        )
    }
}
