//! Opening a route's socket: options first (ZeroMQ reads most of them at bind/connect), then
//! every address.

use super::kind::{Mode, RouteKind};
use super::options::{RouteOptions, TopicFilter};
use crate::error::Error;
use std::time::Duration;

fn millis(d: Duration) -> i32 {
    i32::try_from(d.as_millis()).unwrap_or(i32::MAX)
}

pub(super) fn open(
    context: &zmq::Context,
    name: &str,
    kind: RouteKind,
    addresses: &[&str],
    mode: Mode,
    options: &RouteOptions,
) -> Result<(zmq::Socket, Vec<String>), Error> {
    if addresses.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "route {name}: no address given"
        )));
    }
    let fail = |what: &str| {
        let context = format!("route {name}: {what}");
        move |e: zmq::Error| Error::zmq(context, e)
    };
    let socket = context.socket(kind.socket_type()).map_err(fail("socket"))?;
    socket
        .set_linger(millis(options.linger))
        .map_err(fail("linger"))?;
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
    if kind == RouteKind::Xrep {
        // Unroutable replies become errors (and a full peer a would-block) instead of
        // ZeroMQ's silent drop.
        socket
            .set_router_mandatory(true)
            .map_err(fail("router_mandatory"))?;
    }
    if kind == RouteKind::Req {
        // A request that timed out must not wedge the socket: relaxed lets the next request
        // go, correlate makes ZeroMQ drop the late reply to the old one.
        socket.set_req_relaxed(true).map_err(fail("req_relaxed"))?;
        socket
            .set_req_correlate(true)
            .map_err(fail("req_correlate"))?;
    }
    if kind == RouteKind::Subscribe {
        let prefix: &[u8] = match &options.topic_filter {
            Some(TopicFilter::Prefix(prefix)) => prefix,
            _ => b"",
        };
        socket.set_subscribe(prefix).map_err(fail("subscribe"))?;
    }
    let mut endpoints = Vec::with_capacity(addresses.len());
    for address in addresses {
        let done = match mode {
            Mode::Bind => socket.bind(address),
            Mode::Connect => socket.connect(address),
        };
        let verb = if mode == Mode::Bind {
            "bind"
        } else {
            "connect"
        };
        done.map_err(fail(&format!("{verb} {address}")))?;
        let endpoint = match mode {
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
