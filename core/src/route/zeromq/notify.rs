//! `router_notify` on a zmq_xrep route: each peer's connect and disconnect arrives as the
//! frames `[identity, ""]`, so a server learns that a peer's connection ended (a killed
//! process: its kernel closed it) without waiting for a timeout.
//!
//! libzmq does this itself with `ZMQ_ROUTER_NOTIFY`, but only when built with its draft API,
//! which the vendored libzmq (and Debian's) is not: there the option is refused with EINVAL.
//! Then the route does the same from stable parts: its socket monitor reports each
//! disconnected file descriptor, and each received message's `__fd` property (the stable
//! spelling of the deprecated `ZMQ_SRCFD`) says which descriptor an identity speaks on. A
//! peer's connect is reported just before its first message, its disconnect once the
//! monitor reports its descriptor closed; a peer that connected and never sent anything is
//! not known by identity, and is not reported.

use super::Frames;
use crate::route::RouteStats;
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::os::raw::c_int;

/// libzmq's `ZMQ_ROUTER_NOTIFY` (a draft option the zmq crate does not name).
const ZMQ_ROUTER_NOTIFY: c_int = 97;
/// `ZMQ_NOTIFY_CONNECT | ZMQ_NOTIFY_DISCONNECT`.
const NOTIFY_CONNECT_AND_DISCONNECT: c_int = 3;

/// How the route learns of its peers' connections.
pub(crate) enum Notify {
    /// libzmq sends the notifications itself.
    Native,
    /// The route makes them from its socket monitor's disconnects (see the module's
    /// comment).
    Emulated(Box<Emulated>),
}

impl Notify {
    /// Asks libzmq for notifications on `socket` (a ROUTER not yet bound or connected); if
    /// it cannot give them, the route makes them, and its monitor must report disconnects.
    pub(crate) fn open(socket: &mut zmq::Socket) -> Notify {
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
        match rc {
            0 => Notify::Native,
            _ => Notify::Emulated(Box::default()),
        }
    }

    /// Whether the route's monitor must report disconnects for it.
    pub(crate) fn needs_monitor(&self) -> bool {
        matches!(self, Notify::Emulated(_))
    }
}

/// Notifications made from the monitor's disconnects and the descriptors messages came on.
#[derive(Default)]
pub(crate) struct Emulated {
    /// The identity last heard on each open descriptor. Bounded by the connections libzmq
    /// holds open: an entry goes when its descriptor's disconnect is reported.
    peers: FxHashMap<i32, Vec<u8>>,
    /// Descriptors the monitor reported closed, not yet made notifications (that waits
    /// until the socket has nothing more, so a peer's last messages come first).
    closed: Vec<i32>,
    /// Notifications and messages read but not yet handed on, in order.
    pending: VecDeque<Vec<Vec<u8>>>,
}

impl Emulated {
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

    /// The monitor reported descriptor `fd` closed.
    pub(crate) fn closed(&mut self, fd: i32) {
        // Bounded by the connections libzmq had open: one report each.
        self.closed.push(fd);
    }

    /// Makes the reported disconnects of known peers notifications; called once the socket
    /// has nothing more to read.
    pub(crate) fn take_closed(&mut self, stats: &mut RouteStats) {
        for fd in std::mem::take(&mut self.closed) {
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
