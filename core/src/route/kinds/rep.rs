//! `zmq_rep`: answers one request at a time. REQ peers send `[message]`; an xreq peer's
//! `[request id, message]` arrives as two frames, and the id goes back with the reply.

use super::super::io::{Abilities, Asker, Inbound, Kind};
use super::super::options::{MsgFormat, RouteOptions};
use super::super::zeromq::{
    raw, split_request, Frames, Lockstep, Pattern, Read, ReadContext, ZmqKind,
};

pub(crate) static KIND: &dyn Kind = &ZmqKind::<Rep>::new();

pub(crate) struct Rep {
    lockstep: Lockstep,
}

impl Pattern for Rep {
    const SOCKET: zmq::SocketType = zmq::REP;
    const ABILITIES: Abilities = Abilities {
        sends: false,
        receives: true,
        requests: false,
        answers: true,
    };

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
        if route.format == MsgFormat::Raw {
            return Read::Inbound(raw(frames));
        }
        let count = frames.len();
        let Some(incoming) = split_request(frames, false) else {
            let asker = Asker {
                envelope: Vec::new(),
                request_id: None,
            };
            return Read::Bad {
                error: route.frame_count_error(count),
                answer: Some((
                    asker,
                    "BadRequest",
                    format!("{count} frames are not a request"),
                )),
            };
        };
        let asker = Asker {
            envelope: Vec::new(),
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
