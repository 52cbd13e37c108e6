//! `http_client`: sends requests as HTTP POSTs and hands their responses back as replies.
//! Connects to `http://host:port/path`.
//!
//! - `send_request` POSTs the message as JSON (`Content-Type: application/json`) to the
//!   path; the callback gets, for a 2xx response whose body is a JSON message, that
//!   message; for any other status, `Error::Remote` with class `HTTP <status>` and as its
//!   message the body's text (for a `dripdrop.error` JSON body, its class and message); for
//!   a 2xx body that is not a JSON message, `Error::Json`; for a connection refused, reset
//!   or closed before the response was whole, `Error::Connection`. A request's
//!   `request_timeout` is the node's, as for ZeroMQ requests.
//! - `send_message` is a request whose reply nobody waits for.
//! - At most `max_connections` requests are in flight, one per connection (no
//!   pipelining); connections are kept alive and reused, and closed after `idle_timeout`
//!   idle. The requests beyond those wait in a queue of at most `send_queue`; past it a
//!   request is refused with `Error::Backpressure`. A kept-alive connection the server had
//!   closed before its request's response began is retried once on a new connection.
//! - Responses are bounded: the head by `max_header_bytes`, the body by `max_frame_bytes`.

use super::super::io::{Abilities, Asker, Inbound, Kind, OpenRoute, Received, RouteIo};
use super::super::options::{Mode, MsgFormat};
use super::super::stats::RouteStats;
use super::super::web::address::WebAddress;
use super::super::web::connections::Connections;
use super::super::web::http::client::{write_request, HttpResponse};
use super::super::web::http::client_connection::{
    connect, ClientConnection, ClientPhase, InFlight, Outcome,
};
use super::super::web::json::{decode_message, encode_message};
use crate::bert::{DecodeLimits, Value};
use crate::error::Error;
use crate::message::Message;
use crate::reactor::{Event, Sources};
use std::collections::VecDeque;
use std::net::{SocketAddr, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

pub(crate) static KIND: &dyn Kind = &HttpClientKind;

struct HttpClientKind;

impl Kind for HttpClientKind {
    fn abilities(&self) -> Abilities {
        Abilities::REQUESTS
    }

    fn open(&self, route: OpenRoute<'_>) -> Result<Box<dyn RouteIo>, Error> {
        Ok(Box::new(HttpClient::open(route)?))
    }
}

struct HttpClient {
    name: String,
    endpoints: Vec<String>,
    /// The server's address, resolved once when the route was opened.
    peer: SocketAddr,
    /// The Host header: the host and port as the address wrote them.
    host: String,
    path: String,
    /// Bounds on a response: its head, its body.
    limits: (usize, usize),
    decode_limits: DecodeLimits,
    max_connections: usize,
    queue_bound: usize,
    idle_timeout: Duration,
    /// Requests not yet on a connection, oldest first.
    waiting: VecDeque<InFlight>,
    connections: Connections<ClientConnection>,
    /// Connections closed since the last wait, unregistered before the next one.
    closed: Vec<u64>,
    /// Connections open (or connecting) now, for the `connections` counter.
    open: u64,
    /// Replies (or why there is none) for `receive` to hand to the node.
    replies: VecDeque<Inbound>,
    next_id: u64,
    /// When the route was opened: a deadline already past, for replies waiting to be
    /// received (`Instant::now()` would always be a little later than the loop's now).
    opened: Instant,
}

impl HttpClient {
    fn open(route: OpenRoute<'_>) -> Result<Self, Error> {
        let refuse = |why: &str| Error::InvalidArgument(format!("route {}: {why}", route.name));
        if route.mode != Mode::Connect {
            return Err(refuse("an http_client route connects (mode connect)"));
        }
        if route.options.msg_format == MsgFormat::Raw {
            return Err(refuse("an http_client route carries JSON messages, not raw frames"));
        }
        let [address] = route.addresses else {
            return Err(refuse("an http_client route connects to one address"));
        };
        let address = WebAddress::parse(route.name, "http", address)?;
        // Resolved once, here, with a blocking look-up: routes are made before the loop
        // runs (or rarely), and a server's address does not change under a running route;
        // a look-up per request would block the loop or need a resolver thread.
        let unresolved = |e: String| Error::Connection {
            route: route.name.to_owned(),
            message: format!("cannot resolve {}: {e}", address.socket_address()),
        };
        let peer = address
            .socket_address()
            .to_socket_addrs()
            .map_err(|e| unresolved(e.to_string()))?
            .next()
            .ok_or_else(|| unresolved("no address".into()))?;
        let options = route.options;
        Ok(HttpClient {
            name: route.name.to_owned(),
            endpoints: vec![address.to_string()],
            peer,
            host: address.socket_address(),
            path: address.path.clone(),
            limits: (options.max_header_bytes, options.max_frame_bytes),
            decode_limits: options.decode_limits(),
            max_connections: options.max_connections,
            queue_bound: options.send_queue,
            idle_timeout: options.idle_timeout,
            waiting: VecDeque::new(),
            connections: Connections::default(),
            closed: Vec::new(),
            open: 0,
            replies: VecDeque::new(),
            next_id: 1,
            opened: Instant::now(),
        })
    }

    fn in_flight(&self) -> usize {
        self.connections
            .iter()
            .filter(|(_, c)| c.request.is_some())
            .count()
    }

    fn connection_error(&self, message: String) -> Error {
        Error::Connection {
            route: self.name.clone(),
            message,
        }
    }

    fn close(&mut self, id: u64) {
        if let Some(connection) = self.connections.get_mut(id) {
            if connection.phase != ClientPhase::Closed || !self.closed.contains(&id) {
                connection.phase = ClientPhase::Closed;
                let _ = connection.stream().shutdown(std::net::Shutdown::Both);
                self.closed.push(id);
                self.open = self.open.saturating_sub(1);
            }
        }
    }

    /// Puts the waiting requests on idle connections, or on new ones up to the bound.
    fn dispatch(&mut self, sources: &mut dyn Sources) {
        while let Some(request) = self.waiting.pop_front() {
            let idle = self
                .connections
                .iter()
                .find(|(_, c)| matches!(c.phase, ClientPhase::Idle(_)))
                .map(|(id, _)| id);
            if let Some(id) = idle {
                self.connections.get_mut(id).expect("listed").start(request);
                continue;
            }
            if self.open as usize >= self.max_connections {
                self.waiting.push_front(request);
                return;
            }
            match connect(self.peer) {
                Ok((stream, connected)) => {
                    let fd = stream.as_raw_fd();
                    let connection = ClientConnection::new(stream, connected, request, self.limits);
                    self.connections.insert(sources, fd, connection);
                    self.open += 1;
                }
                Err(e) => {
                    let error = self.connection_error(format!("connect to {}: {e}", self.peer));
                    self.replies.push_back(Inbound::Reply {
                        id: Some(request.id),
                        reply: Err(error),
                    });
                }
            }
        }
    }

    fn serve(&mut self, id: u64, readable: bool, writable: bool, stats: &mut RouteStats) {
        let Some(connection) = self.connections.get_mut(id) else {
            return;
        };
        let outcome = connection.on_event(readable, writable, Instant::now());
                match outcome {
            Outcome::Pending => {}
            Outcome::Response(request, response) => {
                if connection.phase == ClientPhase::Closed {
                    self.close(id);
                }
                stats.messages_in += 1;
                stats.bytes_in += response.body.len() as u64;
                let reply = self.reply_of(response);
                if matches!(reply, Err(Error::Json(_))) {
                    stats.decode_errors += 1;
                }
                self.replies.push_back(Inbound::Reply {
                    id: Some(request.id),
                    reply,
                });
            }
            Outcome::Failed {
                request,
                why,
                retry,
                bad_response,
            } => {
                self.close(id);
                if bad_response {
                    stats.decode_errors += 1;
                }
                match request {
                    Some(request) if retry => self.waiting.push_front(request.again()),
                    Some(request) => {
                        let error = self.connection_error(why);
                        self.replies.push_back(Inbound::Reply {
                            id: Some(request.id),
                            reply: Err(error),
                        });
                    }
                    None => {}
                }
            }
        }
        stats.connections = self.open;
    }

    /// What a response means to the request's callback.
    fn reply_of(&self, response: HttpResponse) -> Result<Message, Error> {
        if (200..300).contains(&response.status) {
            return decode_message(&response.body, &self.decode_limits);
        }
        let message = match decode_message(&response.body, &self.decode_limits) {
            Ok(error) if error.name() == "dripdrop.error" => {
                let text = |key: &str| {
                    error
                        .body()
                        .get(key)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                format!("{}: {}", text("class"), text("message"))
            }
            _ => String::from_utf8_lossy(&response.body).into_owned(),
        };
        Err(Error::Remote {
            class: format!("HTTP {}", response.status),
            message,
            backtrace: Vec::new(),
        })
    }
}

impl RouteIo for HttpClient {
    fn endpoints(&self) -> &[String] {
        &self.endpoints
    }

    fn register(&mut self, _sources: &mut dyn Sources) {}

    fn prepare_wait(&mut self, sources: &mut dyn Sources, _reading: bool) {
        for id in self.closed.drain(..) {
            self.connections.remove(sources, id);
        }
        self.dispatch(sources);
        let mut interests = Vec::with_capacity(self.connections.len());
        for (id, connection) in self.connections.iter_mut() {
            connection.asked = connection.interest();
            interests.push((id, connection.asked));
        }
        for (id, interest) in interests {
            self.connections.set_interest(sources, id, interest);
        }
    }

    fn on_ready(&mut self, event: Event<usize>, stats: &mut RouteStats) -> Vec<Error> {
        if let Some(id) = self.connections.id_of(event.token) {
            self.serve(id, event.readable, event.writable, stats);
        }
        Vec::new()
    }

    fn flush(&mut self, stats: &mut RouteStats) -> Vec<Error> {
        let writing: Vec<u64> = self
            .connections
            .iter()
            .filter(|(_, c)| c.has_output())
            .map(|(id, _)| id)
            .collect();
        for id in writing {
            self.serve(id, false, true, stats);
        }
        Vec::new()
    }

    fn receive(&mut self, stats: &mut RouteStats) -> Received {
        stats.connections = self.open;
        match self.replies.pop_front() {
            Some(reply) => Received::Inbound(reply),
            None => Received::Nothing,
        }
    }

    fn send_message(&mut self, _: &Message, _: &mut RouteStats) -> Result<(), Error> {
        Err(Error::InvalidArgument(
            "an http_client route sends requests (send_message sends one nobody waits for)"
                .into(),
        ))
    }

    fn send_request(&mut self, message: &Message, stats: &mut RouteStats) -> Result<u64, Error> {
        if self.waiting.len() + self.in_flight() >= self.max_connections + self.queue_bound {
            stats.backpressure += 1;
            return Err(Error::Backpressure {
                route: self.name.clone(),
                bound: self.queue_bound,
            });
        }
        let body = encode_message(message)?;
        let id = self.next_id;
        self.next_id += 1;
        stats.sent(body.len());
        let bytes = write_request(&self.host, &self.path, &body);
        self.waiting.push_back(InFlight::new(id, bytes));
        Ok(id)
    }

    fn reply(&mut self, _: &Asker, _: &Message, _: &mut RouteStats) -> Result<(), Error> {
        Err(Error::InvalidArgument(
            "an http_client route sends requests; it answers none".into(),
        ))
    }

    fn send_frames(&mut self, _: &[&[u8]], _: &mut RouteStats) -> Result<(), Error> {
        Err(Error::InvalidArgument(
            "an http_client route carries JSON messages, not raw frames".into(),
        ))
    }

    fn forget_request(&mut self, id: u64) {
        if let Some(at) = self.waiting.iter().position(|r| r.id == id) {
            self.waiting.remove(at);
            return;
        }
        // On a connection: its response would come too late for anyone, and the connection
        // is needed for the next request, so it is closed.
        let carrying = self
            .connections
            .iter()
            .find(|(_, c)| c.request.as_ref().is_some_and(|r| r.id == id))
            .map(|(id, _)| id);
        if let Some(connection) = carrying {
            self.close(connection);
        }
    }

    fn queued(&self) -> usize {
        self.waiting.len()
    }

    fn has_sendable(&self) -> bool {
        !self.waiting.is_empty() || self.connections.iter().any(|(_, c)| c.has_output())
    }

    fn deadline(&self) -> Option<Instant> {
        if !self.replies.is_empty() {
            return Some(self.opened);
        }
        self.connections
            .iter()
            .filter_map(|(_, c)| match c.phase {
                ClientPhase::Idle(since) => Some(since + self.idle_timeout),
                _ => None,
            })
            .min()
    }

    fn on_deadline(&mut self, now: Instant, stats: &mut RouteStats) -> Vec<Error> {
        let expired: Vec<u64> = self
            .connections
            .iter()
            .filter(|(_, c)| matches!(c.phase, ClientPhase::Idle(since) if now >= since + self.idle_timeout))
            .map(|(id, _)| id)
            .collect();
        for id in expired {
            self.close(id);
        }
        stats.connections = self.open;
        Vec::new()
    }
}
