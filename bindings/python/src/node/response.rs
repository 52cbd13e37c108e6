//! `dripdrop._native.Response`: the answer to one xrep/rep request.

use super::PyNode;
use crate::errors::{catching, py_result};
use crate::message::message_of;
use dripdrop::Response;
use pyo3::exceptions::PyRuntimeError;
use pyo3::gc::{PyTraverseError, PyVisit};
use pyo3::prelude::*;
use pyo3::types::{PyWeakrefMethods, PyWeakrefReference};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The answer to one request: `send_message(reply)` once, now or later (from any callback of
/// the node). Dropped unanswered, the asker gets a `dripdrop.error` reply.
#[pyclass(module = "dripdrop._native", name = "Response", frozen)]
pub struct PyResponse {
    unanswered: Mutex<Option<Unanswered>>,
}

struct Unanswered {
    response: Response,
    /// The node the answer goes out through.
    node: Py<PyNode>,
}

impl PyResponse {
    /// The Python response for a request the node `owner` refers to received.
    pub fn answering(
        py: Python<'_>,
        response: Response,
        owner: &Py<PyWeakrefReference>,
    ) -> PyResult<Py<PyResponse>> {
        // The node runs this request's handler, so it is alive; were it not, dropping the
        // response answers the asker.
        let node = owner.bind(py).upgrade_as::<PyNode>()?;
        let unanswered = node.map(|node| Unanswered {
            response,
            node: node.unbind(),
        });
        Py::new(
            py,
            PyResponse {
                unanswered: Mutex::new(unanswered),
            },
        )
    }

    /// Answers once, with `send`, from the node's thread.
    fn answer(
        &self,
        py: Python<'_>,
        send: impl FnOnce(Response, &mut dripdrop::Node) -> Result<(), dripdrop::Error>,
    ) -> PyResult<()> {
        let node = self
            .unanswered()
            .as_ref()
            .map(|u| u.node.clone_ref(py))
            .ok_or_else(answered_already)?;
        // Entered before the response is taken: a call refused (from another thread)
        // leaves the request to be answered properly later.
        let inner = node.get().enter(py)?;
        let unanswered = self.unanswered().take().ok_or_else(answered_already)?;
        let sent = inner.hosted.with(|n| send(unanswered.response, n));
        py_result(py, sent.and_then(|result| result))
    }

    fn unanswered(&self) -> MutexGuard<'_, Option<Unanswered>> {
        self.unanswered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

fn answered_already() -> PyErr {
    PyRuntimeError::new_err("this request was answered already")
}

#[pymethods]
impl PyResponse {
    /// Sends the reply back to the asker (from the node's thread); on an http_server route,
    /// 200 and the reply as JSON.
    fn send_message(&self, py: Python<'_>, reply: &Bound<'_, PyAny>) -> PyResult<()> {
        catching(py, "Response.send_message", || {
            let reply = message_of(reply)?;
            self.answer(py, |response, n| response.send_message(n, &reply))
        })
    }

    /// Answers an http_server request with `status` and the reply as a JSON body.
    fn send_status(&self, py: Python<'_>, status: u16, reply: &Bound<'_, PyAny>) -> PyResult<()> {
        catching(py, "Response.send_status", || {
            let reply = message_of(reply)?;
            self.answer(py, |response, n| response.send_status(n, status, &reply))
        })
    }

    /// Answers an http_server request with the file at `path`.
    fn send_file(&self, py: Python<'_>, path: std::path::PathBuf) -> PyResult<()> {
        catching(py, "Response.send_file", || {
            self.answer(py, |response, n| response.send_file(n, &path))
        })
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Ok(unanswered) = self.unanswered.try_lock() {
            if let Some(unanswered) = unanswered.as_ref() {
                visit.call(&unanswered.node)?;
            }
        }
        Ok(())
    }

    fn __clear__(&self) {
        let released = self.unanswered().take();
        drop(released);
    }
}
