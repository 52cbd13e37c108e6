//! The one place core errors become Python exceptions (classes in `dripdrop.errors`), and the
//! guard that keeps a Rust panic from reaching Python as a `PanicException`.

use dripdrop::{panic_message, Error};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyList;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

/// The Python exception for a core error.
pub fn to_py_err(py: Python<'_>, e: Error) -> PyErr {
    // Imported once: a sender spinning on a full queue raises Backpressure at the rate it
    // sends, and an import (even of a loaded module) goes through `__import__` each time.
    static ERRORS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    let build = || -> PyResult<PyErr> {
        let errors = ERRORS.get_or_try_init(py, || -> PyResult<Py<PyModule>> {
            Ok(py.import("dripdrop.errors")?.unbind())
        })?;
        let class = errors.bind(py).getattr(e.class_name())?;
        let exception = match &e {
            Error::Remote {
                class: remote_class,
                message,
                backtrace,
            } => class.call1((
                e.to_string(),
                remote_class.as_str(),
                message.as_str(),
                PyList::new(py, backtrace)?,
            ))?,
            _ => class.call1((e.to_string(),))?,
        };
        Ok(PyErr::from_value(exception))
    };
    build().unwrap_or_else(|failure| failure)
}

/// Maps a core result's error.
pub fn py_result<T>(py: Python<'_>, r: Result<T, Error>) -> PyResult<T> {
    r.map_err(|e| to_py_err(py, e))
}

/// Runs the body of a method called from Python; a panic in it (a bug) becomes a
/// `dripdrop.CallbackError` naming `what`, never a `PanicException`.
pub fn catching<T>(py: Python<'_>, what: &str, body: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|payload| {
        let error = Error::Callback {
            context: format!("dripdrop {what} (a bug: please report it)"),
            message: panic_message(payload.as_ref()),
        };
        Err(to_py_err(py, error))
    })
}

/// Seconds given from Python as a duration; negative or not finite is `InvalidArgument`.
pub fn seconds(py: Python<'_>, what: &str, seconds: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(seconds).map_err(|_| {
        let error = Error::InvalidArgument(format!(
            "{what}: expected seconds, 0 or more, got {seconds}"
        ));
        to_py_err(py, error)
    })
}
