//! Dict keys read from the wire, as Python strings made once. The same few keys ("seq",
//! "reply_to", "id") come in every message's head, and a fresh str per key per read costs an
//! allocation, a UTF-8 check and, once the dict is built, hashing its text. A kept key is
//! interned, so it also shares identity (and its hash) with the same literal in the
//! program, which makes the program's own look-ups in the dict cheaper.

use pyo3::prelude::*;
use pyo3::types::PyString;
use rustc_hash::FxHashMap;
use std::sync::{Mutex, PoisonError};

/// Keys longer than this are made afresh each time (they are rarely the repeated kind).
const LONGEST: usize = 32;
/// Past this many kept keys (a peer sending ever new ones), new keys are not kept.
const MOST: usize = 1024;

/// Kept keys by their UTF-8 bytes.
type Kept = FxHashMap<Box<[u8]>, Py<PyString>>;

static KEPT: Mutex<Option<Kept>> = Mutex::new(None);

/// The str of a dict key's UTF-8 `text` (`bytes`), kept if it is short.
pub fn key<'py>(py: Python<'py>, bytes: &[u8], text: &str) -> Bound<'py, PyString> {
    if bytes.len() > LONGEST {
        return PyString::new(py, text);
    }
    // Nothing in here runs Python code or panics, so the lock is held only briefly (and a
    // poisoned table is still a valid one).
    let mut kept = KEPT.lock().unwrap_or_else(PoisonError::into_inner);
    let kept = kept.get_or_insert_with(Kept::default);
    if let Some(found) = kept.get(bytes) {
        return found.bind(py).clone();
    }
    let made = PyString::intern(py, text);
    if kept.len() < MOST {
        kept.insert(bytes.into(), made.clone().unbind());
    }
    made
}
