//! `Response`: the way back to whoever sent a request received on an xrep or rep route.

use super::inbox::Unanswered;
use super::Node;
use crate::error::Error;
use crate::message::Message;
use crate::reactor::Waker;
use crate::route::Asker;
use crossbeam_channel::Sender;
use std::sync::Arc;

/// The way back to whoever sent a request received on an xrep or rep route. Answer it once
/// with [`Response::send_message`], now or later (after a `defer`, say). A response dropped
/// unanswered, by a handler that forgot it or panicked, is answered with a `dripdrop.error`
/// message, so the asker is not left waiting and a rep route can read again.
pub struct Response {
    /// The route and asker, until answered.
    to: Option<Unanswered>,
    unanswered: Sender<Unanswered>,
    waker: Arc<Waker>,
}

impl Response {
    pub(crate) fn new(
        route: usize,
        asker: Asker,
        unanswered: Sender<Unanswered>,
        waker: Arc<Waker>,
    ) -> Self {
        Response {
            to: Some((route, asker)),
            unanswered,
            waker,
        }
    }

    /// Sends the reply back to the asker.
    pub fn send_message(mut self, node: &mut Node, reply: &Message) -> Result<(), Error> {
        match self.to.take() {
            Some((route, asker)) => node.answer(route, &asker, reply),
            None => unreachable!("a Response is answered only through send_message(self)"),
        }
    }
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response").field("to", &self.to).finish()
    }
}

impl Drop for Response {
    fn drop(&mut self) {
        if let Some(to) = self.to.take() {
            // The node outlives its responses only if the user keeps them; then there is
            // no one left to answer through, and the send fails harmlessly.
            if self.unanswered.send(to).is_ok() {
                self.waker.wake();
            }
        }
    }
}
