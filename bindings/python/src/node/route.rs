//! `dripdrop._native.Route`: the native half of `dripdrop.Route`. It keeps what a send needs
//! (the node, the route's name, whether sends are requests) so that the commonest call of an
//! app, `route.send_message(message)`, goes straight to the engine without a Python frame.
//! Requests (xreq, req, http_client) go to the Python subclass's `_request`, which makes the
//! `Future`.

use super::{routes, PyNode};
use crate::errors::{catching, py_result};
use dripdrop::Error;
use pyo3::gc::{PyTraverseError, PyVisit};
use pyo3::intern;
use pyo3::prelude::*;

/// One named route of a node: its `name`, `kind`, and `send_message`.
#[pyclass(module = "dripdrop._native", name = "Route", subclass, frozen)]
pub struct PyRoute {
    /// Strong, as the Python route always held it; the collector sees it (`__traverse__`).
    node: Py<PyNode>,
    name: String,
    kind: String,
    /// Sends on this route are requests, answered by a reply.
    asking: bool,
}

#[pymethods]
impl PyRoute {
    /// The route `name` of `node` (`NoSuchRoute` if there is none).
    #[new]
    fn new(node: Bound<'_, PyNode>, name: String) -> PyResult<Self> {
        let py = node.py();
        catching(py, "Route()", || {
            let kind = node
                .get()
                .with(py, |n| n.get_route(&name).map(|r| r.kind()))?;
            Ok(PyRoute {
                kind: kind.name().to_owned(),
                asking: kind.requests(),
                node: node.unbind(),
                name,
            })
        })
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.node)
    }

    /// The route's name.
    #[getter]
    fn name(&self) -> &str {
        &self.name
    }

    /// The route's kind (`zmq_push`...); it never changes.
    #[getter]
    fn kind(&self) -> &str {
        &self.kind
    }

    /// The node the route belongs to.
    #[getter]
    fn _node(&self, py: Python<'_>) -> Py<PyNode> {
        self.node.clone_ref(py)
    }

    /// Sends a `Message` (or a dict with name/head/body). Never blocks: a full route raises
    /// `Backpressure`. On zmq_xreq/zmq_req/http_client routes this is a request and returns a
    /// `Future` of the reply; `callback(reply)` also gets it (an error then goes to the
    /// node's `on_error`).
    #[pyo3(signature = (message, callback=None))]
    fn send_message(
        slf: &Bound<'_, Self>,
        message: &Bound<'_, PyAny>,
        callback: Option<Bound<'_, PyAny>>,
    ) -> PyResult<Option<Py<PyAny>>> {
        let py = slf.py();
        let route = slf.get();
        if route.asking {
            let future = slf.call_method1(intern!(py, "_request"), (message, callback))?;
            return Ok(Some(future.unbind()));
        }
        catching(py, "Route.send_message", || {
            if callback.is_some() {
                let error = Error::InvalidArgument(format!(
                    "route {} ({}) gets no replies",
                    route.name, route.kind
                ));
                return py_result(py, Err(error));
            }
            let node = route.node.get();
            routes::send_message(&*node.enter(py)?, py, &route.name, message)?;
            Ok(None)
        })
    }
}
