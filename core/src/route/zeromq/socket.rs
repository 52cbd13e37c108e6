//! Opening a route's socket: options first (ZeroMQ reads most of them at bind/connect), the
//! kind's own next, CURVE and the monitor, then every address.

use super::super::io::OpenRoute;
use super::super::options::{Mode, MsgFormat};
use super::notify::Notify;
use crate::error::Error;
use crate::monitor::{SocketMonitor, DISCONNECTED};
use crate::security::{self, Secured};
use std::time::Duration;

fn millis(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

/// A socket opened for a route: its endpoints (a wildcard port filled in), how it reports
/// its peers' connections when `router_notify` asks for it, its CURVE handshakes, and the
/// monitor that tells of both.
pub(super) struct Opened {
    pub(super) socket: zmq::Socket,
    pub(super) endpoints: Vec<String>,
    pub(super) notify: Option<Notify>,
    pub(super) secured: Option<Secured>,
    pub(super) monitor: Option<SocketMonitor>,
}

/// Opens a socket of `socket_type` for `route`, `configure` setting the kind's own options.
pub(super) fn open(
    route: &OpenRoute<'_>,
    socket_type: zmq::SocketType,
    configure: impl FnOnce(&zmq::Socket) -> zmq::Result<()>,
) -> Result<Opened, Error> {
    let (name, options) = (route.name, route.options);
    // Notifications are frames `[identity, ""]`: only a ROUTER has identities, and only a
    // raw route hands frames on as they are (a DripDrop route would count them as bad
    // messages).
    if options.router_notify && (socket_type != zmq::ROUTER || options.msg_format != MsgFormat::Raw)
    {
        return Err(Error::InvalidArgument(format!(
            "route {name}: router_notify is for a raw zmq_xrep route"
        )));
    }
    let fail = |what: &str| {
        let context = format!("route {name}: {what}");
        move |e: zmq::Error| Error::zmq(context, e)
    };
    let mut socket = route.context.socket(socket_type).map_err(fail("socket"))?;
    socket
        .set_linger(millis(options.linger))
        .map_err(fail("linger"))?;
    // Bounds a peer's frames at the wire, before libzmq makes room for them; `check` made
    // sure the bound fits libzmq's int64_t.
    let max_frame = i64::try_from(options.max_frame_bytes).unwrap_or(i64::MAX);
    socket
        .set_maxmsgsize(max_frame)
        .map_err(fail("max_frame_bytes"))?;
    if let Some(hwm) = options.send_hwm {
        socket.set_sndhwm(hwm).map_err(fail("send_hwm"))?;
    }
    if let Some(hwm) = options.recv_hwm {
        socket.set_rcvhwm(hwm).map_err(fail("recv_hwm"))?;
    }
    if let Some(identity) = &options.identity {
        socket.set_identity(identity).map_err(fail("identity"))?;
    }
    if let Some(ivl) = options.reconnect_ivl {
        socket
            .set_reconnect_ivl(millis(ivl))
            .map_err(fail("reconnect_ivl"))?;
    }
    if let Some(ivl) = options.reconnect_ivl_max {
        socket
            .set_reconnect_ivl_max(millis(ivl))
            .map_err(fail("reconnect_ivl_max"))?;
    }
    configure(&socket).map_err(fail("socket options"))?;
    // Before any address: libzmq reads these as each connection is made.
    let notify = options.router_notify.then(|| Notify::open(&mut socket));
    let who = format!("route {name}");
    let secured = security::secure(&socket, route.context, &options.curve, route.mode, &who)?;
    let mut events = 0;
    if notify.as_ref().is_some_and(Notify::needs_monitor) {
        events |= DISCONNECTED;
    }
    if secured.is_some() {
        events |= security::EVENTS;
    }
    let monitor = match events {
        0 => None,
        _ => Some(SocketMonitor::open(&who, route.context, &socket, events)?),
    };
    let mut endpoints = Vec::with_capacity(route.addresses.len());
    for address in route.addresses {
        let done = match route.mode {
            Mode::Bind => socket.bind(address),
            Mode::Connect => socket.connect(address),
        };
        done.map_err(fail(&format!("{} {address}", route.mode.name())))?;
        let endpoint = match route.mode {
            // A wildcard port is only known once bound.
            Mode::Bind => socket
                .get_last_endpoint()
                .ok()
                .and_then(Result::ok)
                .unwrap_or_else(|| (*address).to_owned()),
            Mode::Connect => (*address).to_owned(),
        };
        endpoints.push(endpoint);
    }
    Ok(Opened {
        socket,
        endpoints,
        notify,
        secured,
        monitor,
    })
}
