//! Ruby values that Rust closures hold (handlers, blocks waiting for a reply or a result):
//! kept in one table that the owner's GC `mark` walks, so the collector neither frees nor
//! moves them while the engine may still call them.

use magnus::{gc, value::Opaque, Ruby, Value};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A retained value's key.
pub type Key = u64;

/// Hashes a key (a counter: no attacker picks it) with one multiplication: every received
/// message looks up its handler and message class here, and SipHash was most of that.
#[derive(Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[derive(Default)]
pub struct Retained {
    next: Cell<Key>,
    // Only touched with the GVL held and without calling Ruby while borrowed, so `mark`
    // (which runs inside an allocation) never finds it borrowed.
    values: RefCell<HashMap<Key, Opaque<Value>, BuildHasherDefault<KeyHasher>>>,
}

impl Retained {
    pub fn keep(&self, value: Value) -> Key {
        let key = self.next.get();
        self.next.set(key + 1);
        self.values.borrow_mut().insert(key, Opaque::from(value));
        key
    }

    pub fn get(&self, ruby: &Ruby, key: Key) -> Option<Value> {
        let value = self.values.borrow().get(&key).copied();
        value.map(|v| ruby.get_inner(v))
    }

    /// The value, no longer retained: the caller's stack keeps it alive from here.
    pub fn take(&self, ruby: &Ruby, key: Key) -> Option<Value> {
        let value = self.values.borrow_mut().remove(&key);
        value.map(|v| ruby.get_inner(v))
    }

    pub fn forget(&self, key: Key) {
        self.values.borrow_mut().remove(&key);
    }

    pub fn clear(&self) {
        self.values.borrow_mut().clear();
    }

    pub fn mark(&self, marker: &gc::Marker) {
        if let Ok(values) = self.values.try_borrow() {
            for value in values.values() {
                marker.mark(*value);
            }
        }
    }
}
