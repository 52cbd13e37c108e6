//! One connection of a websocket_server route, from its first byte to its end: the
//! handshake, then frames both ways, then a close. It is driven by its socket's readiness and
//! by its deadlines, never blocks, and reports what happened as [`WsEvent`]s, which the route
//! turns into messages. What it holds is bounded: the handshake by `max_header_bytes` and
//! `header_timeout`, each message read by `max_frame_bytes`, what waits to be sent by
//! `send_queue` messages, and how long a close may take by [`CLOSE_TIMEOUT`].

use super::handshake::{self, Handshake, PathCheck};
use super::wire::{Wire, WireStream};
use crate::reactor::Interest;
use std::collections::VecDeque;
use std::net::TcpStream;
use std::os::fd::RawFd;
use std::rc::Rc;
use std::time::{Duration, Instant};
use tungstenite::error::{CapacityError, ProtocolError};
use tungstenite::handshake::server::ServerHandshake;
use tungstenite::handshake::HandshakeError;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::{CloseFrame, WebSocket};
use tungstenite::{Bytes, Error as WsError, Message as Frame, Utf8Bytes};

/// How long a peer has to answer our close (and to read what was queued before it) before
/// the connection is dropped anyway.
pub(crate) const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// Messages read from one connection per turn, so one busy peer cannot hold the loop; the
/// rest are read at the next turn (the connection asks for one at once).
const READ_BATCH: usize = 64;

/// What every connection of a route is held to.
pub(crate) struct WsSettings {
    /// The path a handshake must ask for.
    pub(crate) path: Rc<str>,
    pub(crate) max_header_bytes: usize,
    pub(crate) header_timeout: Duration,
    pub(crate) max_frame_bytes: usize,
    /// Messages that may wait to be sent on one connection.
    pub(crate) send_queue: usize,
}

/// What happened on a connection.
#[derive(Debug)]
pub(crate) enum WsEvent {
    /// The handshake is done.
    Opened,
    /// A text message's payload (valid UTF-8).
    Text(Vec<u8>),
    /// A binary message's payload.
    Binary(Vec<u8>),
    /// The peer broke a rule (a message too large, text that is not UTF-8...); the
    /// connection is being closed with the matching code.
    Error(String),
    /// The connection ended (once, and only after `Opened`).
    Closed,
    /// The handshake did not succeed (wrong path, too large, too slow, not WebSocket); the
    /// connection never opened. Counted, not reported: a client's mistake is not the app's
    /// error, and the client was told (404, 431) when it could be.
    Refused,
}

/// Why a send was not taken.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SendRefused {
    /// The connection is closed or closing.
    Closed,
    /// `send_queue` messages already wait.
    Full,
}

enum Phase {
    Handshaking {
        handshake: Handshake,
        until: Instant,
    },
    Open(WebSocket<WireStream>),
    /// The peer broke a rule: our close frame goes out, then whatever the peer still sends
    /// is read and dropped (tungstenite's reader may be mid-frame) until it closes or `until`.
    /// Closing the socket with unread input would reset it and could lose the close frame.
    Failing {
        socket: WebSocket<WireStream>,
        until: Instant,
        close_written: bool,
    },
    Finished,
}

pub(crate) struct WsConnection {
    wire: Rc<Wire>,
    phase: Phase,
    /// Messages accepted and not yet handed to tungstenite; it is handed one at a time, so
    /// this and `wire_busy` count exactly what is unsent.
    outgoing: VecDeque<Frame>,
    send_queue: usize,
    /// tungstenite holds output the socket did not take yet.
    wire_busy: bool,
    /// The app closed the connection: when the close must be done by.
    closing: Option<Instant>,
    close_sent: bool,
    opened: bool,
    /// It has ended (its `Closed` or `Refused` is out).
    ended: bool,
    /// The last read stopped at `READ_BATCH` with more perhaps buffered.
    more_to_read: bool,
    events: Vec<WsEvent>,
}

impl WsConnection {
    /// A connection just accepted; its handshake starts with its first bytes.
    pub(crate) fn new(stream: TcpStream, settings: &WsSettings, now: Instant) -> WsConnection {
        let wire = Wire::new(stream, settings.max_header_bytes);
        let check = PathCheck {
            path: Rc::clone(&settings.path),
        };
        let config = handshake::config(settings.max_frame_bytes);
        let handshake = ServerHandshake::start(WireStream(Rc::clone(&wire)), check, Some(config));
        WsConnection {
            wire,
            phase: Phase::Handshaking {
                handshake,
                until: now + settings.header_timeout,
            },
            outgoing: VecDeque::new(),
            send_queue: settings.send_queue,
            wire_busy: false,
            closing: None,
            close_sent: false,
            opened: false,
            ended: false,
            more_to_read: false,
            events: Vec::new(),
        }
    }

    pub(crate) fn fd(&self) -> RawFd {
        self.wire.fd()
    }

    /// What happened since the last call.
    pub(crate) fn take_events(&mut self) -> Vec<WsEvent> {
        std::mem::take(&mut self.events)
    }

    /// Whether it has ended: the route lets its socket go.
    pub(crate) fn is_finished(&self) -> bool {
        self.ended
    }

    /// Whether messages may be sent to it: open, and not closing.
    pub(crate) fn is_open(&self) -> bool {
        matches!(&self.phase, Phase::Open(socket) if socket.can_write()) && self.closing.is_none()
    }

    /// Messages accepted and not all written to the socket yet.
    pub(crate) fn queued(&self) -> usize {
        self.outgoing.len() + usize::from(self.wire_busy)
    }

    /// What the next wait looks for; `reading` is false when the route takes nothing more
    /// in now (the node stops, or events wait to be handed on).
    pub(crate) fn interest(&self, reading: bool) -> Interest {
        match &self.phase {
            Phase::Handshaking { .. } => Interest {
                readable: true,
                writable: self.wire.write_blocked(),
            },
            Phase::Open(_) => Interest {
                // A closing connection reads on, for the peer's answer.
                readable: reading || self.closing.is_some(),
                writable: self.wire_busy,
            },
            Phase::Failing { close_written, .. } => Interest {
                readable: true,
                writable: !close_written,
            },
            Phase::Finished => Interest::NONE,
        }
    }

    /// When [`WsConnection::on_deadline`] is next needed: a timeout, or now when a read
    /// stopped short.
    pub(crate) fn deadline(&self, reading: bool, now: Instant) -> Option<Instant> {
        match &self.phase {
            Phase::Handshaking { until, .. } | Phase::Failing { until, .. } => Some(*until),
            Phase::Open(_) if self.more_to_read && reading => Some(now),
            Phase::Open(_) => self.closing,
            Phase::Finished => None,
        }
    }

    /// Its socket is ready: goes on with the handshake, reads (when `reading`), writes.
    pub(crate) fn on_ready(&mut self, reading: bool, now: Instant) {
        if matches!(self.phase, Phase::Handshaking { .. }) {
            self.continue_handshake();
        }
        if matches!(self.phase, Phase::Open(_)) {
            if reading || self.closing.is_some() {
                self.read_messages(now);
            }
            self.pump();
        }
        if matches!(self.phase, Phase::Failing { .. }) {
            self.linger();
        }
    }

    /// Its deadline came: a timeout ends it; a read that stopped short goes on.
    pub(crate) fn on_deadline(&mut self, reading: bool, now: Instant) {
        match &self.phase {
            Phase::Handshaking { until, .. } if *until <= now => {
                self.refuse();
            }
            Phase::Failing { until, .. } if *until <= now => self.end(),
            Phase::Open(_) if self.closing.is_some_and(|until| until <= now) => self.end(),
            Phase::Open(_) if self.more_to_read && reading => {
                self.read_messages(now);
                self.pump();
            }
            _ => {}
        }
    }

    /// Queues a message and writes what the socket takes now.
    pub(crate) fn send(&mut self, frame: Frame) -> Result<(), SendRefused> {
        if !self.is_open() {
            return Err(SendRefused::Closed);
        }
        if self.queued() >= self.send_queue {
            return Err(SendRefused::Full);
        }
        self.outgoing.push_back(frame);
        self.pump();
        Ok(())
    }

    /// Writes what was queued; tries again when the socket is writable.
    pub(crate) fn flush(&mut self) {
        self.pump();
    }

    /// Closes it gracefully: what was queued goes first, then a normal close (1000); it ends
    /// when the peer answers, or after [`CLOSE_TIMEOUT`].
    pub(crate) fn close(&mut self, now: Instant) -> Result<(), SendRefused> {
        if !self.is_open() {
            return Err(SendRefused::Closed);
        }
        self.closing = Some(now + CLOSE_TIMEOUT);
        self.pump();
        Ok(())
    }

    fn continue_handshake(&mut self) {
        let Phase::Handshaking { handshake, until } =
            std::mem::replace(&mut self.phase, Phase::Finished)
        else {
            return;
        };
        match handshake.handshake() {
            Ok(socket) => {
                self.wire.end_handshake();
                self.phase = Phase::Open(socket);
                self.opened = true;
                self.events.push(WsEvent::Opened);
            }
            Err(HandshakeError::Interrupted(handshake)) => {
                self.phase = Phase::Handshaking { handshake, until };
            }
            // Answered 404 for another path, 431 over max_header_bytes (the wire did), or
            // not a WebSocket handshake at all.
            Err(HandshakeError::Failure(_)) => self.refuse(),
        }
    }

    /// Reads up to a batch of messages.
    fn read_messages(&mut self, now: Instant) {
        let Phase::Open(socket) = &mut self.phase else {
            return;
        };
        self.more_to_read = false;
        let mut failure = None;
        for _ in 0..READ_BATCH {
            match socket.read() {
                // After the app closed it, what still comes is not handed on.
                Ok(Frame::Text(_) | Frame::Binary(_)) if self.closing.is_some() => {}
                Ok(Frame::Text(text)) => {
                    self.events
                        .push(WsEvent::Text(Vec::from(Bytes::from(text))));
                }
                Ok(Frame::Binary(bytes)) => self.events.push(WsEvent::Binary(Vec::from(bytes))),
                // The peer closes: tungstenite queued the answer, which `pump` sends; what
                // we had queued will not go.
                Ok(Frame::Close(_)) => {
                    self.outgoing.clear();
                }
                // A ping's pong is queued by tungstenite and sent by `pump`.
                Ok(Frame::Ping(_) | Frame::Pong(_) | Frame::Frame(_)) => {}
                Err(WsError::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(error) => {
                    failure = Some(error);
                    break;
                }
            }
        }
        match failure {
            None => self.more_to_read = true,
            Some(error) => self.on_read_error(error, now),
        }
    }

    fn on_read_error(&mut self, error: WsError, now: Instant) {
        match error {
            WsError::ConnectionClosed
            | WsError::AlreadyClosed
            | WsError::Io(_)
            | WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => self.end(),
            WsError::Capacity(CapacityError::MessageTooLong { size, max_size }) => self.fail(
                CloseCode::Size,
                "message too big",
                format!("a message of {size} bytes is over max_frame_bytes ({max_size})"),
                now,
            ),
            WsError::Utf8(_) => self.fail(
                CloseCode::Invalid,
                "text is not UTF-8",
                "a text message is not valid UTF-8".into(),
                now,
            ),
            WsError::Protocol(problem) => self.fail(
                CloseCode::Protocol,
                "protocol error",
                format!("WebSocket protocol error: {problem}"),
                now,
            ),
            other => self.fail(CloseCode::Error, "error", other.to_string(), now),
        }
    }

    /// Hands queued messages to tungstenite one at a time, each once the last is all
    /// written; then, if the app closed the connection, the close frame.
    fn pump(&mut self) {
        let Phase::Open(socket) = &mut self.phase else {
            return;
        };
        let failure = loop {
            if let Err(error) = socket.flush() {
                break error;
            }
            self.wire_busy = false;
            if let Some(frame) = self.outgoing.pop_front() {
                // Written into tungstenite's buffer at once; the next flush takes it out.
                self.wire_busy = true;
                if let Err(error) = socket.write(frame) {
                    break error;
                }
            } else if self.closing.is_some() && !self.close_sent {
                self.close_sent = true;
                let normal = CloseFrame {
                    code: CloseCode::Normal,
                    reason: Utf8Bytes::from_static(""),
                };
                if let Err(error) = socket.close(Some(normal)) {
                    break error;
                }
            } else {
                return;
            }
        };
        match failure {
            WsError::Io(e) if e.kind() == std::io::ErrorKind::WouldBlock => self.wire_busy = true,
            // Closed while a close was going out (the peer's answer came): nothing to do.
            WsError::Protocol(ProtocolError::SendAfterClosing) => self.outgoing.clear(),
            // The close handshake is done, or the socket failed.
            _ => self.end(),
        }
    }

    /// Closes a connection whose peer broke a rule, with `code`.
    fn fail(&mut self, code: CloseCode, close_reason: &'static str, reason: String, now: Instant) {
        let Phase::Open(mut socket) = std::mem::replace(&mut self.phase, Phase::Finished) else {
            return;
        };
        self.events.push(WsEvent::Error(reason));
        self.outgoing.clear();
        self.wire_busy = false;
        self.more_to_read = false;
        let frame = CloseFrame {
            code,
            reason: Utf8Bytes::from_static(close_reason),
        };
        let close_written = match socket.close(Some(frame)) {
            Ok(()) => true,
            Err(WsError::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => false,
            Err(_) => return self.end(),
        };
        if close_written {
            self.wire.shutdown_write();
        }
        self.phase = Phase::Failing {
            socket,
            until: now + CLOSE_TIMEOUT,
            close_written,
        };
        self.linger();
    }

    /// A failing connection: finishes writing its close, drops what the peer still sends,
    /// and ends once the peer closes.
    fn linger(&mut self) {
        let Phase::Failing {
            socket,
            close_written,
            ..
        } = &mut self.phase
        else {
            return;
        };
        if !*close_written {
            match socket.flush() {
                Ok(()) => {
                    *close_written = true;
                    self.wire.shutdown_write();
                }
                Err(WsError::Io(e)) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => return self.end(),
            }
        }
        if self.wire.discard_input() {
            self.end();
        }
    }

    /// A handshake that did not succeed: the connection ends without having opened.
    fn refuse(&mut self) {
        self.phase = Phase::Finished;
        self.wire.shutdown();
        self.ended = true;
        self.events.push(WsEvent::Refused);
    }

    /// The connection ended: `Closed`, once, if it had opened.
    fn end(&mut self) {
        if self.ended {
            return;
        }
        self.ended = true;
        self.phase = Phase::Finished;
        self.wire.shutdown();
        self.outgoing.clear();
        self.wire_busy = false;
        self.more_to_read = false;
        self.events.push(if self.opened {
            WsEvent::Closed
        } else {
            WsEvent::Refused
        });
    }
}
