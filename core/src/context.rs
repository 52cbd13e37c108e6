//! The ZeroMQ context nodes share, so `inproc://` endpoints connect across nodes.
//!
//! Every node holds the context while it lives; when the last one is dropped the context is
//! terminated, which waits (at most each socket's linger) for ZeroMQ to write out what it
//! accepted. A context that is never terminated would let a process exit with accepted
//! messages still unwritten; libzmq's infinite default linger is never used, so termination
//! cannot hang either.

use std::sync::{Arc, Mutex, Weak};

/// The live shared context, or a new one if no node holds one.
pub(crate) fn context() -> Arc<zmq::Context> {
    static SHARED: Mutex<Weak<zmq::Context>> = Mutex::new(Weak::new());
    // A poisoned lock only means another thread panicked while holding it; the Weak inside
    // is still valid.
    let mut shared = SHARED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(context) = shared.upgrade() {
        return context;
    }
    let context = Arc::new(zmq::Context::new());
    *shared = Arc::downgrade(&context);
    context
}
