//! One http_server connection fed with bytes from a peer: the real `ServerConnection`
//! (head parsing with httparse, bodies by length or chunks, keep-alive, refusals) driven as
//! the route drives it, each request turned into its message as the route does, and answered
//! at once so the next one is read.

use super::socket::{self, Peer};
use crate::bert::DecodeLimits;
use crate::message::Message;
use crate::route::web::http::mapping::{error_body, request_message};
use crate::route::web::http::server_connection::{
    Limits, Phase, ReadOutcome, ServerConnection, Step,
};
use std::net::Shutdown;
use std::time::{Duration, Instant};

/// The route's bound on a request head here: small, so fuzzed inputs reach it.
pub const MAX_HEADER_BYTES: usize = 2048;
/// The route's bound on a body (`max_frame_bytes`) here.
pub const MAX_BODY_BYTES: usize = 4096;
/// The most input a session takes: under the connection's read-ahead (64 KiB), so the whole
/// input is always read whatever pieces it comes in.
pub const MAX_INPUT: usize = 32 * 1024;

/// What the route saw on the connection.
#[derive(Debug, PartialEq)]
pub enum HttpEvent {
    /// A whole request, and the message it became (or why it did not).
    Request {
        /// The method, as sent.
        method: String,
        /// The path, without the query.
        path: String,
        /// The query string.
        query: String,
        /// 0 for HTTP/1.0, 1 for HTTP/1.1.
        minor_version: u8,
        /// Header names lower-cased, values trimmed.
        headers: Vec<(String, String)>,
        /// The body, de-chunked.
        body: Vec<u8>,
        /// Whether the connection stays open after the answer.
        keep_alive: bool,
        /// The request as a message, or the decode error the client is answered 400 with.
        message: Result<Message, String>,
    },
    /// A request refused with `status` (400, 413, 431); the connection closes after it.
    Refused {
        /// The status it was answered with.
        status: u16,
        /// Why.
        why: String,
    },
}

/// A session's outcome.
#[derive(Debug)]
pub struct HttpSession {
    /// What the route saw, in order.
    pub events: Vec<HttpEvent>,
    /// The connection was closed by the end (it must be: the peer finished sending).
    pub closed: bool,
    /// What the server wrote back.
    pub output: Vec<u8>,
}

/// Sends `input` (cut to [`MAX_INPUT`]) to a new connection, in one piece or in pieces of 1
/// to 64 bytes, then ends the stream, and reports what the route saw.
pub fn http_server(input: &[u8], in_pieces: bool) -> HttpSession {
    let input = &input[..input.len().min(MAX_INPUT)];
    let now = Instant::now();
    let (stream, peer) = socket::pair();
    let mut driver = Driver {
        connection: ServerConnection::new(stream, now),
        peer,
        limits: Limits {
            max_header_bytes: MAX_HEADER_BYTES,
            max_body_bytes: MAX_BODY_BYTES,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
        },
        decode_limits: DecodeLimits {
            max_input_bytes: MAX_BODY_BYTES,
            ..DecodeLimits::DEFAULT
        },
        events: Vec::new(),
        exchange: 0,
        now,
    };
    let pieces = if in_pieces {
        socket::pieces(input, 1..=64)
    } else {
        vec![input]
    };
    // The connection reads whenever it may, so the socket takes every piece; the count of
    // turns without progress only keeps a broken connection from hanging the target.
    let mut stalled = 0;
    'sending: for piece in pieces {
        let mut sent = 0;
        while sent < piece.len() && stalled < 16 {
            if driver.closed() {
                break 'sending;
            }
            let took = driver.peer.send(&piece[sent..]);
            stalled = if took == 0 { stalled + 1 } else { 0 };
            sent += took;
            driver.turn();
        }
    }
    driver.peer.finish();
    // A few turns take in the end of the stream, write the last answer and close.
    for _ in 0..8 {
        if driver.closed() {
            break;
        }
        driver.turn();
    }
    driver.peer.receive();
    HttpSession {
        closed: driver.closed(),
        events: driver.events,
        output: driver.peer.received,
    }
}

struct Driver {
    connection: ServerConnection,
    peer: Peer,
    limits: Limits,
    decode_limits: DecodeLimits,
    events: Vec<HttpEvent>,
    exchange: u64,
    now: Instant,
}

impl Driver {
    fn closed(&self) -> bool {
        matches!(self.connection.phase, Phase::Closed)
    }

    /// What the route does when the socket is ready: read if it asked to, take in what was
    /// read, write.
    fn turn(&mut self) {
        if self.closed() {
            return;
        }
        if self.connection.interest(true).readable {
            if self.connection.read(self.now) == ReadOutcome::Closed {
                self.connection.peer_finished();
            }
            self.advance();
        }
        if self.connection.write(self.now) == ReadOutcome::Closed || self.connection.is_spent() {
            self.connection.phase = Phase::Closed;
            let _ = self.connection.stream().shutdown(Shutdown::Both);
        }
        self.peer.receive();
    }

    /// `HttpServer::advance` with a handler that answers every request at once.
    fn advance(&mut self) {
        loop {
            match self.connection.next_step(&self.limits, self.now) {
                Step::Nothing => return,
                Step::Request(head, body) => {
                    let message = request_message(&head, &body, &self.decode_limits);
                    match &message {
                        Ok(_) => {
                            self.exchange += 1;
                            let deadline = self.now + Duration::from_secs(30);
                            self.connection
                                .wait_for_answer(self.exchange, deadline, &head);
                            self.connection
                                .respond(200, "application/json", b"{}", None);
                        }
                        Err(e) => {
                            let body = error_body("DecodeError", &e.to_string());
                            self.connection
                                .respond(400, "application/json", &body, Some(&head));
                        }
                    }
                    let head = *head;
                    self.events.push(HttpEvent::Request {
                        method: head.method,
                        path: head.path,
                        query: head.query,
                        minor_version: head.minor_version,
                        headers: head.headers,
                        body,
                        keep_alive: head.keep_alive,
                        message: message.map_err(|e| e.to_string()),
                    });
                }
                Step::Refused { status, why } => {
                    let body = error_body("BadRequest", &why);
                    self.connection
                        .respond(status, "application/json", &body, None);
                    self.events.push(HttpEvent::Refused { status, why });
                    return;
                }
            }
        }
    }
}
