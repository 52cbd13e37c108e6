//! Per-route settings: socket options, topic filter, format and queue bounds.

use super::kind::MsgFormat;
use std::time::Duration;

/// How a subscriber picks messages by name.
#[derive(Clone, Debug)]
pub enum TopicFilter {
    /// Names starting with these bytes (ZeroMQ filters them at the publisher).
    Prefix(Vec<u8>),
    /// Names matching this regex (filtered here, after receipt).
    Regex(regex::Regex),
}

/// Options of one route. `RouteOptions::default()` suits most routes.
#[derive(Clone, Debug)]
pub struct RouteOptions {
    /// ZeroMQ's send high-water mark (messages); `None` keeps ZeroMQ's default (1000).
    pub send_hwm: Option<i32>,
    /// ZeroMQ's receive high-water mark (messages).
    pub recv_hwm: Option<i32>,
    /// How long closing the socket may wait to deliver what ZeroMQ still holds. libzmq's own
    /// default is forever, which would hang a process at exit; ours is one second.
    pub linger: Duration,
    /// The socket identity (ROUTER sees it as the sender's address).
    pub identity: Option<Vec<u8>>,
    pub reconnect_ivl: Option<Duration>,
    pub reconnect_ivl_max: Option<Duration>,
    /// For `zmq_subscribe`: which names to receive; `None` receives everything.
    pub topic_filter: Option<TopicFilter>,
    pub msg_format: MsgFormat,
    /// Messages accepted while ZeroMQ is at its high-water mark, before `send_message`
    /// reports backpressure.
    pub send_queue: usize,
    /// For `zmq_xreq` and `zmq_req`: how long a request waits for its reply before its
    /// callback gets a timeout error; `None` waits forever.
    pub request_timeout: Option<Duration>,
}

impl Default for RouteOptions {
    fn default() -> Self {
        RouteOptions {
            send_hwm: None,
            recv_hwm: None,
            linger: Duration::from_secs(1),
            identity: None,
            reconnect_ivl: None,
            reconnect_ivl_max: None,
            topic_filter: None,
            msg_format: MsgFormat::DripDrop,
            send_queue: 10_000,
            request_timeout: None,
        }
    }
}
