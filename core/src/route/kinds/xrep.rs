//! `zmq_xrep` (ROUTER): receives requests `[identity..., "", (id,) message]` and answers each
//! `[identity..., "", (id,) reply]` through its `Response`.

use super::super::io::{Abilities, Asker, Kind};
use super::super::options::RouteOptions;
use super::super::zeromq::{read_request, Frames, Layout, Pattern, Read, ReadContext, ZmqKind};

pub(crate) static KIND: &dyn Kind = &ZmqKind::<Xrep>::new();

pub(crate) struct Xrep;

impl Pattern for Xrep {
    const SOCKET: zmq::SocketType = zmq::ROUTER;
    const ABILITIES: Abilities = Abilities::ANSWERS;

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
        read_request(frames, route, true, false)
    }
}
