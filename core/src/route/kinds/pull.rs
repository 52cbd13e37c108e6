//! `zmq_pull`: receives `[message]` from pushers, fair-queued.

use super::super::io::{Abilities, Kind};
use super::super::options::RouteOptions;
use super::super::zeromq::{Pattern, ZmqKind};

pub(crate) static KIND: &dyn Kind = &ZmqKind::<Pull>::new();

pub(crate) struct Pull;

impl Pattern for Pull {
    const SOCKET: zmq::SocketType = zmq::PULL;
    const ABILITIES: Abilities = Abilities::RECEIVES;

    fn new(_: &RouteOptions) -> Self {
        Pull
    }
}
