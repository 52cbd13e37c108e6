//! Serving a ready socket: flushing its queue, reading what arrived and handing it to the
//! route's handler or to the request it answers.

use super::callbacks::{remote_error, Asker, Handler, Response, ERROR_REPLY};
use super::Node;
use crate::error::Error;
use crate::message::Message;
use crate::route::{split_request, MsgFormat, RouteKind};
use std::sync::Arc;

/// The frames of one received message, as ZeroMQ holds them (no copy).
type Frames = Vec<zmq::Message>;

/// Reads one whole message into `frames` (empty) without blocking; `EAGAIN` when none is
/// waiting. ZeroMQ delivers the parts of a message together, so only the first read can
/// would-block.
fn recv_frames(socket: &zmq::Socket, frames: &mut Frames) -> Result<(), zmq::Error> {
    loop {
        let mut frame = zmq::Message::new();
        socket.recv(&mut frame, zmq::DONTWAIT)?;
        let more = frame.get_more();
        frames.push(frame);
        if !more {
            return Ok(());
        }
    }
}

impl Node {
    pub(super) fn flush_route(&mut self, index: usize) {
        for error in self.routes[index].flush() {
            self.report_error(error);
        }
    }

    /// Reads up to a batch of messages from a readable socket.
    pub(super) fn receive(&mut self, index: usize) {
        for _ in 0..self.options.receive_batch {
            // After stop, nothing more is read or handled.
            if self.is_stopping() {
                return;
            }
            let route = &mut self.routes[index];
            if !route.wants_pollin() {
                return;
            }
            let mut frames = std::mem::take(&mut self.recv_frames);
            frames.clear();
            match recv_frames(&route.socket, &mut frames) {
                Ok(()) => {}
                Err(zmq::Error::EAGAIN) => {
                    self.recv_frames = frames;
                    return;
                }
                Err(e) => {
                    let error = Error::zmq(format!("route {}: receive", route.name), e);
                    self.report_error(error);
                    return;
                }
            };
            route.stats.received(&frames);
            self.dispatch(index, frames);
        }
    }

    fn dispatch(&mut self, index: usize, frames: Frames) {
        let (format, kind) = (self.routes[index].format, self.routes[index].kind);
        if format == MsgFormat::Raw {
            if kind == RouteKind::Subscribe && !self.topic_matches(index, &frames) {
                self.routes[index].stats.filtered += 1;
                return;
            }
            let route = &mut self.routes[index];
            match kind {
                // The reply is in: the next raw request may go.
                RouteKind::Req => route.in_lockstep = false,
                // A raw rep answers with send_frames before it reads again.
                RouteKind::Rep => route.in_lockstep = true,
                _ => {}
            }
            let frames = frames.iter().map(|frame| frame.to_vec()).collect();
            self.call_handler(index, |node, handler| {
                if let Handler::Frames(f) = handler {
                    f(node, frames);
                }
            });
            if self.routes[index].kind == RouteKind::Req {
                self.flush_route(index);
            }
            return;
        }
        match kind {
            RouteKind::Subscribe => {
                if self.topic_matches(index, &frames) {
                    self.deliver_message(index, frames);
                } else {
                    self.routes[index].stats.filtered += 1;
                }
            }
            RouteKind::Pull | RouteKind::Pair => self.deliver_message(index, frames),
            RouteKind::Xrep | RouteKind::Rep => self.deliver_request(index, frames),
            RouteKind::Xreq | RouteKind::Req => self.deliver_reply(index, frames),
            RouteKind::Publish | RouteKind::Push => {}
        }
    }

    /// Whether a subscriber's regex filter (if any) takes the name frame.
    fn topic_matches(&self, index: usize, frames: &[zmq::Message]) -> bool {
        match (&self.routes[index].topic_regex, frames.first()) {
            (None, _) => true,
            (Some(re), Some(topic)) => re.is_match(&String::from_utf8_lossy(topic)),
            (Some(_), None) => false,
        }
    }

    /// Decodes a message frame; a bad one is counted and reported, and `None` returned.
    fn decode_payload(&mut self, index: usize, payload: &[u8]) -> Option<Message> {
        match Message::decode(payload) {
            Ok(message) => Some(message),
            Err(error) => {
                let route = &mut self.routes[index];
                route.stats.decode_errors += 1;
                let error = Error::Receive {
                    route: route.name.clone(),
                    source: Box::new(error),
                };
                self.report_error(error);
                None
            }
        }
    }

    fn frame_count_error(&mut self, index: usize, count: usize) {
        let route = &mut self.routes[index];
        route.stats.decode_errors += 1;
        let error = Error::Receive {
            route: route.name.clone(),
            source: Box::new(Error::InvalidArgument(format!(
                "{} frames do not make a {} message",
                count,
                route.kind.name()
            ))),
        };
        self.report_error(error);
    }

    /// Pub/sub carries `[name, message]`, pull and pair `[message]`; the message is the last.
    fn deliver_message(&mut self, index: usize, mut frames: Frames) {
        let expected = if self.routes[index].kind == RouteKind::Subscribe {
            2
        } else {
            1
        };
        if frames.len() != expected && !(expected == 2 && frames.len() == 1) {
            return self.frame_count_error(index, frames.len());
        }
        let Some(payload) = frames.pop() else { return };
        // Given back for the next receive (the payload is all that is left to read).
        self.recv_frames = frames;
        let Some(message) = self.decode_payload(index, &payload) else {
            return;
        };
        self.call_handler(index, |node, handler| {
            if let Handler::Message(f) = handler {
                f(node, message);
            }
        });
    }

    fn deliver_request(&mut self, index: usize, frames: Frames) {
        let count = frames.len();
        let kind = self.routes[index].kind;
        if kind == RouteKind::Rep {
            // REP must answer before it reads again, whatever the request was.
            self.routes[index].in_lockstep = true;
        }
        let Some(incoming) = split_request(frames, kind == RouteKind::Xrep) else {
            self.frame_count_error(index, count);
            if kind == RouteKind::Rep {
                let asker = Asker {
                    route: index,
                    envelope: Vec::new(),
                    request_id: None,
                };
                self.reject(
                    asker,
                    "BadRequest",
                    &format!("{count} frames are not a request"),
                );
            }
            return;
        };
        let asker = Asker {
            route: index,
            envelope: incoming.envelope.iter().map(|f| f.to_vec()).collect(),
            request_id: incoming.request_id.map(|f| f.to_vec()),
        };
        let Some(message) = self.decode_payload(index, &incoming.payload) else {
            return self.reject(
                asker,
                "DecodeError",
                "the request is not a DripDrop message",
            );
        };
        let response = Response::new(asker, self.unanswered_tx.clone(), Arc::clone(&self.waker));
        self.call_handler(index, |node, handler| {
            if let Handler::Request(f) = handler {
                f(node, message, response);
            }
        });
    }

    fn deliver_reply(&mut self, index: usize, frames: Frames) {
        let count = frames.len();
        let route = &mut self.routes[index];
        let id = if route.kind == RouteKind::Req {
            route.in_lockstep = false;
            route.lockstep_queue.pop_front()
        } else {
            None
        };
        let delimited = route.kind == RouteKind::Xreq;
        let Some(incoming) = split_request(frames, delimited) else {
            return self.frame_count_error(index, count);
        };
        let id = id.or_else(|| {
            let frame: [u8; 8] = incoming.request_id.as_deref()?.try_into().ok()?;
            Some(u64::from_be_bytes(frame))
        });
        let pending = id.and_then(|id| self.routes[index].pending.remove(&id));
        let Some(pending) = pending else {
            // A reply after its request timed out: nobody waits for it any more.
            self.routes[index].stats.dropped += 1;
            return;
        };
        if let Some(timer) = pending.timer {
            self.cancel_timer(timer);
        }
        let reply = match Message::decode(&incoming.payload) {
            Ok(reply) if reply.name() == ERROR_REPLY => Err(remote_error(&reply)),
            Ok(reply) => Ok(reply),
            Err(error) => {
                let route = &mut self.routes[index];
                route.stats.decode_errors += 1;
                Err(Error::Receive {
                    route: route.name.clone(),
                    source: Box::new(error),
                })
            }
        };
        self.guarded("reply callback", |node| (pending.callback)(node, reply));
        // A REQ may send its next queued request now.
        if self.routes[index].kind == RouteKind::Req {
            self.flush_route(index);
        }
    }

    /// Runs the route's handler, taken out for the call so it may use the node freely; a
    /// message for a route with no handler is counted and dropped.
    fn call_handler(&mut self, index: usize, call: impl FnOnce(&mut Node, &mut Handler)) {
        let Some(mut handler) = self.routes[index].handler.take() else {
            self.routes[index].stats.dropped += 1;
            return;
        };
        self.guarded_with(
            |node| format!("route {} handler", node.routes[index].name),
            |node| call(node, &mut handler),
        );
        let slot = &mut self.routes[index].handler;
        if slot.is_none() {
            *slot = Some(handler);
        }
    }
}
