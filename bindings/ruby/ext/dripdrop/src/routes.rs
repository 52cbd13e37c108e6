//! A node's routes from Ruby: make one, receive on it (messages, requests with their
//! response, or raw frames), send on it (messages, requests, raw frames).

use crate::connection_routes;
use crate::errors::{rb_result, to_rb_error};
use crate::message::{message_of, received};
use crate::node::RbNode;
use crate::options::named;
use crate::response::RbResponse;
use crate::shared::{call, exception_of};
use dripdrop::{Mode, MsgFormat, RouteKind, RouteOptions};
use magnus::{
    method, prelude::*, typed_data::Obj, value::Opaque, Error, RArray, RClass, RHash, RString,
    Ruby, Value,
};
use std::rc::Rc;

/// Adds a route; returns `[endpoints, raw]`: its endpoints (with the port ZeroMQ picked for
/// `:*`) and whether it is raw. `options` are core's route options by name.
fn route(
    ruby: &Ruby,
    rb_self: &RbNode,
    name: String,
    kind: String,
    addresses: Vec<String>,
    mode: String,
    options: Option<RHash>,
) -> Result<RArray, Error> {
    let kind = rb_result(ruby, RouteKind::from_name(&kind))?;
    let mode = rb_result(ruby, Mode::from_name(&mode))?;
    let options = rb_result(ruby, RouteOptions::from_named(named(ruby, options)?))?;
    let raw = options.msg_format == MsgFormat::Raw;
    let addresses: Vec<&str> = addresses.iter().map(String::as_str).collect();
    let endpoints = rb_self.with_node(ruby, |n| {
        n.route_with(&name, kind, &addresses, mode, options)
            .map(|r| r.endpoints().to_vec())
    })?;
    let out = ruby.ary_new();
    out.push(RArray::from_iter(endpoints))?;
    out.push(raw)?;
    Ok(out)
}

/// `block.call(message)` for each message the route receives (xrep/rep/http_server:
/// `block.call(message, response)`; a route with connections, websocket:
/// `block.call(message, connection)`), messages of `class` (see `message::received`).
fn on_receive(
    ruby: &Ruby,
    rb_self: Obj<RbNode>,
    name: String,
    class: RClass,
    direct: bool,
    block: Value,
) -> Result<(), Error> {
    let this = &*rb_self;
    let kind = this.with_node(ruby, |n| n.get_route(&name).map(|r| r.kind()))?;
    let shared = Rc::clone(&this.shared);
    let key = this.keep(block);
    let class_key = this.keep(class.as_value());
    let registered = if kind.connections() {
        connection_routes::on_receive_from(ruby, rb_self, &name, class_key, direct, key)
    } else if kind.answers() {
        let owner = Opaque::from(rb_self.as_value());
        this.with_node(ruby, |n| {
            n.on_request(&name, move |node, message, response| {
                shared.invoke(node, |ruby| {
                    let msg =
                        received(ruby, class_of(ruby, &shared, class_key)?, direct, &message)?;
                    let response = RbResponse::wrap(ruby, response, ruby.get_inner(owner));
                    let called = shared.call_kept(ruby, key, (msg, response));
                    if called.is_err() {
                        // The handler raised: its asker gets the error answer now, not when
                        // Ruby's collector frees the response the handler left.
                        RbResponse::abandon(response);
                    }
                    called
                })
            })
        })
    } else {
        this.with_node(ruby, |n| {
            n.on_receive(&name, move |node, message| {
                shared.invoke(node, |ruby| {
                    let msg =
                        received(ruby, class_of(ruby, &shared, class_key)?, direct, &message)?;
                    shared.call_kept(ruby, key, (msg,))
                })
            })
        })
    };
    if registered.is_err() {
        this.shared.retained.forget(key);
        this.shared.retained.forget(class_key);
    }
    registered
}

/// The retained message class of a handler.
pub(crate) fn class_of(
    ruby: &Ruby,
    shared: &crate::shared::Shared,
    key: u64,
) -> Result<RClass, Error> {
    match shared.retained.get(ruby, key).and_then(RClass::from_value) {
        Some(class) => Ok(class),
        None => crate::message::message_class(ruby),
    }
}

/// `block.call(frames)` (an Array of binary Strings) for each message a raw route receives;
/// `block.call(frames, connection)` on a route with connections.
fn on_frames(ruby: &Ruby, rb_self: Obj<RbNode>, name: String, block: Value) -> Result<(), Error> {
    let connections =
        rb_self.with_node(ruby, |n| n.get_route(&name).map(|r| r.kind().connections()))?;
    let shared = Rc::clone(&rb_self.shared);
    let key = rb_self.keep(block);
    let registered = if connections {
        connection_routes::on_frames_from(ruby, rb_self, &name, key)
    } else {
        rb_self.with_node(ruby, |n| {
            n.on_frames(&name, move |node, frames| {
                shared.invoke(node, |ruby| {
                    let frames = RArray::from_iter(frames.iter().map(|f| ruby.str_from_slice(f)));
                    shared.call_kept(ruby, key, (frames,))
                })
            })
        })
    };
    if registered.is_err() {
        rb_self.shared.retained.forget(key);
    }
    registered
}

/// Sends a message (a DripDrop::Message or a Hash) on the route; never blocks.
fn send_message(ruby: &Ruby, rb_self: &RbNode, name: RString, message: Value) -> Result<(), Error> {
    let message = message_of(ruby, message)?;
    // The route's name borrowed, not copied into a String for every message; it is read
    // before any Ruby code could change it. (Route names are the Ruby layer's Strings.)
    // SAFETY: no Ruby code runs while `name` is borrowed.
    let name = unsafe { name.as_str() }?;
    rb_self.with_node(ruby, |n| n.send_message(name, &message))
}

/// Sends frames (Strings, as bytes) untouched on a raw route.
fn send_frames(ruby: &Ruby, rb_self: &RbNode, name: String, frames: RArray) -> Result<(), Error> {
    let mut bytes = Vec::with_capacity(frames.len());
    for i in 0..frames.len() {
        let frame: RString = frames.entry(i as isize)?;
        // SAFETY: copied before any Ruby code runs.
        bytes.push(unsafe { frame.as_slice() }.to_vec());
    }
    rb_self.with_node(ruby, |n| n.send_frames(&name, bytes))
}

/// Sends a request; `block.call(reply, error)` gets the reply (a message of `class`) or the
/// exception.
fn send_request(
    ruby: &Ruby,
    rb_self: &RbNode,
    name: String,
    message: Value,
    class: RClass,
    direct: bool,
    block: Value,
) -> Result<(), Error> {
    let message = message_of(ruby, message)?;
    let shared = Rc::clone(&rb_self.shared);
    let key = rb_self.keep(block);
    let class_key = rb_self.keep(class.as_value());
    let sent = rb_self.with_node(ruby, |n| {
        n.send_request(&name, &message, move |node, reply| {
            shared.invoke(node, |ruby| {
                let class = shared.retained.take(ruby, class_key);
                let Some(block) = shared.retained.take(ruby, key) else {
                    return Ok(());
                };
                let class = match class.and_then(RClass::from_value) {
                    Some(class) => class,
                    None => crate::message::message_class(ruby)?,
                };
                let (reply, error) = match reply {
                    Ok(reply) => (
                        received(ruby, class, direct, &reply)?,
                        ruby.qnil().as_value(),
                    ),
                    Err(e) => (ruby.qnil().as_value(), exception_of(to_rb_error(ruby, e))?),
                };
                call(ruby, block, (reply, error))
            })
        })
    });
    if sent.is_err() {
        rb_self.shared.retained.forget(key);
        rb_self.shared.retained.forget(class_key);
    }
    sent
}

pub fn define(class: &RClass) -> Result<(), Error> {
    class.define_method("route", method!(route, 5))?;
    class.define_method("on_receive", method!(on_receive, 4))?;
    class.define_method("on_frames", method!(on_frames, 2))?;
    class.define_method("send_message", method!(send_message, 2))?;
    class.define_method("send_frames", method!(send_frames, 2))?;
    class.define_method("send_request", method!(send_request, 5))?;
    connection_routes::define(class)
}
