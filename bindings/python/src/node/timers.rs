//! Timers: every, after, next_tick, cancel.

use super::Inner;
use crate::errors::seconds;
use dripdrop::TimerId;
use pyo3::prelude::*;

pub(super) fn every(
    inner: &Inner,
    py: Python<'_>,
    period: f64,
    callback: Py<PyAny>,
) -> PyResult<u64> {
    let period = seconds(py, "every", period)?;
    let callback = inner.shared.callback(callback);
    let id = inner.with(py, |n| {
        Ok(n.every(period, move |node| {
            callback.call(node, |_, f| f.call0().map(drop))
        }))
    })?;
    Ok(id.to_raw())
}

pub(super) fn after(
    inner: &Inner,
    py: Python<'_>,
    delay: f64,
    callback: Py<PyAny>,
) -> PyResult<u64> {
    let delay = seconds(py, "after", delay)?;
    let callback = inner.shared.callback(callback);
    let id = inner.with(py, |n| {
        Ok(n.after(delay, move |node| {
            callback.call(node, |_, f| f.call0().map(drop))
        }))
    })?;
    Ok(id.to_raw())
}

pub(super) fn next_tick(inner: &Inner, py: Python<'_>, callback: Py<PyAny>) -> PyResult<u64> {
    let callback = inner.shared.callback(callback);
    let id = inner.with(py, |n| {
        Ok(n.next_tick(move |node| callback.call(node, |_, f| f.call0().map(drop))))
    })?;
    Ok(id.to_raw())
}

pub(super) fn cancel(inner: &Inner, py: Python<'_>, timer: u64) -> PyResult<bool> {
    inner.with(py, |n| Ok(n.cancel_timer(TimerId::from_raw(timer))))
}
