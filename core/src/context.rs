//! The process's one ZeroMQ context, so `inproc://` endpoints connect across nodes.

use std::sync::OnceLock;

/// The shared context. It lives until the process exits and is never terminated, so an exit
/// never waits on it; every socket sets a bounded linger so its own close cannot hang either.
pub(crate) fn context() -> &'static zmq::Context {
    static CONTEXT: OnceLock<zmq::Context> = OnceLock::new();
    CONTEXT.get_or_init(zmq::Context::new)
}
