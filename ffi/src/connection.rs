//! `dd_connection`: one peer of a route that holds connections (a browser on a
//! websocket_server route), as that route's callbacks get it: its signature, sending to it,
//! closing it, and keeping it past the callback.

use crate::guard::{guard, guard_value, Result};
use crate::handle::{free, put, try_ref};
use crate::message::{dd_message, message};
use crate::node::{dd_node, with_node};
use crate::status::dd_status;
use dripdrop::Connection;

/// One connection of a websocket_server route. A `const dd_connection *` handed to a
/// callback is borrowed for the call; `dd_connection_clone` keeps one (to answer later, or in
/// a table of subscribers), freed with `dd_connection_free`. It names the connection rather
/// than holding it: sending to one that closed is `DD_ERR_CONNECTION`.
pub struct dd_connection {
    _private: [u8; 0],
}

fn connection<'a>(pointer: *const dd_connection) -> Result<&'a Connection> {
    try_ref(pointer, "connection")
}

/// A number unique among the connections its route ever had (0 if `connection` is NULL).
#[no_mangle]
pub extern "C" fn dd_connection_signature(connection: *const dd_connection) -> u64 {
    guard_value(0, || {
        try_ref(connection, "connection").map_or(0, |c| c.signature())
    })
}

/// Sends a message to the connection (as JSON text or BERT binary, as its route's format
/// says). Never blocks: past the route's send queue for it, `DD_ERR_BACKPRESSURE`.
#[no_mangle]
pub extern "C" fn dd_connection_send_message(
    node: *mut dd_node,
    connection: *const dd_connection,
    msg: *const dd_message,
) -> dd_status {
    guard(|| {
        let (to, msg) = (*self::connection(connection)?, message(msg)?);
        with_node(node, |node| Ok(to.send_message(node, msg)?))
    })
}

/// Closes the connection once what was queued for it is sent; its `dd_node_on_close`
/// callback follows.
#[no_mangle]
pub extern "C" fn dd_connection_close(
    node: *mut dd_node,
    connection: *const dd_connection,
) -> dd_status {
    guard(|| {
        let to = *self::connection(connection)?;
        with_node(node, |node| Ok(to.close(node)?))
    })
}

/// A copy of `connection` the caller owns (free it with `dd_connection_free`).
#[no_mangle]
pub extern "C" fn dd_connection_clone(
    connection: *const dd_connection,
    out: *mut *mut dd_connection,
) -> dd_status {
    guard(|| put(out, *self::connection(connection)?))
}

/// Frees a connection made by `dd_connection_clone` (the connection itself stays open);
/// NULL does nothing.
#[no_mangle]
pub extern "C" fn dd_connection_free(connection: *mut dd_connection) {
    guard_value((), || free(connection))
}
