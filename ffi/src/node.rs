//! `dd_node`: a node, its routes and their handlers, sending, running and stopping, the
//! handle other threads use, local `defer`, `on_error` and stats.

use crate::bytes::{dd_bytes, put_bytes};
use crate::callback::{dd_free_cb, Userdata};
use crate::error::dd_error;
use crate::message::{dd_message, message};
use crate::status::{
    arg, arg_mut, dd_status, free, guard, guard_value, invalid, put, text, Fail, Result,
};
use crate::value::{dd_value, lend, put_value, take_value};
use dripdrop::{
    Error, Mode, Node, NodeHandle, NodeOptions, Response, RouteKind, RouteOptions, TopicFilter,
};
use std::ffi::{c_char, c_void};
use std::sync::Arc;
use std::time::Duration;

/// A node: one reactor loop, run by the thread that calls `dd_node_run`. Not thread-safe:
/// every call on a node (except `dd_node_stop`) must come from the thread that runs it, or
/// happen while it is not running. Other threads use a `dd_handle`.
pub struct dd_node {
    _private: [u8; 0],
}

/// A request an xrep or rep handler must answer: `dd_response_send` (which frees it) or
/// `dd_response_free` (which answers the asker with an error).
pub struct dd_response {
    _private: [u8; 0],
}

/// Lets other threads post work to a node's loop or stop it. Thread-safe.
pub struct dd_handle {
    _private: [u8; 0],
}

/// Called on the node's thread with the node.
pub type dd_node_cb = Option<unsafe extern "C" fn(userdata: *mut c_void, node: *mut dd_node)>;
/// Called with a message a route received, borrowed for the call.
pub type dd_receive_cb =
    Option<unsafe extern "C" fn(userdata: *mut c_void, node: *mut dd_node, msg: *const dd_message)>;
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
/// Called with an error the loop met (a failed callback, a bad frame), borrowed for the call.
pub type dd_error_cb =
    Option<unsafe extern "C" fn(userdata: *mut c_void, node: *mut dd_node, error: *const dd_error)>;
/// A deferred operation: runs on a pool thread, returns a value it gives up (or NULL).
pub type dd_op_cb = Option<unsafe extern "C" fn(userdata: *mut c_void) -> *mut dd_value>;
/// Called with a result (or, if `error` is not NULL, why there is none), borrowed for the
/// call.
pub type dd_result_cb = Option<
    unsafe extern "C" fn(
        userdata: *mut c_void,
        node: *mut dd_node,
        result: *const dd_value,
        error: *const dd_error,
    ),
>;

pub(crate) fn node_mut<'a>(pointer: *mut dd_node) -> Result<&'a mut Node> {
    arg_mut(pointer.cast::<Node>(), "node")
}

pub(crate) fn lend_node(node: &mut Node) -> *mut dd_node {
    (node as *mut Node).cast()
}

pub(crate) fn callback<F>(f: Option<F>, what: &'static str) -> Result<F> {
    f.ok_or(Fail::Null(what))
}

/// Node settings; start from `dd_node_options_default`.
#[repr(C)]
pub struct dd_node_options {
    /// Threads of the local `defer` pool; 0 for one per CPU.
    pub defer_threads: usize,
    /// How long `dd_node_stop` lets queued sends go out, in ms.
    pub stop_linger_ms: u64,
    /// Comma-separated nodelets to run, or NULL for all.
    pub run_list: *const c_char,
}

/// The default node settings.
#[no_mangle]
pub extern "C" fn dd_node_options_default(out: *mut dd_node_options) -> dd_status {
    guard(|| {
        let defaults = NodeOptions::default();
        *arg_mut(out, "out")? = dd_node_options {
            defer_threads: 0,
            stop_linger_ms: defaults.stop_linger.as_millis() as u64,
            run_list: std::ptr::null(),
        };
        Ok(())
    })
}

/// A new node; `options` may be NULL for the defaults.
#[no_mangle]
pub extern "C" fn dd_node_new(
    options: *const dd_node_options,
    out: *mut *mut dd_node,
) -> dd_status {
    guard(|| {
        let mut settings = NodeOptions::default();
        // SAFETY: NULL or a pointer to an options struct the caller filled.
        if let Some(o) = unsafe { options.as_ref() } {
            if o.defer_threads > 0 {
                settings.defer_threads = o.defer_threads;
            }
            settings.stop_linger = Duration::from_millis(o.stop_linger_ms);
            if !o.run_list.is_null() {
                let list = text(o.run_list, "run_list")?;
                settings.run_list = Some(list.split(',').map(|s| s.trim().to_owned()).collect());
            }
        }
        put::<Node, dd_node>(out, Node::with_options(settings)?)
    })
}

/// Frees a node (its routes close, its pools stop); NULL does nothing. Not while it runs.
#[no_mangle]
pub extern "C" fn dd_node_free(node: *mut dd_node) {
    guard_value((), || free::<Node, dd_node>(node))
}

/// Route settings; start from `dd_route_options_default`. -1 (or NULL) keeps a default.
#[repr(C)]
pub struct dd_route_options {
    /// ZeroMQ's send high-water mark, in messages.
    pub send_hwm: i32,
    /// ZeroMQ's receive high-water mark, in messages.
    pub recv_hwm: i32,
    /// How long closing may wait to deliver what ZeroMQ holds (default 1000 ms).
    pub linger_ms: i64,
    /// The socket identity, NUL-terminated.
    pub identity: *const c_char,
    /// How long ZeroMQ waits before reconnecting, in ms (`ZMQ_RECONNECT_IVL`).
    pub reconnect_ivl_ms: i64,
    /// The longest wait between reconnects as they back off, in ms
    /// (`ZMQ_RECONNECT_IVL_MAX`).
    pub reconnect_ivl_max_ms: i64,
    /// For zmq_subscribe: receive only names starting with this.
    pub topic_prefix: *const c_char,
    /// For zmq_subscribe: receive only names matching this regex.
    pub topic_regex: *const c_char,
    /// Frames pass untouched (for non-DripDrop peers); not usable through this API yet
    /// beyond sending nothing, so leave it false.
    pub raw: bool,
    /// Messages queued while ZeroMQ is full before sends report backpressure.
    pub send_queue: i64,
    /// For zmq_xreq and zmq_req: how long a request waits for its reply.
    pub request_timeout_ms: i64,
}

/// The default route settings.
#[no_mangle]
pub extern "C" fn dd_route_options_default(out: *mut dd_route_options) -> dd_status {
    guard(|| {
        *arg_mut(out, "out")? = dd_route_options {
            send_hwm: -1,
            recv_hwm: -1,
            linger_ms: -1,
            identity: std::ptr::null(),
            reconnect_ivl_ms: -1,
            reconnect_ivl_max_ms: -1,
            topic_prefix: std::ptr::null(),
            topic_regex: std::ptr::null(),
            raw: false,
            send_queue: -1,
            request_timeout_ms: -1,
        };
        Ok(())
    })
}

fn millis(ms: i64) -> Option<Duration> {
    u64::try_from(ms).ok().map(Duration::from_millis)
}

fn route_options(options: *const dd_route_options) -> Result<RouteOptions> {
    let mut settings = RouteOptions::default();
    // SAFETY: NULL or a pointer to an options struct the caller filled.
    let Some(o) = (unsafe { options.as_ref() }) else {
        return Ok(settings);
    };
    settings.send_hwm = (o.send_hwm >= 0).then_some(o.send_hwm);
    settings.recv_hwm = (o.recv_hwm >= 0).then_some(o.recv_hwm);
    if let Some(linger) = millis(o.linger_ms) {
        settings.linger = linger;
    }
    if !o.identity.is_null() {
        settings.identity = Some(text(o.identity, "identity")?.as_bytes().to_vec());
    }
    settings.reconnect_ivl = millis(o.reconnect_ivl_ms);
    settings.reconnect_ivl_max = millis(o.reconnect_ivl_max_ms);
    if !o.topic_prefix.is_null() {
        let prefix = text(o.topic_prefix, "topic_prefix")?.as_bytes().to_vec();
        settings.topic_filter = Some(TopicFilter::Prefix(prefix));
    }
    if !o.topic_regex.is_null() {
        let source = text(o.topic_regex, "topic_regex")?;
        let regex = regex_of(source)?;
        settings.topic_filter = Some(TopicFilter::Regex(regex));
    }
    if o.raw {
        return Err(invalid(
            "raw routes are not available through the C API yet",
        ));
    }
    if let Ok(queue) = usize::try_from(o.send_queue) {
        settings.send_queue = queue;
    }
    settings.request_timeout = millis(o.request_timeout_ms);
    Ok(settings)
}

fn regex_of(source: &str) -> Result<regex::Regex> {
    regex::Regex::new(source).map_err(|e| invalid(format!("topic_regex: {e}")))
}

/// Adds route `name` of `kind` (`"zmq_push"`, `"zmq_pull"`, `"zmq_publish"`, `"zmq_subscribe"`,
/// `"zmq_xreq"`, `"zmq_xrep"`, `"zmq_req"`, `"zmq_rep"`, `"zmq_pair"`), bound or connected
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
        let node = node_mut(node)?;
        let name = text(name, "name")?;
        let kind = RouteKind::from_name(text(kind, "kind")?)?;
        let mode = Mode::from_name(text(mode, "mode")?)?;
        if count == 0 {
            return Err(invalid("a route needs at least one address"));
        }
        if addresses.is_null() {
            return Err(Fail::Null("addresses"));
        }
        // SAFETY: non-NULL, and the caller promises `count` string pointers.
        let pointers = unsafe { std::slice::from_raw_parts(addresses, count) };
        let addresses = pointers
            .iter()
            .map(|&p| text(p, "address"))
            .collect::<Result<Vec<&str>>>()?;
        node.route_with(name, kind, &addresses, mode, route_options(options)?)?;
        Ok(())
    })
}

/// The first endpoint route `name` bound or connected, with the port ZeroMQ picked for
/// `tcp://...:*` filled in; a new NUL-terminated `dd_bytes` (free it).
#[no_mangle]
pub extern "C" fn dd_node_route_endpoint(
    node: *const dd_node,
    name: *const c_char,
    out: *mut *mut dd_bytes,
) -> dd_status {
    guard(|| {
        let node = arg(node.cast::<Node>(), "node")?;
        let route = node.get_route(text(name, "name")?)?;
        put_bytes(out, route.endpoint().as_bytes().to_vec())
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
        let node = node_mut(node)?;
        let cb = callback(cb, "cb")?;
        node.on_receive(text(route, "route")?, move |node, message| {
            let msg = dd_message::new(message);
            // SAFETY: a C function the caller registered, given its own userdata.
            unsafe { cb(userdata.get(), lend_node(node), &msg) };
        })?;
        Ok(())
    })
}

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
        let node = node_mut(node)?;
        let cb = callback(cb, "cb")?;
        node.on_request(text(route, "route")?, move |node, message, response| {
            let msg = dd_message::new(message);
            let response = Box::into_raw(Box::new(response)).cast::<dd_response>();
            // SAFETY: as above; the callee owns `response` from here.
            unsafe { cb(userdata.get(), lend_node(node), &msg, response) };
        })?;
        Ok(())
    })
}

/// Answers a request and frees `response` (also when sending fails).
#[no_mangle]
pub extern "C" fn dd_response_send(
    node: *mut dd_node,
    response: *mut dd_response,
    reply: *const dd_message,
) -> dd_status {
    guard(|| {
        let node = node_mut(node)?;
        let reply = message(reply)?;
        if response.is_null() {
            return Err(Fail::Null("response"));
        }
        // SAFETY: a response this library handed to a request callback, used once.
        let response = *unsafe { Box::from_raw(response.cast::<Response>()) };
        response.send_message(node, reply)?;
        Ok(())
    })
}

/// Frees a response without answering: the asker gets an error reply. NULL does nothing.
#[no_mangle]
pub extern "C" fn dd_response_free(response: *mut dd_response) {
    guard_value((), || free::<Response, dd_response>(response))
}

/// Sends a message on a publish, push, pair, xreq or req route. Never blocks: a full route
/// refuses with `DD_ERR_BACKPRESSURE`.
#[no_mangle]
pub extern "C" fn dd_node_send_message(
    node: *mut dd_node,
    route: *const c_char,
    msg: *const dd_message,
) -> dd_status {
    guard(|| {
        let node = node_mut(node)?;
        node.send_message(text(route, "route")?, message(msg)?)?;
        Ok(())
    })
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
        let node = node_mut(node)?;
        let cb = callback(cb, "cb")?;
        node.send_request(text(route, "route")?, message(msg)?, move |node, reply| {
            let node = lend_node(node);
            // SAFETY: as above, one call; the userdata is freed after it.
            match reply {
                Ok(reply) => {
                    let reply = dd_message::new(reply);
                    unsafe { cb(userdata.get(), node, &reply, std::ptr::null()) };
                }
                Err(e) => {
                    let error = dd_error::new(&e);
                    unsafe { cb(userdata.get(), node, std::ptr::null(), &error) };
                }
            }
        })?;
        Ok(())
    })
}

/// Calls `cb` with every error the loop meets (a callback that failed, a frame that is not a
/// message); the default prints a line on stderr.
#[no_mangle]
pub extern "C" fn dd_node_on_error(
    node: *mut dd_node,
    cb: dd_error_cb,
    userdata: *mut c_void,
    userdata_free: dd_free_cb,
) -> dd_status {
    let userdata = Userdata::new(userdata, userdata_free);
    guard(|| {
        let node = node_mut(node)?;
        let cb = callback(cb, "cb")?;
        node.on_error(move |node, error| {
            let error = dd_error::new(error);
            // SAFETY: as above.
            unsafe { cb(userdata.get(), lend_node(node), &error) };
        });
        Ok(())
    })
}

/// Runs the loop on this thread until `dd_node_stop` (from a callback, or a handle's stop
/// from another thread).
#[no_mangle]
pub extern "C" fn dd_node_run(node: *mut dd_node) -> dd_status {
    guard(|| Ok(node_mut(node)?.run()?))
}

/// Asks the loop to stop: it flushes queued sends for at most the stop linger and
/// `dd_node_run` returns.
#[no_mangle]
pub extern "C" fn dd_node_stop(node: *const dd_node) -> dd_status {
    guard(|| {
        arg(node.cast::<Node>(), "node")?.stop();
        Ok(())
    })
}

/// Every route's and pool's counters, as a new dict value.
#[no_mangle]
pub extern "C" fn dd_node_stats(node: *const dd_node, out: *mut *mut dd_value) -> dd_status {
    guard(|| put_value(out, arg(node.cast::<Node>(), "node")?.stats()))
}

/// A handle for other threads.
#[no_mangle]
pub extern "C" fn dd_node_handle(node: *const dd_node, out: *mut *mut dd_handle) -> dd_status {
    guard(|| {
        let handle = arg(node.cast::<Node>(), "node")?.handle();
        put::<NodeHandle, dd_handle>(out, handle)
    })
}

/// Runs `cb` on the node's thread at its next turn (from any thread). `userdata` goes to
/// that thread.
#[no_mangle]
pub extern "C" fn dd_handle_post(
    handle: *const dd_handle,
    cb: dd_node_cb,
    userdata: *mut c_void,
    userdata_free: dd_free_cb,
) -> dd_status {
    let userdata = Userdata::new(userdata, userdata_free);
    guard(|| {
        let handle = arg(handle.cast::<NodeHandle>(), "handle")?;
        let cb = callback(cb, "cb")?;
        handle.post(move |node| {
            // SAFETY: as above, on the node's thread.
            unsafe { cb(userdata.get(), lend_node(node)) };
        })?;
        Ok(())
    })
}

/// Stops the node's loop (from any thread).
#[no_mangle]
pub extern "C" fn dd_handle_stop(handle: *const dd_handle) -> dd_status {
    guard(|| {
        arg(handle.cast::<NodeHandle>(), "handle")?.stop();
        Ok(())
    })
}

/// Frees a handle; NULL does nothing.
#[no_mangle]
pub extern "C" fn dd_handle_free(handle: *mut dd_handle) {
    guard_value((), || free::<NodeHandle, dd_handle>(handle))
}

/// `EM.defer`: runs `op` on the node's thread pool, then `cb` on the node's thread with the
/// value `op` returned (which the library frees after `cb`). `userdata` is used by both, one
/// after the other, on different threads; it is freed after `cb`.
#[no_mangle]
pub extern "C" fn dd_node_defer(
    node: *mut dd_node,
    op: dd_op_cb,
    cb: dd_result_cb,
    userdata: *mut c_void,
    userdata_free: dd_free_cb,
) -> dd_status {
    let userdata = Arc::new(Userdata::new(userdata, userdata_free));
    guard(|| {
        let node = node_mut(node)?;
        let (op, cb) = (callback(op, "op")?, callback(cb, "cb")?);
        let for_op = Arc::clone(&userdata);
        node.defer(
            move || {
                // SAFETY: the C operation, on a pool thread, as the header says.
                let result = unsafe { op(for_op.get()) };
                if result.is_null() {
                    return Err(Error::Callback {
                        context: "deferred operation".into(),
                        message: "it returned NULL".into(),
                    });
                }
                take_value(result, "result").map_err(|_| Error::Stopped)
            },
            move |node, result| {
                let result = result.and_then(|r| r);
                deliver(&userdata, cb, node, result);
            },
        );
        Ok(())
    })
}

/// Calls a result callback with a value or an error, both borrowed for the call.
pub(crate) fn deliver(
    userdata: &Userdata,
    cb: unsafe extern "C" fn(*mut c_void, *mut dd_node, *const dd_value, *const dd_error),
    node: &mut Node,
    result: std::result::Result<dripdrop::Value, Error>,
) {
    let node = lend_node(node);
    // SAFETY: the C callback, on the node's thread, with borrowed arguments.
    match result {
        Ok(value) => unsafe { cb(userdata.get(), node, lend(&value), std::ptr::null()) },
        Err(e) => {
            let error = dd_error::new(&e);
            unsafe { cb(userdata.get(), node, std::ptr::null(), &error) }
        }
    }
}
