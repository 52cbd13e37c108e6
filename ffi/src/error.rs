//! `dd_error`: an error handed to a callback (a failed request or task), borrowed for the
//! duration of the call.

use crate::status::{dd_status, guard_value, status_of};
use dripdrop::Error;
use std::ffi::{c_char, CString};

/// An error as a callback sees it.
pub struct dd_error {
    status: dd_status,
    message: CString,
    class: Option<CString>,
    backtrace: Vec<CString>,
}

fn c_text(text: &str) -> CString {
    CString::new(text.replace('\0', " ")).unwrap_or_default()
}

impl dd_error {
    pub(crate) fn new(error: &Error) -> dd_error {
        let (class, backtrace) = match error {
            Error::Remote {
                class, backtrace, ..
            } => (
                Some(c_text(class)),
                backtrace.iter().map(|l| c_text(l)).collect(),
            ),
            _ => (None, Vec::new()),
        };
        let message = match error {
            Error::Remote { message, .. } => c_text(message),
            other => c_text(&other.to_string()),
        };
        dd_error {
            status: status_of(error),
            message,
            class,
            backtrace,
        }
    }
}

/// The error's status (`DD_ERR_REMOTE` for a task or request that failed on the other side).
#[no_mangle]
pub extern "C" fn dd_error_status(error: *const dd_error) -> dd_status {
    guard_value(dd_status::DD_ERR_NULL, || {
        // SAFETY: a pointer given to a callback, valid for the call.
        unsafe { error.as_ref() }.map_or(dd_status::DD_ERR_NULL, |e| e.status)
    })
}

/// The error's message (for a remote error, the remote message); never NULL for a non-NULL
/// error. Borrowed from the error.
#[no_mangle]
pub extern "C" fn dd_error_message(error: *const dd_error) -> *const c_char {
    guard_value(std::ptr::null(), || {
        // SAFETY: as above.
        unsafe { error.as_ref() }.map_or(std::ptr::null(), |e| e.message.as_ptr())
    })
}

/// The remote error's class (an exception class name, `Panic`...); NULL for local errors.
#[no_mangle]
pub extern "C" fn dd_error_class(error: *const dd_error) -> *const c_char {
    guard_value(std::ptr::null(), || {
        // SAFETY: as above.
        unsafe { error.as_ref() }
            .and_then(|e| e.class.as_ref())
            .map_or(std::ptr::null(), |c| c.as_ptr())
    })
}

/// Lines of the remote backtrace (0 if none).
#[no_mangle]
pub extern "C" fn dd_error_backtrace_len(error: *const dd_error) -> usize {
    guard_value(0, || {
        // SAFETY: as above.
        unsafe { error.as_ref() }.map_or(0, |e| e.backtrace.len())
    })
}

/// Line `index` of the remote backtrace; NULL past the end.
#[no_mangle]
pub extern "C" fn dd_error_backtrace_line(error: *const dd_error, index: usize) -> *const c_char {
    guard_value(std::ptr::null(), || {
        // SAFETY: as above.
        unsafe { error.as_ref() }
            .and_then(|e| e.backtrace.get(index))
            .map_or(std::ptr::null(), |l| l.as_ptr())
    })
}
