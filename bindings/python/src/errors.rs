//! The one place core errors become Python exceptions (classes in `dripdrop.errors`).

use dripdrop::Error;
use pyo3::prelude::*;
use pyo3::types::PyList;

/// The Python exception for a core error.
pub fn to_py_err(py: Python<'_>, e: Error) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let errors = py.import("dripdrop.errors")?;
        let class = errors.getattr(e.class_name())?;
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
