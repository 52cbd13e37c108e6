//! A socket monitor: libzmq's events about one socket's connections (a connection closed, a
//! handshake failed), read from the PAIR socket libzmq publishes them on. A socket has at
//! most one monitor, so whoever wants several kinds of event asks for all of them on one.

use crate::error::Error;
use crate::reactor::SharedSocket;
use std::sync::atomic::{AtomicU64, Ordering};

/// One event: what happened (`ZMQ_EVENT_*`) and its value (a descriptor, an error or
/// status code, depending on the event).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MonitorEvent {
    pub(crate) event: u16,
    pub(crate) value: u32,
}

/// `ZMQ_EVENT_DISCONNECTED`: a connection ended (its value is the descriptor).
pub(crate) const DISCONNECTED: u16 = zmq::SocketEvent::DISCONNECTED as u16;
/// A handshake failed before the peers agreed on a mechanism or its keys.
pub(crate) const HANDSHAKE_FAILED_NO_DETAIL: u16 =
    zmq::SocketEvent::HANDSHAKE_FAILED_NO_DETAIL as u16;
/// A handshake failed on a protocol error: a plain-text peer meeting a CURVE one lands
/// here (mechanism mismatch), as does a client with the wrong server key.
pub(crate) const HANDSHAKE_FAILED_PROTOCOL: u16 =
    zmq::SocketEvent::HANDSHAKE_FAILED_PROTOCOL as u16;
/// The authenticator refused the peer (on a client: the server said so).
pub(crate) const HANDSHAKE_FAILED_AUTH: u16 = zmq::SocketEvent::HANDSHAKE_FAILED_AUTH as u16;

/// The monitor of one socket.
pub(crate) struct SocketMonitor {
    socket: SharedSocket,
}

/// Most events read in one go, so a flood of failed handshakes cannot hold the thread that
/// reads them; the rest wait for the next read.
const READ_BATCH: usize = 1024;

impl SocketMonitor {
    /// Starts monitoring `socket` (before it binds or connects) for `events` (a mask of
    /// `ZMQ_EVENT_*`). `who` names the socket in errors.
    pub(crate) fn open(
        who: &str,
        context: &zmq::Context,
        socket: &zmq::Socket,
        events: u16,
    ) -> Result<SocketMonitor, Error> {
        open_socket(who, context, socket, events).map(SocketMonitor::from_socket)
    }

    /// The monitor whose socket [`open_socket`] made (on another thread, perhaps).
    pub(crate) fn from_socket(socket: zmq::Socket) -> SocketMonitor {
        SocketMonitor {
            socket: SharedSocket::new(socket),
        }
    }
}

/// Starts monitoring `socket` for `events`, as [`SocketMonitor::open`], and returns the
/// socket the events come on, to be made a monitor on the thread that reads it.
pub(crate) fn open_socket(
    who: &str,
    context: &zmq::Context,
    socket: &zmq::Socket,
    events: u16,
) -> Result<zmq::Socket, Error> {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let endpoint = format!(
        "inproc://dripdrop.monitor.{}",
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let fail = |what: &'static str| {
        let context = format!("{who}: monitor {what}");
        move |e: zmq::Error| Error::zmq(context, e)
    };
    socket
        .monitor(&endpoint, events.into())
        .map_err(fail("start"))?;
    let monitor = context.socket(zmq::PAIR).map_err(fail("socket"))?;
    monitor.set_linger(0).map_err(fail("linger"))?;
    monitor.connect(&endpoint).map_err(fail("connect"))?;
    Ok(monitor)
}

impl SocketMonitor {
    /// The monitor's socket, for a reactor to wait on.
    pub(crate) fn socket(&self) -> &SharedSocket {
        &self.socket
    }

    /// The events waiting, without blocking (at most a batch). Each is
    /// `[event u16 + value u32, endpoint]`.
    pub(crate) fn read(&self) -> Vec<MonitorEvent> {
        let mut events = Vec::new();
        while events.len() < READ_BATCH {
            let Ok(parts) = self.socket.recv_multipart(zmq::DONTWAIT) else {
                break;
            };
            let Some(head) = parts.first().filter(|head| head.len() >= 6) else {
                continue;
            };
            events.push(MonitorEvent {
                event: u16::from_ne_bytes([head[0], head[1]]),
                value: u32::from_ne_bytes([head[2], head[3], head[4], head[5]]),
            });
        }
        events
    }
}
