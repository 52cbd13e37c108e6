//! What a route is to the node, whatever its transport: the [`RouteIo`] trait a kind
//! implements, what it hands the node ([`Received`], [`Inbound`]), and how a kind is opened
//! ([`Kind`], [`OpenRoute`]).

use super::options::{Mode, RouteOptions};
use super::stats::RouteStats;
use crate::error::Error;
use crate::message::Message;
use crate::reactor::{Event, Sources};

/// What a route kind can do, which decides the calls a route of it takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Abilities {
    /// `send_message` sends a message (xrep and rep answer through a `Response` instead).
    pub(crate) sends: bool,
    /// It receives anything at all.
    pub(crate) receives: bool,
    /// What it sends expects a reply (`send_request`).
    pub(crate) requests: bool,
    /// What it receives is a request to answer (`on_request`).
    pub(crate) answers: bool,
    /// It holds connections: what it receives comes with the connection it came on, and it
    /// sends to one connection or to all (websocket_server).
    pub(crate) connections: bool,
}

impl Abilities {
    /// Sends only (publish, push).
    pub(crate) const SENDS: Abilities = Abilities {
        sends: true,
        receives: false,
        requests: false,
        answers: false,
        connections: false,
    };
    /// Receives only (subscribe, pull).
    pub(crate) const RECEIVES: Abilities = Abilities {
        sends: false,
        receives: true,
        requests: false,
        answers: false,
        connections: false,
    };
    /// Sends and receives (pair).
    pub(crate) const SENDS_AND_RECEIVES: Abilities = Abilities {
        sends: true,
        receives: true,
        requests: false,
        answers: false,
        connections: false,
    };
    /// Sends requests and receives their replies (xreq, req).
    pub(crate) const REQUESTS: Abilities = Abilities {
        sends: true,
        receives: true,
        requests: true,
        answers: false,
        connections: false,
    };
    /// Receives requests and answers them (xrep, rep).
    pub(crate) const ANSWERS: Abilities = Abilities {
        sends: false,
        receives: true,
        requests: false,
        answers: true,
        connections: false,
    };
    /// Holds connections, receives from each and sends to one or all (websocket_server).
    pub(crate) const CONNECTIONS: Abilities = Abilities {
        sends: true,
        receives: true,
        requests: false,
        answers: false,
        connections: true,
    };
}

/// A kind's behaviour: what it can do, and how a route of it is opened.
pub(crate) trait Kind: Sync {
    fn abilities(&self) -> Abilities;
    fn open(&self, route: OpenRoute<'_>) -> Result<Box<dyn RouteIo>, Error>;
}

/// The way back to whoever sent a request: the identity frames before the delimiter (xrep),
/// and the request's id frame when the asker sent one; for a route that is not ZeroMQ
/// (http_server), the exchange the route numbered when it read the request.
#[derive(Debug)]
pub(crate) struct Asker {
    pub(crate) envelope: Vec<Vec<u8>>,
    pub(crate) request_id: Option<Vec<u8>>,
    /// The route's own number for the request (0 on ZeroMQ routes).
    pub(crate) exchange: u64,
}

impl Asker {
    /// The asker of a request read by a route that is not ZeroMQ.
    pub(crate) fn exchange(exchange: u64) -> Asker {
        Asker {
            envelope: Vec::new(),
            request_id: None,
            exchange,
        }
    }
}

/// What an http_server route's answer is: a message (as JSON) with a status, a body of any
/// type, or a file.
#[derive(Debug)]
pub(crate) enum HttpAnswer<'a> {
    /// `status` with the message as a JSON body.
    Message { status: u16, message: &'a Message },
    /// `status` with these bytes as the body, of this `Content-Type`.
    Body {
        status: u16,
        content_type: &'a str,
        body: &'a [u8],
    },
    /// The file at this path, its type from its extension; 404 when it cannot be read.
    File(&'a std::path::Path),
}

/// What happened on one connection of a route that holds connections (websocket_server);
/// `connection` is the route's number for it, unique for the route's life.
#[derive(Debug)]
pub(crate) enum ConnectionEvent {
    /// A peer connected (the WebSocket handshake is done).
    Open { connection: u64 },
    /// A message came on it.
    Message { connection: u64, message: Message },
    /// A raw route's frame came on it (its payload, text or binary).
    Frames {
        connection: u64,
        frames: Vec<Vec<u8>>,
    },
    /// It went wrong: the reason, before it is closed.
    Error { connection: u64, reason: String },
    /// It closed (either side); nothing more comes on it.
    Close { connection: u64 },
}

/// What a route read, for the node to hand on.
pub(crate) enum Inbound {
    /// A message (pub/sub, push/pull, pair).
    Message(Message),
    /// A request to answer (xrep, rep) and the way back to its asker.
    Request(Message, Asker),
    /// The reply to the request with this id (xreq, req), or why it is not one. No id: the
    /// reply names no request, and nobody waits for it.
    Reply {
        id: Option<u64>,
        reply: Result<Message, Error>,
    },
    /// A raw route's frames, untouched.
    Frames(Vec<Vec<u8>>),
    /// Something happened on one of a connection route's connections.
    Connection(ConnectionEvent),
}

/// The outcome of reading a route once.
pub(crate) enum Received {
    /// Nothing is waiting, or the route may not read now (a REP that has not answered).
    Nothing,
    /// Something for the node.
    Inbound(Inbound),
    /// Read and refused by the route itself (a topic filter); counted.
    Skipped,
    /// Read but not readable as what the route carries; counted, and an asker waiting on it
    /// answered with an error reply. The errors are for the node's `on_error`.
    Failed(Vec<Error>),
}

/// Where and how a route is opened.
pub(crate) struct OpenRoute<'a> {
    pub(crate) context: &'a zmq::Context,
    pub(crate) name: &'a str,
    /// The kind's name, for errors.
    pub(crate) kind: &'static str,
    pub(crate) addresses: &'a [&'a str],
    pub(crate) mode: Mode,
    pub(crate) options: &'a RouteOptions,
}

/// A route's transport as the node drives it. Calls that send are checked against the
/// kind's abilities and the route's format before they get here.
pub(crate) trait RouteIo {
    /// The endpoints bound or connected (with a wildcard port filled in).
    fn endpoints(&self) -> &[String];
    /// Registers the route's sources with the node's reactor.
    fn register(&mut self, sources: &mut dyn Sources);
    /// Says what the next wait should look for; `reading` is false once the node stops.
    fn prepare_wait(&mut self, sources: &mut dyn Sources, reading: bool);
    /// One of the route's sources is ready: writes what it can. Errors are for `on_error`.
    fn on_ready(&mut self, event: Event<usize>, stats: &mut RouteStats) -> Vec<Error>;
    /// Sends what was queued, as far as the transport takes it now.
    fn flush(&mut self, stats: &mut RouteStats) -> Vec<Error>;
    /// Reads the next message, if one waits and the route may read.
    fn receive(&mut self, stats: &mut RouteStats) -> Received;
    /// Sends a message (on a sending kind that does not request).
    fn send_message(&mut self, message: &Message, stats: &mut RouteStats) -> Result<(), Error>;
    /// Sends a request; returns the id its reply will carry.
    fn send_request(&mut self, message: &Message, stats: &mut RouteStats) -> Result<u64, Error>;
    /// Answers a request this route received.
    fn reply(
        &mut self,
        asker: &Asker,
        reply: &Message,
        stats: &mut RouteStats,
    ) -> Result<(), Error>;
    /// Sends frames untouched (a raw route).
    fn send_frames(&mut self, frames: &[&[u8]], stats: &mut RouteStats) -> Result<(), Error>;
    /// A request timed out: if it is still queued it does not go at all, and a socket that
    /// waited for its reply may send the next one.
    fn forget_request(&mut self, id: u64);
    /// Messages accepted and not yet handed to the transport.
    fn queued(&self) -> usize;
    /// Whether some of those could go now (the node's stop waits for them).
    fn has_sendable(&self) -> bool;
    /// CURVE handshakes refused and failed so far (`auth_refused`, `handshake_failed`);
    /// zeros for a route without CURVE.
    fn handshakes(&self) -> (u64, u64) {
        (0, 0)
    }

    // What only routes that are not ZeroMQ do. Each has a default for the kinds that have
    // no such thing; the node checks the kind's abilities before it calls them.

    /// Answers an http_server request with a status and a message or a body, or a file.
    fn answer_http(
        &mut self,
        _asker: &Asker,
        _answer: HttpAnswer<'_>,
        _stats: &mut RouteStats,
    ) -> Result<(), Error> {
        Err(Error::InvalidArgument(
            "only an http_server route answers with a status or a file".into(),
        ))
    }
    /// Sends a message (or, on a raw route, one frame) to one connection.
    fn send_to(
        &mut self,
        _connection: u64,
        _payload: Outgoing<'_>,
        _stats: &mut RouteStats,
    ) -> Result<(), Error> {
        Err(Error::InvalidArgument(
            "only a route with connections sends to one".into(),
        ))
    }
    /// Sends to every open connection; returns how many it was queued for.
    fn broadcast(
        &mut self,
        _payload: Outgoing<'_>,
        _stats: &mut RouteStats,
    ) -> Result<usize, Error> {
        Err(Error::InvalidArgument(
            "only a route with connections broadcasts".into(),
        ))
    }
    /// Closes one connection (gracefully: what was queued for it goes first).
    fn close_connection(&mut self, _connection: u64, _stats: &mut RouteStats) -> Result<(), Error> {
        Err(Error::InvalidArgument(
            "only a route with connections closes one".into(),
        ))
    }
    /// When the route next needs [`RouteIo::on_deadline`] without any source being ready
    /// (a timeout to enforce; inbound events still waiting to be received: now).
    fn deadline(&self) -> Option<std::time::Instant> {
        None
    }
    /// The deadline came: enforce timeouts. The node then receives what is waiting.
    fn on_deadline(&mut self, _now: std::time::Instant, _stats: &mut RouteStats) -> Vec<Error> {
        Vec::new()
    }
}

/// What is sent to a connection: a message (encoded as the route's format says), or a raw
/// route's frame.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Outgoing<'a> {
    Message(&'a Message),
    Frame(&'a [u8]),
}
