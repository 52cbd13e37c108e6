//! `zmq_pair`: one peer, `[message]` both ways.

use super::super::io::{Abilities, Kind};
use super::super::options::RouteOptions;
use super::super::zeromq::{Pattern, ZmqKind};

pub(crate) static KIND: &dyn Kind = &ZmqKind::<Pair>::new();

pub(crate) struct Pair;

impl Pattern for Pair {
    const SOCKET: zmq::SocketType = zmq::PAIR;
    const ABILITIES: Abilities = Abilities::SENDS_AND_RECEIVES;

    fn new(_: &RouteOptions) -> Self {
        Pair
    }
}
