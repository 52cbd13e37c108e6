//! The String keys of received Hashes, made once: a received message's head (and most
//! bodies) repeat the same few keys, and making each as the Hash keeps it (a frozen, interned
//! String) hashed it and looked it up in Ruby's table of interned strings every time. The
//! first few hundred short keys are kept here for the process's life, registered with the
//! collector (which then neither frees nor moves them); others are made each time.

use crate::raw;
use magnus::{
    rb_sys::{AsRawValue, FromRawValue},
    Value,
};
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

/// Keys kept at most, and the longest kept: a bound on what the cache holds for good.
const MAX_KEYS: usize = 512;
const MAX_KEY_LEN: usize = 40;

/// Only touched with the GVL held, so the lock is never contended; it makes the table `Sync`.
static KEYS: LazyLock<Mutex<HashMap<Box<[u8]>, rb_sys::VALUE>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// The key String of `bytes`, as `raw::key_string` makes it.
pub fn key(bytes: &[u8]) -> Value {
    if bytes.len() > MAX_KEY_LEN {
        return raw::key_string(bytes);
    }
    let Ok(mut keys) = KEYS.lock() else {
        return raw::key_string(bytes);
    };
    if let Some(&kept) = keys.get(bytes) {
        // SAFETY: a registered address keeps the String alive where it is.
        return unsafe { Value::from_raw(kept) };
    }
    let made = raw::key_string(bytes);
    if keys.len() < MAX_KEYS {
        // A slot that lives as long as the process, for the collector to read.
        let slot: &'static mut rb_sys::VALUE = Box::leak(Box::new(made.as_raw()));
        // SAFETY: `slot` is never freed; registering it marks (and pins) the String.
        unsafe { rb_sys::rb_gc_register_address(slot) };
        keys.insert(bytes.into(), made.as_raw());
    }
    made
}
