//! Ruby calls made straight through the C API, for the per-message paths (received messages
//! and values): magnus wraps every call that might raise in `rb_protect` (a `setjmp`), which
//! was a tenth of converting a received message. Only calls that cannot raise on the values
//! they are given here go this way; everything else stays with magnus.

use magnus::{
    rb_sys::{AsRawValue, FromRawValue},
    value::Id,
    RObject, Value,
};
use rb_sys::VALUE;
use std::os::raw::{c_char, c_long};

fn wrap(raw: VALUE) -> Value {
    // SAFETY: every VALUE given here comes from a Ruby call that returned an object.
    unsafe { Value::from_raw(raw) }
}

/// A new String of `bytes`: UTF-8 when they are valid UTF-8, else binary (ASCII-8BIT), as
/// `convert::string`.
pub fn string(bytes: &[u8]) -> Value {
    let (ptr, len) = (bytes.as_ptr() as *const c_char, bytes.len() as c_long);
    // SAFETY: Ruby copies `len` bytes from `ptr`; allocation raises only NoMemoryError, which
    // is fatal anyway.
    wrap(unsafe {
        if std::str::from_utf8(bytes).is_ok() {
            rb_sys::rb_utf8_str_new(ptr, len)
        } else {
            rb_sys::rb_str_new(ptr, len)
        }
    })
}

/// The frozen, deduplicated String of `bytes` (encoded as `string` would), as a Hash keeps a
/// String key: `Hash#[]=` freezes and interns an unfrozen String key anyway, so a key made
/// this way is what the Hash would hold, without the throwaway copy.
pub fn key_string(bytes: &[u8]) -> Value {
    let (ptr, len) = (bytes.as_ptr() as *const c_char, bytes.len() as c_long);
    // SAFETY: as in `string`; the encodings are Ruby's built-in ones.
    wrap(unsafe {
        let encoding = if std::str::from_utf8(bytes).is_ok() {
            rb_sys::rb_utf8_encoding()
        } else {
            rb_sys::rb_ascii8bit_encoding()
        };
        rb_sys::rb_enc_interned_str(ptr, len, encoding)
    })
}

/// A new empty Hash.
pub fn hash_new() -> Value {
    // SAFETY: allocation only.
    wrap(unsafe { rb_sys::rb_hash_new() })
}

/// `hash[key] = value` for a Hash made here and a key whose `hash` and `eql?` are Ruby's own
/// (see `plain_key`), so no Ruby code runs and nothing raises.
pub fn hash_aset(hash: Value, key: Value, value: Value) {
    // SAFETY: `hash` is an unfrozen Hash; `key` is a plain key.
    unsafe { rb_sys::rb_hash_aset(hash.as_raw(), key.as_raw(), value.as_raw()) };
}

/// The most entries Ruby keeps in a Hash's flat table (RHASH_AR_TABLE_MAX_SIZE).
pub const SMALL_HASH: usize = 8;

/// Puts `entries` (key, value, key, value...) into a Hash made here, as a Hash literal is
/// filled (a later equal key replaces an earlier one's value); every key must be plain.
pub fn hash_bulk_insert(hash: Value, entries: &[Value]) {
    // SAFETY: `Value` is a transparent VALUE; `hash` is an unfrozen Hash, the keys plain.
    unsafe {
        rb_sys::rb_hash_bulk_insert(
            entries.len() as c_long,
            entries.as_ptr() as *const VALUE,
            hash.as_raw(),
        )
    };
}

/// Whether `hash_aset` may take `key`: a String, Symbol, Integer, Float, nil, true or false
/// of Ruby's own classes, which hash without calling Ruby code.
pub fn plain_key(key: Value) -> bool {
    use magnus::{prelude::*, Fixnum, Float, RString, Symbol};
    key.is_nil()
        || Fixnum::from_value(key).is_some()
        || Symbol::from_value(key).is_some()
        || RString::from_value(key).is_some_and(|s| {
            // SAFETY: reading the class of a live object.
            unsafe { rb_sys::rb_obj_class(s.as_raw()) == rb_sys::rb_cString }
        })
        || Float::from_value(key).is_some()
        || magnus::value::Qtrue::from_value(key).is_some()
        || magnus::value::Qfalse::from_value(key).is_some()
}

/// A new Array with room for `capacity` items.
pub fn array_new(capacity: usize) -> Value {
    // SAFETY: allocation only.
    wrap(unsafe { rb_sys::rb_ary_new_capa(capacity as c_long) })
}

/// Appends to an Array made here.
pub fn array_push(array: Value, item: Value) {
    // SAFETY: `array` is an unfrozen Array.
    unsafe { rb_sys::rb_ary_push(array.as_raw(), item.as_raw()) };
}

/// Sets an instance variable of an object made here (unfrozen, so this cannot raise).
pub fn ivar_set(object: RObject, name: Id, value: Value) {
    use magnus::rb_sys::AsRawId;
    // SAFETY: `object` is unfrozen.
    unsafe { rb_sys::rb_ivar_set(object.as_raw(), name.as_raw(), value.as_raw()) };
}

/// An instance variable of an object (nil when unset); reading one cannot raise.
pub fn ivar_get(object: RObject, name: Id) -> Value {
    use magnus::rb_sys::AsRawId;
    // SAFETY: `object` is a live object.
    wrap(unsafe { rb_sys::rb_ivar_get(object.as_raw(), name.as_raw()) })
}
