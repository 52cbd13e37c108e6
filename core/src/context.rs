//! The ZeroMQ context nodes share, so `inproc://` endpoints connect across nodes, and its
//! one ZAP handler (the CURVE authenticator).
//!
//! Every node holds the context while it lives; when the last one is dropped the context is
//! terminated, which waits (at most each socket's linger) for ZeroMQ to write out what it
//! accepted. A context that is never terminated would let a process exit with accepted
//! messages still unwritten; libzmq's infinite default linger is never used, so termination
//! cannot hang either.

use crate::error::Error;
use crate::security::Zap;
use std::sync::{Arc, Mutex, Weak};

/// The live shared context and, once a CURVE server needed it, its ZAP handler. A new
/// context starts without one: a handler serves the context it was bound in, and ends
/// with it.
struct Shared {
    context: Weak<zmq::Context>,
    zap: Option<Arc<Zap>>,
}

static SHARED: Mutex<Shared> = Mutex::new(Shared {
    context: Weak::new(),
    zap: None,
});

fn shared() -> std::sync::MutexGuard<'static, Shared> {
    // A poisoned lock only means another thread panicked while holding it; what it holds
    // is still valid.
    SHARED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The live shared context, or a new one if no node holds one.
pub(crate) fn context() -> Arc<zmq::Context> {
    let mut shared = shared();
    if let Some(context) = shared.context.upgrade() {
        return context;
    }
    let context = Arc::new(zmq::Context::new());
    shared.context = Arc::downgrade(&context);
    shared.zap = None;
    context
}

/// The ZAP handler of `context`, which must be the shared one; started at its first use.
pub(crate) fn zap(context: &zmq::Context) -> Result<Arc<Zap>, Error> {
    let mut shared = shared();
    let current = shared.context.upgrade();
    if !current.is_some_and(|c| std::ptr::eq(Arc::as_ptr(&c), context)) {
        return Err(Error::InvalidArgument(
            "a CURVE server needs the process's shared ZeroMQ context".into(),
        ));
    }
    if let Some(zap) = &shared.zap {
        return Ok(Arc::clone(zap));
    }
    let zap = Zap::start(context)?;
    shared.zap = Some(Arc::clone(&zap));
    Ok(zap)
}
