//! One websocket_server connection fed with bytes from a peer: the real `WsConnection`
//! (tungstenite's handshake and frame reader under the route's bounds, and what the route
//! makes of each read) driven as the route drives it, echoing every message it hands on.

use super::socket::{self, Peer};
use crate::route::web::websocket::{WsConnection, WsEvent, WsSettings};
use std::rc::Rc;
use std::time::{Duration, Instant};
use tungstenite::Message as Frame;

/// The path the route serves.
pub const PATH: &str = "/ws";
/// The route's bound on a handshake here.
pub const MAX_HEADER_BYTES: usize = 4096;
/// The route's bound on a message (`max_frame_bytes`) here: small, so inputs reach it.
pub const MAX_FRAME_BYTES: usize = 1024;
/// The most input a session takes.
pub const MAX_INPUT: usize = 32 * 1024;

/// A handshake as a browser sends it (RFC 6455's example key).
pub const HANDSHAKE: &[u8] = b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:7680\r\n\
Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Version: 13\r\n\r\n";

/// What happened on the connection, as the route hears of it.
#[derive(Debug, PartialEq)]
pub enum Event {
    /// The handshake is done.
    Opened,
    /// A text message's payload.
    Text(Vec<u8>),
    /// A binary message's payload.
    Binary(Vec<u8>),
    /// The peer broke a rule; the connection is closing.
    Error(String),
    /// The connection ended after it opened.
    Closed,
    /// The handshake did not succeed.
    Refused,
}

/// A session's outcome.
#[derive(Debug)]
pub struct WsSession {
    /// What the route heard, in order.
    pub events: Vec<Event>,
    /// The connection ended by the end (it must: the peer finished sending).
    pub finished: bool,
    /// What the server wrote back.
    pub output: Vec<u8>,
}

/// Sends `handshake` then `frames` (together cut to [`MAX_INPUT`]) to a new connection, each
/// in one piece or in pieces (frames of 1 to 64 bytes), then ends the stream, and reports
/// what the route heard. The frames follow once the handshake has been taken in, as RFC 6455 has a
/// client wait for the answer: tungstenite refuses a handshake read together with bytes
/// after it (`JunkAfterRequest`).
pub fn websocket_server(handshake: &[u8], frames: &[u8], in_pieces: bool) -> WsSession {
    let handshake = &handshake[..handshake.len().min(MAX_INPUT)];
    let frames = &frames[..frames.len().min(MAX_INPUT - handshake.len())];
    let now = Instant::now();
    let settings = WsSettings {
        path: Rc::from(PATH),
        max_header_bytes: MAX_HEADER_BYTES,
        header_timeout: Duration::from_secs(10),
        max_frame_bytes: MAX_FRAME_BYTES,
        send_queue: 8,
    };
    let (stream, peer) = socket::pair();
    let mut driver = Driver {
        connection: WsConnection::new(stream, &settings, now),
        peer,
        events: Vec::new(),
        now,
    };
    // A handshake arrives in pieces of 128 to 256 bytes: tungstenite refuses one that takes
    // more than 64 reads of under 128 bytes on average as an attack, which a handshake in
    // pieces of a few bytes would be (fuzz/regressions/websocket/handshake-in-many-reads).
    for (input, sizes) in [(handshake, 128..=256), (frames, 1..=64)] {
        let pieces = if in_pieces {
            socket::pieces(input, sizes)
        } else {
            vec![input]
        };
        driver.send(&pieces);
    }
    driver.peer.finish();
    // A turn reads at most 64 messages (the route's batch), and a message takes at least two
    // bytes: what is still buffered is read within this many turns, and the end after it.
    let turns = 16 + (handshake.len() + frames.len()) / 64;
    for _ in 0..turns {
        if driver.connection.is_finished() {
            break;
        }
        driver.turn();
    }
    driver.peer.receive();
    WsSession {
        finished: driver.connection.is_finished(),
        events: driver.events,
        output: driver.peer.received,
    }
}

struct Driver {
    connection: WsConnection,
    peer: Peer,
    events: Vec<Event>,
    now: Instant,
}

impl Driver {
    /// Sends the pieces, the connection taking in each as it comes.
    fn send(&mut self, pieces: &[&[u8]]) {
        // Turns without progress only keep a broken connection from hanging the target.
        let mut stalled = 0;
        for piece in pieces {
            let mut sent = 0;
            while sent < piece.len() && stalled < 16 {
                if self.connection.is_finished() {
                    return;
                }
                let took = self.peer.send(&piece[sent..]);
                stalled = if took == 0 { stalled + 1 } else { 0 };
                sent += took;
                self.turn();
            }
        }
    }

    /// The socket is ready: the connection reads and writes; each message is echoed back.
    fn turn(&mut self) {
        self.connection.on_ready(true, self.now);
        for event in self.connection.take_events() {
            let event = match event {
                WsEvent::Opened => Event::Opened,
                WsEvent::Text(text) => {
                    // The route checked it: a text message's payload is UTF-8.
                    let echo = String::from_utf8(text.clone()).map(Frame::text);
                    if let Ok(echo) = echo {
                        let _ = self.connection.send(echo);
                    }
                    Event::Text(text)
                }
                WsEvent::Binary(bytes) => {
                    let _ = self.connection.send(Frame::binary(bytes.clone()));
                    Event::Binary(bytes)
                }
                WsEvent::Error(why) => Event::Error(why),
                WsEvent::Closed => Event::Closed,
                WsEvent::Refused => Event::Refused,
            };
            self.events.push(event);
        }
        self.connection.flush();
        self.peer.receive();
    }
}
