//! Routes that hold connections (websocket_server): callbacks that get the connection
//! (`dd_node_on_open`, `dd_node_on_receive_from`, `dd_node_on_close`,
//! `dd_node_on_connection_error`) and sending to every connection (`dd_node_broadcast`).

use crate::callback::{dd_free_cb, Userdata};
use crate::connection::dd_connection;
use crate::guard::{c_text, callback, guard, put_optional, text};
use crate::handle::lend;
use crate::message::{dd_message, message, MessageView};
use crate::node::{dd_node, with_node, NodeLoan};
use crate::status::dd_status;
use dripdrop::{Connection, Node};
use std::ffi::{c_char, c_void};

/// Called with a connection of the route, borrowed for the call.
pub type dd_connection_cb = Option<
    unsafe extern "C" fn(userdata: *mut c_void, node: *mut dd_node, conn: *const dd_connection),
>;

/// Called with a message a route with connections received and the connection it came on,
/// both borrowed for the call.
pub type dd_receive_from_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        node: *mut dd_node,
        msg: *const dd_message,
        conn: *const dd_connection,
    ),
>;

/// Called with what went wrong on a connection (a NUL-terminated text) and the connection,
/// both borrowed for the call.
pub type dd_connection_error_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        node: *mut dd_node,
        reason: *const c_char,
        conn: *const dd_connection,
    ),
>;

/// Which of a connection's changes a callback is for.
enum Change {
    Open,
    Close,
}

fn on_change(
    node: *mut dd_node,
    route: *const c_char,
    change: Change,
    cb: dd_connection_cb,
    userdata: Userdata,
) -> dd_status {
    guard(|| {
        let cb = callback(cb, "cb")?;
        let route = text(route, "route")?;
        let loan = NodeLoan::of(node)?;
        let handler = move |node: &mut Node, connection: Connection| {
            // SAFETY: the C callback the caller registered, with its own userdata, on the
            // node's thread; the connection is borrowed for the call.
            loan.call(node, |node| unsafe {
                cb(userdata.get(), node, lend(&connection))
            });
        };
        with_node(node, |node| {
            match change {
                Change::Open => node.on_open(route, handler)?,
                Change::Close => node.on_close(route, handler)?,
            }
            Ok(())
        })
    })
}

/// Calls `cb` on the node's thread with each connection a websocket_server route opens.
#[no_mangle]
pub extern "C" fn dd_node_on_open(
    node: *mut dd_node,
    route: *const c_char,
    cb: dd_connection_cb,
    userdata: *mut c_void,
    userdata_free: dd_free_cb,
) -> dd_status {
    let userdata = Userdata::new(userdata, userdata_free);
    on_change(node, route, Change::Open, cb, userdata)
}

/// Calls `cb` on the node's thread with each connection of the route that closes, whichever
/// side closed it.
#[no_mangle]
pub extern "C" fn dd_node_on_close(
    node: *mut dd_node,
    route: *const c_char,
    cb: dd_connection_cb,
    userdata: *mut c_void,
    userdata_free: dd_free_cb,
) -> dd_status {
    let userdata = Userdata::new(userdata, userdata_free);
    on_change(node, route, Change::Close, cb, userdata)
}

/// Calls `cb` on the node's thread with every message a websocket_server route receives and
/// the connection it came on (answer with `dd_connection_send_message`).
#[no_mangle]
pub extern "C" fn dd_node_on_receive_from(
    node: *mut dd_node,
    route: *const c_char,
    cb: dd_receive_from_cb,
    userdata: *mut c_void,
    userdata_free: dd_free_cb,
) -> dd_status {
    let userdata = Userdata::new(userdata, userdata_free);
    guard(|| {
        let cb = callback(cb, "cb")?;
        let route = text(route, "route")?;
        let loan = NodeLoan::of(node)?;
        with_node(node, |node| {
            node.on_receive_from(route, move |node, received, connection| {
                let msg = MessageView::new(received);
                // SAFETY: the C callback, on the node's thread, with the message and the
                // connection borrowed for the call.
                loan.call(node, |node| unsafe {
                    cb(userdata.get(), node, msg.lend(), lend(&connection))
                });
            })?;
            Ok(())
        })
    })
}

/// Calls `cb` on the node's thread with what went wrong on a connection of the route (a
/// frame over its bound, text that is not a JSON message...), before it closes or goes on.
#[no_mangle]
pub extern "C" fn dd_node_on_connection_error(
    node: *mut dd_node,
    route: *const c_char,
    cb: dd_connection_error_cb,
    userdata: *mut c_void,
    userdata_free: dd_free_cb,
) -> dd_status {
    let userdata = Userdata::new(userdata, userdata_free);
    guard(|| {
        let cb = callback(cb, "cb")?;
        let route = text(route, "route")?;
        let loan = NodeLoan::of(node)?;
        with_node(node, |node| {
            node.on_connection_error(route, move |node, reason, connection| {
                let reason = c_text(reason);
                // SAFETY: the C callback, on the node's thread, with the reason and the
                // connection borrowed for the call.
                loan.call(node, |node| unsafe {
                    cb(userdata.get(), node, reason.as_ptr(), lend(&connection))
                });
            })?;
            Ok(())
        })
    })
}

/// Sends a message to every open connection of a websocket_server route; `count`, if not
/// NULL, gets how many it went to (a connection whose send queue is full misses it).
#[no_mangle]
pub extern "C" fn dd_node_broadcast(
    node: *mut dd_node,
    route: *const c_char,
    msg: *const dd_message,
    count: *mut usize,
) -> dd_status {
    guard(|| {
        let (route, msg) = (text(route, "route")?, message(msg)?);
        let sent = with_node(node, |node| Ok(node.broadcast(route, msg)?))?;
        put_optional(count, sent);
        Ok(())
    })
}
