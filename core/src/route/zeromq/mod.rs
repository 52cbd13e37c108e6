//! What every ZeroMQ route kind shares: one socket, the send queue that holds what ZeroMQ
//! would not take yet, reading whole messages, and the layout of requests and replies. How a
//! kind differs is its [`Pattern`], in a file of its own under `route/kinds/`.

mod envelope;
mod lockstep;
mod notify;
mod out_frame;
mod socket;

pub(crate) use envelope::{error_reply, read_reply, request_id, request_id_frame, split_request};
pub(crate) use lockstep::Lockstep;

use super::io::{Abilities, Asker, Inbound, Kind, OpenRoute, Received, RouteIo};
use super::options::{MsgFormat, RouteOptions};
use super::stats::RouteStats;
use crate::bert::DecodeLimits;
use crate::error::Error;
use crate::message::Message;
use crate::monitor::{SocketMonitor, DISCONNECTED};
use crate::reactor::{Event, Interest, SharedSocket, Sources, Token};
use crate::security::Secured;
use notify::Notify;
use out_frame::OutFrame;
use smallvec::SmallVec;
use std::collections::VecDeque;
use std::marker::PhantomData;

/// The frames of one received message, as ZeroMQ holds them (no copy).
pub(crate) type Frames = Vec<zmq::Message>;

/// The frames of one queued message; most messages have one or two.
pub(crate) type OutMessage = SmallVec<[OutFrame; 2]>;

/// Frames to send, borrowed; most messages have one to three.
pub(crate) type Layout<'a> = SmallVec<[&'a [u8]; 3]>;

/// How one ZeroMQ kind behaves: its socket, how it lays messages out and reads them back, and
/// when its socket may be read or written. Everything has a default that suits the plain
/// kinds (push, pull, pair); each kind overrides what makes it different.
pub(crate) trait Pattern: Sized + 'static {
    const SOCKET: zmq::SocketType;
    const ABILITIES: Abilities;

    /// The kind's state for a new route.
    fn new(options: &RouteOptions) -> Self;

    /// Socket options the kind needs, set before the socket binds or connects.
    fn configure(&self, _socket: &zmq::Socket, _options: &RouteOptions) -> zmq::Result<()> {
        Ok(())
    }

    /// Whether a message may go to the socket now.
    fn may_send(&self) -> bool {
        true
    }

    /// Whether the socket may be read now.
    fn may_receive(&self) -> bool {
        Self::ABILITIES.receives
    }

    /// ZeroMQ took a message.
    fn sent(&mut self) {}

    /// Whether `send_message` sends the message's name in a frame before the message
    /// (`[name, message]`, so subscribers filter on it as topic) rather than `[message]`.
    const NAME_FRAME: bool = false;

    /// The frames of request `id` (the kind requests).
    fn request_layout<'a>(_id_frame: &'a [u8], payload: &'a [u8]) -> Layout<'a> {
        SmallVec::from_slice(&[payload])
    }

    /// Request `id` was accepted for sending.
    fn request_accepted(&mut self, _id: u64) {}

    /// The frames of a reply to `asker` (the kind answers).
    fn reply_layout<'a>(asker: &'a Asker, payload: &'a [u8]) -> Layout<'a> {
        let mut frames: Layout<'a> = asker.envelope.iter().map(Vec::as_slice).collect();
        frames.extend(asker.request_id.as_deref());
        frames.push(payload);
        frames
    }

    /// A reply (or a raw route's answer) was accepted for sending.
    fn replied(&mut self) {}

    /// What the frames of one received message are (taken out of `frames`).
    fn read(&mut self, frames: &mut Frames, route: &ReadContext<'_>) -> Read {
        read_one_frame(frames, route)
    }

    /// Request `id` timed out: drop it from the queue if it is still there, or stop waiting
    /// for its reply.
    fn forget(&mut self, _id: u64, _queue: &mut VecDeque<OutMessage>) {}
}

/// The route a message was read from, for errors, for the format and for the limits its
/// messages are decoded within.
pub(crate) struct ReadContext<'a> {
    pub(crate) name: &'a str,
    pub(crate) kind: &'static str,
    pub(crate) format: MsgFormat,
    pub(crate) limits: &'a DecodeLimits,
}

impl ReadContext<'_> {
    /// The error of a message read off the route that did not decode.
    pub(crate) fn receive_error(&self, source: Error) -> Error {
        Error::Receive {
            route: self.name.to_owned(),
            source: Box::new(source),
        }
    }

    /// The error of a message whose frames do not make one of the kind's messages.
    pub(crate) fn frame_count_error(&self, count: usize) -> Error {
        self.receive_error(Error::InvalidArgument(format!(
            "{count} frames do not make a {} message",
            self.kind
        )))
    }

    /// Decodes a message's payload within the route's limits, whose byte limit is the
    /// frame bound its socket enforces.
    pub(crate) fn decode(&self, payload: &[u8]) -> Result<Message, Error> {
        Message::decode_with_limits(payload, self.limits).map_err(|e| self.receive_error(e))
    }
}

/// Reads `[message]` (pull, pair), or hands a raw route's frames on.
pub(crate) fn read_one_frame(frames: &mut Frames, route: &ReadContext<'_>) -> Read {
    if route.format == MsgFormat::Raw {
        return Read::Inbound(raw(frames));
    }
    let payload = match frames.len() {
        1 => frames.pop().expect("one frame"),
        count => return Read::bad(route.frame_count_error(count)),
    };
    match route.decode(&payload) {
        Ok(message) => Read::Inbound(Inbound::Message(message)),
        Err(error) => Read::bad(error),
    }
}

/// Reads a request, `[envelope..., "", (id,) payload]` (with `delimited`) or `[(id,) payload]`;
/// the reply goes back with the envelope and id. A request that does not decode is answered
/// with a `DecodeError` error reply; one whose frames are no request, with `BadRequest` when
/// the socket must answer before it reads again (`must_answer`, a REP).
pub(crate) fn read_request(
    frames: &mut Frames,
    route: &ReadContext<'_>,
    delimited: bool,
    must_answer: bool,
) -> Read {
    if route.format == MsgFormat::Raw {
        return Read::Inbound(raw(frames));
    }
    let count = frames.len();
    let Some(incoming) = split_request(frames, delimited) else {
        let answer = must_answer.then(|| {
            let asker = Asker {
                envelope: Vec::new(),
                request_id: None,
                exchange: 0,
            };
            (
                asker,
                "BadRequest",
                format!("{count} frames are not a request"),
            )
        });
        let error = route.frame_count_error(count);
        return Read::Bad { error, answer };
    };
    let asker = Asker {
        envelope: incoming.envelope.iter().map(|f| f.to_vec()).collect(),
        request_id: incoming.request_id.map(|f| f.to_vec()),
        exchange: 0,
    };
    match route.decode(&incoming.payload) {
        Ok(message) => Read::Inbound(Inbound::Request(message, asker)),
        Err(error) => {
            let text = "the request is not a DripDrop message".to_owned();
            Read::Bad {
                error,
                answer: Some((asker, "DecodeError", text)),
            }
        }
    }
}

/// Reads a reply, `["", id, payload]` (with `delimited`: the id is on the wire) or `[payload]`
/// to the request `sent` (a REQ knows which one by order).
pub(crate) fn read_reply_frames(
    frames: &mut Frames,
    route: &ReadContext<'_>,
    delimited: bool,
    sent: Option<u64>,
) -> Read {
    if route.format == MsgFormat::Raw {
        return Read::Inbound(raw(frames));
    }
    let count = frames.len();
    let Some(incoming) = split_request(frames, delimited) else {
        return Read::bad(route.frame_count_error(count));
    };
    let id = sent.or_else(|| incoming.request_id.as_deref().and_then(request_id));
    Read::Inbound(Inbound::Reply {
        id,
        reply: read_reply(route, &incoming.payload),
    })
}

/// What a received message turned out to be.
pub(crate) enum Read {
    Inbound(Inbound),
    /// Refused by a topic filter.
    Filtered,
    /// Not what the route carries. `answer` is the asker waiting on it, with the class and
    /// text of the error reply it gets.
    Bad {
        error: Error,
        answer: Option<(Asker, &'static str, String)>,
    },
}

impl Read {
    /// Not a message, and nobody waits on it.
    pub(crate) fn bad(error: Error) -> Read {
        Read::Bad {
            error,
            answer: None,
        }
    }
}

/// A raw route's frames, copied out of ZeroMQ.
pub(crate) fn raw(frames: &mut Frames) -> Inbound {
    Inbound::Frames(frames.drain(..).map(|frame| frame.to_vec()).collect())
}

/// The kind of a [`Pattern`]: what `route/kind.rs` lists.
pub(crate) struct ZmqKind<P>(PhantomData<fn() -> P>);

impl<P> ZmqKind<P> {
    pub(crate) const fn new() -> Self {
        ZmqKind(PhantomData)
    }
}

impl<P: Pattern> Kind for ZmqKind<P> {
    fn abilities(&self) -> Abilities {
        P::ABILITIES
    }

    fn open(&self, route: OpenRoute<'_>) -> Result<Box<dyn RouteIo>, Error> {
        Ok(Box::new(ZmqRoute::<P>::open(route)?))
    }
}

/// A route over one ZeroMQ socket.
struct ZmqRoute<P> {
    name: String,
    kind: &'static str,
    socket: SharedSocket,
    token: Option<Token>,
    endpoints: Vec<String>,
    /// With `router_notify`: how peers' connects and disconnects are reported.
    notify: Option<Notify>,
    /// With CURVE: the socket's handshakes, refused and failed.
    secured: Option<Secured>,
    /// Tells of disconnects (an emulated `router_notify`) and handshakes (CURVE).
    monitor: Option<SocketMonitor>,
    /// The reactor's token for the monitor.
    monitor_token: Option<Token>,
    format: MsgFormat,
    /// What received messages are decoded within (`RouteOptions::decode_limits`).
    decode_limits: DecodeLimits,
    pattern: P,
    /// Messages ZeroMQ has not taken yet, oldest first.
    queue: VecDeque<OutMessage>,
    queue_bound: usize,
    /// Reused to receive; one-frame messages are the commonest kind.
    frames: Frames,
    /// Reused to encode outgoing messages.
    scratch: Vec<u8>,
    next_request_id: u64,
}

impl<P: Pattern> ZmqRoute<P> {
    fn open(route: OpenRoute<'_>) -> Result<Self, Error> {
        let pattern = P::new(route.options);
        let opened = socket::open(&route, P::SOCKET, |socket| {
            pattern.configure(socket, route.options)
        })?;
        Ok(ZmqRoute {
            name: route.name.to_owned(),
            kind: route.kind,
            socket: SharedSocket::new(opened.socket),
            token: None,
            endpoints: opened.endpoints,
            notify: opened.notify,
            secured: opened.secured,
            monitor: opened.monitor,
            monitor_token: None,
            format: route.options.msg_format,
            decode_limits: route.options.decode_limits(),
            pattern,
            queue: VecDeque::new(),
            queue_bound: route.options.send_queue,
            frames: Vec::new(),
            scratch: Vec::with_capacity(256),
            next_request_id: 1,
        })
    }

    /// Hands frames to ZeroMQ, or queues them while it is at its high-water mark. Past the
    /// queue bound the message is refused with `Backpressure`, never dropped silently.
    fn send(&mut self, frames: &[&[u8]], stats: &mut RouteStats) -> Result<(), Error> {
        let sending_now = self.queue.is_empty() && self.pattern.may_send();
        if !sending_now && self.queue.len() >= self.queue_bound {
            return Err(self.backpressure(stats));
        }
        let mut message: OutMessage = frames.iter().map(|f| OutFrame::copy_of(f)).collect();
        if sending_now && self.try_send(&mut message, stats)? {
            return Ok(());
        }
        if self.queue.len() >= self.queue_bound {
            return Err(self.backpressure(stats));
        }
        self.queue.push_back(message);
        Ok(())
    }

    fn backpressure(&self, stats: &mut RouteStats) -> Error {
        stats.backpressure += 1;
        Error::Backpressure {
            route: self.name.clone(),
            bound: self.queue_bound,
        }
    }

    /// Sends one message without blocking: `Ok(false)` when ZeroMQ would block, the frames
    /// still ours. ZeroMQ takes a multi-frame message whole once it took its first frame.
    fn try_send(
        &mut self,
        message: &mut [OutFrame],
        stats: &mut RouteStats,
    ) -> Result<bool, Error> {
        let bytes = message.iter().map(|f| f.len()).sum();
        let last = message.len().saturating_sub(1);
        for (i, frame) in message.iter_mut().enumerate() {
            let errno = match frame.send(&self.socket, i < last) {
                Ok(true) => continue,
                Ok(false) if i == 0 => return Ok(false),
                Ok(false) => zmq_sys::errno::EAGAIN,
                Err(errno) => errno,
            };
            stats.send_errors += 1;
            return Err(Error::zmq_errno(
                format!("route {}: send", self.name),
                errno,
            ));
        }
        stats.sent(bytes);
        self.pattern.sent();
        Ok(true)
    }

    /// Sends queued messages until ZeroMQ would block; errors are returned after the queue
    /// moved on past the message that failed.
    fn flush(&mut self, stats: &mut RouteStats) -> Vec<Error> {
        let mut errors = Vec::new();
        while self.pattern.may_send() {
            let Some(mut message) = self.queue.pop_front() else {
                break;
            };
            match self.try_send(&mut message, stats) {
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

    /// Takes what the monitor reported: disconnects to an emulated `router_notify`,
    /// handshakes to the CURVE account.
    fn read_monitor(&mut self) {
        let Some(monitor) = &self.monitor else { return };
        for event in monitor.read() {
            match (&mut self.notify, &mut self.secured) {
                (Some(Notify::Emulated(emulated)), _) if event.event == DISCONNECTED => {
                    emulated.closed(event.value as i32);
                }
                (_, Some(secured)) => secured.on_event(event),
                _ => {}
            }
        }
    }

    /// With an emulated `router_notify`, once the socket has nothing more: the disconnects
    /// its monitor reported (read after the socket, so a peer's last messages come before
    /// the notice that it left).
    fn read_notifications(&mut self, stats: &mut RouteStats) -> Received {
        self.read_monitor();
        let Some(Notify::Emulated(emulated)) = &mut self.notify else {
            return Received::Nothing;
        };
        emulated.take_closed(stats);
        match emulated.next_pending() {
            Some(frames) => Received::Inbound(Inbound::Frames(frames)),
            None => Received::Nothing,
        }
    }

    /// Reads one whole message into `self.frames` (empty) without blocking; `EAGAIN` when
    /// none is waiting. ZeroMQ delivers the parts of a message together, so only the first
    /// read can would-block.
    fn recv_frames(&mut self) -> Result<(), zmq::Error> {
        loop {
            let mut frame = zmq::Message::new();
            self.socket.recv(&mut frame, zmq::DONTWAIT)?;
            let more = frame.get_more();
            self.frames.push(frame);
            if !more {
                return Ok(());
            }
        }
    }
}

impl<P: Pattern> RouteIo for ZmqRoute<P> {
    fn endpoints(&self) -> &[String] {
        &self.endpoints
    }

    fn register(&mut self, sources: &mut dyn Sources) {
        self.token = Some(sources.add_socket(&self.socket, Interest::NONE));
        if let Some(monitor) = &self.monitor {
            self.monitor_token = Some(sources.add_socket(monitor.socket(), Interest::NONE));
        }
    }

    fn prepare_wait(&mut self, sources: &mut dyn Sources, reading: bool) {
        if let Some(token) = self.token {
            let interest = Interest {
                readable: reading && self.pattern.may_receive(),
                writable: self.has_sendable(),
            };
            sources.set_interest(token, interest);
        }
        if let Some(token) = self.monitor_token {
            let readable = Interest {
                readable: reading,
                writable: false,
            };
            sources.set_interest(token, readable);
        }
    }

    fn on_ready(&mut self, event: Event<usize>, stats: &mut RouteStats) -> Vec<Error> {
        if Some(event.token) == self.monitor_token {
            // Handshakes are counted now (a push route never reads its socket); what they
            // amount to is reported when `deadline` says.
            self.read_monitor();
            return Vec::new();
        }
        if event.writable {
            self.flush(stats)
        } else {
            Vec::new()
        }
    }

    fn deadline(&self) -> Option<std::time::Instant> {
        self.secured.as_ref().and_then(Secured::due)
    }

    fn on_deadline(&mut self, now: std::time::Instant, _: &mut RouteStats) -> Vec<Error> {
        self.secured
            .as_mut()
            .and_then(|secured| secured.report(now))
            .into_iter()
            .collect()
    }

    fn handshakes(&self) -> (u64, u64) {
        self.secured.as_ref().map_or((0, 0), |secured| {
            (secured.auth_refused(), secured.handshake_failed())
        })
    }

    fn flush(&mut self, stats: &mut RouteStats) -> Vec<Error> {
        ZmqRoute::flush(self, stats)
    }

    fn receive(&mut self, stats: &mut RouteStats) -> Received {
        if !self.pattern.may_receive() {
            return Received::Nothing;
        }
        if let Some(Notify::Emulated(emulated)) = &mut self.notify {
            if let Some(frames) = emulated.next_pending() {
                return Received::Inbound(Inbound::Frames(frames));
            }
        }
        self.frames.clear();
        match self.recv_frames() {
            Ok(()) => {}
            Err(zmq::Error::EAGAIN) => return self.read_notifications(stats),
            Err(e) => {
                return Received::Failed(vec![Error::zmq(
                    format!("route {}: receive", self.name),
                    e,
                )])
            }
        }
        stats.received(&self.frames);
        if let Some(Notify::Emulated(emulated)) = &mut self.notify {
            if let Some(frames) = emulated.on_message(&mut self.frames, stats) {
                return Received::Inbound(Inbound::Frames(frames));
            }
        }
        let context = ReadContext {
            name: &self.name,
            kind: self.kind,
            format: self.format,
            limits: &self.decode_limits,
        };
        match self.pattern.read(&mut self.frames, &context) {
            Read::Inbound(inbound) => {
                // A reply that does not decode goes to its request's callback, not to
                // on_error; it is a decode error all the same.
                if let Inbound::Reply {
                    reply: Err(Error::Receive { .. }),
                    ..
                } = &inbound
                {
                    stats.decode_errors += 1;
                }
                Received::Inbound(inbound)
            }
            Read::Filtered => {
                stats.filtered += 1;
                Received::Skipped
            }
            Read::Bad { error, answer } => {
                stats.decode_errors += 1;
                let mut errors = vec![error];
                if let Some((asker, class, text)) = answer {
                    if let Err(e) = self.reply(&asker, &error_reply(class, &text), stats) {
                        errors.push(e);
                    }
                }
                Received::Failed(errors)
            }
        }
    }

    fn send_message(&mut self, message: &Message, stats: &mut RouteStats) -> Result<(), Error> {
        // Encoded into a buffer the route keeps, so a send allocates nothing of its own.
        let mut payload = std::mem::take(&mut self.scratch);
        payload.clear();
        let result = message.encode_into(&mut payload).and_then(|()| {
            if P::NAME_FRAME {
                self.send(&[message.name().as_bytes(), &payload], stats)
            } else {
                self.send(&[&payload], stats)
            }
        });
        self.scratch = payload;
        result
    }

    fn send_request(&mut self, message: &Message, stats: &mut RouteStats) -> Result<u64, Error> {
        let payload = message.encode()?;
        let id = self.next_request_id;
        let id_frame = request_id_frame(id);
        self.send(&P::request_layout(&id_frame, &payload), stats)?;
        self.next_request_id += 1;
        self.pattern.request_accepted(id);
        Ok(id)
    }

    fn reply(
        &mut self,
        asker: &Asker,
        reply: &Message,
        stats: &mut RouteStats,
    ) -> Result<(), Error> {
        let payload = reply.encode()?;
        let result = self.send(&P::reply_layout(asker, &payload), stats);
        self.pattern.replied();
        result
    }

    fn send_frames(&mut self, frames: &[&[u8]], stats: &mut RouteStats) -> Result<(), Error> {
        let result = self.send(frames, stats);
        if P::ABILITIES.answers {
            self.pattern.replied();
        }
        result
    }

    fn forget_request(&mut self, id: u64) {
        self.pattern.forget(id, &mut self.queue);
    }

    fn queued(&self) -> usize {
        self.queue.len()
    }

    fn has_sendable(&self) -> bool {
        !self.queue.is_empty() && self.pattern.may_send()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bert::Value;

    /// Reads `payload` as one frame of a pull route with `options`.
    fn read_with(options: &RouteOptions, payload: &[u8]) -> Read {
        let limits = options.decode_limits();
        let route = ReadContext {
            name: "in",
            kind: "zmq_pull",
            format: options.msg_format,
            limits: &limits,
        };
        read_one_frame(&mut vec![zmq::Message::from(payload)], &route)
    }

    fn is_message(read: &Read) -> bool {
        matches!(read, Read::Inbound(Inbound::Message(_)))
    }

    #[test]
    fn a_route_decodes_within_its_frame_bound() {
        let small = RouteOptions {
            max_frame_bytes: 1024,
            ..RouteOptions::default()
        };
        assert_eq!(
            small.decode_limits(),
            DecodeLimits {
                max_input_bytes: 1024,
                ..DecodeLimits::DEFAULT
            }
        );
        let fits = Message::new("m")
            .unwrap()
            .with_body(Value::Binary(vec![7; 900]))
            .encode()
            .unwrap();
        assert!(fits.len() <= 1024);
        assert!(is_message(&read_with(&small, &fits)));
        let over = Message::new("m")
            .unwrap()
            .with_body(Value::Binary(vec![7; 1024]))
            .encode()
            .unwrap();
        match read_with(&small, &over) {
            Read::Bad { error, .. } => assert!(error.to_string().contains("1024"), "{error}"),
            _ => panic!("a frame over the route's bound decoded"),
        }
    }

    #[test]
    fn a_raised_frame_bound_decodes_past_the_default_limit() {
        // One binary of 65 MiB: past the default 64 MiB, inside a 70 MiB bound.
        let big = Message::new("big")
            .unwrap()
            .with_body(Value::Binary(vec![0; 65 << 20]))
            .encode()
            .unwrap();
        assert!(big.len() > DecodeLimits::DEFAULT.max_input_bytes);
        assert!(!is_message(&read_with(&RouteOptions::default(), &big)));
        let raised = RouteOptions {
            max_frame_bytes: 70 << 20,
            ..RouteOptions::default()
        };
        assert!(is_message(&read_with(&raised, &big)));
    }
}
