//! `zmq_xreq` (DEALER): sends requests `["", id, message]` whose replies come back to their
//! callbacks, matched by the id.

use super::super::io::{Abilities, Inbound, Kind};
use super::super::options::{MsgFormat, RouteOptions};
use super::super::zeromq::{
    raw, read_reply, request_id, request_id_frame, split_request, Frames, Layout, OutMessage,
    Pattern, Read, ReadContext, ZmqKind,
};
use smallvec::SmallVec;
use std::collections::VecDeque;

pub(crate) static KIND: &dyn Kind = &ZmqKind::<Xreq>::new();

pub(crate) struct Xreq;

impl Pattern for Xreq {
    const SOCKET: zmq::SocketType = zmq::DEALER;
    const ABILITIES: Abilities = Abilities {
        sends: true,
        receives: true,
        requests: true,
        answers: false,
    };

    fn new(_: &RouteOptions) -> Self {
        Xreq
    }

    fn request_layout<'a>(id_frame: &'a [u8], payload: &'a [u8]) -> Layout<'a> {
        SmallVec::from_slice(&[b"", id_frame, payload])
    }

    fn read(&mut self, frames: &mut Frames, route: &ReadContext<'_>) -> Read {
        if route.format == MsgFormat::Raw {
            return Read::Inbound(raw(frames));
        }
        let count = frames.len();
        let Some(incoming) = split_request(frames, true) else {
            return Read::bad(route.frame_count_error(count));
        };
        Read::Inbound(Inbound::Reply {
            id: incoming.request_id.as_deref().and_then(request_id),
            reply: read_reply(route, &incoming.payload),
        })
    }

    fn forget(&mut self, id: u64, queue: &mut VecDeque<OutMessage>) {
        let id_frame = request_id_frame(id);
        queue.retain(|frames| frames.get(1).map(|f| &f[..]) != Some(&id_frame[..]));
    }
}
