//! Options given by name (keyword arguments), handed to core as `(name, Value)` pairs: core's
//! `from_named` readers know every option's name, unit, default and error, so the skin
//! repeats none of them.

use crate::convert::from_py;
use dripdrop::bert::HARD_MAX_DEPTH;
use dripdrop::Value;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

/// The keyword arguments as named values (a `re.Pattern` becomes a regex, seconds a number,
/// None nil, a path its text).
pub fn named(options: Option<&Bound<'_, PyDict>>) -> PyResult<Vec<(String, Value)>> {
    let Some(options) = options else {
        return Ok(Vec::new());
    };
    options
        .iter()
        .map(|(name, value)| Ok((name.extract::<String>()?, option_value(&value, 0)?)))
        .collect()
}

/// One option's value. Files and directories (`static_dir`, the `curve` option's
/// certificates) are often `pathlib.Path`s in Python, which are no BERT value: an
/// `os.PathLike`, here or in a dict of options, is given as its text.
fn option_value(value: &Bound<'_, PyAny>, depth: usize) -> PyResult<Value> {
    let py = value.py();
    if let Ok(dict) = value.cast::<PyDict>() {
        if depth > HARD_MAX_DEPTH {
            return Err(PyValueError::new_err(format!(
                "an option nested deeper than {HARD_MAX_DEPTH} levels"
            )));
        }
        return dict
            .iter()
            .map(|(k, v)| Ok((from_py(&k)?, option_value(&v, depth + 1)?)))
            .collect::<PyResult<_>>()
            .map(Value::Dict);
    }
    static PATH_LIKE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let path_like = PATH_LIKE.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py.import("os")?.getattr("PathLike")?.unbind())
    })?;
    if value.is_instance(path_like.bind(py))? {
        return from_py(&py.import("os")?.getattr("fspath")?.call1((value,))?);
    }
    from_py(value)
}
