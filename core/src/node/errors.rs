//! Where a node's errors go: the `on_error` handler (by default, a line on stderr).

use super::callbacks::ErrorHandler;

#[derive(Default)]
pub(crate) struct ErrorSink {
    handler: Option<ErrorHandler>,
    reported: u64,
}

impl ErrorSink {
    pub(crate) fn set_handler(&mut self, handler: ErrorHandler) {
        self.handler = Some(handler);
    }

    /// Counts an error and takes the handler out to call it; give it back with `restore`.
    pub(crate) fn take_handler(&mut self) -> Option<ErrorHandler> {
        self.reported += 1;
        self.handler.take()
    }

    /// Puts the handler back, unless the call set a new one.
    pub(crate) fn restore(&mut self, handler: ErrorHandler) {
        if self.handler.is_none() {
            self.handler = Some(handler);
        }
    }

    /// Errors reported so far.
    pub(crate) fn reported(&self) -> u64 {
        self.reported
    }
}
