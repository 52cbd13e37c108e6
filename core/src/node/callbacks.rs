//! The callbacks a node stores, by what calls them.

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
/// Called once with a request's reply, or with the error that ended its wait.
pub(crate) type ReplyCallback = Box<dyn FnOnce(&mut Node, Result<Message, Error>)>;
/// Called with the errors of callbacks and bad frames.
pub(crate) type ErrorHandler = Box<dyn FnMut(&mut Node, &Error)>;

/// What a timer calls.
pub(crate) enum TimerCallback {
    Once(Box<dyn FnOnce(&mut Node)>),
    Every(Box<dyn FnMut(&mut Node)>),
}
