//! Per-route settings: bind or connect, socket options, topic filter, format and queue
//! bounds.

use crate::error::Error;
use std::time::Duration;

/// Whether a route binds its addresses or connects to them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Listens on its addresses; peers connect to it.
    Bind,
    /// Connects to peers listening on its addresses.
    Connect,
}

impl Mode {
    /// Reads `bind` or `connect`.
    pub fn from_name(name: &str) -> Result<Self, Error> {
        match name {
            "bind" => Ok(Mode::Bind),
            "connect" => Ok(Mode::Connect),
            other => Err(Error::InvalidArgument(format!(
                "unknown socket mode {other:?} (expected bind or connect)"
            ))),
        }
    }

    /// `bind` or `connect`.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Bind => "bind",
            Mode::Connect => "connect",
        }
    }
}

/// What travels in a route's frames.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MsgFormat {
    /// DripDrop messages, BERT-encoded, framed per route kind.
    #[default]
    DripDrop,
    /// Frames passed untouched both ways, for talking to non-DripDrop peers.
    Raw,
}

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
    /// How long a connecting socket waits before reconnecting to a peer it lost;
    /// `None` keeps ZeroMQ's default (100 ms).
    pub reconnect_ivl: Option<Duration>,
    /// The longest that wait grows to (it doubles on each try); `None` keeps it fixed.
    pub reconnect_ivl_max: Option<Duration>,
    /// For `zmq_subscribe`: which names to receive; `None` receives everything.
    pub topic_filter: Option<TopicFilter>,
    /// DripDrop messages (the default), or raw frames for non-DripDrop peers.
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
