//! One connection of an http_server route: the bytes it read and has still to write, and
//! where it is in its current exchange. Requests are taken one at a time: the next one is
//! read only once the current one is answered, so responses go out in request order.

use super::body::{BodyError, BodyReader, Framing};
use super::request::{read_head, HeadError, RequestHead};
use super::response::{write_response, Reuse, CONTINUE};
use crate::reactor::Interest;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

/// Bytes read from the socket at most before the ones read are taken in.
const READ_AHEAD: usize = 64 * 1024;

/// How long a connection closed after an error still reads (and throws away) what the
/// client sends, so its close is not a reset that could destroy the response in flight.
const LINGER: Duration = Duration::from_secs(2);

/// The route's bounds on what a client sends, and its timeouts.
#[derive(Clone, Debug)]
pub(crate) struct Limits {
    pub(crate) max_header_bytes: usize,
    pub(crate) max_body_bytes: usize,
    pub(crate) header_timeout: Duration,
    pub(crate) idle_timeout: Duration,
}

/// Where the connection is.
#[derive(Debug)]
pub(crate) enum Phase {
    /// Reading a request head (or idle between requests).
    Head,
    /// Reading a request's body.
    Body {
        head: Box<RequestHead>,
        body: BodyReader,
    },
    /// The request went to the handler: waiting for its answer.
    Waiting {
        exchange: u64,
        deadline: Instant,
        reuse: Reuse,
        head_only: bool,
    },
    /// Writing the last response, then closing.
    Closing,
    /// Written and shut down for writing: reading what the client still sends until it
    /// closes, or until the linger ends.
    Draining { until: Instant },
    /// Closed; its registration is removed before the next wait.
    Closed,
}

/// What the connection's input makes next.
#[derive(Debug)]
pub(crate) enum Step {
    /// Nothing yet: more bytes, or the answer, are needed.
    Nothing,
    /// A whole request.
    Request(Box<RequestHead>, Vec<u8>),
    /// A request refused with `status` (400, 413, 431); the connection closes after it.
    Refused { status: u16, why: String },
}

/// What a read found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ReadOutcome {
    /// Bytes, or none yet.
    Open,
    /// The client closed its side, or the connection failed.
    Closed,
}

/// A timeout that came.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Expired {
    /// The head did not arrive within `header_timeout`.
    Header,
    /// Nothing moved for `idle_timeout` (or the linger ended): close.
    Idle,
    /// The handler did not answer exchange `n` in time.
    Answer(u64),
}

pub(crate) struct ServerConnection {
    stream: TcpStream,
    input: Vec<u8>,
    output: Vec<u8>,
    written: usize,
    pub(crate) phase: Phase,
    last_activity: Instant,
    /// When the first byte of the current request head came (for the first request,
    /// when the connection was accepted).
    head_started: Option<Instant>,
    /// What the last wait looked for: a readable event when reading was not asked for is a
    /// hang-up or an error.
    pub(crate) asked: Interest,
    /// The client sent end-of-file.
    peer_finished: bool,
}

impl ServerConnection {
    pub(crate) fn new(stream: TcpStream, now: Instant) -> Self {
        ServerConnection {
            stream,
            input: Vec::new(),
            output: Vec::new(),
            written: 0,
            phase: Phase::Head,
            last_activity: now,
            // A new connection has `header_timeout` for its first request's head, counted
            // from when it was accepted: one that sends nothing does not hold its place
            // for the (longer) idle timeout.
            head_started: Some(now),
            asked: Interest::NONE,
            peer_finished: false,
        }
    }

    pub(crate) fn stream(&self) -> &TcpStream {
        &self.stream
    }

    fn reading(&self) -> bool {
        matches!(
            self.phase,
            Phase::Head | Phase::Body { .. } | Phase::Draining { .. }
        )
    }

    pub(crate) fn has_output(&self) -> bool {
        self.written < self.output.len()
    }

    /// What the next wait should look for.
    pub(crate) fn interest(&self, reading: bool) -> Interest {
        Interest {
            readable: reading
                && self.reading()
                && !self.peer_finished
                && self.input.len() < READ_AHEAD,
            writable: self.has_output(),
        }
    }

    /// Reads what the socket holds, up to the read-ahead bound. While draining, what is
    /// read is thrown away.
    pub(crate) fn read(&mut self, now: Instant) -> ReadOutcome {
        let mut buffer = [0u8; 16 * 1024];
        while self.input.len() < READ_AHEAD {
            match self.stream.read(&mut buffer) {
                Ok(0) => return ReadOutcome::Closed,
                Ok(n) => {
                    self.last_activity = now;
                    if !matches!(self.phase, Phase::Draining { .. }) {
                        self.input.extend_from_slice(&buffer[..n]);
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return ReadOutcome::Closed,
            }
        }
        ReadOutcome::Open
    }

    /// Takes the input as far as it goes: a request head, then its body.
    pub(crate) fn next_step(&mut self, limits: &Limits, now: Instant) -> Step {
        loop {
            match &mut self.phase {
                Phase::Head => {
                    if self.input.is_empty() {
                        return Step::Nothing;
                    }
                    self.head_started.get_or_insert(now);
                    let (head, used) = match read_head(&self.input, limits.max_header_bytes) {
                        Ok(Some(read)) => read,
                        Ok(None) => return Step::Nothing,
                        Err(HeadError::TooLarge) => {
                            return self.refuse(431, "the request head is too large".into())
                        }
                        Err(HeadError::Malformed(why)) => return self.refuse(400, why),
                    };
                    self.input.drain(..used);
                    self.head_started = None;
                    let body = match BodyReader::new(head.framing, limits.max_body_bytes) {
                        Ok(body) => body,
                        Err(_) => return self.refuse(413, "the request body is too large".into()),
                    };
                    if head.expects_continue && head.framing != Framing::Empty {
                        self.output.extend_from_slice(CONTINUE);
                    }
                    self.phase = Phase::Body {
                        head: Box::new(head),
                        body,
                    };
                }
                Phase::Body { body, .. } => {
                    let (used, done) = match body.feed(&self.input) {
                        Ok(progress) => progress,
                        Err(BodyError::TooLarge) => {
                            return self.refuse(413, "the request body is too large".into())
                        }
                        Err(BodyError::Malformed(why)) => return self.refuse(400, why.into()),
                    };
                    self.input.drain(..used);
                    if !done {
                        return Step::Nothing;
                    }
                    let Phase::Body { head, body } =
                        std::mem::replace(&mut self.phase, Phase::Head)
                    else {
                        unreachable!("in the body phase")
                    };
                    return Step::Request(head, body.into_body());
                }
                _ => return Step::Nothing,
            }
        }
    }

    fn refuse(&mut self, status: u16, why: String) -> Step {
        // What else the client sent cannot be read in step any more: the connection ends.
        self.input.clear();
        self.phase = Phase::Closing;
        Step::Refused { status, why }
    }

    /// The request went to the handler as `exchange`.
    pub(crate) fn wait_for_answer(&mut self, exchange: u64, deadline: Instant, head: &RequestHead) {
        self.phase = Phase::Waiting {
            exchange,
            deadline,
            reuse: reuse_of(head),
            head_only: head.is_head(),
        };
    }

    /// Queues a response to the current request (waited for or not): the connection then
    /// reads the next request, or closes once it is written. `reuse` and `head_only` come
    /// from the request when it was answered without waiting.
    pub(crate) fn respond(
        &mut self,
        status: u16,
        content_type: &str,
        body: &[u8],
        request: Option<&RequestHead>,
    ) {
        let (mut reuse, head_only) = match (&self.phase, request) {
            (_, Some(head)) => (reuse_of(head), head.is_head()),
            (
                Phase::Waiting {
                    reuse, head_only, ..
                },
                None,
            ) => (*reuse, *head_only),
            // Refused before the head was read: closed after.
            _ => (
                Reuse {
                    keep_alive: false,
                    http10: false,
                },
                false,
            ),
        };
        if matches!(self.phase, Phase::Closing) {
            reuse.keep_alive = false;
        }
        write_response(
            &mut self.output,
            status,
            content_type,
            body,
            reuse,
            head_only,
        );
        self.phase = if reuse.keep_alive {
            Phase::Head
        } else {
            Phase::Closing
        };
    }

    /// Writes what it can of the output. A closing connection whose output is all written
    /// is shut down for writing and drains what the client still sends.
    pub(crate) fn write(&mut self, now: Instant) -> ReadOutcome {
        while self.has_output() {
            match self.stream.write(&self.output[self.written..]) {
                Ok(0) => return ReadOutcome::Closed,
                Ok(n) => {
                    self.written += n;
                    self.last_activity = now;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return ReadOutcome::Open,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => return ReadOutcome::Closed,
            }
        }
        self.output.clear();
        self.written = 0;
        if matches!(self.phase, Phase::Closing) {
            let _ = self.stream.shutdown(Shutdown::Write);
            self.phase = Phase::Draining {
                until: now + LINGER,
            };
        }
        ReadOutcome::Open
    }

    /// When the connection next needs [`ServerConnection::expired`].
    pub(crate) fn deadline(&self, limits: &Limits) -> Option<Instant> {
        match &self.phase {
            Phase::Waiting { deadline, .. } => Some(*deadline),
            Phase::Draining { until } => Some(*until),
            Phase::Closed => None,
            Phase::Head => {
                let idle = self.last_activity + limits.idle_timeout;
                Some(match self.head_started {
                    Some(started) => idle.min(started + limits.header_timeout),
                    None => idle,
                })
            }
            Phase::Body { .. } | Phase::Closing => Some(self.last_activity + limits.idle_timeout),
        }
    }

    /// The timeout that came by `now`, if one did.
    pub(crate) fn expired(&self, now: Instant, limits: &Limits) -> Option<Expired> {
        match &self.phase {
            Phase::Waiting {
                exchange, deadline, ..
            } => (now >= *deadline).then_some(Expired::Answer(*exchange)),
            Phase::Head
                if self
                    .head_started
                    .is_some_and(|started| now >= started + limits.header_timeout) =>
            {
                Some(Expired::Header)
            }
            _ => self
                .deadline(limits)
                .is_some_and(|at| now >= at)
                .then_some(Expired::Idle),
        }
    }

    /// The client sent end-of-file: it sends nothing more. What it asked before is still
    /// answered.
    pub(crate) fn peer_finished(&mut self) {
        self.peer_finished = true;
    }

    /// Whether nothing more can happen on the connection: the client finished sending, and
    /// everything it asked was answered and written.
    pub(crate) fn is_spent(&self) -> bool {
        self.peer_finished
            && !self.has_output()
            && matches!(
                self.phase,
                Phase::Head | Phase::Body { .. } | Phase::Draining { .. }
            )
    }
}

fn reuse_of(head: &RequestHead) -> Reuse {
    Reuse {
        keep_alive: head.keep_alive,
        http10: head.minor_version == 0,
    }
}
