//! `dripdrop._native.NodeHandle`: reaching a node from any thread.

use super::python_refs::Key;
use super::PyNode;
use crate::errors::{catching, py_result, to_py_err};
use dripdrop::{Error, Node, NodeHandle};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyWeakrefMethods, PyWeakrefReference};

/// Posts work to a node's loop, or stops it, from any thread.
#[pyclass(module = "dripdrop._native", name = "NodeHandle", frozen)]
pub struct PyNodeHandle {
    handle: NodeHandle,
    /// Weak: a handle kept by another thread does not keep the node alive.
    // (And no cycle passes through a handle, since a weak reference holds nothing: it needs
    // no `__traverse__`.)
    node: Py<PyWeakrefReference>,
}

impl PyNodeHandle {
    pub fn new(node: &Bound<'_, PyNode>) -> PyResult<Self> {
        Ok(PyNodeHandle {
            handle: node.get().handle.clone(),
            node: PyWeakrefReference::new(node)?.unbind(),
        })
    }
}

#[pymethods]
impl PyNodeHandle {
    /// Runs `callback()` on the node's thread at its next turn, as a callback of the node
    /// (it may use the node; what it raises goes to `on_error`). Returns a `dripdrop.Future`
    /// of what it returns or raises; `Stopped` if the node is gone.
    fn post(&self, py: Python<'_>, callback: Py<PyAny>) -> PyResult<Py<PyAny>> {
        catching(py, "NodeHandle.post", || {
            let Some(node) = self.node.bind(py).upgrade_as::<PyNode>()? else {
                return Err(to_py_err(py, Error::Stopped));
            };
            let future = new_future(py)?;
            // Held where the garbage collector sees them until the loop runs the callable.
            let refs = &node.get().refs;
            let posted = Posted {
                node: self.node.clone_ref(py),
                callback: Some(refs.hold(callback)),
                future: refs.hold(future.clone_ref(py)),
            };
            py_result(py, self.handle.post(move |core| posted.run(core)))?;
            Ok(future)
        })
    }

    /// Stops the node's loop.
    fn stop(&self) {
        self.handle.stop();
    }
}

fn new_future(py: Python<'_>) -> PyResult<Py<PyAny>> {
    static FUTURE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let class = FUTURE.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py.import("dripdrop._futures")?.getattr("Future")?.unbind())
    })?;
    class.call0(py)
}

/// Settles a future unless it was cancelled (`dripdrop._futures.resolve`).
fn resolve(
    py: Python<'_>,
    future: &Py<PyAny>,
    result: Py<PyAny>,
    error: Py<PyAny>,
) -> PyResult<()> {
    static RESOLVE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let resolve = RESOLVE.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py.import("dripdrop._futures")?.getattr("resolve")?.unbind())
    })?;
    resolve.call1(py, (future, result, error)).map(drop)
}

/// A callable posted from another thread, and the future of its outcome.
struct Posted {
    node: Py<PyWeakrefReference>,
    /// Taken when it runs.
    callback: Option<Key>,
    future: Key,
}

impl Posted {
    fn run(mut self, core: &mut Node) {
        let Some(callback) = self.callback.take() else {
            return;
        };
        Python::attach(|py| {
            // Both gone only if the garbage collector cleared the node.
            let (Some(callback), Some(future)) = (callback.get(py), self.future.get(py)) else {
                return;
            };
            let node = self.node.bind(py).upgrade_as::<PyNode>().ok().flatten();
            // The loop's thread holds the node, so entering it here succeeds while it lives.
            let inner = node.as_ref().and_then(|node| node.get().enter(py).ok());
            let Some(inner) = inner else {
                return stopped(py, &future);
            };
            inner.shared.invoke(core, |py| match callback.call0(py) {
                Ok(value) => resolve(py, &future, value, py.None()),
                Err(e) => {
                    let error = e.clone_ref(py).into_value(py).into_any();
                    resolve(py, &future, py.None(), error)?;
                    Err(e)
                }
            });
        });
    }
}

fn stopped(py: Python<'_>, future: &Py<PyAny>) {
    let error = to_py_err(py, Error::Stopped).into_value(py).into_any();
    // Only a cancelled future refuses, and then nobody waits.
    let _ = resolve(py, future, py.None(), error);
}

impl Drop for Posted {
    /// Never run (the node went away first): the future says so.
    fn drop(&mut self) {
        if self.callback.is_some() {
            Python::try_attach(|py| {
                if let Some(future) = self.future.get(py) {
                    stopped(py, &future);
                }
            });
        }
    }
}
