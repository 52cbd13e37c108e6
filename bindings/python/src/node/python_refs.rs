//! The Python objects a node's Rust side holds (handlers, callbacks, a map's item iterator),
//! kept in one table the garbage collector can see.
//!
//! A handler often refers back to the node (an xrep handler that closes over `node`, a bound
//! method of a `Node` subclass): a cycle through Rust that Python's collector would never
//! find if the only references were inside core's closures. So the closures hold a `Key`, the
//! table holds the object, the node's `__traverse__` visits the table and its `__clear__`
//! empties it (after which the closures find nothing to call).

use pyo3::gc::{PyTraverseError, PyVisit};
use pyo3::prelude::*;
use rustc_hash::FxHashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Every Python object one node's callbacks hold.
#[derive(Default)]
pub struct PythonRefs {
    /// By key id. Looked up once per callback the loop runs: ids are a counter, so a plain
    /// multiplicative hash serves as well as SipHash at a fraction of the cost.
    held: Mutex<FxHashMap<u64, Py<PyAny>>>,
    next_id: AtomicU64,
}

/// One held object; dropping the key (with the closure that owns it) lets the object go.
pub struct Key {
    id: u64,
    refs: Arc<PythonRefs>,
}

impl PythonRefs {
    fn held(&self) -> MutexGuard<'_, FxHashMap<u64, Py<PyAny>>> {
        // Nothing panics while holding the lock, but a poisoned table is still a valid one.
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Holds `object` until the returned key is dropped or the table is cleared.
    pub fn hold(self: &Arc<Self>, object: Py<PyAny>) -> Key {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.held().insert(id, object);
        Key {
            id,
            refs: Arc::clone(self),
        }
    }

    /// Visits every held object (`__traverse__`). Every change to the table happens with the
    /// GIL held, as does a collection, so the table is never busy here unless this very
    /// thread is inside one of the short sections below; then it is skipped, which can only
    /// make the collector keep something, never free it early.
    pub fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), PyTraverseError> {
        let Ok(held) = self.held.try_lock() else {
            return Ok(());
        };
        for object in held.values() {
            visit.call(object)?;
        }
        Ok(())
    }

    /// Lets every held object go (`__clear__`): the cycles through the node are broken.
    pub fn clear(&self) {
        // Released outside the lock: a decref may run a `__del__` that registers a callback.
        let released = std::mem::take(&mut *self.held());
        drop(released);
    }
}

impl Key {
    /// The object, unless the collector cleared the table.
    pub fn get(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.refs
            .held()
            .get(&self.id)
            .map(|object| object.clone_ref(py))
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        let released = self.refs.held().remove(&self.id);
        drop(released);
    }
}
