//! Running the loop from Python (with the GIL released only while it waits, and signals
//! looked at after each wait), and setting up nodelets.

use super::shared::as_core_error;
use super::{Inner, PyNode};
use crate::errors::py_result;
use pyo3::prelude::*;

/// The loop's wait, handed into `py.detach`.
struct WaitHere<'a>(&'a mut dyn FnMut());

// SAFETY: `Python::detach` runs its closure on the calling thread before returning, so the
// wait never leaves the thread that runs the loop; `Send` is asked for only because detach
// cannot know that.
unsafe impl Send for WaitHere<'_> {}

impl WaitHere<'_> {
    /// Waits; a method, so that the closure given to detach takes the whole (`Send`) value.
    fn call(self) {
        (self.0)()
    }
}

/// Runs the loop on this thread until it is stopped. A signal handler that raises
/// (KeyboardInterrupt) or a callback that raises a `BaseException` that is not an
/// `Exception` stops it, and is raised here.
pub(super) fn run(py: Python<'_>, inner: &Inner) -> PyResult<()> {
    let shared = &inner.shared;
    let result = inner.hosted.run_with(&mut |wait| {
        let wait = WaitHere(wait);
        let errno = py.detach(move || {
            wait.call();
            errno()
        });
        // Ctrl-C interrupts the wait; Python's handler runs here, on the main thread
        // (elsewhere this does nothing).
        if let Err(raised) = py.check_signals() {
            shared.fail(raised);
        }
        // Core reads the wait's errno (EINTR after a signal) once this returns; the Python
        // code run since may have changed it.
        set_errno(errno);
    });
    if let Some(fatal) = shared.take_fatal() {
        return Err(fatal);
    }
    py_result(py, result)
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn set_errno(value: i32) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    // SAFETY: the calling thread's errno, a plain thread-local int.
    unsafe {
        *libc::__errno_location() = value;
    }
    #[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
    // SAFETY: as above.
    unsafe {
        *libc::__error() = value;
    }
}

/// Runs `setup(node)` as nodelet `name` (if the run list has it), with the node lent to it.
pub(super) fn nodelet(
    node: &Bound<'_, PyNode>,
    inner: &Inner,
    name: &str,
    setup: Py<PyAny>,
) -> PyResult<bool> {
    let py = node.py();
    let lender = inner.shared.lender();
    let mut raised = None;
    let ran = inner.hosted.with(|n| {
        n.nodelet(name, |n| {
            lender
                .lend(n, || setup.call1(py, (node,)))
                .map(drop)
                .map_err(|e| {
                    let error = as_core_error(py, &e, &format!("nodelet {name}"));
                    raised = Some(e);
                    error
                })
        })
    });
    if let Some(e) = raised {
        return Err(e);
    }
    py_result(py, ran.and_then(|result| result))
}
