//! `dd_route_options`: a route's settings as C gives them, started from core's defaults and
//! read into core's `RouteOptions`.

use crate::curve::{curve_option, dd_curve_options};
use crate::guard::{guard, invalid, millis_of, optional_options, optional_text, out, Result};
use crate::status::dd_status;
use dripdrop::{MsgFormat, RouteOptions, TopicFilter};
use std::ffi::c_char;
use std::time::Duration;

/// Route settings; start from `dd_route_options_default` (core's defaults). For the numbers
/// that may be unset, -1 (any negative number) is "unset"; NULL is an unset text.
#[repr(C)]
pub struct dd_route_options {
    /// ZeroMQ's send high-water mark, in messages; -1 for ZeroMQ's default (1000).
    pub send_hwm: i32,
    /// ZeroMQ's receive high-water mark, in messages; -1 for ZeroMQ's default (1000).
    pub recv_hwm: i32,
    /// How long closing may wait to deliver what ZeroMQ holds, in ms; -1 keeps the default.
    pub linger_ms: i64,
    /// The socket identity, NUL-terminated, or NULL for none.
    pub identity: *const c_char,
    /// How long ZeroMQ waits before reconnecting, in ms (`ZMQ_RECONNECT_IVL`); -1 for
    /// ZeroMQ's default (100 ms).
    pub reconnect_ivl_ms: i64,
    /// The longest wait between reconnects as they back off, in ms
    /// (`ZMQ_RECONNECT_IVL_MAX`); -1 keeps the wait fixed.
    pub reconnect_ivl_max_ms: i64,
    /// For zmq_subscribe: receive only names starting with this. Not with `topic_regex`.
    pub topic_prefix: *const c_char,
    /// For zmq_subscribe: receive only names matching this regex. Not with `topic_prefix`.
    pub topic_regex: *const c_char,
    /// Frames pass untouched both ways, for non-DripDrop peers: the route receives with
    /// `dd_node_on_frames` and sends with `dd_node_send_frames`.
    pub raw: bool,
    /// Messages queued while ZeroMQ is full before sends report backpressure; -1 keeps the
    /// default.
    pub send_queue: i64,
    /// For zmq_xreq and zmq_req: how long a request waits for its reply, in ms; -1 waits for
    /// ever.
    pub request_timeout_ms: i64,
    /// The largest frame a peer may send this route, in bytes; -1 keeps the default (64 MiB).
    /// Over tcp and ipc libzmq disconnects a peer that sends a larger frame
    /// (`ZMQ_MAXMSGSIZE`), and DripDrop messages are decoded within the same limit, so a
    /// larger bound lets larger messages through. 0 is `DD_ERR_INVALID_ARGUMENT` when the
    /// route is made.
    pub max_frame_bytes: i64,
    /// Web routes: the most connections open at once (a server closes more at once; an
    /// http_client has as many requests in flight); -1 keeps the default (1024). 0 is
    /// `DD_ERR_INVALID_ARGUMENT` when the route is made.
    pub max_connections: i64,
    /// http_server and websocket_server: the largest request head (request line and
    /// headers, or the WebSocket handshake) a client may send, in bytes (over it, 431); -1
    /// keeps the default (16 KiB). 0 is `DD_ERR_INVALID_ARGUMENT` when the route is made.
    pub max_header_bytes: i64,
    /// http_server and websocket_server: how long a client has to send a whole request head
    /// from its first byte, in ms; -1 keeps the default (10 s).
    pub header_timeout_ms: i64,
    /// http_server and http_client: how long a kept-alive connection may sit idle before it
    /// is closed, in ms; -1 keeps the default (60 s).
    pub idle_timeout_ms: i64,
    /// http_server: a folder whose files GET requests are served from (the rest go to the
    /// handler), NUL-terminated, or NULL for none.
    pub static_dir: *const c_char,
    /// CURVE, for the ZeroMQ kinds (a binding route is the server, a connecting one a
    /// client); by default the environment's `DRIPDROP_CURVE_DIR`, if any. Keys or a
    /// directory given to a web route are `DD_ERR_INVALID_ARGUMENT`.
    pub curve: dd_curve_options,
}

/// Milliseconds for an unset-or-duration field: -1 when unset.
fn millis_or_unset(duration: Option<Duration>) -> i64 {
    duration.map_or(-1, |d| i64::try_from(millis_of(d)).unwrap_or(i64::MAX))
}

/// A duration from an unset-or-milliseconds field.
fn millis(ms: i64) -> Option<Duration> {
    u64::try_from(ms).ok().map(Duration::from_millis)
}

/// The default route settings (core's).
#[no_mangle]
pub extern "C" fn dd_route_options_default(options: *mut dd_route_options) -> dd_status {
    guard(|| {
        let d = RouteOptions::default();
        *out(options, "options")? = dd_route_options {
            send_hwm: d.send_hwm.unwrap_or(-1),
            recv_hwm: d.recv_hwm.unwrap_or(-1),
            linger_ms: millis_or_unset(Some(d.linger)),
            // Core's defaults set no identity and no topic filter: nothing to point to.
            identity: std::ptr::null(),
            reconnect_ivl_ms: millis_or_unset(d.reconnect_ivl),
            reconnect_ivl_max_ms: millis_or_unset(d.reconnect_ivl_max),
            topic_prefix: std::ptr::null(),
            topic_regex: std::ptr::null(),
            raw: d.msg_format == MsgFormat::Raw,
            send_queue: i64::try_from(d.send_queue).unwrap_or(i64::MAX),
            request_timeout_ms: millis_or_unset(d.request_timeout),
            max_frame_bytes: i64::try_from(d.max_frame_bytes).unwrap_or(i64::MAX),
            max_connections: i64::try_from(d.max_connections).unwrap_or(i64::MAX),
            max_header_bytes: i64::try_from(d.max_header_bytes).unwrap_or(i64::MAX),
            header_timeout_ms: millis_or_unset(Some(d.header_timeout)),
            idle_timeout_ms: millis_or_unset(Some(d.idle_timeout)),
            // Core's default serves no folder.
            static_dir: std::ptr::null(),
            curve: dd_curve_options::unset(),
        };
        Ok(())
    })
}

/// Core's route options from C's; NULL gives core's defaults.
pub(crate) fn route_options(options: *const dd_route_options) -> Result<RouteOptions> {
    let mut settings = RouteOptions::default();
    let Some(o) = optional_options(options) else {
        return Ok(settings);
    };
    settings.send_hwm = (o.send_hwm >= 0).then_some(o.send_hwm);
    settings.recv_hwm = (o.recv_hwm >= 0).then_some(o.recv_hwm);
    if let Some(linger) = millis(o.linger_ms) {
        settings.linger = linger;
    }
    settings.identity = optional_text(o.identity, "identity")?.map(|id| id.as_bytes().to_vec());
    settings.reconnect_ivl = millis(o.reconnect_ivl_ms);
    settings.reconnect_ivl_max = millis(o.reconnect_ivl_max_ms);
    settings.topic_filter = topic_filter(o)?;
    settings.msg_format = if o.raw {
        MsgFormat::Raw
    } else {
        MsgFormat::DripDrop
    };
    if let Ok(queue) = usize::try_from(o.send_queue) {
        settings.send_queue = queue;
    }
    settings.request_timeout = millis(o.request_timeout_ms);
    // Negative is unset; 0 is handed on for core to refuse when the route is made.
    if let Ok(bound) = usize::try_from(o.max_frame_bytes) {
        settings.max_frame_bytes = bound;
    }
    // As above: negative is unset, 0 is core's to refuse.
    if let Ok(bound) = usize::try_from(o.max_connections) {
        settings.max_connections = bound;
    }
    if let Ok(bound) = usize::try_from(o.max_header_bytes) {
        settings.max_header_bytes = bound;
    }
    if let Some(timeout) = millis(o.header_timeout_ms) {
        settings.header_timeout = timeout;
    }
    if let Some(timeout) = millis(o.idle_timeout_ms) {
        settings.idle_timeout = timeout;
    }
    settings.static_dir = optional_text(o.static_dir, "static_dir")?.map(Into::into);
    settings.curve = curve_option(&o.curve, "curve")?;
    Ok(settings)
}

/// The topic filter: a prefix or a regex (core reads the regex), never both.
fn topic_filter(o: &dd_route_options) -> Result<Option<TopicFilter>> {
    let prefix = optional_text(o.topic_prefix, "topic_prefix")?;
    let regex = optional_text(o.topic_regex, "topic_regex")?;
    match (prefix, regex) {
        (Some(_), Some(_)) => Err(invalid(
            "topic_prefix and topic_regex are both set: a route filters by one of them",
        )),
        (Some(prefix), None) => Ok(Some(TopicFilter::Prefix(prefix.as_bytes().to_vec()))),
        (None, Some(source)) => Ok(Some(TopicFilter::regex(source)?)),
        (None, None) => Ok(None),
    }
}
