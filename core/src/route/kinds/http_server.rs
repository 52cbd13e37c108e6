//! `http_server`: answers HTTP/1.x requests, one message per request, each through its
//! `Response`. Binds `http://host:port` (port 0 or `*` picks one; the route's endpoint shows
//! the real port).
//!
//! What a request delivers to `on_request`:
//! - POST, PUT or PATCH with a body: the body must be a JSON message
//!   (`{"name":…,"head":{…},"body":…}`); one that is not is answered 400 with the error JSON
//!   `{"name":"dripdrop.error","head":{},"body":{"class":"DecodeError","message":…}}`.
//! - GET, HEAD, DELETE, OPTIONS, or an empty body: a message named after the path
//!   (`/health`) with a nil body.
//! - Either way the head gains `http_method`, `http_path`, `http_query` (the raw query
//!   string, "" if none) and `http_headers` (lower-cased header names to values).
//!
//! How it is answered:
//! - `Response::send_message`: 200, `Content-Type: application/json`, the reply as JSON; a
//!   reply named `dripdrop.error` (a handler that dropped its Response or panicked): 500.
//! - `Response::send_status`: that status with the reply as JSON.
//! - `Response::send_file`: the file, typed by its extension; 404 if it cannot be read.
//! - `Response::send_body`: that status with any bytes as the body, of the type given (plain
//!   JSON, Prometheus text...: what is not a DripDrop message).
//! - No answer within `request_timeout` (30 s when unset): 504 with a `Timeout` error JSON;
//!   an answer after that is dropped (counted in `dropped`).
//!
//! With `static_dir`, a GET or HEAD whose path names a file under it (`/` is `index.html`)
//! is served from disk without reaching the handler.
//!
//! Connections are kept alive (HTTP/1.1 by default, HTTP/1.0 when asked), and a request is
//! read only once the one before it is answered, so responses go in request order. What a
//! client sends is bounded: a head over `max_header_bytes` gets 431, a body over
//! `max_frame_bytes` 413 (from its Content-Length before it is read, or while de-chunking),
//! a head not complete within `header_timeout` (counted from the first byte, or for a new
//! connection from when it was accepted) 408; each of those closes the connection and is
//! counted in `connections_refused`, as are connections over `max_connections` (accepted
//! and closed at once). A malformed request (both Content-Length and Transfer-Encoding,
//! Content-Lengths that disagree...) gets 400, and a body that is not a JSON message 400
//! with the error JSON; both count in `decode_errors` and go to `on_error` as a
//! `DecodeError`, like a ZeroMQ route's bad frames. A kept-alive connection idle for
//! `idle_timeout` is closed. Files (`send_file`, `static_dir`) are read whole, on the loop:
//! they are meant for a service's own small assets.
//!
//! Counters: `messages_in`/`bytes_in` are requests and their body bytes,
//! `messages_out`/`bytes_out` responses and theirs; `connections` the connections open now;
//! `timeouts` the 504s; `dropped` answers that came too late (or for a closed connection).

use super::super::io::{Abilities, Asker, HttpAnswer, Inbound, Kind, OpenRoute, Received, RouteIo};
use super::super::options::{Mode, MsgFormat};
use super::super::stats::RouteStats;
use super::super::web::address::WebAddress;
use super::super::web::connections::Connections;
use super::super::web::http::mapping::{error_body, reply_body, request_message};
use super::super::web::http::mime::content_type;
use super::super::web::http::request::RequestHead;
use super::super::web::http::server_connection::{
    Expired, Limits, Phase, ReadOutcome, ServerConnection, Step,
};
use super::super::web::http::static_files;
use super::super::web::listener::{Accepted, Listener};
use crate::bert::DecodeLimits;
use crate::error::Error;
use crate::message::Message;
use crate::reactor::{Event, Sources};
use rustc_hash::FxHashMap;
use std::collections::VecDeque;
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub(crate) static KIND: &dyn Kind = &HttpServerKind;

/// How long a handler has to answer when the route's `request_timeout` is unset.
const DEFAULT_ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

const JSON: &str = "application/json";

struct HttpServerKind;

impl Kind for HttpServerKind {
    fn abilities(&self) -> Abilities {
        Abilities::ANSWERS
    }

    fn open(&self, route: OpenRoute<'_>) -> Result<Box<dyn RouteIo>, Error> {
        Ok(Box::new(HttpServer::open(route)?))
    }
}

struct HttpServer {
    name: String,
    endpoints: Vec<String>,
    listener: Listener,
    connections: Connections<ServerConnection>,
    /// Connections accepted since the last wait, registered before the next one.
    accepted: Vec<TcpStream>,
    /// Connections closed since the last wait, unregistered (and their sockets closed)
    /// before the next one.
    closed: Vec<u64>,
    limits: Limits,
    max_connections: usize,
    answer_timeout: Duration,
    /// The canonical static folder.
    static_dir: Option<PathBuf>,
    decode_limits: DecodeLimits,
    /// The connection each unanswered exchange came on.
    exchanges: FxHashMap<u64, u64>,
    next_exchange: u64,
    /// Requests read, for `receive` to hand to the node.
    inbound: VecDeque<Inbound>,
    /// Errors for the node's `on_error` (bad requests), handed on by the next `on_ready`.
    errors: Vec<Error>,
    /// When the route was opened: a deadline already past, for requests waiting to be
    /// received (`Instant::now()` would always be a little later than the loop's now).
    opened: Instant,
}

impl HttpServer {
    fn open(route: OpenRoute<'_>) -> Result<Self, Error> {
        let refuse = |why: &str| Error::InvalidArgument(format!("route {}: {why}", route.name));
        if route.mode != Mode::Bind {
            return Err(refuse("an http_server route binds (mode bind)"));
        }
        if route.options.msg_format == MsgFormat::Raw {
            return Err(refuse("an http_server route carries JSON messages, not raw frames"));
        }
        let [address] = route.addresses else {
            return Err(refuse("an http_server route binds one address"));
        };
        let address = WebAddress::parse(route.name, "http", address)?;
        let listener = Listener::bind(route.name, &address)?;
        let static_dir = match &route.options.static_dir {
            Some(dir) => Some(dir.canonicalize().map_err(|e| {
                refuse(&format!("static_dir {}: {e}", dir.display()))
            })?),
            None => None,
        };
        let options = route.options;
        Ok(HttpServer {
            name: route.name.to_owned(),
            endpoints: vec![listener.address().to_string()],
            listener,
            connections: Connections::default(),
            accepted: Vec::new(),
            closed: Vec::new(),
            limits: Limits {
                max_header_bytes: options.max_header_bytes,
                max_body_bytes: options.max_frame_bytes,
                header_timeout: options.header_timeout,
                idle_timeout: options.idle_timeout,
            },
            max_connections: options.max_connections,
            answer_timeout: options.request_timeout.unwrap_or(DEFAULT_ANSWER_TIMEOUT),
            static_dir,
            decode_limits: options.decode_limits(),
            exchanges: FxHashMap::default(),
            next_exchange: 1,
            inbound: VecDeque::new(),
            errors: Vec::new(),
            opened: Instant::now(),
        })
    }

    fn accept(&mut self, stats: &mut RouteStats) {
        loop {
            let open = self.connections.len() - self.closed.len() + self.accepted.len();
            match self.listener.accept(open, self.max_connections) {
                Accepted::Connection(stream) => {
                    stats.connections += 1;
                    self.accepted.push(stream);
                }
                Accepted::Refused => stats.connections_refused += 1,
                Accepted::Nothing => return,
            }
        }
    }

    /// Closes a connection now; an exchange waiting on it is abandoned (its answer, if it
    /// comes, is dropped).
    fn close(&mut self, id: u64, stats: &mut RouteStats) {
        let Some(connection) = self.connections.get_mut(id) else {
            return;
        };
        if let Phase::Waiting { exchange, .. } = connection.phase {
            self.exchanges.remove(&exchange);
        }
        if !matches!(connection.phase, Phase::Closed) {
            connection.phase = Phase::Closed;
            let _ = connection.stream().shutdown(std::net::Shutdown::Both);
            stats.connections = stats.connections.saturating_sub(1);
            self.closed.push(id);
        }
    }

    /// Takes in what a connection read: requests go to the handler (or are answered from
    /// disk, or refused), then what is to be written is written.
    fn advance(&mut self, id: u64, now: Instant, stats: &mut RouteStats) {
        loop {
            let Some(connection) = self.connections.get_mut(id) else {
                return;
            };
            match connection.next_step(&self.limits, now) {
                Step::Nothing => break,
                Step::Request(head, body) => self.take_request(id, &head, body, now, stats),
                Step::Refused { status, why } => {
                    match status {
                        400 => {
                            stats.decode_errors += 1;
                            self.errors.push(self.receive_error(Error::InvalidArgument(
                                format!("bad HTTP request: {why}"),
                            )));
                        }
                        _ => stats.connections_refused += 1,
                    }
                    let class = if status == 400 { "BadRequest" } else { "TooLarge" };
                    let connection = self.connections.get_mut(id).expect("present");
                    connection.respond(status, JSON, &error_body(class, &why), None);
                    break;
                }
            }
        }
        self.write(id, now, stats);
    }

    fn check_status(&self, status: u16) -> Result<(), Error> {
        if (100..=999).contains(&status) {
            Ok(())
        } else {
            Err(Error::InvalidArgument(format!(
                "route {}: {status} is not an HTTP status",
                self.name
            )))
        }
    }

    fn receive_error(&self, source: Error) -> Error {
        Error::Receive {
            route: self.name.clone(),
            source: Box::new(source),
        }
    }

    /// A whole request: served from the static folder, refused when its body is not a
    /// message, or handed to the handler.
    fn take_request(
        &mut self,
        id: u64,
        head: &RequestHead,
        body: Vec<u8>,
        now: Instant,
        stats: &mut RouteStats,
    ) {
        stats.messages_in += 1;
        stats.bytes_in += body.len() as u64;
        if let Some(file) = self.static_file(head) {
            let (status, content_type, bytes) = file_answer(&file);
            stats.sent(bytes.len());
            let connection = self.connections.get_mut(id).expect("present");
            connection.respond(status, content_type, &bytes, Some(head));
            return;
        }
        match request_message(head, &body, &self.decode_limits) {
            Ok(message) => {
                let exchange = self.next_exchange;
                self.next_exchange += 1;
                self.exchanges.insert(exchange, id);
                let connection = self.connections.get_mut(id).expect("present");
                connection.wait_for_answer(exchange, now + self.answer_timeout, head);
                self.inbound
                    .push_back(Inbound::Request(message, Asker::exchange(exchange)));
            }
            Err(error) => {
                stats.decode_errors += 1;
                let bytes = error_body("DecodeError", &error.to_string());
                stats.sent(bytes.len());
                let connection = self.connections.get_mut(id).expect("present");
                connection.respond(400, JSON, &bytes, Some(head));
                self.errors.push(self.receive_error(error));
            }
        }
    }

    fn static_file(&self, head: &RequestHead) -> Option<PathBuf> {
        let dir = self.static_dir.as_deref()?;
        if head.method != "GET" && head.method != "HEAD" {
            return None;
        }
        static_files::resolve(dir, &head.path)
    }

    /// Writes what a connection has to write; one that failed or is spent is closed.
    fn write(&mut self, id: u64, now: Instant, stats: &mut RouteStats) {
        let Some(connection) = self.connections.get_mut(id) else {
            return;
        };
        if connection.write(now) == ReadOutcome::Closed || connection.is_spent() {
            self.close(id, stats);
        }
    }

    /// Answers exchange `exchange` with `status`; an exchange no longer waited for (it
    /// timed out, or its connection closed) is dropped and counted.
    fn answer(
        &mut self,
        exchange: u64,
        status: u16,
        content_type: &str,
        body: &[u8],
        stats: &mut RouteStats,
    ) {
        let Some(id) = self.exchanges.remove(&exchange) else {
            stats.dropped += 1;
            return;
        };
        let Some(connection) = self.connections.get_mut(id) else {
            stats.dropped += 1;
            return;
        };
        stats.sent(body.len());
        connection.respond(status, content_type, body, None);
        // The next request may be waiting in what was read already.
        self.advance(id, Instant::now(), stats);
    }
}

/// A file as an answer: 200 and its type, or 404 when it cannot be read. Read whole and in
/// the loop: the files an http_server serves are its own small assets.
fn file_answer(path: &Path) -> (u16, &'static str, Vec<u8>) {
    match std::fs::read(path) {
        Ok(bytes) => (200, content_type(path), bytes),
        Err(e) => (
            404,
            JSON,
            error_body("NotFound", &format!("{}: {e}", path.display())),
        ),
    }
}

impl RouteIo for HttpServer {
    fn endpoints(&self) -> &[String] {
        &self.endpoints
    }

    fn register(&mut self, sources: &mut dyn Sources) {
        self.listener.register(sources);
    }

    fn prepare_wait(&mut self, sources: &mut dyn Sources, reading: bool) {
        for id in self.closed.drain(..) {
            self.connections.remove(sources, id);
        }
        let now = Instant::now();
        for stream in self.accepted.drain(..) {
            let fd = stream.as_raw_fd();
            self.connections
                .insert(sources, fd, ServerConnection::new(stream, now));
        }
        let mut interests = Vec::with_capacity(self.connections.len());
        for (id, connection) in self.connections.iter_mut() {
            let interest = connection.interest(reading);
            connection.asked = interest;
            interests.push((id, interest));
        }
        for (id, interest) in interests {
            self.connections.set_interest(sources, id, interest);
        }
    }

    fn on_ready(&mut self, event: Event<usize>, stats: &mut RouteStats) -> Vec<Error> {
        if self.listener.is(event.token) {
            self.accept(stats);
            return std::mem::take(&mut self.errors);
        }
        let Some(id) = self.connections.id_of(event.token) else {
            return Vec::new();
        };
        let now = Instant::now();
        let Some(connection) = self.connections.get_mut(id) else {
            return Vec::new();
        };
        if matches!(connection.phase, Phase::Closed) {
            return Vec::new();
        }
        if event.writable {
            self.write(id, now, stats);
        }
        if event.readable {
            let Some(connection) = self.connections.get_mut(id) else {
                return std::mem::take(&mut self.errors);
            };
            if matches!(connection.phase, Phase::Closed) {
                return std::mem::take(&mut self.errors);
            }
            if !connection.asked.readable {
                // Not asked for: the connection hung up or failed.
                self.close(id, stats);
            } else {
                if connection.read(now) == ReadOutcome::Closed {
                    connection.peer_finished();
                }
                self.advance(id, now, stats);
            }
        }
        std::mem::take(&mut self.errors)
    }

    fn flush(&mut self, stats: &mut RouteStats) -> Vec<Error> {
        let now = Instant::now();
        for id in self.connections.ids() {
            if self
                .connections
                .get_mut(id)
                .is_some_and(|c| c.has_output())
            {
                self.write(id, now, stats);
            }
        }
        Vec::new()
    }

    fn receive(&mut self, _stats: &mut RouteStats) -> Received {
        match self.inbound.pop_front() {
            Some(inbound) => Received::Inbound(inbound),
            None => Received::Nothing,
        }
    }

    fn send_message(&mut self, _: &Message, _: &mut RouteStats) -> Result<(), Error> {
        Err(Error::InvalidArgument(
            "an http_server route answers through a Response".into(),
        ))
    }

    fn send_request(&mut self, _: &Message, _: &mut RouteStats) -> Result<u64, Error> {
        Err(Error::InvalidArgument(
            "an http_server route answers through a Response".into(),
        ))
    }

    fn reply(&mut self, asker: &Asker, reply: &Message, stats: &mut RouteStats) -> Result<(), Error> {
        let (status, body) = reply_body(reply, None);
        self.answer(asker.exchange, status, JSON, &body, stats);
        Ok(())
    }

    fn answer_http(
        &mut self,
        asker: &Asker,
        answer: HttpAnswer<'_>,
        stats: &mut RouteStats,
    ) -> Result<(), Error> {
        match answer {
            HttpAnswer::Message { status, message } => {
                self.check_status(status)?;
                let (status, body) = reply_body(message, Some(status));
                self.answer(asker.exchange, status, JSON, &body, stats);
            }
            HttpAnswer::Body {
                status,
                content_type,
                body,
            } => {
                self.check_status(status)?;
                // The type goes into the response head as it is: a line break in it would
                // let the caller write headers of its own.
                if content_type.is_empty() || content_type.chars().any(char::is_control) {
                    return Err(Error::InvalidArgument(format!(
                        "route {}: {content_type:?} is not a content type",
                        self.name
                    )));
                }
                self.answer(asker.exchange, status, content_type, body, stats);
            }
            HttpAnswer::File(path) => {
                let (status, content_type, bytes) = file_answer(path);
                self.answer(asker.exchange, status, content_type, &bytes, stats);
            }
        }
        Ok(())
    }

    fn send_frames(&mut self, _: &[&[u8]], _: &mut RouteStats) -> Result<(), Error> {
        Err(Error::InvalidArgument(
            "an http_server route carries JSON messages, not raw frames".into(),
        ))
    }

    fn forget_request(&mut self, _id: u64) {}

    fn queued(&self) -> usize {
        self.connections
            .iter()
            .filter(|(_, c)| c.has_output())
            .count()
    }

    fn has_sendable(&self) -> bool {
        self.connections.iter().any(|(_, c)| c.has_output())
    }

    fn deadline(&self) -> Option<Instant> {
        if !self.inbound.is_empty() || !self.errors.is_empty() {
            return Some(self.opened);
        }
        self.connections
            .iter()
            .filter_map(|(_, c)| c.deadline(&self.limits))
            .min()
    }

    fn on_deadline(&mut self, now: Instant, stats: &mut RouteStats) -> Vec<Error> {
        for id in self.connections.ids() {
            let Some(connection) = self.connections.get_mut(id) else {
                continue;
            };
            match connection.expired(now, &self.limits) {
                None => {}
                Some(Expired::Idle) => self.close(id, stats),
                Some(Expired::Header) => {
                    stats.connections_refused += 1;
                    let body = error_body("Timeout", "the request head did not come in time");
                    connection.phase = Phase::Closing;
                    connection.respond(408, JSON, &body, None);
                    self.write(id, now, stats);
                }
                Some(Expired::Answer(exchange)) => {
                    stats.timeouts += 1;
                    let body = error_body(
                        "Timeout",
                        &format!(
                            "the handler did not answer within {} ms",
                            self.answer_timeout.as_millis()
                        ),
                    );
                    self.answer(exchange, 504, JSON, &body, stats);
                }
            }
        }
        std::mem::take(&mut self.errors)
    }
}
