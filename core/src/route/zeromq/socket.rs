//! Opening a route's socket: options first (ZeroMQ reads most of them at bind/connect), the
//! kind's own next, then every address.

use super::super::io::OpenRoute;
use super::super::options::Mode;
use crate::error::Error;
use std::time::Duration;

fn millis(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

/// Opens a socket of `socket_type` for `route`, `configure` setting the kind's own options;
/// returns it with its endpoints (a wildcard port filled in).
pub(super) fn open(
    route: &OpenRoute<'_>,
    socket_type: zmq::SocketType,
    configure: impl FnOnce(&zmq::Socket) -> zmq::Result<()>,
) -> Result<(zmq::Socket, Vec<String>), Error> {
    let (name, options) = (route.name, route.options);
    let fail = |what: &str| {
        let context = format!("route {name}: {what}");
        move |e: zmq::Error| Error::zmq(context, e)
    };
    let socket = route.context.socket(socket_type).map_err(fail("socket"))?;
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
    Ok((socket, endpoints))
}
