//! Routes: made with core's options by name; receiving (messages, requests with their
//! response, raw frames) and sending (messages, requests, raw frames).

use super::connection::PyConnection;
use super::response::PyResponse;
use super::{Inner, PyNode};
use crate::call::{call1, call2};
use crate::errors::{py_result, to_py_err};
use crate::message::{message_of, PyMessage};
use crate::options::named;
use dripdrop::{Error, Mode, RouteKind, RouteOptions};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyString, PyWeakrefReference};

pub(super) fn add(
    inner: &Inner,
    py: Python<'_>,
    name: &str,
    kind: &str,
    addresses: &[String],
    mode: Option<&str>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<String> {
    let kind = py_result(py, RouteKind::from_name(kind))?;
    let mode = match mode {
        Some(mode) => py_result(py, Mode::from_name(mode))?,
        None => kind.default_mode(),
    };
    let options = py_result(py, RouteOptions::from_named(named(options)?))?;
    let addresses: Vec<&str> = addresses.iter().map(String::as_str).collect();
    inner.with(py, |n| {
        n.route_with(name, kind, &addresses, mode, options)
            .map(|r| r.endpoint().to_owned())
    })
}

pub(super) fn on_receive(
    node: &Bound<'_, PyNode>,
    inner: &Inner,
    name: &str,
    callback: Py<PyAny>,
) -> PyResult<()> {
    let py = node.py();
    let kind = inner.with(py, |n| n.get_route(name).map(|r| r.kind()))?;
    let callback = inner.shared.callback(callback);
    if kind.connections() {
        let owner = PyWeakrefReference::new(node)?.unbind();
        return inner.with(py, |n| {
            n.on_receive_from(name, move |node, message, connection| {
                callback.call(node, |py, f| {
                    let message = Bound::new(py, PyMessage { inner: message })?;
                    let connection = PyConnection::new(py, connection, &owner)?;
                    call2(f, &message, connection.bind(py)).map(drop)
                })
            })
        });
    }
    if !kind.answers() {
        return inner.with(py, |n| {
            n.on_receive(name, move |node, message| {
                callback.call(node, |py, f| {
                    call1(f, &Bound::new(py, PyMessage { inner: message })?).map(drop)
                })
            })
        });
    }
    // A weak reference: the handler lives inside the node, and must not keep it alive.
    let owner = PyWeakrefReference::new(node)?.unbind();
    inner.with(py, |n| {
        n.on_request(name, move |node, message, response| {
            callback.call(node, |py, f| {
                let message = Bound::new(py, PyMessage { inner: message })?;
                let response = PyResponse::answering(py, response, &owner)?;
                call2(f, &message, response.bind(py)).map(drop)
            })
        })
    })
}

pub(super) fn on_frames(
    node: &Bound<'_, PyNode>,
    inner: &Inner,
    name: &str,
    callback: Py<PyAny>,
) -> PyResult<()> {
    let py = node.py();
    let kind = inner.with(py, |n| n.get_route(name).map(|r| r.kind()))?;
    let callback = inner.shared.callback(callback);
    if kind.connections() {
        let owner = PyWeakrefReference::new(node)?.unbind();
        return inner.with(py, |n| {
            n.on_frames_from(name, move |node, frames, connection| {
                callback.call(node, |py, f| {
                    let frames = frames.iter().map(|frame| PyBytes::new(py, frame));
                    let connection = PyConnection::new(py, connection, &owner)?;
                    f.call1((PyList::new(py, frames)?, connection)).map(drop)
                })
            })
        });
    }
    inner.with(py, |n| {
        n.on_frames(name, move |node, frames| {
            callback.call(node, |py, f| {
                let frames = frames.iter().map(|frame| PyBytes::new(py, frame));
                f.call1((PyList::new(py, frames)?,)).map(drop)
            })
        })
    })
}

pub(super) fn send_message(
    inner: &Inner,
    py: Python<'_>,
    name: &str,
    message: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let message = message_of(message)?;
    inner.with(py, |n| n.send_message(name, &message))
}

pub(super) fn send_frames(
    inner: &Inner,
    py: Python<'_>,
    name: &str,
    frames: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let frames = frames
        .try_iter()?
        .map(|frame| frame_bytes(&frame?))
        .collect::<PyResult<Vec<_>>>()?;
    inner.with(py, |n| n.send_frames(name, frames))
}

/// A frame given from Python: bytes, a bytearray, or text (sent as UTF-8).
fn frame_bytes(frame: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(bytes) = frame.cast::<PyBytes>() {
        return Ok(bytes.as_bytes().to_vec());
    }
    if let Ok(bytes) = frame.cast::<PyByteArray>() {
        return Ok(bytes.to_vec());
    }
    if let Ok(text) = frame.cast::<PyString>() {
        return Ok(text.to_cow()?.as_bytes().to_vec());
    }
    let kind = frame.get_type().name()?;
    Err(to_py_err(
        frame.py(),
        Error::InvalidArgument(format!(
            "a frame is bytes, a bytearray or a str, not a {kind}"
        )),
    ))
}

pub(super) fn send_request(
    inner: &Inner,
    py: Python<'_>,
    name: &str,
    message: &Bound<'_, PyAny>,
    callback: Py<PyAny>,
) -> PyResult<()> {
    let message = message_of(message)?;
    let callback = inner.shared.callback(callback);
    inner.with(py, |n| {
        n.send_request(name, &message, move |node, reply| {
            callback.call(node, |py, f| match reply {
                Ok(reply) => f
                    .call1((Py::new(py, PyMessage { inner: reply })?, py.None()))
                    .map(drop),
                Err(e) => f
                    .call1((py.None(), to_py_err(py, e).into_value(py)))
                    .map(drop),
            })
        })
    })
}

/// What happens to a connection that a handler may be told of.
#[derive(Clone, Copy)]
pub(super) enum ConnectionChange {
    Open,
    Close,
}

/// Calls `callback(connection)` when a connection of the route opens, or closes.
pub(super) fn on_connection(
    node: &Bound<'_, PyNode>,
    inner: &Inner,
    name: &str,
    change: ConnectionChange,
    callback: Py<PyAny>,
) -> PyResult<()> {
    let py = node.py();
    let owner = PyWeakrefReference::new(node)?.unbind();
    let callback = inner.shared.callback(callback);
    let handler = move |node: &mut dripdrop::Node, connection| {
        callback.call(node, |py, f| {
            f.call1((PyConnection::new(py, connection, &owner)?,))
                .map(drop)
        })
    };
    inner.with(py, |n| match change {
        ConnectionChange::Open => n.on_open(name, handler),
        ConnectionChange::Close => n.on_close(name, handler),
    })
}

/// Calls `callback(reason, connection)` when something goes wrong on a connection.
pub(super) fn on_connection_error(
    node: &Bound<'_, PyNode>,
    inner: &Inner,
    name: &str,
    callback: Py<PyAny>,
) -> PyResult<()> {
    let py = node.py();
    let owner = PyWeakrefReference::new(node)?.unbind();
    let callback = inner.shared.callback(callback);
    inner.with(py, |n| {
        n.on_connection_error(name, move |node, reason, connection| {
            callback.call(node, |py, f| {
                let connection = PyConnection::new(py, connection, &owner)?;
                f.call1((reason, connection)).map(drop)
            })
        })
    })
}

/// Sends a message to every open connection of the route; how many it went to.
pub(super) fn broadcast(
    inner: &Inner,
    py: Python<'_>,
    name: &str,
    message: &Bound<'_, PyAny>,
) -> PyResult<usize> {
    let message = message_of(message)?;
    inner.with(py, |n| n.broadcast(name, &message))
}

/// Sends a frame untouched to every open connection of a raw route; how many it went to.
pub(super) fn broadcast_frame(
    inner: &Inner,
    py: Python<'_>,
    name: &str,
    frame: &Bound<'_, PyAny>,
) -> PyResult<usize> {
    let frame = frame_bytes(frame)?;
    inner.with(py, |n| n.broadcast_frame(name, &frame))
}
