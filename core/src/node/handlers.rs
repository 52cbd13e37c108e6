//! What each route calls with what it receives: one handler per route, of the shape its kind
//! and format take.

use super::callbacks::{
    ConnectionErrorHandler, ConnectionFramesHandler, ConnectionHandler, ConnectionMessageHandler,
    FramesHandler, MessageHandler, RequestHandler,
};
use crate::error::Error;
use crate::route::{MsgFormat, Route};

/// A route's handler.
pub(crate) enum Handler {
    Message(MessageHandler),
    Request(RequestHandler),
    Frames(FramesHandler),
    /// A route that holds connections has one handler per thing that happens to them.
    Connections(ConnectionHandlers),
}

/// The handlers of a route that holds connections; any may be missing.
#[derive(Default)]
pub(crate) struct ConnectionHandlers {
    pub(crate) on_open: Option<ConnectionHandler>,
    pub(crate) on_receive: Option<ConnectionMessageHandler>,
    pub(crate) on_frames: Option<ConnectionFramesHandler>,
    pub(crate) on_error: Option<ConnectionErrorHandler>,
    pub(crate) on_close: Option<ConnectionHandler>,
}

/// Which of a connection route's handlers is being set, with it.
pub(crate) enum ConnectionSlot {
    Open(ConnectionHandler),
    Receive(ConnectionMessageHandler),
    Frames(ConnectionFramesHandler),
    Error(ConnectionErrorHandler),
    Close(ConnectionHandler),
}

/// The handler of each route, by route index.
#[derive(Default)]
pub(crate) struct Handlers {
    by_route: Vec<Option<Handler>>,
}

impl Handlers {
    /// Gives `route` (at `index`) its handler, if the handler fits the route.
    pub(crate) fn set(
        &mut self,
        index: usize,
        route: &Route,
        handler: Handler,
    ) -> Result<(), Error> {
        if let Some(what) = misfit(&handler, route) {
            return Err(route.wrong_kind(what));
        }
        if self.by_route.len() <= index {
            self.by_route.resize_with(index + 1, || None);
        }
        self.by_route[index] = Some(handler);
        Ok(())
    }

    /// Sets one of the handlers of a route that holds connections.
    pub(crate) fn set_connection(
        &mut self,
        index: usize,
        route: &Route,
        slot: ConnectionSlot,
    ) -> Result<(), Error> {
        let abilities = route.abilities();
        if !abilities.connections {
            return Err(route.wrong_kind(
                "on_open, on_close and on_receive_from need a route with connections",
            ));
        }
        let raw = route.format() == MsgFormat::Raw;
        match (&slot, raw) {
            (ConnectionSlot::Receive(_), true) => {
                return Err(route.wrong_kind("a raw route takes on_frames_from"))
            }
            (ConnectionSlot::Frames(_), false) => {
                return Err(route.wrong_kind("on_frames_from needs msg_format raw"))
            }
            _ => {}
        }
        if self.by_route.len() <= index {
            self.by_route.resize_with(index + 1, || None);
        }
        let entry = self.by_route[index]
            .get_or_insert_with(|| Handler::Connections(ConnectionHandlers::default()));
        let Handler::Connections(handlers) = entry else {
            unreachable!("only connection handlers are set on a route with connections")
        };
        match slot {
            ConnectionSlot::Open(f) => handlers.on_open = Some(f),
            ConnectionSlot::Receive(f) => handlers.on_receive = Some(f),
            ConnectionSlot::Frames(f) => handlers.on_frames = Some(f),
            ConnectionSlot::Error(f) => handlers.on_error = Some(f),
            ConnectionSlot::Close(f) => handlers.on_close = Some(f),
        }
        Ok(())
    }

    /// Takes a route's handler out to call it (the call may use the node freely); give it
    /// back with [`Handlers::restore`].
    pub(crate) fn take(&mut self, index: usize) -> Option<Handler> {
        self.by_route.get_mut(index).and_then(Option::take)
    }

    /// Puts back a handler taken out, unless the call set a new one.
    pub(crate) fn restore(&mut self, index: usize, handler: Handler) {
        if let Some(slot) = self.by_route.get_mut(index) {
            if slot.is_none() {
                *slot = Some(handler);
            }
        }
    }
}

/// Why a handler does not fit a route, if it does not.
fn misfit(handler: &Handler, route: &Route) -> Option<&'static str> {
    let abilities = route.abilities();
    if abilities.connections {
        return Some("a route with connections takes on_open, on_receive_from, on_close");
    }
    let fits = match (handler, route.format()) {
        (Handler::Frames(_), MsgFormat::Raw) => abilities.receives,
        (Handler::Frames(_), MsgFormat::DripDrop) => false,
        (_, MsgFormat::Raw) => false,
        (Handler::Message(_), _) => abilities.receives && !abilities.answers && !abilities.requests,
        (Handler::Request(_), _) => abilities.answers,
        (Handler::Connections(_), _) => false,
    };
    if fits {
        return None;
    }
    Some(match (handler, route.format()) {
        (Handler::Frames(_), MsgFormat::DripDrop) => "on_frames needs msg_format raw",
        (_, MsgFormat::Raw) => "a raw route takes on_frames",
        (Handler::Request(_), _) => "on_request needs an xrep or rep route",
        _ if abilities.answers => "an xrep or rep route takes on_request",
        _ if abilities.requests => "replies go to the callback of send_request",
        _ => "this route kind receives nothing",
    })
}
