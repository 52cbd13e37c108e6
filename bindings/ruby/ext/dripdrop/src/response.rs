//! `DripDrop::Native::Response`: the answer to one request an xrep, rep or http_server route
//! received; `send_message(reply)` once (on http_server, or `send_status`, `send_file`).

use crate::errors::error;
use crate::message::message_of;
use crate::node::RbNode;
use dripdrop::Response;
use magnus::{
    gc, prelude::*, typed_data::Obj, value::Opaque, DataTypeFunctions, Error, Ruby, TypedData,
    Value,
};
use std::cell::RefCell;
use std::path::PathBuf;

#[derive(TypedData)]
#[magnus(class = "DripDrop::Native::Response", mark)]
pub struct RbResponse {
    response: RefCell<Option<Response>>,
    /// The `Native::Node` the request came through.
    node: Opaque<Value>,
}

// SAFETY: used with the GVL held, like the node it answers through (see `RbNode`).
unsafe impl Send for RbResponse {}

impl DataTypeFunctions for RbResponse {
    fn mark(&self, marker: &gc::Marker) {
        marker.mark(self.node);
    }
}

impl RbResponse {
    pub fn wrap(ruby: &Ruby, response: Response, node: Value) -> Value {
        ruby.obj_wrap(RbResponse {
            response: RefCell::new(Some(response)),
            node: Opaque::from(node),
        })
        .as_value()
    }

    /// Answers once, with `send`, through the node the request came through.
    fn answer(
        ruby: &Ruby,
        rb_self: &Self,
        send: impl FnOnce(Response, &mut dripdrop::Node) -> Result<(), dripdrop::Error>,
    ) -> Result<(), Error> {
        let response = rb_self
            .response
            .borrow_mut()
            .take()
            .ok_or_else(|| error(ruby, "Error", "this request was answered already"))?;
        let node = Obj::<RbNode>::try_convert(ruby.get_inner(rb_self.node))?;
        node.with_node(ruby, |n| send(response, n))
    }

    /// Lets go of a response at once if it is still unanswered: core answers its asker with
    /// an error. For a handler that raised (Ruby would free the object only at its next
    /// collection, which may be long after the asker gave up).
    pub fn abandon(value: Value) {
        if let Ok(this) = Obj::<RbResponse>::try_convert(value) {
            drop(this.response.borrow_mut().take());
        }
    }

    /// Sends the reply back to the asker (on http_server: 200 and the reply as JSON).
    fn send_message(ruby: &Ruby, rb_self: &Self, reply: Value) -> Result<(), Error> {
        let reply = message_of(ruby, reply)?;
        Self::answer(ruby, rb_self, |response, n| {
            response.send_message(n, &reply)
        })
    }

    /// Answers an http_server request with `status` and the reply as a JSON body.
    fn send_status(ruby: &Ruby, rb_self: &Self, status: u16, reply: Value) -> Result<(), Error> {
        let reply = message_of(ruby, reply)?;
        Self::answer(ruby, rb_self, |response, n| {
            response.send_status(n, status, &reply)
        })
    }

    /// Answers an http_server request with the file at `path` (404 if it cannot be read).
    fn send_file(ruby: &Ruby, rb_self: &Self, path: PathBuf) -> Result<(), Error> {
        Self::answer(ruby, rb_self, |response, n| response.send_file(n, &path))
    }

    /// Whether the request was answered.
    fn is_answered(&self) -> bool {
        self.response.borrow().is_none()
    }
}

pub fn define(ruby: &Ruby, native: &magnus::RModule) -> Result<(), Error> {
    use magnus::method;
    let class = native.define_class("Response", ruby.class_object())?;
    class.undef_default_alloc_func();
    class.define_method("send_message", method!(RbResponse::send_message, 1))?;
    class.define_method("send_status", method!(RbResponse::send_status, 2))?;
    class.define_method("send_file", method!(RbResponse::send_file, 1))?;
    class.define_method("answered?", method!(RbResponse::is_answered, 0))?;
    Ok(())
}
