//! Per-route settings: bind or connect, socket options, topic filter, format, and the bounds
//! on its send queue and on the frames peers send it.

use crate::bert::DecodeLimits;
use crate::error::Error;
use crate::security::CurveOption;
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
    /// The largest frame a peer may send this route, in bytes; 64 MiB by default
    /// ([`DecodeLimits::DEFAULT`]'s `max_input_bytes`). Over tcp and ipc, libzmq disconnects
    /// a peer that sends a larger frame (`ZMQ_MAXMSGSIZE`) as soon as it reads the frame's
    /// length, before it makes room for the frame; inproc has no wire, so there only the
    /// decoder refuses it. It bounds what the route receives, not what it sends. The route's
    /// DripDrop messages are decoded with this same byte limit, so the socket and the decoder
    /// never disagree: a larger bound here lets larger messages through both. Raw routes
    /// decode nothing but are bounded all the same. Between 1 and `i64::MAX`; anything else
    /// is `InvalidArgument` when the route is made.
    pub max_frame_bytes: usize,
    /// For routes that hold connections (http_server, websocket_server): how many may be
    /// open at once; one more is accepted and closed at once (counted in
    /// `connections_refused`). For http_client: how many requests are in flight at once, one
    /// per connection (the rest wait in the send queue).
    pub max_connections: usize,
    /// For http_server and websocket_server: the largest request head (request line and
    /// headers, or the WebSocket handshake) a client may send, in bytes; over it, 431.
    pub max_header_bytes: usize,
    /// For http_server and websocket_server: how long a client has to send a whole request
    /// head (or the handshake) from its first byte; a slower one is closed.
    pub header_timeout: Duration,
    /// For http_server and http_client: how long a kept-alive connection may sit idle before
    /// it is closed.
    pub idle_timeout: Duration,
    /// For http_server: a folder whose files GET requests are served from (the rest of the
    /// requests go to the handler).
    pub static_dir: Option<std::path::PathBuf>,
    /// For a raw `zmq_xrep` route: each peer's connect and disconnect arrives as the frames
    /// `[identity, ""]` (ZeroMQ's `ZMQ_ROUTER_NOTIFY`), so a server hears at once that a
    /// peer's connection ended. Where libzmq lacks the option (it is in its draft API) the
    /// route makes the same notifications from a socket monitor; then a peer is known, and
    /// its connect reported, from its first message. On any other route it is
    /// `InvalidArgument`.
    pub router_notify: bool,
    /// CURVE on the route's socket (docs/security.md): a route that binds is a CURVE
    /// server, one that connects a client. The default takes `DRIPDROP_CURVE_DIR` when the
    /// environment names one, else plain text; `CurveOption::Off` is plain text whatever
    /// the environment says. Only ZeroMQ routes speak CURVE: on a web route, keys or a
    /// directory are `InvalidArgument` (and the environment does not apply). On an
    /// `inproc://` address no handshake happens at all (there is no wire).
    pub curve: CurveOption,
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
            max_frame_bytes: DecodeLimits::DEFAULT.max_input_bytes,
            max_connections: 1024,
            max_header_bytes: 16 * 1024,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            static_dir: None,
            router_notify: false,
            curve: CurveOption::FromEnvironment,
        }
    }
}

impl RouteOptions {
    /// Refuses options no socket can be given, before a socket is made for them.
    pub(crate) fn check(&self, route: &str) -> Result<(), Error> {
        // libzmq takes the bound as an int64_t, and 0 would admit only empty frames (not
        // "no bound", which libzmq spells -1): refused rather than making a deaf route.
        if self.max_frame_bytes == 0 || i64::try_from(self.max_frame_bytes).is_err() {
            return Err(Error::InvalidArgument(format!(
                "route {route}: max_frame_bytes must be between 1 and {}, got {}",
                i64::MAX,
                self.max_frame_bytes
            )));
        }
        if self.max_connections == 0 || self.max_header_bytes == 0 {
            return Err(Error::InvalidArgument(format!(
                "route {route}: max_connections and max_header_bytes must be at least 1"
            )));
        }
        Ok(())
    }

    /// The limits the route's messages are decoded within: the default ones, with the
    /// route's frame bound as the byte limit, so a frame the socket let through is never
    /// refused for its size alone.
    pub(crate) fn decode_limits(&self) -> DecodeLimits {
        DecodeLimits {
            max_input_bytes: self.max_frame_bytes,
            ..DecodeLimits::DEFAULT
        }
    }
}
