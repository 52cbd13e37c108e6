//! `zmq_publish`: sends `[name, message]`, so subscribers filter on the name as topic.

use super::super::io::{Abilities, Kind};
use super::super::options::RouteOptions;
use super::super::zeromq::{Layout, Pattern, ZmqKind};
use smallvec::SmallVec;

pub(crate) static KIND: &dyn Kind = &ZmqKind::<Publish>::new();

pub(crate) struct Publish;

impl Pattern for Publish {
    const SOCKET: zmq::SocketType = zmq::PUB;
    const ABILITIES: Abilities = Abilities {
        sends: true,
        receives: false,
        requests: false,
        answers: false,
    };

    fn new(_: &RouteOptions) -> Self {
        Publish
    }

    fn message_layout<'a>(name: &'a [u8], payload: &'a [u8]) -> Layout<'a> {
        SmallVec::from_slice(&[name, payload])
    }
}
