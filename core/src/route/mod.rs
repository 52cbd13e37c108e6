//! A named route: one ZeroMQ socket, its send queue, counters and handler.

mod frames;
mod kind;
mod options;
mod out_frame;
mod socket;

pub use kind::{Mode, MsgFormat, RouteKind};
pub use options::{RouteOptions, TopicFilter};

pub(crate) use frames::{request_id_frame, split_request};

use crate::error::Error;
use crate::node::Handler;
use crate::stats::RouteStats;
use crate::timers::TimerId;
use out_frame::OutFrame;
use smallvec::SmallVec;
use std::collections::{HashMap, VecDeque};

/// The frames of one queued message; most messages have one or two.
pub(crate) type OutMessage = SmallVec<[OutFrame; 2]>;

/// A request waiting for its reply.
pub(crate) struct Pending {
    pub(crate) callback: crate::node::ReplyCallback,
    pub(crate) timer: Option<TimerId>,
}

/// A named route of a node.
pub struct Route {
    pub(crate) name: String,
    pub(crate) kind: RouteKind,
    pub(crate) format: MsgFormat,
    pub(crate) socket: zmq::Socket,
    endpoints: Vec<String>,
    pub(crate) nodelet: Option<String>,
    /// Messages ZeroMQ has not taken yet, oldest first.
    pub(crate) queue: VecDeque<OutMessage>,
    pub(crate) queue_bound: usize,
    pub(crate) stats: RouteStats,
    pub(crate) topic_regex: Option<regex::Regex>,
    pub(crate) request_timeout: Option<std::time::Duration>,
    pub(crate) handler: Option<Handler>,
    pub(crate) pending: HashMap<u64, Pending>,
    pub(crate) next_request_id: u64,
    /// REQ: a request is out and its reply has not come; REP: a request was handed to the
    /// handler and not yet answered. Either way the socket must wait.
    pub(crate) in_lockstep: bool,
    /// REQ: ids of the requests sent or queued, oldest first; REQ carries no id on the
    /// wire, so replies are matched by order.
    pub(crate) lockstep_queue: VecDeque<u64>,
}

impl Route {
    pub(crate) fn open(
        context: &zmq::Context,
        name: &str,
        kind: RouteKind,
        addresses: &[&str],
        mode: Mode,
        options: RouteOptions,
        nodelet: Option<String>,
    ) -> Result<Route, Error> {
        let (socket, endpoints) = socket::open(context, name, kind, addresses, mode, &options)?;
        let topic_regex = match options.topic_filter {
            Some(TopicFilter::Regex(re)) => Some(re),
            _ => None,
        };
        Ok(Route {
            name: name.to_owned(),
            kind,
            format: options.msg_format,
            socket,
            endpoints,
            nodelet,
            queue: VecDeque::new(),
            queue_bound: options.send_queue,
            stats: RouteStats::default(),
            topic_regex,
            request_timeout: options.request_timeout,
            handler: None,
            pending: HashMap::new(),
            next_request_id: 1,
            in_lockstep: false,
            lockstep_queue: VecDeque::new(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn kind(&self) -> RouteKind {
        self.kind
    }

    /// The endpoints the route is bound or connected to; for a bind to `tcp://host:*`, the
    /// port ZeroMQ picked.
    pub fn endpoints(&self) -> &[String] {
        &self.endpoints
    }

    /// The first endpoint: the one to give a peer.
    pub fn endpoint(&self) -> &str {
        self.endpoints.first().map(String::as_str).unwrap_or("")
    }

    /// The nodelet that created the route, if any.
    pub fn nodelet(&self) -> Option<&str> {
        self.nodelet.as_deref()
    }

    /// The route's counters, with the current queue depth.
    pub fn stats(&self) -> RouteStats {
        RouteStats {
            queue_depth: self.queue.len() as u64,
            ..self.stats
        }
    }

    pub(crate) fn wrong_kind(&self, what: &'static str) -> Error {
        Error::WrongKind {
            route: self.name.clone(),
            kind: self.kind.name(),
            what,
        }
    }

    /// Whether the socket may take a message now (a REQ waits for its reply first).
    fn may_send_now(&self) -> bool {
        !(self.kind == RouteKind::Req && self.in_lockstep)
    }

    /// Hands frames to ZeroMQ, or queues them while it is at its high-water mark. Past the
    /// queue bound the message is refused with `Backpressure`, never dropped silently.
    pub(crate) fn send(&mut self, frames: &[&[u8]]) -> Result<(), Error> {
        let sending_now = self.queue.is_empty() && self.may_send_now();
        if !sending_now && self.queue.len() >= self.queue_bound {
            return Err(self.backpressure());
        }
        let mut message: OutMessage = frames.iter().map(|f| OutFrame::copy_of(f)).collect();
        if sending_now && self.try_send(&mut message)? {
            return Ok(());
        }
        if self.queue.len() >= self.queue_bound {
            return Err(self.backpressure());
        }
        self.queue.push_back(message);
        Ok(())
    }

    fn backpressure(&mut self) -> Error {
        self.stats.backpressure += 1;
        Error::Backpressure {
            route: self.name.clone(),
            bound: self.queue_bound,
        }
    }

    /// Sends one message without blocking: `Ok(false)` when ZeroMQ would block, the frames
    /// still ours. ZeroMQ takes a multi-frame message whole once it took its first frame.
    fn try_send(&mut self, message: &mut [OutFrame]) -> Result<bool, Error> {
        let bytes = message.iter().map(|f| f.len()).sum();
        let last = message.len().saturating_sub(1);
        for (i, frame) in message.iter_mut().enumerate() {
            match frame.send(&mut self.socket, i < last) {
                Ok(true) => {}
                Ok(false) if i == 0 => return Ok(false),
                Ok(false) => {
                    self.stats.send_errors += 1;
                    let e = zmq::Error::EAGAIN;
                    return Err(Error::zmq(format!("route {}: send", self.name), e));
                }
                Err(e) => {
                    self.stats.send_errors += 1;
                    return Err(Error::zmq(format!("route {}: send", self.name), e));
                }
            }
        }
        self.stats.sent(bytes);
        if self.kind == RouteKind::Req {
            self.in_lockstep = true;
        }
        Ok(true)
    }

    /// Sends queued messages until ZeroMQ would block; errors are returned after the queue
    /// moved on past the message that failed.
    pub(crate) fn flush(&mut self) -> Vec<Error> {
        let mut errors = Vec::new();
        while self.may_send_now() {
            let Some(mut message) = self.queue.pop_front() else {
                break;
            };
            match self.try_send(&mut message) {
                Ok(true) => {}
                Ok(false) => {
                    self.queue.push_front(message);
                    break;
                }
                Err(e) => errors.push(e),
            }
        }
        errors
    }

    /// Drops a request that timed out: still queued, it is not sent at all; in flight on a
    /// REQ, it is given up and the relaxed socket may send the next one.
    pub(crate) fn forget_request(&mut self, id: u64) {
        match self.kind {
            RouteKind::Xreq => {
                let id_frame = frames::request_id_frame(id);
                self.queue
                    .retain(|frames| frames.get(1).map(|f| &f[..]) != Some(&id_frame[..]));
            }
            RouteKind::Req => {
                let Some(at) = self.lockstep_queue.iter().position(|&queued| queued == id) else {
                    return;
                };
                self.lockstep_queue.remove(at);
                // The front id is in flight while in lockstep; the rest match the queue.
                if at == 0 && self.in_lockstep {
                    self.in_lockstep = false;
                } else {
                    self.queue.remove(at - usize::from(self.in_lockstep));
                }
            }
            _ => {}
        }
    }

    /// Whether the loop should wait for the socket to be writable.
    pub(crate) fn wants_pollout(&self) -> bool {
        !self.queue.is_empty() && self.may_send_now()
    }

    /// Whether the loop should read the socket: a REQ only while a request is out, a REP
    /// only once it has answered the last one.
    pub(crate) fn wants_pollin(&self) -> bool {
        match self.kind {
            RouteKind::Req => self.in_lockstep,
            RouteKind::Rep => !self.in_lockstep,
            kind => kind.receives(),
        }
    }
}
