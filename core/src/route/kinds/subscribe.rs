//! `zmq_subscribe`: receives what publishers send, `[name, message]`, filtered by a topic:
//! a prefix (ZeroMQ filters it at the publisher) or a regex (filtered here, on the name).

use super::super::io::{Abilities, Inbound, Kind};
use super::super::options::{MsgFormat, RouteOptions, TopicFilter};
use super::super::zeromq::{raw, Frames, Pattern, Read, ReadContext, ZmqKind};

pub(crate) static KIND: &dyn Kind = &ZmqKind::<Subscribe>::new();

pub(crate) struct Subscribe {
    regex: Option<regex::Regex>,
}

impl Subscribe {
    /// Whether the regex filter (if any) takes the name frame.
    fn takes(&self, frames: &Frames) -> bool {
        match (&self.regex, frames.first()) {
            (None, _) => true,
            (Some(re), Some(topic)) => re.is_match(&String::from_utf8_lossy(topic)),
            (Some(_), None) => false,
        }
    }
}

impl Pattern for Subscribe {
    const SOCKET: zmq::SocketType = zmq::SUB;
    const ABILITIES: Abilities = Abilities::RECEIVES;

    fn new(options: &RouteOptions) -> Self {
        let regex = match &options.topic_filter {
            Some(TopicFilter::Regex(re)) => Some(re.clone()),
            _ => None,
        };
        Subscribe { regex }
    }

    fn configure(&self, socket: &zmq::Socket, options: &RouteOptions) -> zmq::Result<()> {
        let prefix: &[u8] = match &options.topic_filter {
            Some(TopicFilter::Prefix(prefix)) => prefix,
            _ => b"",
        };
        socket.set_subscribe(prefix)
    }

    fn read(&mut self, frames: &mut Frames, route: &ReadContext<'_>) -> Read {
        if !self.takes(frames) {
            return Read::Filtered;
        }
        if route.format == MsgFormat::Raw {
            return Read::Inbound(raw(frames));
        }
        // [name, message] from a DripDrop publisher; a bare [message] is read too.
        let payload = match frames.len() {
            1 | 2 => frames.pop().expect("a frame"),
            count => return Read::bad(route.frame_count_error(count)),
        };
        match route.decode(&payload) {
            Ok(message) => Read::Inbound(Inbound::Message(message)),
            Err(error) => Read::bad(error),
        }
    }
}
