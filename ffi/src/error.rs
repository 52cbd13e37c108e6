//! `dd_error`: an error handed to a callback (a failed request or task, an error for
//! `on_error`), borrowed for the duration of the call.

use crate::guard::{c_text, guard, guard_value, out};
use crate::handle::try_ref;
use crate::status::{dd_status, status_of, DD_ERR_NULL};
use dripdrop::Error;
use std::ffi::{c_char, CString};

/// An error as a callback sees it.
pub struct dd_error {
    _private: [u8; 0],
}

/// What a `dd_error` points to: the core error (kept whole for `dd_node_report_error`) and
/// its parts as C strings.
pub(crate) struct ErrorView {
    error: Error,
    status: dd_status,
    class_name: CString,
    message: CString,
    remote_class: Option<CString>,
    backtrace: Vec<CString>,
    /// Pointers into `backtrace`: the list `dd_error_remote_backtrace` gives.
    backtrace_lines: Vec<*const c_char>,
}

impl ErrorView {
    pub(crate) fn new(error: &Error) -> ErrorView {
        let (message, remote_class, backtrace) = match error {
            Error::Remote {
                class,
                message,
                backtrace,
            } => (
                c_text(message),
                Some(c_text(class)),
                backtrace.iter().map(|line| c_text(line)).collect(),
            ),
            other => (c_text(&other.to_string()), None, Vec::new()),
        };
        let backtrace_lines = backtrace
            .iter()
            .map(|line: &CString| line.as_ptr())
            .collect();
        ErrorView {
            error: error.clone(),
            status: status_of(error),
            class_name: c_text(error.class_name()),
            message,
            remote_class,
            backtrace,
            backtrace_lines,
        }
    }

    /// The core error, to hand to a node's error handler again.
    pub(crate) fn error(&self) -> &Error {
        &self.error
    }
}

/// The error's status (`DD_ERR_REMOTE` for a task or request that failed on the other side);
/// `DD_ERR_NULL` for a NULL error.
#[no_mangle]
pub extern "C" fn dd_error_status(error: *const dd_error) -> dd_status {
    guard_value(DD_ERR_NULL, || {
        try_ref(error, "error").map_or(DD_ERR_NULL, |e| e.status)
    })
}

/// The error's class word, the same in every language (`"RemoteError"`, `"Cancelled"`,
/// `"NoSuchPool"`: Rust's `Error::class_name()`); borrowed from the error. NULL only for a
/// NULL error.
#[no_mangle]
pub extern "C" fn dd_error_class_name(error: *const dd_error) -> *const c_char {
    guard_value(std::ptr::null(), || {
        try_ref(error, "error").map_or(std::ptr::null(), |e| e.class_name.as_ptr())
    })
}

/// The error's message (for a remote error, the remote message), borrowed from the error.
/// NULL only for a NULL error.
#[no_mangle]
pub extern "C" fn dd_error_message(error: *const dd_error) -> *const c_char {
    guard_value(std::ptr::null(), || {
        try_ref(error, "error").map_or(std::ptr::null(), |e| e.message.as_ptr())
    })
}

/// The remote error's class (the exception class a task raised, `"Panic"`...), borrowed from
/// the error; NULL (no value) for an error that did not come from the other side.
#[no_mangle]
pub extern "C" fn dd_error_remote_class(error: *const dd_error) -> *const c_char {
    guard_value(std::ptr::null(), || {
        try_ref(error, "error")
            .ok()
            .and_then(|e| e.remote_class.as_ref())
            .map_or(std::ptr::null(), |c| c.as_ptr())
    })
}

/// The remote backtrace, innermost first: `*count` lines at `*lines`, borrowed from the
/// error. An error without one (a local error, a peer that sent none) gives NULL and 0.
#[no_mangle]
pub extern "C" fn dd_error_remote_backtrace(
    error: *const dd_error,
    lines: *mut *const *const c_char,
    count: *mut usize,
) -> dd_status {
    guard(|| {
        let error = try_ref(error, "error")?;
        let (lines, count) = (out(lines, "lines")?, out(count, "count")?);
        *lines = if error.backtrace_lines.is_empty() {
            std::ptr::null()
        } else {
            error.backtrace_lines.as_ptr()
        };
        *count = error.backtrace.len();
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::handle::lend;
    use crate::status::DD_ERR_REMOTE;
    use std::ffi::CStr;

    fn read(text: *const c_char) -> &'static str {
        // SAFETY: a C string the error under test lends, alive for the test.
        unsafe { CStr::from_ptr(text) }.to_str().unwrap()
    }

    #[test]
    fn a_remote_error_gives_its_class_message_and_backtrace_as_a_list() {
        let view = ErrorView::new(&Error::Remote {
            class: "Boom".into(),
            message: "boom".into(),
            backtrace: vec!["inner".into(), "outer".into()],
        });
        let error = lend::<dd_error>(&view);
        let (mut lines, mut count) = (std::ptr::null(), 0);
        assert_eq!(dd_error_remote_backtrace(error, &mut lines, &mut count), 0);
        // SAFETY: `count` pointers the error lends.
        let lines = unsafe { std::slice::from_raw_parts(lines, count) };
        assert_eq!(
            lines.iter().map(|&l| read(l)).collect::<Vec<_>>(),
            ["inner", "outer"]
        );
        assert_eq!(dd_error_status(error), DD_ERR_REMOTE);
        assert_eq!(read(dd_error_class_name(error)), "RemoteError");
        assert_eq!(read(dd_error_remote_class(error)), "Boom");
        assert_eq!(read(dd_error_message(error)), "boom");
    }

    #[test]
    fn a_local_error_has_no_remote_class_and_an_empty_backtrace() {
        let view = ErrorView::new(&Error::NoSuchPool("nope".into()));
        let error = lend::<dd_error>(&view);
        let (mut lines, mut count) = (std::ptr::null(), 7);
        assert_eq!(dd_error_remote_backtrace(error, &mut lines, &mut count), 0);
        assert!(lines.is_null() && count == 0);
        assert!(dd_error_remote_class(error).is_null());
        assert_eq!(read(dd_error_class_name(error)), "NoSuchPool");
    }
}
