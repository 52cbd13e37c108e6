//! `zmq_req`: one request at a time, strictly alternating with its reply. REQ carries no id on
//! the wire, so replies are matched to requests by order.

use super::super::io::{Abilities, Kind};
use super::super::options::RouteOptions;
use super::super::zeromq::{
    read_reply_frames, Frames, Lockstep, OutMessage, Pattern, Read, ReadContext, ZmqKind,
};
use std::collections::VecDeque;

pub(crate) static KIND: &dyn Kind = &ZmqKind::<Req>::new();

pub(crate) struct Req {
    lockstep: Lockstep,
    /// Ids of the requests sent or queued, oldest first: while a reply is awaited the front
    /// one is in flight and the rest match the send queue.
    in_order: VecDeque<u64>,
}

impl Pattern for Req {
    const SOCKET: zmq::SocketType = zmq::REQ;
    const ABILITIES: Abilities = Abilities::REQUESTS;

    fn new(_: &RouteOptions) -> Self {
        Req {
            lockstep: Lockstep::requester(),
            in_order: VecDeque::new(),
        }
    }

    fn configure(&self, socket: &zmq::Socket, _: &RouteOptions) -> zmq::Result<()> {
        // A request that timed out must not wedge the socket: relaxed lets the next request
        // go, correlate makes ZeroMQ drop the late reply to the old one.
        socket.set_req_relaxed(true)?;
        socket.set_req_correlate(true)
    }

    fn may_send(&self) -> bool {
        self.lockstep.may_send()
    }

    fn may_receive(&self) -> bool {
        self.lockstep.may_receive()
    }

    fn sent(&mut self) {
        self.lockstep.sent();
    }

    fn request_accepted(&mut self, id: u64) {
        self.in_order.push_back(id);
    }

    fn read(&mut self, frames: &mut Frames, route: &ReadContext<'_>) -> Read {
        // The reply is in: the next request may go.
        self.lockstep.received();
        // REQ carries no id on the wire: the reply is to the oldest request out.
        let sent = self.in_order.pop_front();
        read_reply_frames(frames, route, false, sent)
    }

    fn forget(&mut self, id: u64, queue: &mut VecDeque<OutMessage>) {
        let Some(at) = self.in_order.iter().position(|&queued| queued == id) else {
            return;
        };
        self.in_order.remove(at);
        let in_flight = self.lockstep.may_receive();
        if at == 0 && in_flight {
            self.lockstep.stop_waiting();
        } else {
            queue.remove(at - usize::from(in_flight));
        }
    }
}
