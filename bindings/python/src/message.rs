//! `dripdrop.Message`: name, head, body; `encode` and `decode`.

use crate::convert::{dict_to_py, from_py, to_py};
use crate::errors::{catching, py_result};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

/// A DripDrop message: a name, a head (a dict of metadata) and a body (any value).
#[pyclass(module = "dripdrop._native", name = "Message", subclass)]
#[derive(Clone)]
pub struct PyMessage {
    pub(crate) inner: dripdrop::Message,
}

#[pymethods]
impl PyMessage {
    #[new]
    #[pyo3(signature = (name, head=None, body=None))]
    fn new(
        py: Python<'_>,
        name: &str,
        head: Option<&Bound<'_, PyAny>>,
        body: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        catching(py, "Message()", || {
            let mut inner = py_result(py, dripdrop::Message::new(name))?;
            if let Some(head) = head.filter(|h| !h.is_none()) {
                py_result(py, inner.set_head(from_py(head)?))?;
            }
            if let Some(body) = body {
                inner.set_body(from_py(body)?);
            }
            Ok(PyMessage { inner })
        })
    }

    #[getter]
    fn name(&self) -> &str {
        self.inner.name()
    }

    #[getter]
    fn head<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        catching(py, "Message.head", || {
            Ok(dict_to_py(py, self.inner.head())?.into_any())
        })
    }

    #[setter]
    fn set_head(&mut self, py: Python<'_>, head: &Bound<'_, PyAny>) -> PyResult<()> {
        catching(py, "Message.head", || {
            py_result(py, self.inner.set_head(from_py(head)?))
        })
    }

    #[getter]
    fn body<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        catching(py, "Message.body", || to_py(py, self.inner.body()))
    }

    #[setter]
    fn set_body(&mut self, body: &Bound<'_, PyAny>) -> PyResult<()> {
        catching(body.py(), "Message.body", || {
            self.inner.set_body(from_py(body)?);
            Ok(())
        })
    }

    /// The message's frame: BERT of `{name, head, body}`.
    fn encode<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        catching(py, "Message.encode", || {
            let frame = py_result(py, self.inner.encode())?;
            Ok(PyBytes::new(py, &frame))
        })
    }

    /// Reads a message frame (safe on hostile input); `DecodeError` if it is not one.
    #[staticmethod]
    fn decode(py: Python<'_>, data: &[u8]) -> PyResult<Self> {
        catching(py, "Message.decode", || {
            let inner = py_result(py, dripdrop::Message::decode(data))?;
            Ok(PyMessage { inner })
        })
    }

    /// The message as a dict `{"name", "head", "body"}` (the original gem's `to_hash`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        catching(py, "Message.to_dict", || {
            let dict = PyDict::new(py);
            dict.set_item("name", self.inner.name())?;
            dict.set_item("head", self.head(py)?)?;
            dict.set_item("body", self.body(py)?)?;
            Ok(dict)
        })
    }

    /// A message from a dict with `name`, and optionally `head` and `body`.
    #[staticmethod]
    fn from_dict(py: Python<'_>, dict: &Bound<'_, PyAny>) -> PyResult<Self> {
        catching(py, "Message.from_dict", || {
            let inner = py_result(py, dripdrop::Message::from_value(from_py(dict)?))?;
            Ok(PyMessage { inner })
        })
    }

    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .extract::<PyRef<'_, PyMessage>>()
            .is_ok_and(|o| o.inner == self.inner)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Message({:?}, head={}, body={})",
            self.inner.name(),
            self.head(py)?.repr()?,
            self.body(py)?.repr()?
        ))
    }
}

/// A message given from Python: a `Message` itself, borrowed (sending one copies nothing), or
/// one read from a dict.
pub enum GivenMessage<'py> {
    Borrowed(PyRef<'py, PyMessage>),
    Read(dripdrop::Message),
}

impl std::ops::Deref for GivenMessage<'_> {
    type Target = dripdrop::Message;

    fn deref(&self) -> &dripdrop::Message {
        match self {
            GivenMessage::Borrowed(message) => &message.inner,
            GivenMessage::Read(message) => message,
        }
    }
}

/// A message from a `Message` or a dict with name/head/body (what `send_message` takes).
pub fn message_of<'py>(object: &Bound<'py, PyAny>) -> PyResult<GivenMessage<'py>> {
    if let Ok(message) = object.cast::<PyMessage>() {
        return Ok(GivenMessage::Borrowed(message.try_borrow()?));
    }
    PyMessage::from_dict(object.py(), object).map(|m| GivenMessage::Read(m.inner))
}
