//! Messages between Ruby and the engine. `DripDrop::Message` is a plain Ruby class (so apps
//! subclass it, as with the original gem); the engine reads and writes its `@name`, `@head`
//! and `@body` directly, and also takes a Hash with :name/:head/:body (or string keys).

use crate::convert::{from_ruby, to_ruby};
use crate::errors::{error, rb_result};
use crate::raw;
use dripdrop::Message;
use magnus::{
    prelude::*, value::LazyId, Error, RClass, RHash, RModule, RObject, RString, Ruby, Symbol, Value,
};

// Interned once: looking a name up on every message was a fifth of decoding.
static NAME: LazyId = LazyId::new("@name");
static HEAD: LazyId = LazyId::new("@head");
static BODY: LazyId = LazyId::new("@body");

fn ivar(ruby: &Ruby, id: &LazyId) -> magnus::value::Id {
    LazyId::get_inner_with(id, ruby)
}

/// A hash entry under `key` as a symbol, else as a string.
fn entry(ruby: &Ruby, hash: RHash, key: &(LazyId, &str)) -> Option<Value> {
    hash.get(LazyId::get_inner_with(&key.0, ruby))
        .or_else(|| hash.get(ruby.str_new(key.1)))
}

/// The keys of a message Hash: a symbol interned once, and its text for string keys.
static NAME_KEY: (LazyId, &str) = (LazyId::new("name"), "name");
static HEAD_KEY: (LazyId, &str) = (LazyId::new("head"), "head");
static BODY_KEY: (LazyId, &str) = (LazyId::new("body"), "body");

fn name_of(ruby: &Ruby, name: Option<Value>) -> Result<String, Error> {
    let name = name
        .filter(|n| !n.is_nil())
        .ok_or_else(|| error(ruby, "MessageError", "a message needs a name"))?;
    if let Some(s) = Symbol::from_value(name) {
        return Ok(s.name()?.into_owned());
    }
    match RString::from_value(name) {
        Some(s) => Ok(s.to_string()?),
        None => Err(error(
            ruby,
            "MessageError",
            format!("a message name must be a String, not {}", unsafe {
                name.classname()
            }),
        )),
    }
}

fn build(
    ruby: &Ruby,
    name: String,
    head: Option<Value>,
    body: Option<Value>,
) -> Result<Message, Error> {
    let mut message = rb_result(ruby, Message::new(name))?;
    if let Some(head) = head.filter(|h| !h.is_nil()) {
        rb_result(ruby, message.set_head(from_ruby(ruby, head)?))?;
    }
    if let Some(body) = body {
        message.set_body(from_ruby(ruby, body)?);
    }
    Ok(message)
}

/// A `DripDrop::Message` (or subclass), or a Hash with name/head/body, as a core message.
pub fn message_of(ruby: &Ruby, value: Value) -> Result<Message, Error> {
    if let Some(hash) = RHash::from_value(value) {
        let name = name_of(ruby, entry(ruby, hash, &NAME_KEY))?;
        return build(
            ruby,
            name,
            entry(ruby, hash, &HEAD_KEY),
            entry(ruby, hash, &BODY_KEY),
        );
    }
    if let Some(object) = RObject::from_value(value) {
        // Read straight: every message sent from Ruby comes this way.
        let name = raw::ivar_get(object, ivar(ruby, &NAME));
        if !name.is_nil() {
            let name = name_of(ruby, Some(name))?;
            let head = raw::ivar_get(object, ivar(ruby, &HEAD));
            let body = raw::ivar_get(object, ivar(ruby, &BODY));
            return build(ruby, name, Some(head), Some(body));
        }
    }
    Err(error(
        ruby,
        "MessageError",
        format!(
            "cannot send a {}: give a DripDrop::Message or a Hash with :name, :head, :body",
            unsafe { value.classname() }
        ),
    ))
}

/// Whether the head names the message's class: under `msg_class` (the BERT-era original's
/// `head[:msg_class]`) or `message_class` (its later versions).
fn names_a_class(message: &Message) -> bool {
    message.head_get("msg_class").is_some() || message.head_get("message_class").is_some()
}

/// A message received for a route (or decoded) whose message class is `class`. When the head
/// names no class and `class` makes its messages as DripDrop::Message does (`direct`, which
/// the Ruby layer works out once per route), it is an instance of `class` made here; else it
/// is what `class.recreate_message({name:, head:, body:})` makes, as in the original gem: the
/// class the head names (if it is `class` or a subclass) through its own `from_hash`.
pub fn received(
    ruby: &Ruby,
    class: RClass,
    direct: bool,
    message: &Message,
) -> Result<Value, Error> {
    if direct && !names_a_class(message) {
        return message_to_ruby(ruby, class, message);
    }
    let hash = ruby.hash_new();
    hash.aset(
        LazyId::get_inner_with(&NAME_KEY.0, ruby),
        ruby.str_new(message.name()),
    )?;
    hash.aset(
        LazyId::get_inner_with(&HEAD_KEY.0, ruby),
        head_of(ruby, message)?,
    )?;
    hash.aset(
        LazyId::get_inner_with(&BODY_KEY.0, ruby),
        to_ruby(ruby, message.body())?,
    )?;
    class.funcall(LazyId::get_inner_with(&RECREATE, ruby), (hash,))
}

static RECREATE: LazyId = LazyId::new("recreate_message");

fn head_of(ruby: &Ruby, message: &Message) -> Result<Value, Error> {
    crate::convert::hash(ruby, message.head())
}

/// A core message as an instance of `class` (DripDrop::Message or a subclass), made without
/// calling `initialize`, as `Marshal` does.
fn message_to_ruby(ruby: &Ruby, class: RClass, message: &Message) -> Result<Value, Error> {
    let object: Value = class.obj_alloc()?;
    let object = RObject::from_value(object).ok_or_else(|| {
        error(
            ruby,
            "MessageError",
            "a message class must make plain objects",
        )
    })?;
    // A fresh, unfrozen object: setting its variables cannot raise.
    raw::ivar_set(
        object,
        ivar(ruby, &NAME),
        raw::string(message.name().as_bytes()),
    );
    raw::ivar_set(object, ivar(ruby, &HEAD), head_of(ruby, message)?);
    raw::ivar_set(object, ivar(ruby, &BODY), to_ruby(ruby, message.body())?);
    Ok(object.as_value())
}

/// `DripDrop::Message`.
pub fn message_class(ruby: &Ruby) -> Result<RClass, Error> {
    let module: RModule = ruby.class_object().const_get("DripDrop")?;
    module.const_get("Message")
}

/// `DripDrop::Native.encode_message(message)`: the frame a route would send.
pub fn encode_message(ruby: &Ruby, message: Value) -> Result<RString, Error> {
    let frame = rb_result(ruby, message_of(ruby, message)?.encode())?;
    Ok(ruby.str_from_slice(&frame))
}

/// `DripDrop::Native.decode_message(class, direct, frame)`: a frame as a message of `class`
/// (see [`received`]).
pub fn decode_message(
    ruby: &Ruby,
    class: RClass,
    direct: bool,
    frame: RString,
) -> Result<Value, Error> {
    // SAFETY: decoding copies out of the bytes before any Ruby code runs.
    let message = rb_result(ruby, Message::decode(unsafe { frame.as_slice() }))?;
    received(ruby, class, direct, &message)
}

/// `DripDrop::Native.encode(value)`: any value as BERT.
pub fn encode(ruby: &Ruby, value: Value) -> Result<RString, Error> {
    let bytes = rb_result(
        ruby,
        dripdrop::bert::encode(&from_ruby(ruby, value)?).map_err(dripdrop::Error::from),
    )?;
    Ok(ruby.str_from_slice(&bytes))
}

/// `DripDrop::Native.decode(bytes)`: BERT as a Ruby value.
pub fn decode(ruby: &Ruby, bytes: RString) -> Result<Value, Error> {
    // SAFETY: as in `decode_message`.
    let value = rb_result(
        ruby,
        dripdrop::bert::decode(unsafe { bytes.as_slice() }).map_err(dripdrop::Error::from),
    )?;
    to_ruby(ruby, &value)
}
