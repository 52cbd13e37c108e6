//! Requests and replies: answering them on xrep and rep routes (`dd_response`), asking on
//! xreq and req routes.

use crate::callback::{dd_free_cb, Userdata};
use crate::error::{dd_error, ErrorView};
use crate::guard::{callback, guard, guard_value, text};
use crate::handle::{free, lend, take, to_boxed};
use crate::message::{dd_message, message, MessageView};
use crate::node::{dd_node, with_node, NodeLoan};
use crate::status::dd_status;
use std::ffi::{c_char, c_void};

/// A request an xrep, rep or http_server handler must answer: `dd_response_send` (which
/// frees it; on http_server also `dd_response_send_status` and `dd_response_send_file`) or
/// `dd_response_free` (which answers the asker with an error).
pub struct dd_response {
    _private: [u8; 0],
}

/// Called with a request and the response that answers it (the callee owns `response`).
pub type dd_request_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        node: *mut dd_node,
        msg: *const dd_message,
        response: *mut dd_response,
    ),
>;

/// Called with a reply (or, if `error` is not NULL, why there is none), borrowed for the
/// call. The userdata is freed after this one call.
pub type dd_reply_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        node: *mut dd_node,
        reply: *const dd_message,
        error: *const dd_error,
    ),
>;

/// Calls `cb` on the node's thread with every request an xrep or rep route receives and its
/// response, which the callee owns: answer with `dd_response_send`, now or later, or free it
/// (the asker then gets an error).
#[no_mangle]
pub extern "C" fn dd_node_on_request(
    node: *mut dd_node,
    route: *const c_char,
    cb: dd_request_cb,
    userdata: *mut c_void,
    userdata_free: dd_free_cb,
) -> dd_status {
    let userdata = Userdata::new(userdata, userdata_free);
    guard(|| {
        let cb = callback(cb, "cb")?;
        let route = text(route, "route")?;
        let loan = NodeLoan::of(node)?;
        with_node(node, |node| {
            node.on_request(route, move |node, received, response| {
                let msg = MessageView::new(received);
                let response = to_boxed::<dd_response>(response);
                // SAFETY: the C function the caller registered, on the node's thread; the
                // message is borrowed for the call, the callee owns `response` from here.
                loan.call(node, |node| unsafe {
                    cb(userdata.get(), node, msg.lend(), response)
                });
            })?;
            Ok(())
        })
    })
}

/// Answers a request and frees `response` (also when sending fails; not when an argument is
/// NULL or the node cannot be reached: it is still the caller's then).
#[no_mangle]
pub extern "C" fn dd_response_send(
    node: *mut dd_node,
    response: *mut dd_response,
    reply: *const dd_message,
) -> dd_status {
    guard(|| {
        let reply = message(reply)?;
        with_node(node, |node| {
            let response = take(response, "response")?;
            Ok(response.send_message(node, reply)?)
        })
    })
}

/// Answers an http_server request with HTTP status `status` and the reply as a
/// JSON body; frees `response` as `dd_response_send` does.
#[no_mangle]
pub extern "C" fn dd_response_send_status(
    node: *mut dd_node,
    response: *mut dd_response,
    status: u16,
    reply: *const dd_message,
) -> dd_status {
    guard(|| {
        let reply = message(reply)?;
        with_node(node, |node| {
            let response = take(response, "response")?;
            Ok(response.send_status(node, status, reply)?)
        })
    })
}

/// Answers an http_server request with the file at `path` (NUL-terminated UTF-8; its type
/// from its extension, 404 if it cannot be read); frees `response` as `dd_response_send`
/// does.
#[no_mangle]
pub extern "C" fn dd_response_send_file(
    node: *mut dd_node,
    response: *mut dd_response,
    path: *const c_char,
) -> dd_status {
    guard(|| {
        let path = text(path, "path")?;
        with_node(node, |node| {
            let response = take(response, "response")?;
            Ok(response.send_file(node, path)?)
        })
    })
}

/// Frees a response without answering: the asker gets an error reply. NULL does nothing.
#[no_mangle]
pub extern "C" fn dd_response_free(response: *mut dd_response) {
    guard_value((), || free(response))
}

/// Sends a request on an xreq or req route; `cb` is called once on the node's thread with the
/// reply, or with the error that ended the wait (the route's request timeout...).
#[no_mangle]
pub extern "C" fn dd_node_send_request(
    node: *mut dd_node,
    route: *const c_char,
    msg: *const dd_message,
    cb: dd_reply_cb,
    userdata: *mut c_void,
    userdata_free: dd_free_cb,
) -> dd_status {
    let userdata = Userdata::new(userdata, userdata_free);
    guard(|| {
        let cb = callback(cb, "cb")?;
        let (route, msg) = (text(route, "route")?, message(msg)?);
        let loan = NodeLoan::of(node)?;
        with_node(node, |node| {
            node.send_request(route, msg, move |node, reply| {
                // SAFETY: the C callback, once, on the node's thread, with the reply or the
                // error borrowed for the call; the userdata is freed after it.
                loan.call(node, |node| match reply {
                    Ok(reply) => {
                        let reply = MessageView::new(reply);
                        unsafe { cb(userdata.get(), node, reply.lend(), std::ptr::null()) }
                    }
                    Err(e) => {
                        let error = ErrorView::new(&e);
                        unsafe { cb(userdata.get(), node, std::ptr::null(), lend(&error)) }
                    }
                });
            })?;
            Ok(())
        })
    })
}
