//! The callbacks a node stores, by what calls them.

use super::connection::Connection;
use super::response::Response;
use super::Node;
use crate::error::Error;
use crate::message::Message;

/// Called with every message a route receives.
pub(crate) type MessageHandler = Box<dyn FnMut(&mut Node, Message)>;
/// Called with every request an xrep or rep route receives, and the way to answer it.
pub(crate) type RequestHandler = Box<dyn FnMut(&mut Node, Message, Response)>;
/// Called with the frames a raw route receives.
pub(crate) type FramesHandler = Box<dyn FnMut(&mut Node, Vec<Vec<u8>>)>;
/// Called when a connection opens or closes.
pub(crate) type ConnectionHandler = Box<dyn FnMut(&mut Node, Connection)>;
/// Called with every message that comes on a connection, and the connection.
pub(crate) type ConnectionMessageHandler = Box<dyn FnMut(&mut Node, Message, Connection)>;
/// Called with every frame that comes on a raw route's connection, and the connection.
pub(crate) type ConnectionFramesHandler = Box<dyn FnMut(&mut Node, Vec<Vec<u8>>, Connection)>;
/// Called with what went wrong on a connection, before it closes.
pub(crate) type ConnectionErrorHandler = Box<dyn FnMut(&mut Node, &str, Connection)>;

/// Called once with a request's reply, or with the error that ended its wait.
pub(crate) type ReplyCallback = Box<dyn FnOnce(&mut Node, Result<Message, Error>)>;
/// Called with the errors of callbacks and bad frames.
pub(crate) type ErrorHandler = Box<dyn FnMut(&mut Node, &Error)>;

/// What a timer calls.
pub(crate) enum TimerCallback {
    Once(Box<dyn FnOnce(&mut Node)>),
    Every(Box<dyn FnMut(&mut Node)>),
}
