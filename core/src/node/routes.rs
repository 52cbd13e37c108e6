//! Making routes, giving them handlers, and sending on them.

use super::callbacks::{error_reply, Asker, Handler, Response};
use super::Node;
use crate::error::Error;
use crate::message::Message;
use crate::route::Mode;
use crate::route::{request_id_frame, MsgFormat, Pending, Route, RouteKind, RouteOptions};

impl Node {
    /// Creates route `name` of `kind`, bound or connected to every address, with default
    /// options.
    pub fn route(
        &mut self,
        name: &str,
        kind: RouteKind,
        addresses: &[&str],
        mode: Mode,
    ) -> Result<&mut Route, Error> {
        self.route_with(name, kind, addresses, mode, RouteOptions::default())
    }

    /// Creates a route with the given options.
    pub fn route_with(
        &mut self,
        name: &str,
        kind: RouteKind,
        addresses: &[&str],
        mode: Mode,
        options: RouteOptions,
    ) -> Result<&mut Route, Error> {
        if self.by_name.contains_key(name) {
            return Err(Error::DuplicateRoute(name.to_owned()));
        }
        let nodelet = self.current_nodelet.clone();
        let route = Route::open(&self.context, name, kind, addresses, mode, options, nodelet)?;
        let index = self.routes.len();
        self.routes.push(route);
        self.by_name.insert(name.to_owned(), index);
        Ok(&mut self.routes[index])
    }

    /// The route named `name`.
    pub fn get_route(&self, name: &str) -> Result<&Route, Error> {
        self.index_of(name).map(|i| &self.routes[i])
    }

    /// Every route, in the order they were made.
    pub fn routes(&self) -> impl Iterator<Item = &Route> {
        self.routes.iter()
    }

    pub(crate) fn index_of(&self, name: &str) -> Result<usize, Error> {
        self.by_name
            .get(name)
            .copied()
            .ok_or_else(|| Error::NoSuchRoute(name.to_owned()))
    }

    fn set_handler(&mut self, name: &str, handler: Handler) -> Result<(), Error> {
        let index = self.index_of(name)?;
        let route = &mut self.routes[index];
        let fits = match (&handler, route.format) {
            (Handler::Frames(_), MsgFormat::Raw) => route.kind.receives(),
            (Handler::Frames(_), MsgFormat::DripDrop) => false,
            (_, MsgFormat::Raw) => false,
            (Handler::Message(_), _) => {
                route.kind.receives() && !route.kind.answers() && !route.kind.requests()
            }
            (Handler::Request(_), _) => route.kind.answers(),
        };
        if !fits {
            let what = match (&handler, route.format) {
                (Handler::Frames(_), MsgFormat::DripDrop) => "on_frames needs msg_format raw",
                (_, MsgFormat::Raw) => "a raw route takes on_frames",
                (Handler::Request(_), _) => "on_request needs an xrep or rep route",
                _ if route.kind.answers() => "an xrep or rep route takes on_request",
                _ if route.kind.requests() => "replies go to the callback of send_request",
                _ => "this route kind receives nothing",
            };
            return Err(route.wrong_kind(what));
        }
        route.handler = Some(handler);
        Ok(())
    }

    /// Calls `handler` with every message the route receives (pub/sub, push/pull, pair).
    pub fn on_receive(
        &mut self,
        route: &str,
        handler: impl FnMut(&mut Node, Message) + 'static,
    ) -> Result<(), Error> {
        self.set_handler(route, Handler::Message(Box::new(handler)))
    }

    /// Calls `handler` with every request an xrep or rep route receives and the `Response`
    /// that answers it.
    pub fn on_request(
        &mut self,
        route: &str,
        handler: impl FnMut(&mut Node, Message, Response) + 'static,
    ) -> Result<(), Error> {
        self.set_handler(route, Handler::Request(Box::new(handler)))
    }

    /// Calls `handler` with the frames a raw route receives, untouched.
    pub fn on_frames(
        &mut self,
        route: &str,
        handler: impl FnMut(&mut Node, Vec<Vec<u8>>) + 'static,
    ) -> Result<(), Error> {
        self.set_handler(route, Handler::Frames(Box::new(handler)))
    }

    /// Sends a message on a publish, push, pair, xreq or req route (on the last two, a
    /// request whose reply is not wanted). Never blocks: past the route's send queue the
    /// message is refused with `Error::Backpressure`.
    pub fn send_message(&mut self, route: &str, message: &Message) -> Result<(), Error> {
        let index = self.index_of(route)?;
        let target = &self.routes[index];
        if target.format == MsgFormat::Raw {
            return Err(target.wrong_kind("a raw route sends with send_frames"));
        }
        if target.kind.requests() {
            return self.send_request(route, message, |_, _| {});
        }
        if !target.kind.sends() {
            return Err(target.wrong_kind("send_message on a route that does not send"));
        }
        // Encoded into a buffer the node keeps, so a send allocates nothing of its own.
        let mut payload = std::mem::take(&mut self.scratch);
        payload.clear();
        let encoded = message.encode_into(&mut payload);
        let result = encoded.and_then(|()| {
            let target = &mut self.routes[index];
            match target.kind {
                RouteKind::Publish => target.send(&[message.name().as_bytes(), &payload]),
                _ => target.send(&[&payload]),
            }
        });
        self.scratch = payload;
        result
    }

    /// Sends frames untouched on a raw route.
    pub fn send_frames(&mut self, route: &str, frames: Vec<Vec<u8>>) -> Result<(), Error> {
        let index = self.index_of(route)?;
        let target = &mut self.routes[index];
        if target.format != MsgFormat::Raw {
            return Err(target.wrong_kind("send_frames needs msg_format raw"));
        }
        if !target.kind.sends() && !target.kind.answers() {
            return Err(target.wrong_kind("send_frames on a route that does not send"));
        }
        let slices: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
        let result = target.send(&slices);
        if target.kind == RouteKind::Rep {
            // A raw rep's reply: it may read the next request.
            target.in_lockstep = false;
        }
        result
    }

    /// Sends a request on an xreq or req route; `on_reply` gets the reply, or the error that
    /// ended the wait (the route's `request_timeout`, an undecodable reply). Without a
    /// timeout a request whose reply never comes waits as long as the node lives.
    pub fn send_request(
        &mut self,
        route: &str,
        message: &Message,
        on_reply: impl FnOnce(&mut Node, Result<Message, Error>) + 'static,
    ) -> Result<(), Error> {
        let index = self.index_of(route)?;
        let target = &self.routes[index];
        if !target.kind.requests() || target.format == MsgFormat::Raw {
            return Err(target.wrong_kind("send_request needs a DripDrop xreq or req route"));
        }
        let payload = message.encode()?;
        let target = &mut self.routes[index];
        let id = target.next_request_id;
        target.next_request_id += 1;
        let id_frame = request_id_frame(id);
        match target.kind {
            RouteKind::Xreq => target.send(&[b"", &id_frame, &payload])?,
            _ => target.send(&[&payload])?,
        }
        if target.kind == RouteKind::Req {
            target.lockstep_queue.push_back(id);
        }
        let timeout = target.request_timeout;
        let timer = timeout.map(|after| {
            let name = route.to_owned();
            self.after(after, move |node| node.expire_request(&name, id, after))
        });
        self.routes[index].pending.insert(
            id,
            Pending {
                callback: Box::new(on_reply),
                timer,
            },
        );
        Ok(())
    }

    /// Ends a request's wait with a timeout error, unless its reply came first.
    fn expire_request(&mut self, route: &str, id: u64, after: std::time::Duration) {
        let Ok(index) = self.index_of(route) else {
            return;
        };
        let target = &mut self.routes[index];
        let Some(pending) = target.pending.remove(&id) else {
            return;
        };
        target.stats.timeouts += 1;
        target.forget_request(id);
        let error = Error::Timeout {
            route: route.to_owned(),
            timeout_ms: after.as_millis() as u64,
        };
        self.guarded("reply callback", |node| {
            (pending.callback)(node, Err(error))
        });
    }

    pub(crate) fn respond(&mut self, asker: Asker, reply: &Message) -> Result<(), Error> {
        let payload = reply.encode()?;
        let target = &mut self.routes[asker.route];
        let mut frames: Vec<&[u8]> = asker.envelope.iter().map(Vec::as_slice).collect();
        if target.kind == RouteKind::Xrep {
            frames.push(b"");
        }
        frames.extend(asker.request_id.as_deref());
        frames.push(&payload);
        let result = target.send(&frames);
        if target.kind == RouteKind::Rep {
            target.in_lockstep = false;
        }
        result
    }

    /// Answers a request that failed here with a `dripdrop.error` reply.
    pub(crate) fn reject(&mut self, asker: Asker, class: &str, message: &str) {
        if let Err(error) = self.respond(asker, &error_reply(class, message)) {
            self.report_error(error);
        }
    }
}
