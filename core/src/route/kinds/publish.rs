//! `zmq_publish`: sends `[name, message]`, so subscribers filter on the name as topic.

use super::super::io::{Abilities, Kind};
use super::super::options::RouteOptions;
use super::super::zeromq::{Pattern, ZmqKind};

pub(crate) static KIND: &dyn Kind = &ZmqKind::<Publish>::new();

pub(crate) struct Publish;

impl Pattern for Publish {
    const SOCKET: zmq::SocketType = zmq::PUB;
    const ABILITIES: Abilities = Abilities::SENDS;

    fn new(_: &RouteOptions) -> Self {
        Publish
    }

    const NAME_FRAME: bool = true;
}
