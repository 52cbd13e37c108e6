//! `dripdrop._native.Connection`: one peer of a websocket_server route (a browser), as its
//! handlers see it.

use super::PyNode;
use crate::errors::{catching, py_result};
use crate::message::message_of;
use dripdrop::{Connection, Error, Node};
use pyo3::prelude::*;
use pyo3::types::{PyWeakrefMethods, PyWeakrefReference};

/// One connection of a websocket_server route: `send_message(message)`, `send_frame(bytes)`
/// on a raw route, `close()`, and a `signature` unique among the route's connections. Cheap
/// to keep (in a dict of subscribers, say); sending to one that closed raises
/// `ConnectionError`.
#[pyclass(module = "dripdrop._native", name = "Connection", frozen)]
pub struct PyConnection {
    connection: Connection,
    /// The node it belongs to, weakly: a connection kept by the app must not keep the node.
    node: Py<PyWeakrefReference>,
}

impl PyConnection {
    pub fn new(
        py: Python<'_>,
        connection: Connection,
        node: &Py<PyWeakrefReference>,
    ) -> PyResult<Py<Self>> {
        Py::new(
            py,
            PyConnection {
                connection,
                node: node.clone_ref(py),
            },
        )
    }

    /// Runs `f` with the node, from its thread.
    fn with_node<T>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut Node, &Connection) -> Result<T, Error>,
    ) -> PyResult<T> {
        let Some(node) = self.node.bind(py).upgrade_as::<PyNode>()? else {
            return py_result(py, Err(Error::Stopped));
        };
        node.get().with(py, |n| f(n, &self.connection))
    }
}

#[pymethods]
impl PyConnection {
    /// Unique among the connections the route ever had.
    #[getter]
    fn signature(&self) -> u64 {
        self.connection.signature()
    }

    /// Sends a message (a Message, or a dict with name/head/body) to this connection.
    fn send_message(&self, py: Python<'_>, message: &Bound<'_, PyAny>) -> PyResult<()> {
        catching(py, "Connection.send_message", || {
            let message = message_of(message)?;
            self.with_node(py, |n, c| c.send_message(n, &message))
        })
    }

    /// Sends one frame untouched (bytes) on a raw route.
    fn send_frame(&self, py: Python<'_>, frame: &[u8]) -> PyResult<()> {
        catching(py, "Connection.send_frame", || {
            self.with_node(py, |n, c| c.send_frame(n, frame))
        })
    }

    /// Closes the connection once what was queued for it is sent.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        catching(py, "Connection.close", || {
            self.with_node(py, |n, c| c.close(n))
        })
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyConnection>()
            .is_ok_and(|o| o.get().connection == self.connection)
    }

    fn __hash__(&self) -> u64 {
        self.connection.signature()
    }

    fn __repr__(&self) -> String {
        format!("<Connection {}>", self.connection.signature())
    }
}
