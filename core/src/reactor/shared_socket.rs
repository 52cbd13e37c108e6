//! A ZeroMQ socket shared by its owner and the reactor that polls it.

use std::ffi::c_void;
use std::ops::Deref;
use std::rc::Rc;

/// A ZeroMQ socket its owner (a route, a pool) shares with the reactor that polls it. The
/// reactor's copy keeps the socket open for as long as it is registered, so libzmq never polls
/// a closed socket; the socket closes when the last copy goes.
#[derive(Clone)]
pub(crate) struct SharedSocket(Rc<Held>);

struct Held {
    socket: zmq::Socket,
    /// libzmq's handle of `socket`, for the calls the `zmq` crate does not wrap.
    raw: *mut c_void,
}

impl SharedSocket {
    pub(crate) fn new(mut socket: zmq::Socket) -> Self {
        let raw = socket.as_mut_ptr();
        SharedSocket(Rc::new(Held { socket, raw }))
    }

    /// libzmq's handle of the socket, valid while this copy lives.
    pub(crate) fn raw(&self) -> *mut c_void {
        self.0.raw
    }
}

impl Deref for SharedSocket {
    type Target = zmq::Socket;

    fn deref(&self) -> &zmq::Socket {
        &self.0.socket
    }
}
