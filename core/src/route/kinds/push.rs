//! `zmq_push`: sends `[message]` to pullers, round-robin.

use super::super::io::{Abilities, Kind};
use super::super::options::RouteOptions;
use super::super::zeromq::{Pattern, ZmqKind};

pub(crate) static KIND: &dyn Kind = &ZmqKind::<Push>::new();

pub(crate) struct Push;

impl Pattern for Push {
    const SOCKET: zmq::SocketType = zmq::PUSH;
    const ABILITIES: Abilities = Abilities::SENDS;

    fn new(_: &RouteOptions) -> Self {
        Push
    }
}
