//! `zmq_xreq` (DEALER): sends requests `["", id, message]` whose replies come back to their
//! callbacks, matched by the id.

use super::super::io::{Abilities, Kind};
use super::super::options::RouteOptions;
use super::super::zeromq::{
    read_reply_frames, request_id_frame, Frames, Layout, OutMessage, Pattern, Read, ReadContext,
    ZmqKind,
};
use smallvec::SmallVec;
use std::collections::VecDeque;

pub(crate) static KIND: &dyn Kind = &ZmqKind::<Xreq>::new();

pub(crate) struct Xreq;

impl Pattern for Xreq {
    const SOCKET: zmq::SocketType = zmq::DEALER;
    const ABILITIES: Abilities = Abilities::REQUESTS;

    fn new(_: &RouteOptions) -> Self {
        Xreq
    }

    fn request_layout<'a>(id_frame: &'a [u8], payload: &'a [u8]) -> Layout<'a> {
        SmallVec::from_slice(&[b"", id_frame, payload])
    }

    fn read(&mut self, frames: &mut Frames, route: &ReadContext<'_>) -> Read {
        read_reply_frames(frames, route, true, None)
    }

    fn forget(&mut self, id: u64, queue: &mut VecDeque<OutMessage>) {
        let id_frame = request_id_frame(id);
        queue.retain(|frames| frames.get(1).map(|f| &f[..]) != Some(&id_frame[..]));
    }
}
