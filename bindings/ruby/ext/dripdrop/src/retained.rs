//! Ruby values that Rust closures hold (handlers, blocks waiting for a reply or a result):
//! kept in one table that the owner's GC `mark` walks, so the collector neither frees nor
//! moves them while the engine may still call them.

use magnus::{gc, value::Opaque, Ruby, Value};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

/// A retained value's key.
pub type Key = u64;

#[derive(Default)]
pub struct Retained {
    next: Cell<Key>,
    // Only touched with the GVL held and without calling Ruby while borrowed, so `mark`
    // (which runs inside an allocation) never finds it borrowed.
    values: RefCell<HashMap<Key, Opaque<Value>>>,
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
