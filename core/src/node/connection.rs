//! `Connection`: one peer of a route that holds connections (a browser on a
//! websocket_server route), to answer it, close it, or tell it from the others.

use super::Node;
use crate::error::Error;
use crate::message::Message;

/// One connection of a websocket_server route, as its handlers see it. It is a name, not
/// the connection itself: cheap to copy and keep (in a map of subscribers, say); once the
/// connection is closed, sending to it is `Error::Connection`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Connection {
    route: usize,
    id: u64,
}

impl Connection {
    pub(crate) fn new(route: usize, id: u64) -> Self {
        Connection { route, id }
    }

    pub(crate) fn route_index(&self) -> usize {
        self.route
    }

    /// Unique among the connections the route ever had.
    pub fn signature(&self) -> u64 {
        self.id
    }

    /// Sends a message to this connection (a text frame of JSON, or a binary frame of BERT,
    /// as the route's format says). Never blocks: past the route's send queue for this
    /// connection it is `Error::Backpressure`.
    pub fn send_message(&self, node: &mut Node, message: &Message) -> Result<(), Error> {
        node.send_to_connection(self, crate::route::Outgoing::Message(message))
    }

    /// Sends one frame untouched on a raw route.
    pub fn send_frame(&self, node: &mut Node, frame: &[u8]) -> Result<(), Error> {
        node.send_to_connection(self, crate::route::Outgoing::Frame(frame))
    }

    /// Closes the connection once what was queued for it is sent; its `on_close` follows.
    pub fn close(&self, node: &mut Node) -> Result<(), Error> {
        node.close_connection(self)
    }

    /// The name of the route it came on.
    pub fn route<'a>(&self, node: &'a Node) -> &'a str {
        node.route_name(self.route)
    }
}
