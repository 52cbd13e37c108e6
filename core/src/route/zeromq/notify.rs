//! `router_notify` on a zmq_xrep route: each peer's connect and disconnect arrives as the
//! frames `[identity, ""]`, so a server learns that a peer's connection ended (a killed
//! process: its kernel closed it) without waiting for a timeout.
//!
//! libzmq does this itself with `ZMQ_ROUTER_NOTIFY`, but only when built with its draft API,
//! which the vendored libzmq (and Debian's) is not: there the option is refused with EINVAL.
//! Then the route does the same from stable parts: a socket monitor reports each
//! disconnected file descriptor, and each received message's `__fd` property (the stable
//! spelling of the deprecated `ZMQ_SRCFD`) says which descriptor an identity speaks on. A
//! peer's connect is reported just before its first message, its disconnect once the
//! monitor reports its descriptor closed; a peer that connected and never sent anything is
//! not known by identity, and is not reported.

use super::Frames;
use crate::error::Error;
use crate::reactor::SharedSocket;
use crate::route::RouteStats;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::os::raw::c_int;
use std::sync::atomic::{AtomicU64, Ordering};

/// libzmq's `ZMQ_ROUTER_NOTIFY` (a draft option the zmq crate does not name).
const ZMQ_ROUTER_NOTIFY: c_int = 97;
/// `ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT`.
const NOTIFY_CONNECT_AND_DISCONNECT: c_int = 3;

/// How the route learns of its peers' connections.
pub(crate) enum Notify {
    /// libzmq sends the notifications itself.
    Native,
    /// The route makes them from a socket monitor (see the module's comment).
    Emulated(Box<Emulated>),
}

impl Notify {
    /// Asks libzmq for notifications on `socket` (a ROUTER not yet bound or connected); if
    /// it cannot give them, starts a monitor on it instead.
    pub(crate) fn open(
        route: &str,
        context: &zmq::Context,
        socket: &mut zmq::Socket,
    ) -> Result<Notify, Error> {
        let value = NOTIFY_CONNECT_AND_DISCONNECT;
        // SAFETY: the socket is live for the call, and the option value is a c_int whose
        // size is passed with it, as zmq_setsockopt requires.
        let rc = unsafe {
            zmq_sys::zmq_setsockopt(
                socket.as_mut_ptr(),
                ZMQ_ROUTER_NOTIFY,
                (&value as *const c_int).cast(),
                std::mem::size_of::<c_int>(),
            )
        };
        if rc == 0 {
            return Ok(Notify::Native);
        }
        Emulated::open(route, context, socket).map(|e| Notify::Emulated(Box::new(e)))
    }
}

/// Notifications made from a socket monitor and the descriptors messages came on.
pub(crate) struct Emulated {
    monitor: SharedSocket,
    /// The identity last heard on each open descriptor. Bounded by the connections libzmq
    /// holds open: an entry goes when its descriptor's disconnect is reported.
    peers: FxHashMap<i32, Vec<u8>>,
    /// Notifications and messages read but not yet handed on, in order.
    pending: VecDeque<Vec<Vec<u8>>>,
}

/// `ZMQ_EVENT_DISCONNECTED`: the monitor's event when a connection ends.
const EVENT_DISCONNECTED: u16 = zmq::SocketEvent::DISCONNECTED as u16;

impl Emulated {
    fn open(route: &str, context: &zmq::Context, socket: &zmq::Socket) -> Result<Self, Error> {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let endpoint = format!(
            "inproc://dripdrop.router-notify.{}",
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let fail = |what: &'static str| {
            let context = format!("route {route}: router_notify {what}");
            move |e: zmq::Error| Error::zmq(context, e)
        };
        socket
            .monitor(&endpoint, EVENT_DISCONNECTED.into())
            .map_err(fail("monitor"))?;
        let monitor = context.socket(zmq::PAIR).map_err(fail("socket"))?;
        monitor.set_linger(0).map_err(fail("linger"))?;
        monitor.connect(&endpoint).map_err(fail("connect"))?;
        Ok(Emulated {
            monitor: SharedSocket::new(monitor),
            peers: FxHashMap::default(),
            pending: VecDeque::new(),
        })
    }

    /// The monitor's socket, for the reactor to wait on beside the route's.
    pub(crate) fn monitor(&self) -> &SharedSocket {
        &self.monitor
    }

    /// The next notification or message read earlier, if any.
    pub(crate) fn next_pending(&mut self) -> Option<Vec<Vec<u8>>> {
        self.pending.pop_front()
    }

    /// A message the route just read: if its peer's descriptor is new (or now speaks for
    /// another identity), its connect is reported first and the message is held behind it.
    /// Returns what to hand on now, or nothing when the frames are to be read as usual.
    /// Each notification counts as a message in.
    pub(crate) fn on_message(
        &mut self,
        frames: &mut Frames,
        stats: &mut RouteStats,
    ) -> Option<Vec<Vec<u8>>> {
        let fd = frames
            .iter_mut()
            .find_map(|frame| frame.gets("__fd").and_then(|fd| fd.parse::<i32>().ok()))?;
        let identity = frames.first()?.to_vec();
        if self.peers.get(&fd) == Some(&identity) {
            return None;
        }
        // A descriptor that speaks for a new identity: the old one's connection is gone
        // (libzmq reused the number), so it is reported disconnected first.
        if let Some(old) = self.peers.insert(fd, identity.clone()) {
            self.notify(old, stats);
        }
        self.notify(identity, stats);
        let message = frames.drain(..).map(|frame| frame.to_vec()).collect();
        self.pending.push_back(message);
        self.pending.pop_front()
    }

    /// Reads what the monitor reported; each disconnect of a known peer becomes a
    /// notification. Monitor events are `[event u16 + value u32, endpoint]`.
    pub(crate) fn read_monitor(&mut self, stats: &mut RouteStats) {
        while let Ok(parts) = self.monitor.recv_multipart(zmq::DONTWAIT) {
            let Some(head) = parts.first().filter(|head| head.len() >= 6) else {
                continue;
            };
            let event = u16::from_ne_bytes([head[0], head[1]]);
            let fd = i32::from_ne_bytes([head[2], head[3], head[4], head[5]]);
            if event != EVENT_DISCONNECTED {
                continue;
            }
            if let Some(identity) = self.peers.remove(&fd) {
                self.notify(identity, stats);
            }
        }
    }

    fn notify(&mut self, identity: Vec<u8>, stats: &mut RouteStats) {
        stats.messages_in += 1;
        self.pending.push_back(vec![identity, Vec::new()]);
    }
}
