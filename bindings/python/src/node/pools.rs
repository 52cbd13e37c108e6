//! Worker pools: started with core's options by name; `defer`, and `map` over a Python
//! iterable through core's `try_map` (an item the iterable raises on ends the feeding and
//! goes to `on_error`; the items before it still run).

use super::python_refs::Key;
use super::shared::{as_core_error, Shared};
use super::Inner;
use crate::call::{call2, call3};
use crate::convert::{from_py, to_py};
use crate::errors::{py_result, seconds, to_py_err};
use crate::options::named;
use dripdrop::{Error, PoolOptions, TaskOptions, Value};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyIterator};
use std::rc::Rc;

/// Starts pool `name`; returns its endpoints and how many local threads it runs.
pub(super) fn start(
    inner: &Inner,
    py: Python<'_>,
    name: &str,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<(Vec<String>, usize)> {
    let options = py_result(py, PoolOptions::from_named(named(options)?))?;
    let local_threads = options.local_threads;
    let endpoints = inner.with(py, |n| n.worker_pool(name, options))?;
    Ok((endpoints, local_threads))
}

pub(super) fn defer(
    inner: &Inner,
    py: Python<'_>,
    pool: &str,
    task: &str,
    args: &Bound<'_, PyAny>,
    callback: Py<PyAny>,
    timeout: Option<f64>,
) -> PyResult<u64> {
    let args = from_py(args)?;
    let options = TaskOptions {
        timeout: timeout.map(|s| seconds(py, "timeout", s)).transpose()?,
    };
    let callback = inner.shared.callback(callback);
    inner.with(py, |n| {
        n.pool(pool)?
            .defer_with(task, args, options, move |node, result| {
                callback.call(node, |py, f| deliver(py, f, None, result))
            })
    })
}

pub(super) fn map(
    inner: &Inner,
    py: Python<'_>,
    pool: &str,
    task: &str,
    items: &Bound<'_, PyAny>,
    on_result: Py<PyAny>,
    on_done: Py<PyAny>,
) -> PyResult<()> {
    let items = ItemFeed {
        iterator: inner
            .shared
            .refs
            .hold(items.try_iter()?.into_any().unbind()),
        shared: Rc::clone(&inner.shared),
        context: format!("pool {pool}: the items of a map of {task}"),
    };
    let on_result = inner.shared.callback(on_result);
    let on_done = inner.shared.callback(on_done);
    inner.with(py, |n| {
        n.pool(pool)?.try_map(
            task,
            std::iter::from_fn(move || items.next()),
            move |node, index, result| {
                on_result.call(node, |py, f| deliver(py, f, Some(index), result))
            },
            move |node| on_done.call(node, |_, f| f.call0().map(drop)),
        )
    })
}

/// A map's items, read from a Python iterator as the pool has room for them.
struct ItemFeed {
    iterator: Key,
    shared: Rc<Shared>,
    context: String,
}

impl ItemFeed {
    fn next(&self) -> Option<Result<Value, Error>> {
        Python::attach(|py| {
            // Gone only if the garbage collector cleared the node: the feeding ends.
            let iterator = self.iterator.get(py)?;
            let mut iterator = iterator.into_bound(py).cast_into::<PyIterator>().ok()?;
            let item = match iterator.next()? {
                Ok(item) => from_py(&item),
                Err(raised) => Err(raised),
            };
            Some(item.map_err(|raised| self.failed(py, raised)))
        })
    }

    /// What the iterator raised, as the error that ends the feeding: core reports it to
    /// `on_error`, which gets the exception itself. KeyboardInterrupt also ends the loop.
    fn failed(&self, py: Python<'_>, raised: PyErr) -> Error {
        let error = as_core_error(py, &raised, &self.context);
        if raised.is_instance_of::<PyException>(py) {
            self.shared.stash(error.clone(), raised);
        } else {
            self.shared.fail(raised);
        }
        error
    }
}

/// Calls `callback(*index, result, error)` with a task's value or exception.
fn deliver(
    py: Python<'_>,
    callback: &Bound<'_, PyAny>,
    index: Option<u64>,
    result: Result<Value, Error>,
) -> PyResult<()> {
    let (value, error) = match result {
        Ok(v) => (to_py(py, &v)?, py.None().into_bound(py)),
        Err(e) => (
            py.None().into_bound(py),
            to_py_err(py, e).into_value(py).into_bound(py).into_any(),
        ),
    };
    match index {
        Some(index) => call3(callback, &index.into_pyobject(py)?, &value, &error),
        None => call2(callback, &value, &error),
    }
    .map(drop)
}
