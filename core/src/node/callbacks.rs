//! Callbacks: how they are stored, run (a panic is caught and reported, never unwinds the
//! loop), and the public API that registers timers, deferred work and error handlers.

use super::Node;
use crate::bert::Value;
use crate::error::Error;
use crate::message::Message;
use crate::panic_message::panic_message;
use crate::timers::TimerId;
use crate::waker::Waker;
use crossbeam_channel::Sender;
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

type MessageHandler = Box<dyn FnMut(&mut Node, Message)>;
type RequestHandler = Box<dyn FnMut(&mut Node, Message, Response)>;
type FramesHandler = Box<dyn FnMut(&mut Node, Vec<Vec<u8>>)>;

/// What a route calls with what it receives.
pub(crate) enum Handler {
    Message(MessageHandler),
    Request(RequestHandler),
    Frames(FramesHandler),
}

/// Called once with a request's reply, or with the error that ended its wait.
pub(crate) type ReplyCallback = Box<dyn FnOnce(&mut Node, Result<Message, Error>)>;
pub(crate) type DeferCallback = Box<dyn FnOnce(&mut Node, crate::defer::Output)>;
pub(crate) type ErrorHandler = Box<dyn FnMut(&mut Node, &Error)>;
pub(crate) type Posted = Box<dyn FnOnce(&mut Node) + Send>;

pub(crate) enum TimerCallback {
    Once(Box<dyn FnOnce(&mut Node)>),
    Every(Box<dyn FnMut(&mut Node)>),
}

/// Where a request came from: its route, the identity frames before the delimiter, and its id.
#[derive(Debug)]
pub(crate) struct Asker {
    pub(crate) route: usize,
    pub(crate) envelope: Vec<Vec<u8>>,
    pub(crate) request_id: Option<Vec<u8>>,
}

/// The way back to whoever sent a request received on an xrep or rep route. Answer it once
/// with [`Response::send_message`], now or later (after a `defer`, say). A response dropped
/// unanswered, by a handler that forgot it or panicked, is answered with a `dripdrop.error`
/// message, so the asker is not left waiting and a rep route can read again.
pub struct Response {
    asker: Option<Asker>,
    unanswered: Sender<Asker>,
    waker: Arc<Waker>,
}

impl Response {
    pub(crate) fn new(asker: Asker, unanswered: Sender<Asker>, waker: Arc<Waker>) -> Self {
        Response {
            asker: Some(asker),
            unanswered,
            waker,
        }
    }

    /// Sends the reply back to the asker.
    pub fn send_message(mut self, node: &mut Node, reply: &Message) -> Result<(), Error> {
        match self.asker.take() {
            Some(asker) => node.respond(asker, reply),
            None => unreachable!("a Response is answered only through send_message(self)"),
        }
    }
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("asker", &self.asker)
            .finish()
    }
}

impl Drop for Response {
    fn drop(&mut self) {
        if let Some(asker) = self.asker.take() {
            // The node outlives its responses only if the user keeps them; then there is
            // no one left to answer through, and the send fails harmlessly.
            if self.unanswered.send(asker).is_ok() {
                self.waker.wake();
            }
        }
    }
}

/// The reply that tells an asker its request failed here: name `dripdrop.error`, body
/// `{class, message}`. An xreq or req route hands it to the request's callback as
/// `Error::Remote`.
pub(crate) fn error_reply(class: &str, message: &str) -> Message {
    Message::new(ERROR_REPLY)
        .expect("a valid constant name")
        .with_body(Value::Dict(vec![
            (Value::from("class"), Value::from(class)),
            (Value::from("message"), Value::from(message)),
        ]))
}

pub(crate) const ERROR_REPLY: &str = "dripdrop.error";

/// Reads an error reply back into `Error::Remote`.
pub(crate) fn remote_error(reply: &Message) -> Error {
    let text = |key: &str| {
        reply
            .body()
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let backtrace = match reply.body().get("backtrace") {
        Some(Value::List(lines)) => lines
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    Error::Remote {
        class: text("class"),
        message: text("message"),
        backtrace,
    }
}

impl Node {
    /// Runs a callback; a panic in it is reported to `on_error` instead of unwinding the loop.
    pub(crate) fn guarded(&mut self, context: &str, f: impl FnOnce(&mut Node)) {
        self.guarded_with(|_| context.to_owned(), f);
    }

    /// As [`Node::guarded`], naming the context only if there is a panic to report: the
    /// hot path of every received message builds no string.
    pub(crate) fn guarded_with(
        &mut self,
        context: impl FnOnce(&Node) -> String,
        f: impl FnOnce(&mut Node),
    ) {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| f(self))) {
            self.report_error(Error::Callback {
                context: context(self),
                message: panic_message(payload.as_ref()),
            });
        }
    }

    /// Hands an error to the `on_error` handler (by default, a line on stderr). Skins report
    /// their callbacks' exceptions through this.
    pub fn report_error(&mut self, error: Error) {
        self.errors_reported += 1;
        match self.on_error.take() {
            Some(mut handler) => {
                let outcome = catch_unwind(AssertUnwindSafe(|| handler(self, &error)));
                if self.on_error.is_none() {
                    self.on_error = Some(handler);
                }
                if let Err(payload) = outcome {
                    eprintln!(
                        "dripdrop: on_error panicked ({}) handling: {error}",
                        panic_message(payload.as_ref())
                    );
                }
            }
            None => eprintln!("dripdrop: {error}"),
        }
    }

    /// Sets the handler for errors in callbacks and bad frames (the original
    /// `DripDrop::Node.error_handler`).
    pub fn on_error(&mut self, handler: impl FnMut(&mut Node, &Error) + 'static) {
        self.on_error = Some(Box::new(handler));
    }

    /// Calls `f` every `period`, first one period from now.
    pub fn every(&mut self, period: Duration, f: impl FnMut(&mut Node) + 'static) -> TimerId {
        self.timers
            .add(period, Some(period), TimerCallback::Every(Box::new(f)))
    }

    /// Calls `f` once, `delay` from now.
    pub fn after(&mut self, delay: Duration, f: impl FnOnce(&mut Node) + 'static) -> TimerId {
        self.timers
            .add(delay, None, TimerCallback::Once(Box::new(f)))
    }

    /// Calls `f` on the next turn of the loop, after what is ready now.
    pub fn next_tick(&mut self, f: impl FnOnce(&mut Node) + 'static) -> TimerId {
        self.after(Duration::ZERO, f)
    }

    /// Cancels a timer; false if it already ran (and does not repeat) or was cancelled.
    pub fn cancel_timer(&mut self, id: TimerId) -> bool {
        self.timers.cancel(id)
    }

    /// Runs `op` on the node's thread pool and `callback` with its result back on the loop's
    /// thread: EventMachine's `EM.defer`. A panic in `op` reaches the callback as
    /// `Err(Error::Callback)`.
    pub fn defer<T: Send + 'static>(
        &mut self,
        op: impl FnOnce() -> T + Send + 'static,
        callback: impl FnOnce(&mut Node, Result<T, Error>) + 'static,
    ) {
        let id = self.next_defer_id;
        self.next_defer_id += 1;
        let deliver: DeferCallback = Box::new(move |node, output| {
            let result = output.map(|boxed: Box<dyn Any + Send>| match boxed.downcast::<T>() {
                Ok(value) => *value,
                Err(_) => unreachable!("the job boxed a T"),
            });
            callback(node, result);
        });
        self.defer_callbacks.insert(id, deliver);
        self.defer
            .submit(id, Box::new(move || Box::new(op()) as Box<dyn Any + Send>));
    }
}
