//! Route kinds (with the original DripDrop names), bind/connect, and message formats.

use crate::error::Error;

/// The kind of ZeroMQ socket behind a route, named as the original DripDrop named them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RouteKind {
    /// PUB: sends `[name, message]`, so subscribers filter on the name.
    Publish,
    /// SUB: receives what publishers send, filtered by a topic prefix or regex.
    Subscribe,
    /// PUSH: sends to pullers, round-robin.
    Push,
    /// PULL: receives from pushers, fair-queued.
    Pull,
    /// ROUTER: receives requests and answers each through its `Response`.
    Xrep,
    /// DEALER: sends requests whose replies come back to a callback, matched by request id.
    Xreq,
    /// REQ: one request at a time, strictly alternating with its reply.
    Req,
    /// REP: answers one request at a time.
    Rep,
    /// PAIR: one peer, both directions.
    Pair,
}

impl RouteKind {
    pub const ALL: [RouteKind; 9] = [
        RouteKind::Publish,
        RouteKind::Subscribe,
        RouteKind::Push,
        RouteKind::Pull,
        RouteKind::Xrep,
        RouteKind::Xreq,
        RouteKind::Req,
        RouteKind::Rep,
        RouteKind::Pair,
    ];

    /// The original DripDrop name, e.g. `zmq_publish`.
    pub fn name(self) -> &'static str {
        match self {
            RouteKind::Publish => "zmq_publish",
            RouteKind::Subscribe => "zmq_subscribe",
            RouteKind::Push => "zmq_push",
            RouteKind::Pull => "zmq_pull",
            RouteKind::Xrep => "zmq_xrep",
            RouteKind::Xreq => "zmq_xreq",
            RouteKind::Req => "zmq_req",
            RouteKind::Rep => "zmq_rep",
            RouteKind::Pair => "zmq_pair",
        }
    }

    /// Reads a kind by its DripDrop name, with or without the `zmq_` prefix.
    pub fn from_name(name: &str) -> Result<Self, Error> {
        let bare = name.strip_prefix("zmq_").unwrap_or(name);
        RouteKind::ALL
            .into_iter()
            .find(|kind| &kind.name()[4..] == bare)
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "unknown route kind {name:?} (expected one of zmq_publish, zmq_subscribe, \
                     zmq_push, zmq_pull, zmq_xrep, zmq_xreq, zmq_req, zmq_rep, zmq_pair)"
                ))
            })
    }

    pub(crate) fn socket_type(self) -> zmq::SocketType {
        match self {
            RouteKind::Publish => zmq::PUB,
            RouteKind::Subscribe => zmq::SUB,
            RouteKind::Push => zmq::PUSH,
            RouteKind::Pull => zmq::PULL,
            RouteKind::Xrep => zmq::ROUTER,
            RouteKind::Xreq => zmq::DEALER,
            RouteKind::Req => zmq::REQ,
            RouteKind::Rep => zmq::REP,
            RouteKind::Pair => zmq::PAIR,
        }
    }

    /// Whether `send_message` may be called on the route (xrep and rep answer through a
    /// `Response` instead).
    pub fn sends(self) -> bool {
        matches!(
            self,
            RouteKind::Publish
                | RouteKind::Push
                | RouteKind::Xreq
                | RouteKind::Req
                | RouteKind::Pair
        )
    }

    /// Whether the route receives anything.
    pub fn receives(self) -> bool {
        !matches!(self, RouteKind::Publish | RouteKind::Push)
    }

    /// Whether what it sends expects a reply (`send_request`).
    pub fn requests(self) -> bool {
        matches!(self, RouteKind::Xreq | RouteKind::Req)
    }

    /// Whether what it receives is a request to answer (`on_request`).
    pub fn answers(self) -> bool {
        matches!(self, RouteKind::Xrep | RouteKind::Rep)
    }
}

impl std::fmt::Display for RouteKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether a route binds its addresses or connects to them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Bind,
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
