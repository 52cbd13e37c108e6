//! `zmq_rep`: answers one request at a time. REQ peers send `[message]`; an xreq peer's
//! `[request id, message]` arrives as two frames, and the id goes back with the reply.

use super::super::io::{Abilities, Kind};
use super::super::options::RouteOptions;
use super::super::zeromq::{read_request, Frames, Lockstep, Pattern, Read, ReadContext, ZmqKind};

pub(crate) static KIND: &dyn Kind = &ZmqKind::<Rep>::new();

pub(crate) struct Rep {
    lockstep: Lockstep,
}

impl Pattern for Rep {
    const SOCKET: zmq::SocketType = zmq::REP;
    const ABILITIES: Abilities = Abilities::ANSWERS;

    fn new(_: &RouteOptions) -> Self {
        Rep {
            lockstep: Lockstep::replier(),
        }
    }

    fn may_receive(&self) -> bool {
        self.lockstep.may_receive()
    }

    fn replied(&mut self) {
        self.lockstep.sent();
    }

    fn read(&mut self, frames: &mut Frames, route: &ReadContext<'_>) -> Read {
        // Whatever the request is, it must be answered before the socket reads again.
        self.lockstep.received();
        read_request(frames, route, false, true)
    }
}
