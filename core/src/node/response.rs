//! `Response`: the way back to whoever sent a request received on an xrep or rep route.

use super::inbox::Unanswered;
use super::Node;
use crate::error::Error;
use crate::message::Message;
use crate::reactor::Waker;
use crate::route::{Asker, HttpAnswer};
use crossbeam_channel::Sender;
use std::path::Path;
use std::sync::Arc;

/// The way back to whoever sent a request received on an xrep, rep or http_server route.
/// Answer it once with [`Response::send_message`] (on http_server: 200 and the reply as
/// JSON; also [`Response::send_status`], [`Response::send_body`] and [`Response::send_file`]),
/// now or later (after a `defer`, say). A response dropped unanswered, by a handler that forgot it or panicked, is answered with a `dripdrop.error`
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

impl Response {
    /// Answers an http_server request with `status` and the reply as a JSON body.
    pub fn send_status(
        mut self,
        node: &mut Node,
        status: u16,
        reply: &Message,
    ) -> Result<(), Error> {
        let answer = HttpAnswer::Message {
            status,
            message: reply,
        };
        match self.to.take() {
            Some((route, asker)) => node.answer_http(route, &asker, answer),
            None => unreachable!("a Response is answered only once, taking self"),
        }
    }

    /// Answers an http_server request with `status` and `body` as it is, of `content_type`
    /// (`text/plain; version=0.0.4`, `application/json`...): for answers that are not
    /// DripDrop messages. A status outside 100..=999, or a content type that is empty or
    /// holds a control character, is `InvalidArgument` (and the request is then answered
    /// with an error, as a dropped `Response` is).
    pub fn send_body(
        mut self,
        node: &mut Node,
        status: u16,
        content_type: &str,
        body: &[u8],
    ) -> Result<(), Error> {
        let answer = HttpAnswer::Body {
            status,
            content_type,
            body,
        };
        let Some((route, asker)) = self.to.take() else {
            unreachable!("a Response is answered only once, taking self")
        };
        let refused = node.answer_http(route, &asker, answer);
        if refused.is_err() {
            // Not answered: put back, so that dropping `self` answers with an error.
            self.to = Some((route, asker));
        }
        refused
    }

    /// Answers an http_server request with the file at `path` (its type from its
    /// extension; 404 if it cannot be read).
    pub fn send_file(mut self, node: &mut Node, path: impl AsRef<Path>) -> Result<(), Error> {
        let answer = HttpAnswer::File(path.as_ref());
        match self.to.take() {
            Some((route, asker)) => node.answer_http(route, &asker, answer),
            None => unreachable!("a Response is answered only once, taking self"),
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
