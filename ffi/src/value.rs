//! `dd_value`: BERT values (nil, booleans, integers, floats, binaries, atoms, lists, tuples,
//! dicts), built, read, encoded and decoded.

use crate::bytes::{dd_bytes, put_bytes};
use crate::guard::{byte_range, guard, guard_value, invalid, out, text, Fail, Result};
use crate::handle::{free, lend, put, take, try_mut, try_ref};
use crate::status::dd_status;
use dripdrop::bert::{self, DecodeLimits, Value};
use std::ffi::c_char;

/// A value. Owned by whoever made it (free with `dd_value_free`) unless a call says it takes
/// it; a `const dd_value *` handed out by an accessor or a callback is borrowed.
pub struct dd_value {
    _private: [u8; 0],
}

/// What kind of value a `dd_value` is: one of the `DD_KIND_*` constants.
pub type dd_kind = u32;

/// nil; also the kind of a NULL value.
pub const DD_KIND_NIL: dd_kind = 0;
/// true or false (`dd_value_get_bool`).
pub const DD_KIND_BOOL: dd_kind = 1;
/// An integer that fits 64 bits (`dd_value_get_int`).
pub const DD_KIND_INT: dd_kind = 2;
/// An integer beyond 64 bits (read it with `dd_value_to_text`).
pub const DD_KIND_BIGINT: dd_kind = 3;
/// A finite float (`dd_value_get_float`).
pub const DD_KIND_FLOAT: dd_kind = 4;
/// Bytes, often UTF-8 text (`dd_value_get_binary`).
pub const DD_KIND_BINARY: dd_kind = 5;
/// An atom (`dd_value_get_atom`).
pub const DD_KIND_ATOM: dd_kind = 6;
/// A list (`dd_value_len`, `dd_value_at`).
pub const DD_KIND_LIST: dd_kind = 7;
/// A tuple (`dd_value_len`, `dd_value_at`).
pub const DD_KIND_TUPLE: dd_kind = 8;
/// A dict: key-value pairs in order (`dd_value_len`, `dd_value_dict_entry`,
/// `dd_value_dict_find`).
pub const DD_KIND_DICT: dd_kind = 9;
/// A point in time; no accessor yet (read it with `dd_value_to_text`).
pub const DD_KIND_TIME: dd_kind = 10;
/// A regular expression: source and options; no accessor yet (read it with
/// `dd_value_to_text`).
pub const DD_KIND_REGEX: dd_kind = 11;

pub(crate) fn value<'a>(pointer: *const dd_value) -> Result<&'a Value> {
    try_ref(pointer, "value")
}

fn value_mut<'a>(pointer: *mut dd_value) -> Result<&'a mut Value> {
    try_mut(pointer, "value")
}

pub(crate) fn put_value(out: *mut *mut dd_value, value: Value) -> Result<()> {
    put(out, value)
}

/// Takes a value the caller handed over (it must have come from this library).
pub(crate) fn take_value(pointer: *mut dd_value, what: &'static str) -> Result<Value> {
    take(pointer, what)
}

/// A value lent to C for a call.
pub(crate) fn lend_value(value: &Value) -> *const dd_value {
    lend(value)
}

/// nil.
#[no_mangle]
pub extern "C" fn dd_value_nil(out: *mut *mut dd_value) -> dd_status {
    guard(|| put_value(out, Value::Nil))
}

/// true or false.
#[no_mangle]
pub extern "C" fn dd_value_bool(b: bool, out: *mut *mut dd_value) -> dd_status {
    guard(|| put_value(out, Value::Bool(b)))
}

/// A 64-bit integer.
#[no_mangle]
pub extern "C" fn dd_value_int(n: i64, out: *mut *mut dd_value) -> dd_status {
    guard(|| put_value(out, Value::Int(n)))
}

/// A float; NaN and infinities are refused (BERT cannot carry them).
#[no_mangle]
pub extern "C" fn dd_value_float(f: f64, out: *mut *mut dd_value) -> dd_status {
    guard(|| {
        if !f.is_finite() {
            return Err(invalid("a float must be finite"));
        }
        put_value(out, Value::Float(f))
    })
}

/// A binary: a copy of `len` bytes at `data` (NULL is fine when `len` is 0).
#[no_mangle]
pub extern "C" fn dd_value_binary(
    data: *const u8,
    len: usize,
    out: *mut *mut dd_value,
) -> dd_status {
    guard(|| put_value(out, Value::binary(byte_range(data, len, "data")?)))
}

/// A binary holding a copy of a NUL-terminated UTF-8 string (how text travels in BERT).
#[no_mangle]
pub extern "C" fn dd_value_string(text_in: *const c_char, out: *mut *mut dd_value) -> dd_status {
    guard(|| put_value(out, Value::from(text(text_in, "text")?)))
}

/// An atom (a symbol in Ruby, `dripdrop.Atom` in Python).
#[no_mangle]
pub extern "C" fn dd_value_atom(name: *const c_char, out: *mut *mut dd_value) -> dd_status {
    guard(|| put_value(out, Value::atom(text(name, "name")?)))
}

/// An empty list; add items with `dd_value_push`.
#[no_mangle]
pub extern "C" fn dd_value_list(out: *mut *mut dd_value) -> dd_status {
    guard(|| put_value(out, Value::List(Vec::new())))
}

/// An empty tuple; add items with `dd_value_push`.
#[no_mangle]
pub extern "C" fn dd_value_tuple(out: *mut *mut dd_value) -> dd_status {
    guard(|| put_value(out, Value::Tuple(Vec::new())))
}

/// An empty dict; add entries with `dd_value_dict_put`.
#[no_mangle]
pub extern "C" fn dd_value_dict(out: *mut *mut dd_value) -> dd_status {
    guard(|| put_value(out, Value::Dict(Vec::new())))
}

/// Appends `item` to a list or tuple, taking ownership of it on success (on failure the
/// caller still owns it).
#[no_mangle]
pub extern "C" fn dd_value_push(container: *mut dd_value, item: *mut dd_value) -> dd_status {
    guard(|| {
        let target = value_mut(container)?;
        if !matches!(target, Value::List(_) | Value::Tuple(_)) {
            return Err(invalid("dd_value_push needs a list or tuple"));
        }
        let item = take_value(item, "item")?;
        if let Value::List(items) | Value::Tuple(items) = target {
            items.push(item);
        }
        Ok(())
    })
}

/// Adds `key => val` to a dict, taking ownership of both on success.
#[no_mangle]
pub extern "C" fn dd_value_dict_put(
    dict: *mut dd_value,
    key: *mut dd_value,
    val: *mut dd_value,
) -> dd_status {
    guard(|| {
        let target = value_mut(dict)?;
        if !matches!(target, Value::Dict(_)) {
            return Err(invalid("dd_value_dict_put needs a dict"));
        }
        if key.is_null() {
            return Err(Fail::Null("key"));
        }
        let val = take_value(val, "val")?;
        let key = take_value(key, "key")?;
        if let Value::Dict(pairs) = target {
            pairs.push((key, val));
        }
        Ok(())
    })
}

/// The value's kind; `DD_KIND_NIL` for a NULL value.
#[no_mangle]
pub extern "C" fn dd_value_kind(v: *const dd_value) -> dd_kind {
    guard_value(DD_KIND_NIL, || match value(v) {
        Err(_) | Ok(Value::Nil) => DD_KIND_NIL,
        Ok(Value::Bool(_)) => DD_KIND_BOOL,
        Ok(Value::Int(_)) => DD_KIND_INT,
        Ok(Value::BigInt(_)) => DD_KIND_BIGINT,
        Ok(Value::Float(_)) => DD_KIND_FLOAT,
        Ok(Value::Binary(_)) => DD_KIND_BINARY,
        Ok(Value::Atom(_)) => DD_KIND_ATOM,
        Ok(Value::List(_)) => DD_KIND_LIST,
        Ok(Value::Tuple(_)) => DD_KIND_TUPLE,
        Ok(Value::Dict(_)) => DD_KIND_DICT,
        Ok(Value::Time(_)) => DD_KIND_TIME,
        Ok(Value::Regex(_)) => DD_KIND_REGEX,
    })
}

fn wrong(v: &Value, wanted: &str) -> Fail {
    invalid(format!("the value is not {wanted}: {v:?}"))
}

/// Writes `out` from the value read by `read`; the value must be of the kind it reads.
fn read<T>(
    v: *const dd_value,
    out_pointer: *mut T,
    read: impl FnOnce(&Value) -> Result<T>,
) -> dd_status {
    guard(|| {
        let got = read(value(v)?)?;
        *out(out_pointer, "out")? = got;
        Ok(())
    })
}

/// Reads a boolean.
#[no_mangle]
pub extern "C" fn dd_value_get_bool(v: *const dd_value, out: *mut bool) -> dd_status {
    read(v, out, |v| match v {
        Value::Bool(b) => Ok(*b),
        other => Err(wrong(other, "a boolean")),
    })
}

/// Reads a 64-bit integer.
#[no_mangle]
pub extern "C" fn dd_value_get_int(v: *const dd_value, out: *mut i64) -> dd_status {
    read(v, out, |v| match v {
        Value::Int(n) => Ok(*n),
        other => Err(wrong(other, "a 64-bit integer")),
    })
}

/// Reads a float.
#[no_mangle]
pub extern "C" fn dd_value_get_float(v: *const dd_value, out: *mut f64) -> dd_status {
    read(v, out, |v| match v {
        Value::Float(f) => Ok(*f),
        other => Err(wrong(other, "a float")),
    })
}

/// Reads a binary's bytes, borrowed from the value (valid while it lives, unchanged).
#[no_mangle]
pub extern "C" fn dd_value_get_binary(
    v: *const dd_value,
    data: *mut *const u8,
    len: *mut usize,
) -> dd_status {
    guard(|| {
        let Value::Binary(bytes) = value(v)? else {
            return Err(wrong(value(v)?, "a binary"));
        };
        let (data, len) = (out(data, "data")?, out(len, "len")?);
        *data = bytes.as_ptr();
        *len = bytes.len();
        Ok(())
    })
}

/// Reads an atom's name, borrowed from the value; it is not NUL-terminated: use `len`.
#[no_mangle]
pub extern "C" fn dd_value_get_atom(
    v: *const dd_value,
    name: *mut *const u8,
    len: *mut usize,
) -> dd_status {
    guard(|| {
        let Value::Atom(atom) = value(v)? else {
            return Err(wrong(value(v)?, "an atom"));
        };
        let (name, len) = (out(name, "name")?, out(len, "len")?);
        *name = atom.as_str().as_ptr();
        *len = atom.as_str().len();
        Ok(())
    })
}

/// The number of items of a list or tuple, or of entries of a dict.
#[no_mangle]
pub extern "C" fn dd_value_len(v: *const dd_value, out: *mut usize) -> dd_status {
    read(v, out, |v| match v {
        Value::List(items) | Value::Tuple(items) => Ok(items.len()),
        Value::Dict(pairs) => Ok(pairs.len()),
        other => Err(wrong(other, "a list, tuple or dict")),
    })
}

/// Item `index` of a list or tuple, borrowed from it; `DD_ERR_NOT_FOUND` past the end.
#[no_mangle]
pub extern "C" fn dd_value_at(
    v: *const dd_value,
    index: usize,
    out: *mut *const dd_value,
) -> dd_status {
    read(v, out, |v| match v {
        Value::List(items) | Value::Tuple(items) => items
            .get(index)
            .map(lend_value)
            .ok_or_else(|| Fail::NotFound(format!("no item {index} of {}", items.len()))),
        other => Err(wrong(other, "a list or tuple")),
    })
}

/// Entry `index` of a dict: its key and value, borrowed from it; `DD_ERR_NOT_FOUND` past the
/// end.
#[no_mangle]
pub extern "C" fn dd_value_dict_entry(
    v: *const dd_value,
    index: usize,
    key: *mut *const dd_value,
    val: *mut *const dd_value,
) -> dd_status {
    guard(|| {
        let Value::Dict(pairs) = value(v)? else {
            return Err(wrong(value(v)?, "a dict"));
        };
        let (k, x) = pairs
            .get(index)
            .ok_or_else(|| Fail::NotFound(format!("no entry {index} of {}", pairs.len())))?;
        let (key, val) = (out(key, "key")?, out(val, "val")?);
        *key = lend_value(k);
        *val = lend_value(x);
        Ok(())
    })
}

/// The value under a text key (a binary or atom key) of a dict, borrowed from it; NULL (no
/// value) if the dict has no such key.
#[no_mangle]
pub extern "C" fn dd_value_dict_find(
    v: *const dd_value,
    key: *const c_char,
    found: *mut *const dd_value,
) -> dd_status {
    guard(|| {
        let key = text(key, "key")?;
        let dict = value(v)?;
        if !matches!(dict, Value::Dict(_)) {
            return Err(wrong(dict, "a dict"));
        }
        *out(found, "out")? = dict.get(key).map_or(std::ptr::null(), lend_value);
        Ok(())
    })
}

/// Whether two values are equal (false if either is NULL).
#[no_mangle]
pub extern "C" fn dd_value_equal(a: *const dd_value, b: *const dd_value) -> bool {
    guard_value(false, || match (value(a), value(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    })
}

/// A copy of a value.
#[no_mangle]
pub extern "C" fn dd_value_clone(v: *const dd_value, out: *mut *mut dd_value) -> dd_status {
    guard(|| put_value(out, value(v)?.clone()))
}

/// The value's BERT frame.
#[no_mangle]
pub extern "C" fn dd_value_encode(v: *const dd_value, out: *mut *mut dd_bytes) -> dd_status {
    guard(|| put_bytes(out, bert::encode(value(v)?).map_err(dripdrop::Error::from)?))
}

/// Reads a BERT frame (safe on hostile input: limits on depth, size and counts).
#[no_mangle]
pub extern "C" fn dd_value_decode(
    data: *const u8,
    len: usize,
    out: *mut *mut dd_value,
) -> dd_status {
    guard(|| {
        let bytes = byte_range(data, len, "data")?;
        let value = bert::decode(bytes).map_err(dripdrop::Error::from)?;
        put_value(out, value)
    })
}

/// The value in Erlang term syntax (`{ok,<<"hi">>,[1,2]}`), NUL-terminated, for people.
#[no_mangle]
pub extern "C" fn dd_value_to_text(v: *const dd_value, out: *mut *mut dd_bytes) -> dd_status {
    guard(|| {
        let frame = bert::encode(value(v)?).map_err(dripdrop::Error::from)?;
        let term =
            bert::decode_term(&frame, &DecodeLimits::DEFAULT).map_err(dripdrop::Error::from)?;
        put_bytes(out, bert::text::print(&term).into_bytes())
    })
}

/// Frees a value; NULL does nothing.
#[no_mangle]
pub extern "C" fn dd_value_free(v: *mut dd_value) {
    guard_value((), || free(v))
}
