//! Routes: making one, its endpoint, receiving messages and sending them.

use crate::bytes::{dd_bytes, put_bytes};
use crate::callback::{dd_free_cb, Userdata};
use crate::guard::{callback, guard, invalid, text, texts};
use crate::message::{dd_message, message, MessageView};
use crate::node::{dd_node, with_node, NodeLoan};
use crate::route_options::{dd_route_options, route_options};
use crate::status::dd_status;
use dripdrop::{Mode, RouteKind};
use std::ffi::{c_char, c_void};

/// Called with a message a route received, borrowed for the call.
pub type dd_receive_cb =
    Option<unsafe extern "C" fn(userdata: *mut c_void, node: *mut dd_node, msg: *const dd_message)>;

/// Adds route `name` of `kind` (`"zmq_push"`, `"zmq_pull"`, `"zmq_publish"`, `"zmq_subscribe"`,
/// `"zmq_xreq"`, `"zmq_xrep"`, `"zmq_req"`, `"zmq_rep"`, `"zmq_pair"`; the web kinds
/// `"http_server"`, `"http_client"` and `"websocket_server"`, whose `mode` is `"bind"` for
/// the servers and `"connect"` for the client), bound or connected
/// (`mode`: `"bind"` or `"connect"`) to `count` addresses. `options` may be NULL.
#[no_mangle]
pub extern "C" fn dd_node_route(
    node: *mut dd_node,
    name: *const c_char,
    kind: *const c_char,
    addresses: *const *const c_char,
    count: usize,
    mode: *const c_char,
    options: *const dd_route_options,
) -> dd_status {
    guard(|| {
        let name = text(name, "name")?;
        let kind = RouteKind::from_name(text(kind, "kind")?)?;
        let mode = Mode::from_name(text(mode, "mode")?)?;
        if count == 0 {
            return Err(invalid("a route needs at least one address"));
        }
        let addresses = texts(addresses, count, "addresses")?;
        let options = route_options(options)?;
        with_node(node, |node| {
            node.route_with(name, kind, &addresses, mode, options)?;
            Ok(())
        })
    })
}

/// The first endpoint route `name` bound or connected, with the port ZeroMQ picked for
/// `tcp://...:*` filled in; a new NUL-terminated `dd_bytes` (free it).
#[no_mangle]
pub extern "C" fn dd_node_route_endpoint(
    node: *const dd_node,
    name: *const c_char,
    endpoint: *mut *mut dd_bytes,
) -> dd_status {
    guard(|| {
        let name = text(name, "name")?;
        let found = with_node(node, |node| Ok(node.get_route(name)?.endpoint().to_owned()))?;
        put_bytes(endpoint, found.into_bytes())
    })
}

/// Calls `cb` on the node's thread with every message route `route` receives (pub/sub,
/// push/pull, pair). The message is borrowed for the call (`dd_message_clone` keeps one).
#[no_mangle]
pub extern "C" fn dd_node_on_receive(
    node: *mut dd_node,
    route: *const c_char,
    cb: dd_receive_cb,
    userdata: *mut c_void,
    userdata_free: dd_free_cb,
) -> dd_status {
    let userdata = Userdata::new(userdata, userdata_free);
    guard(|| {
        let cb = callback(cb, "cb")?;
        let route = text(route, "route")?;
        let loan = NodeLoan::of(node)?;
        with_node(node, |node| {
            node.on_receive(route, move |node, received| {
                let msg = MessageView::new(received);
                // SAFETY: a C function the caller registered, given its own userdata, on the
                // node's thread, with the message borrowed for the call.
                loan.call(node, |node| unsafe { cb(userdata.get(), node, msg.lend()) });
            })?;
            Ok(())
        })
    })
}

/// Sends a message on a publish, push or pair route (on xreq and req, a request whose reply
/// nobody waits for). Never blocks: a full route refuses with `DD_ERR_BACKPRESSURE`.
#[no_mangle]
pub extern "C" fn dd_node_send_message(
    node: *mut dd_node,
    route: *const c_char,
    msg: *const dd_message,
) -> dd_status {
    guard(|| {
        let (route, msg) = (text(route, "route")?, message(msg)?);
        with_node(node, |node| Ok(node.send_message(route, msg)?))
    })
}
