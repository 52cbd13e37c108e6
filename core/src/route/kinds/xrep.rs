//! `zmq_xrep` (ROUTER): receives requests `[identity..., "", (id,) message]` and answers each
//! `[identity..., "", (id,) reply]` through its `Response`.

use super::super::io::{Abilities, Asker, Inbound, Kind};
use super::super::options::{MsgFormat, RouteOptions};
use super::super::zeromq::{
    raw, split_request, Frames, Layout, Pattern, Read, ReadContext, ZmqKind,
};

pub(crate) static KIND: &dyn Kind = &ZmqKind::<Xrep>::new();

pub(crate) struct Xrep;

impl Pattern for Xrep {
    const SOCKET: zmq::SocketType = zmq::ROUTER;
    const ABILITIES: Abilities = Abilities {
        sends: false,
        receives: true,
        requests: false,
        answers: true,
    };

    fn new(_: &RouteOptions) -> Self {
        Xrep
    }

    fn configure(&self, socket: &zmq::Socket, _: &RouteOptions) -> zmq::Result<()> {
        // Unroutable replies become errors (and a full peer a would-block) instead of
        // ZeroMQ's silent drop.
        socket.set_router_mandatory(true)
    }

    fn reply_layout<'a>(asker: &'a Asker, payload: &'a [u8]) -> Layout<'a> {
        let mut frames: Layout<'a> = asker.envelope.iter().map(Vec::as_slice).collect();
        frames.push(b"");
        frames.extend(asker.request_id.as_deref());
        frames.push(payload);
        frames
    }

    fn read(&mut self, frames: &mut Frames, route: &ReadContext<'_>) -> Read {
        if route.format == MsgFormat::Raw {
            return Read::Inbound(raw(frames));
        }
        let count = frames.len();
        let Some(incoming) = split_request(frames, true) else {
            return Read::bad(route.frame_count_error(count));
        };
        let asker = Asker {
            envelope: incoming.envelope.iter().map(|f| f.to_vec()).collect(),
            request_id: incoming.request_id.map(|f| f.to_vec()),
        };
        match route.decode(&incoming.payload) {
            Ok(message) => Read::Inbound(Inbound::Request(message, asker)),
            Err(error) => Read::Bad {
                error,
                answer: Some((
                    asker,
                    "DecodeError",
                    "the request is not a DripDrop message".into(),
                )),
            },
        }
    }
}
