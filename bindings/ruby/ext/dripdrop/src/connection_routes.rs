//! Routes that hold connections (websocket): their handlers get the connection too
//! (`on_receive`, `on_frames`), and they have handlers of their own (`on_open`, `on_close`,
//! `on_connection_error`) and send to every connection at once (`broadcast`).

use crate::connection::RbConnection;
use crate::message::{message_of, received};
use crate::node::RbNode;
use crate::retained::Key;
use magnus::{
    method, prelude::*, typed_data::Obj, value::Opaque, Error, RArray, RClass, RString, Ruby, Value,
};
use std::rc::Rc;

/// `block.call(message, connection)` for each message the route receives; `class_key` is the
/// retained message class. The keys are the caller's to forget if this fails.
pub fn on_receive_from(
    ruby: &Ruby,
    rb_self: Obj<RbNode>,
    name: &str,
    class_key: Key,
    direct: bool,
    key: Key,
) -> Result<(), Error> {
    let shared = Rc::clone(&rb_self.shared);
    let owner = Opaque::from(rb_self.as_value());
    rb_self.with_node(ruby, |n| {
        n.on_receive_from(name, move |node, message, connection| {
            shared.invoke(node, |ruby| {
                let class = crate::routes::class_of(ruby, &shared, class_key)?;
                let msg = received(ruby, class, direct, &message)?;
                let conn = RbConnection::wrap(ruby, connection, ruby.get_inner(owner));
                shared.call_kept(ruby, key, (msg, conn))
            })
        })
    })
}

/// `block.call(frames, connection)` for each message a raw route receives.
pub fn on_frames_from(
    ruby: &Ruby,
    rb_self: Obj<RbNode>,
    name: &str,
    key: Key,
) -> Result<(), Error> {
    let shared = Rc::clone(&rb_self.shared);
    let owner = Opaque::from(rb_self.as_value());
    rb_self.with_node(ruby, |n| {
        n.on_frames_from(name, move |node, frames, connection| {
            shared.invoke(node, |ruby| {
                let frames = RArray::from_iter(frames.iter().map(|f| ruby.str_from_slice(f)));
                let conn = RbConnection::wrap(ruby, connection, ruby.get_inner(owner));
                shared.call_kept(ruby, key, (frames, conn))
            })
        })
    })
}

/// What happens to a connection that a handler may be told of.
#[derive(Clone, Copy)]
enum Change {
    Open,
    Close,
}

/// `block.call(connection)` when a connection of the route opens, or closes.
fn on_change(
    ruby: &Ruby,
    rb_self: Obj<RbNode>,
    name: String,
    change: Change,
    block: Value,
) -> Result<(), Error> {
    let shared = Rc::clone(&rb_self.shared);
    let owner = Opaque::from(rb_self.as_value());
    let key = rb_self.keep(block);
    let handler = move |node: &mut dripdrop::Node, connection| {
        shared.invoke(node, |ruby| {
            let conn = RbConnection::wrap(ruby, connection, ruby.get_inner(owner));
            shared.call_kept(ruby, key, (conn,))
        })
    };
    let registered = rb_self.with_node(ruby, |n| match change {
        Change::Open => n.on_open(&name, handler),
        Change::Close => n.on_close(&name, handler),
    });
    if registered.is_err() {
        rb_self.shared.retained.forget(key);
    }
    registered
}

fn on_open(ruby: &Ruby, rb_self: Obj<RbNode>, name: String, block: Value) -> Result<(), Error> {
    on_change(ruby, rb_self, name, Change::Open, block)
}

fn on_close(ruby: &Ruby, rb_self: Obj<RbNode>, name: String, block: Value) -> Result<(), Error> {
    on_change(ruby, rb_self, name, Change::Close, block)
}

/// `block.call(reason, connection)` when something goes wrong on a connection (a frame over
/// the route's bound, text that is not a JSON message...).
fn on_connection_error(
    ruby: &Ruby,
    rb_self: Obj<RbNode>,
    name: String,
    block: Value,
) -> Result<(), Error> {
    let shared = Rc::clone(&rb_self.shared);
    let owner = Opaque::from(rb_self.as_value());
    let key = rb_self.keep(block);
    let registered = rb_self.with_node(ruby, |n| {
        n.on_connection_error(&name, move |node, reason, connection| {
            shared.invoke(node, |ruby| {
                let conn = RbConnection::wrap(ruby, connection, ruby.get_inner(owner));
                shared.call_kept(ruby, key, (ruby.str_new(reason), conn))
            })
        })
    });
    if registered.is_err() {
        rb_self.shared.retained.forget(key);
    }
    registered
}

/// Sends a message to every open connection of the route; how many it went to.
fn broadcast(ruby: &Ruby, rb_self: &RbNode, name: String, message: Value) -> Result<usize, Error> {
    let message = message_of(ruby, message)?;
    rb_self.with_node(ruby, |n| n.broadcast(&name, &message))
}

/// Sends one frame (a String's bytes) untouched to every open connection of a raw route.
fn broadcast_frame(
    ruby: &Ruby,
    rb_self: &RbNode,
    name: String,
    frame: RString,
) -> Result<usize, Error> {
    // SAFETY: copied before any Ruby code runs.
    let frame = unsafe { frame.as_slice() }.to_vec();
    rb_self.with_node(ruby, |n| n.broadcast_frame(&name, &frame))
}

pub fn define(class: &RClass) -> Result<(), Error> {
    class.define_method("on_open", method!(on_open, 2))?;
    class.define_method("on_close", method!(on_close, 2))?;
    class.define_method("on_connection_error", method!(on_connection_error, 2))?;
    class.define_method("broadcast", method!(broadcast, 2))?;
    class.define_method("broadcast_frame", method!(broadcast_frame, 2))?;
    Ok(())
}
