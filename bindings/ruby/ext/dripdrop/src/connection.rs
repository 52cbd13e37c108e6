//! `DripDrop::Native::Connection` (`DripDrop::Connection` in Ruby): one peer of a route that
//! holds connections (a browser on a websocket route), as its handlers see it.

use crate::message::message_of;
use crate::node::RbNode;
use dripdrop::Connection;
use magnus::{
    gc, prelude::*, typed_data::Obj, value::Opaque, DataTypeFunctions, Error, RString, Ruby,
    TypedData, Value,
};

/// A name for the connection, not the connection itself (core's `Connection` is a copyable
/// id): cheap to keep in a Hash of subscribers. Sending to one that closed raises
/// `DripDrop::ConnectionError`.
#[derive(TypedData)]
#[magnus(class = "DripDrop::Native::Connection", mark)]
pub struct RbConnection {
    connection: Connection,
    /// The `Native::Node` whose route it is: sends go through it.
    node: Opaque<Value>,
}

// SAFETY: used with the GVL held, like the node it sends through (see `RbNode`).
unsafe impl Send for RbConnection {}

impl DataTypeFunctions for RbConnection {
    // A connection an app keeps (in a Hash of subscribers) keeps its node alive, so a
    // `send_message` from it never finds the node collected.
    fn mark(&self, marker: &gc::Marker) {
        marker.mark(self.node);
    }
}

impl RbConnection {
    pub fn wrap(ruby: &Ruby, connection: Connection, node: Value) -> Value {
        ruby.obj_wrap(RbConnection {
            connection,
            node: Opaque::from(node),
        })
        .as_value()
    }

    /// Runs `f` with the node and the connection (from the node's thread).
    fn with_node<T>(
        &self,
        ruby: &Ruby,
        f: impl FnOnce(&mut dripdrop::Node, &Connection) -> Result<T, dripdrop::Error>,
    ) -> Result<T, Error> {
        let node = Obj::<RbNode>::try_convert(ruby.get_inner(self.node))?;
        node.with_node(ruby, |n| f(n, &self.connection))
    }

    /// Unique among the connections the route ever had.
    fn signature(&self) -> u64 {
        self.connection.signature()
    }

    /// Sends a message (a DripDrop::Message or a Hash) to this connection; never blocks.
    fn send_message(ruby: &Ruby, rb_self: &Self, message: Value) -> Result<(), Error> {
        let message = message_of(ruby, message)?;
        rb_self.with_node(ruby, |n, c| c.send_message(n, &message))
    }

    /// Sends one frame (a String's bytes) untouched on a raw route.
    fn send_frame(ruby: &Ruby, rb_self: &Self, frame: RString) -> Result<(), Error> {
        // SAFETY: copied before any Ruby code runs.
        let frame = unsafe { frame.as_slice() }.to_vec();
        rb_self.with_node(ruby, |n, c| c.send_frame(n, &frame))
    }

    /// Closes the connection once what was queued for it is sent; `on_close` follows.
    fn close(ruby: &Ruby, rb_self: &Self) -> Result<(), Error> {
        rb_self.with_node(ruby, |n, c| c.close(n))
    }

    /// Equal when it names the same connection (two wrappers of one connection are).
    fn eql(&self, other: Value) -> bool {
        <&RbConnection>::try_convert(other).is_ok_and(|o| o.connection == self.connection)
    }

    fn hash(&self) -> u64 {
        self.connection.signature()
    }

    fn inspect(&self) -> String {
        format!("#<DripDrop::Connection {}>", self.connection.signature())
    }
}

pub fn define(ruby: &Ruby, native: &magnus::RModule) -> Result<(), Error> {
    use magnus::method;
    let class = native.define_class("Connection", ruby.class_object())?;
    class.undef_default_alloc_func();
    class.define_method("signature", method!(RbConnection::signature, 0))?;
    class.define_method("send_message", method!(RbConnection::send_message, 1))?;
    class.define_method("send_frame", method!(RbConnection::send_frame, 1))?;
    class.define_method("close", method!(RbConnection::close, 0))?;
    class.define_method("==", method!(RbConnection::eql, 1))?;
    class.define_method("eql?", method!(RbConnection::eql, 1))?;
    class.define_method("hash", method!(RbConnection::hash, 0))?;
    class.define_method("inspect", method!(RbConnection::inspect, 0))?;
    class.define_method("to_s", method!(RbConnection::inspect, 0))?;
    Ok(())
}
