//! `dd_message`: DripDrop messages (name, head, body), built, read, encoded and decoded.

use crate::bytes::{dd_bytes, put_bytes};
use crate::guard::{byte_range, guard, guard_value, out, text, Result};
use crate::handle::{free, lend, put, try_mut, try_ref};
use crate::status::dd_status;
use crate::value::{dd_value, lend_value, put_value, take_value};
use dripdrop::{Message, Value};
use std::ffi::{c_char, CString};

/// A message. Owned by whoever made it unless a call says it takes it; a
/// `const dd_message *` handed to a callback is borrowed for the call.
pub struct dd_message {
    _private: [u8; 0],
}

/// What a `dd_message` points to: the message, and its name as a C string.
pub(crate) struct MessageView {
    message: Message,
    /// The name as a C string, for `dd_message_name`.
    name: CString,
}

impl MessageView {
    pub(crate) fn new(message: Message) -> MessageView {
        // A message name has no NUL (the core checks it).
        let name = CString::new(message.name()).unwrap_or_default();
        MessageView { message, name }
    }

    /// The message lent to C for a call.
    pub(crate) fn lend(&self) -> *const dd_message {
        lend(self)
    }
}

pub(crate) fn message<'a>(pointer: *const dd_message) -> Result<&'a Message> {
    Ok(&try_ref(pointer, "message")?.message)
}

fn put_message(out: *mut *mut dd_message, message: Message) -> Result<()> {
    put(out, MessageView::new(message))
}

/// A message named `name` (UTF-8, not empty), with an empty head and a nil body.
#[no_mangle]
pub extern "C" fn dd_message_new(name: *const c_char, out: *mut *mut dd_message) -> dd_status {
    guard(|| put_message(out, Message::new(text(name, "name")?)?))
}

/// The name; borrowed from the message, never NULL for a non-NULL message.
#[no_mangle]
pub extern "C" fn dd_message_name(msg: *const dd_message) -> *const c_char {
    guard_value(std::ptr::null(), || {
        try_ref(msg, "message").map_or(std::ptr::null(), |m| m.name.as_ptr())
    })
}

/// The body, borrowed from the message (valid until the message changes or is freed).
#[no_mangle]
pub extern "C" fn dd_message_body(msg: *const dd_message) -> *const dd_value {
    guard_value(std::ptr::null(), || {
        message(msg).map_or(std::ptr::null(), |m| lend_value(m.body()))
    })
}

/// Replaces the body, taking ownership of `body` on success.
#[no_mangle]
pub extern "C" fn dd_message_set_body(msg: *mut dd_message, body: *mut dd_value) -> dd_status {
    guard(|| {
        let target = try_mut(msg, "message")?;
        target.message.set_body(take_value(body, "body")?);
        Ok(())
    })
}

/// The head entry under a text key, borrowed from the message; NULL (no value) if the head
/// has no such entry.
#[no_mangle]
pub extern "C" fn dd_message_head_get(
    msg: *const dd_message,
    key: *const c_char,
    found: *mut *const dd_value,
) -> dd_status {
    guard(|| {
        let key = text(key, "key")?;
        let entry = message(msg)?.head_get(key);
        *out(found, "out")? = entry.map_or(std::ptr::null(), lend_value);
        Ok(())
    })
}

/// Adds a head entry with a text key, taking ownership of `val` on success.
#[no_mangle]
pub extern "C" fn dd_message_head_put(
    msg: *mut dd_message,
    key: *const c_char,
    val: *mut dd_value,
) -> dd_status {
    guard(|| {
        let key = text(key, "key")?;
        let target = try_mut(msg, "message")?;
        let val = take_value(val, "val")?;
        let mut head = target.message.head().to_vec();
        head.push((Value::from(key), val));
        target.message.set_head(Value::Dict(head))?;
        Ok(())
    })
}

/// The whole head as a new dict value (free it).
#[no_mangle]
pub extern "C" fn dd_message_head(msg: *const dd_message, out: *mut *mut dd_value) -> dd_status {
    guard(|| {
        let head = Value::Dict(message(msg)?.head().to_vec());
        put_value(out, head)
    })
}

/// The message's frame: BERT of `{name, head, body}`, what a route sends.
#[no_mangle]
pub extern "C" fn dd_message_encode(msg: *const dd_message, out: *mut *mut dd_bytes) -> dd_status {
    guard(|| put_bytes(out, message(msg)?.encode()?))
}

/// Reads a message frame (safe on hostile input).
#[no_mangle]
pub extern "C" fn dd_message_decode(
    data: *const u8,
    len: usize,
    out: *mut *mut dd_message,
) -> dd_status {
    guard(|| put_message(out, Message::decode(byte_range(data, len, "data")?)?))
}

/// A copy of a message (for keeping one a callback lent).
#[no_mangle]
pub extern "C" fn dd_message_clone(msg: *const dd_message, out: *mut *mut dd_message) -> dd_status {
    guard(|| put_message(out, message(msg)?.clone()))
}

/// Frees a message; NULL does nothing.
#[no_mangle]
pub extern "C" fn dd_message_free(msg: *mut dd_message) {
    guard_value((), || free(msg))
}
