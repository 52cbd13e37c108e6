//! Routes: a node's named ways in and out. A route owns its transport (a ZeroMQ socket and
//! its send queue), its counters, and how its kind lays messages out; what is done with what
//! it receives (handlers, requests waiting for replies) is the node's.
//!
//! - `kinds/` holds one file per kind, and in `kinds/mod.rs` the list of them all.
//! - `zeromq/` is the machinery every ZeroMQ kind shares: the socket, the send queue that
//!   holds what ZeroMQ would not take yet, receiving whole messages, and the layout of
//!   requests and replies on the wire.
//! - `io.rs` is what the node drives, [`RouteIo`]; a kind that is not ZeroMQ implements it
//!   directly.

mod io;
mod kinds;
mod options;
mod stats;
pub(crate) mod web;
mod zeromq;

pub(crate) use io::{Abilities, Asker, ConnectionEvent, HttpAnswer, Inbound, Outgoing, Received};
pub use kinds::RouteKind;
pub use options::{Mode, MsgFormat, RouteOptions, TopicFilter};
pub use stats::RouteStats;
pub(crate) use web::json;
pub(crate) use zeromq::error_reply;

use crate::error::Error;
use crate::message::Message;
use crate::reactor::{Event, Sources};
use io::{OpenRoute, RouteIo};
use std::time::Duration;

/// A named route of a node.
pub struct Route {
    name: String,
    kind: RouteKind,
    /// The kind's abilities, looked up once: every send checks them.
    abilities: Abilities,
    format: MsgFormat,
    request_timeout: Option<Duration>,
    nodelet: Option<String>,
    io: Box<dyn RouteIo>,
    stats: RouteStats,
}

impl Route {
    pub(crate) fn open(
        context: &zmq::Context,
        name: &str,
        kind: RouteKind,
        addresses: &[&str],
        mode: Mode,
        options: &RouteOptions,
        nodelet: Option<String>,
    ) -> Result<Route, Error> {
        if addresses.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "route {name}: no address given"
            )));
        }
        options.check(name)?;
        if !kind.is_zeromq() && options.curve.is_given() {
            return Err(Error::InvalidArgument(format!(
                "route {name}: CURVE is for ZeroMQ routes, and {} is not one (secure a web \
                 route with TLS in front of it)",
                kind.name()
            )));
        }
        let io = kind.open(OpenRoute {
            context,
            name,
            kind: kind.name(),
            addresses,
            mode,
            options,
        })?;
        Ok(Route {
            name: name.to_owned(),
            kind,
            abilities: kind.abilities(),
            format: options.msg_format,
            request_timeout: options.request_timeout,
            nodelet,
            io,
            stats: RouteStats::default(),
        })
    }

    /// The route's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The route's kind.
    pub fn kind(&self) -> RouteKind {
        self.kind
    }

    /// What travels in the route's frames.
    pub fn format(&self) -> MsgFormat {
        self.format
    }

    /// The endpoints the route is bound or connected to; for a bind to `tcp://host:*`, the
    /// port ZeroMQ picked.
    pub fn endpoints(&self) -> &[String] {
        self.io.endpoints()
    }

    /// The first endpoint: the one to give a peer.
    pub fn endpoint(&self) -> &str {
        self.endpoints().first().map(String::as_str).unwrap_or("")
    }

    /// The nodelet that created the route, if any.
    pub fn nodelet(&self) -> Option<&str> {
        self.nodelet.as_deref()
    }

    /// The route's counters, with the current queue depth.
    pub fn stats(&self) -> RouteStats {
        let (auth_refused, handshake_failed) = self.io.handshakes();
        RouteStats {
            queue_depth: self.io.queued() as u64,
            auth_refused,
            handshake_failed,
            ..self.stats
        }
    }

    /// How long a request on this route waits for its reply (`None`: for ever).
    pub(crate) fn request_timeout(&self) -> Option<Duration> {
        self.request_timeout
    }

    pub(crate) fn abilities(&self) -> Abilities {
        self.abilities
    }

    pub(crate) fn wrong_kind(&self, what: &'static str) -> Error {
        Error::WrongKind {
            route: self.name.clone(),
            kind: self.kind.name(),
            what,
        }
    }

    pub(crate) fn register(&mut self, sources: &mut dyn Sources) {
        self.io.register(sources);
    }

    pub(crate) fn prepare_wait(&mut self, sources: &mut dyn Sources, reading: bool) {
        // A kind that does not receive still reads its monitor (a push route's handshakes);
        // each kind knows which of its sources to read.
        self.io.prepare_wait(sources, reading);
    }

    pub(crate) fn on_ready(&mut self, event: Event<usize>) -> Vec<Error> {
        self.io.on_ready(event, &mut self.stats)
    }

    pub(crate) fn flush(&mut self) -> Vec<Error> {
        self.io.flush(&mut self.stats)
    }

    pub(crate) fn receive(&mut self) -> Received {
        self.io.receive(&mut self.stats)
    }

    /// Sends a message on a publish, push or pair route. Never blocks: past the route's send
    /// queue the message is refused with `Error::Backpressure`.
    pub(crate) fn send_message(&mut self, message: &Message) -> Result<(), Error> {
        if self.format == MsgFormat::Raw {
            return Err(self.wrong_kind("a raw route sends with send_frames"));
        }
        if self.abilities.connections {
            return Err(self.wrong_kind(
                "a route with connections sends to one (Connection::send_message) or to all \
                 (broadcast)",
            ));
        }
        if !self.abilities.sends || self.abilities.requests {
            return Err(self.wrong_kind("send_message on a route that does not send"));
        }
        self.io.send_message(message, &mut self.stats)
    }

    /// Sends a request on an xreq or req route; returns the id of the reply to wait for.
    pub(crate) fn send_request(&mut self, message: &Message) -> Result<u64, Error> {
        if !self.abilities().requests || self.format == MsgFormat::Raw {
            return Err(self.wrong_kind("send_request needs a DripDrop xreq or req route"));
        }
        self.io.send_request(message, &mut self.stats)
    }

    pub(crate) fn reply(&mut self, asker: &Asker, reply: &Message) -> Result<(), Error> {
        self.io.reply(asker, reply, &mut self.stats)
    }

    /// Sends frames untouched on a raw route.
    pub(crate) fn send_frames(&mut self, frames: &[&[u8]]) -> Result<(), Error> {
        if self.format != MsgFormat::Raw {
            return Err(self.wrong_kind("send_frames needs msg_format raw"));
        }
        let abilities = self.abilities();
        if !abilities.sends && !abilities.answers {
            return Err(self.wrong_kind("send_frames on a route that does not send"));
        }
        if frames.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "route {}: a message needs at least one frame",
                self.name
            )));
        }
        self.io.send_frames(frames, &mut self.stats)
    }

    /// A request got no reply in time: counted, and given up on.
    pub(crate) fn request_timed_out(&mut self, id: u64) {
        self.stats.timeouts += 1;
        self.io.forget_request(id);
    }

    /// A message was read but nobody wanted it (no handler; a reply nobody waits for).
    pub(crate) fn count_dropped(&mut self) {
        self.stats.dropped += 1;
    }

    /// Whether queued messages could go now.
    pub(crate) fn has_sendable(&self) -> bool {
        self.io.has_sendable()
    }

    /// Answers an http_server request with a status or a file.
    pub(crate) fn answer_http(
        &mut self,
        asker: &Asker,
        answer: HttpAnswer<'_>,
    ) -> Result<(), Error> {
        self.io.answer_http(asker, answer, &mut self.stats)
    }

    /// Checks that `payload` suits the route: messages on a DripDrop route, frames on a raw
    /// one, and a route that holds connections.
    fn check_outgoing(&self, payload: Outgoing<'_>) -> Result<(), Error> {
        if !self.abilities.connections {
            return Err(self.wrong_kind("only a route with connections sends to one or all"));
        }
        match (payload, self.format) {
            (Outgoing::Message(_), MsgFormat::Raw) => {
                Err(self.wrong_kind("a raw route sends frames, not messages"))
            }
            (Outgoing::Frame(_), MsgFormat::DripDrop) => {
                Err(self.wrong_kind("frames go untouched only on a raw route"))
            }
            _ => Ok(()),
        }
    }

    /// Sends to one of the route's connections.
    pub(crate) fn send_to(&mut self, connection: u64, payload: Outgoing<'_>) -> Result<(), Error> {
        self.check_outgoing(payload)?;
        self.io.send_to(connection, payload, &mut self.stats)
    }

    /// Sends to every open connection of the route; returns how many.
    pub(crate) fn broadcast(&mut self, payload: Outgoing<'_>) -> Result<usize, Error> {
        self.check_outgoing(payload)?;
        self.io.broadcast(payload, &mut self.stats)
    }

    /// Closes one of the route's connections.
    pub(crate) fn close_connection(&mut self, connection: u64) -> Result<(), Error> {
        if !self.abilities.connections {
            return Err(self.wrong_kind("only a route with connections closes one"));
        }
        self.io.close_connection(connection, &mut self.stats)
    }

    /// When the route next needs `on_deadline`.
    pub(crate) fn deadline(&self) -> Option<std::time::Instant> {
        self.io.deadline()
    }

    /// Enforces the route's timeouts.
    pub(crate) fn on_deadline(&mut self, now: std::time::Instant) -> Vec<Error> {
        self.io.on_deadline(now, &mut self.stats)
    }
}
