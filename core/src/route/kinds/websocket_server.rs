//! `websocket_server`: browsers (and any WebSocket client) connect to `ws://host:port/path`.
//! Each connection is numbered; what comes on it reaches `on_receive_from` with it, and the
//! app answers it, closes it, or broadcasts to all. A text frame carries a message as JSON,
//! a binary frame one as BERT; a raw route hands frames on untouched. It runs in the node's
//! own loop on non-blocking sockets (see `web/websocket/` for one connection's life).

use super::super::io::{
    Abilities, Asker, ConnectionEvent, Inbound, Kind, OpenRoute, Outgoing, Received, RouteIo,
};
use super::super::options::{Mode, MsgFormat};
use super::super::stats::RouteStats;
use super::super::web::address::WebAddress;
use super::super::web::connections::Connections;
use super::super::web::json;
use super::super::web::listener::{Accepted, Listener};
use super::super::web::websocket::{SendRefused, WsConnection, WsEvent, WsSettings};
use crate::bert::DecodeLimits;
use crate::error::Error;
use crate::message::Message;
use crate::reactor::{Event, Interest, Sources};
use std::collections::VecDeque;
use std::net::TcpStream;
use std::rc::Rc;
use std::time::Instant;
use tungstenite::{Bytes, Message as Frame, Utf8Bytes};

pub(crate) static KIND: &dyn Kind = &WebSocketServerKind;

struct WebSocketServerKind;

impl Kind for WebSocketServerKind {
    fn abilities(&self) -> Abilities {
        Abilities::CONNECTIONS
    }

    fn open(&self, route: OpenRoute<'_>) -> Result<Box<dyn RouteIo>, Error> {
        Ok(Box::new(WebSocketServer::open(route)?))
    }
}

/// Events read and not yet handed to the node past which no connection is read: what a
/// route holds in is bounded whatever its peers send.
const MAX_WAITING_EVENTS: usize = 1024;

/// Connections taken from the listener per readiness, so a flood of them cannot hold the
/// loop (the listener stays ready for the rest).
const ACCEPT_BATCH: usize = 64;

struct WebSocketServer {
    name: String,
    listener: Listener,
    endpoints: Vec<String>,
    settings: WsSettings,
    format: MsgFormat,
    limits: DecodeLimits,
    max_connections: usize,
    connections: Connections<WsConnection>,
    /// Accepted and not yet registered with the reactor (only `prepare_wait` may).
    accepted: Vec<TcpStream>,
    /// Ended: let go (and their sockets closed) at the next `prepare_wait`, before the wait.
    ended: Vec<u64>,
    /// What happened on connections, for `receive`.
    waiting: VecDeque<ConnectionEvent>,
    /// Whether the node reads (false once it stops).
    reading: bool,
    /// The earliest connection deadline, as of the last `prepare_wait` or later.
    next_deadline: Option<Instant>,
    /// Reused by `prepare_wait` for the interests it sets.
    interests: Vec<(u64, Interest)>,
    /// Messages queued on all connections together (kept by `touch`).
    queued: usize,
}

impl WebSocketServer {
    fn open(route: OpenRoute<'_>) -> Result<WebSocketServer, Error> {
        if route.mode != Mode::Bind {
            return Err(Error::InvalidArgument(format!(
                "route {}: a websocket_server route binds (it is the server)",
                route.name
            )));
        }
        let [address] = route.addresses else {
            return Err(Error::InvalidArgument(format!(
                "route {}: a websocket_server route binds one address",
                route.name
            )));
        };
        let address = WebAddress::parse(route.name, "ws", address)?;
        let listener = Listener::bind(route.name, &address)?;
        let options = route.options;
        Ok(WebSocketServer {
            name: route.name.to_owned(),
            endpoints: vec![listener.address().to_string()],
            settings: WsSettings {
                path: Rc::from(listener.address().path.as_str()),
                max_header_bytes: options.max_header_bytes,
                header_timeout: options.header_timeout,
                max_frame_bytes: options.max_frame_bytes,
                send_queue: options.send_queue,
            },
            listener,
            format: options.msg_format,
            limits: options.decode_limits(),
            max_connections: options.max_connections,
            connections: Connections::default(),
            accepted: Vec::new(),
            ended: Vec::new(),
            waiting: VecDeque::new(),
            reading: true,
            next_deadline: None,
            interests: Vec::new(),
            queued: 0,
        })
    }

    fn has_room(&self) -> bool {
        self.waiting.len() < MAX_WAITING_EVENTS
    }

    fn accept(&mut self, stats: &mut RouteStats) {
        for _ in 0..ACCEPT_BATCH {
            let open = self.connections.len() + self.accepted.len();
            match self.listener.accept(open, self.max_connections) {
                Accepted::Connection(stream) => self.accepted.push(stream),
                Accepted::Refused => stats.connections_refused += 1,
                Accepted::Nothing => return,
            }
        }
    }

    /// Runs `f` on connection `id` (given whether it may read, and the time), then takes in
    /// what that did: its events for the node, whether it ended, the change in what it has
    /// queued, its next deadline. `None`: no such connection.
    fn touch<T>(
        &mut self,
        id: u64,
        stats: &mut RouteStats,
        f: impl FnOnce(&mut WsConnection, bool, Instant) -> T,
    ) -> Option<T> {
        let read = self.reading && self.has_room();
        let now = Instant::now();
        let connection = self.connections.get_mut(id)?;
        let before = connection.queued();
        let outcome = f(connection, read, now);
        self.queued = self.queued - before + connection.queued();
        let events = connection.take_events();
        if connection.is_finished() {
            self.ended.push(id);
        }
        if let Some(at) = connection.deadline(read, now) {
            self.next_deadline = Some(self.next_deadline.map_or(at, |d| d.min(at)));
        }
        for event in events {
            if let Some(event) = self.translate(id, event, stats) {
                self.waiting.push_back(event);
            }
        }
        Some(outcome)
    }

    /// What a connection's event is to the node, counted.
    fn translate(
        &self,
        connection: u64,
        event: WsEvent,
        stats: &mut RouteStats,
    ) -> Option<ConnectionEvent> {
        Some(match event {
            WsEvent::Opened => {
                stats.connections += 1;
                ConnectionEvent::Open { connection }
            }
            WsEvent::Text(payload) | WsEvent::Binary(payload) if self.format == MsgFormat::Raw => {
                stats.received(&[payload.as_slice()]);
                ConnectionEvent::Frames {
                    connection,
                    frames: vec![payload],
                }
            }
            WsEvent::Text(payload) => {
                stats.received(&[payload.as_slice()]);
                self.message_or_error(connection, json::decode_message(&payload, &self.limits), "text frame", stats)
            }
            WsEvent::Binary(payload) => {
                stats.received(&[payload.as_slice()]);
                let decoded = Message::decode_with_limits(&payload, &self.limits);
                self.message_or_error(connection, decoded, "binary frame", stats)
            }
            WsEvent::Error(reason) => ConnectionEvent::Error { connection, reason },
            WsEvent::Closed => {
                stats.connections = stats.connections.saturating_sub(1);
                ConnectionEvent::Close { connection }
            }
            WsEvent::Refused => {
                stats.connections_refused += 1;
                return None;
            }
        })
    }

    /// A decoded message, or (counted) why the frame is not one; the connection goes on.
    fn message_or_error(
        &self,
        connection: u64,
        decoded: Result<Message, Error>,
        what: &str,
        stats: &mut RouteStats,
    ) -> ConnectionEvent {
        match decoded {
            Ok(message) => ConnectionEvent::Message {
                connection,
                message,
            },
            Err(error) => {
                stats.decode_errors += 1;
                ConnectionEvent::Error {
                    connection,
                    reason: format!("{what} is not a message: {error}"),
                }
            }
        }
    }

    /// The frame a payload goes as: a message as JSON text; a raw route's frame as text when
    /// it is valid UTF-8 (what a browser reads as a string), as binary otherwise.
    fn frame_of(payload: Outgoing<'_>) -> Result<Frame, Error> {
        Ok(match payload {
            Outgoing::Message(message) => {
                let json = json::encode_message(message)?;
                let text = Utf8Bytes::try_from(json)
                    .map_err(|e| Error::Json(format!("encoded JSON is not UTF-8: {e}")))?;
                Frame::Text(text)
            }
            Outgoing::Frame(bytes) => match std::str::from_utf8(bytes) {
                Ok(text) => Frame::Text(Utf8Bytes::from(text)),
                Err(_) => Frame::Binary(Bytes::copy_from_slice(bytes)),
            },
        })
    }

    fn closed(&self, connection: u64) -> Error {
        Error::Connection {
            route: self.name.clone(),
            message: format!("connection {connection} is closed"),
        }
    }

    fn not_here(&self, what: &str) -> Error {
        Error::InvalidArgument(format!(
            "route {}: a websocket_server route {what}",
            self.name
        ))
    }

    /// Queues a frame for one connection, counted.
    fn send_frame(&mut self, id: u64, frame: Frame, stats: &mut RouteStats) -> Result<(), Error> {
        let size = frame.len();
        match self.touch(id, stats, |c, _, _| c.send(frame)) {
            Some(Ok(())) => {
                stats.sent(size);
                Ok(())
            }
            Some(Err(SendRefused::Full)) => {
                stats.backpressure += 1;
                Err(Error::Backpressure {
                    route: self.name.clone(),
                    bound: self.settings.send_queue,
                })
            }
            Some(Err(SendRefused::Closed)) | None => Err(self.closed(id)),
        }
    }
}

impl RouteIo for WebSocketServer {
    fn endpoints(&self) -> &[String] {
        &self.endpoints
    }

    fn register(&mut self, sources: &mut dyn Sources) {
        self.listener.register(sources);
    }

    fn prepare_wait(&mut self, sources: &mut dyn Sources, reading: bool) {
        self.reading = reading;
        for id in self.ended.drain(..) {
            // Dropped here, after the reactor let its descriptor go: the socket closes.
            self.connections.remove(sources, id);
        }
        let now = Instant::now();
        for stream in self.accepted.drain(..) {
            let connection = WsConnection::new(stream, &self.settings, now);
            let fd = connection.fd();
            self.connections.insert(sources, fd, connection);
        }
        self.listener.set_accepting(sources, reading);
        let read = reading && self.waiting.len() < MAX_WAITING_EVENTS;
        let mut next_deadline: Option<Instant> = None;
        self.interests.clear();
        for (id, connection) in self.connections.iter_mut() {
            self.interests.push((id, connection.interest(read)));
            if let Some(at) = connection.deadline(read, now) {
                next_deadline = Some(next_deadline.map_or(at, |d| d.min(at)));
            }
        }
        for &(id, interest) in &self.interests {
            self.connections.set_interest(sources, id, interest);
        }
        self.next_deadline = next_deadline;
    }

    fn on_ready(&mut self, event: Event<usize>, stats: &mut RouteStats) -> Vec<Error> {
        if self.listener.is(event.token) {
            if self.reading {
                self.accept(stats);
            }
            return Vec::new();
        }
        if let Some(id) = self.connections.id_of(event.token) {
            self.touch(id, stats, |c, read, now| c.on_ready(read, now));
        }
        Vec::new()
    }

    fn flush(&mut self, stats: &mut RouteStats) -> Vec<Error> {
        let busy: Vec<u64> = self
            .connections
            .iter_mut()
            .filter(|(_, c)| c.queued() > 0)
            .map(|(id, _)| id)
            .collect();
        for id in busy {
            self.touch(id, stats, |c, _, _| c.flush());
        }
        Vec::new()
    }

    fn receive(&mut self, _stats: &mut RouteStats) -> Received {
        match self.waiting.pop_front() {
            Some(event) => Received::Inbound(Inbound::Connection(event)),
            None => Received::Nothing,
        }
    }

    fn send_message(&mut self, _: &Message, _: &mut RouteStats) -> Result<(), Error> {
        Err(self.not_here(
            "sends to a connection (Connection::send_message) or to all (broadcast)",
        ))
    }

    fn send_request(&mut self, _: &Message, _: &mut RouteStats) -> Result<u64, Error> {
        Err(self.not_here("sends no requests"))
    }

    fn reply(&mut self, _: &Asker, _: &Message, _: &mut RouteStats) -> Result<(), Error> {
        Err(self.not_here("answers no requests"))
    }

    fn send_frames(&mut self, _: &[&[u8]], _: &mut RouteStats) -> Result<(), Error> {
        Err(self.not_here(
            "sends frames to a connection (Connection::send_frame) or to all (broadcast_frame)",
        ))
    }

    fn forget_request(&mut self, _id: u64) {}

    fn queued(&self) -> usize {
        self.queued
    }

    fn has_sendable(&self) -> bool {
        self.queued > 0
    }

    fn send_to(
        &mut self,
        connection: u64,
        payload: Outgoing<'_>,
        stats: &mut RouteStats,
    ) -> Result<(), Error> {
        let frame = Self::frame_of(payload)?;
        self.send_frame(connection, frame, stats)
    }

    fn broadcast(&mut self, payload: Outgoing<'_>, stats: &mut RouteStats) -> Result<usize, Error> {
        // Encoded once; each connection's frame shares the bytes.
        let frame = Self::frame_of(payload)?;
        let mut reached = 0;
        for id in self.connections.ids() {
            let open = self.connections.get_mut(id).is_some_and(|c| c.is_open());
            if open && self.send_frame(id, frame.clone(), stats).is_ok() {
                reached += 1;
            }
        }
        Ok(reached)
    }

    fn close_connection(&mut self, connection: u64, stats: &mut RouteStats) -> Result<(), Error> {
        match self.touch(connection, stats, |c, _, now| c.close(now)) {
            Some(Ok(())) => Ok(()),
            Some(Err(_)) | None => Err(self.closed(connection)),
        }
    }

    fn deadline(&self) -> Option<Instant> {
        if self.reading && !self.waiting.is_empty() {
            return Some(Instant::now());
        }
        self.next_deadline
    }

    fn on_deadline(&mut self, now: Instant, stats: &mut RouteStats) -> Vec<Error> {
        let read = self.reading && self.has_room();
        let due: Vec<u64> = self
            .connections
            .iter_mut()
            .filter(|(_, c)| c.deadline(read, now).is_some_and(|at| at <= now))
            .map(|(id, _)| id)
            .collect();
        for id in due {
            self.touch(id, stats, |c, read, now| c.on_deadline(read, now));
        }
        Vec::new()
    }
}

