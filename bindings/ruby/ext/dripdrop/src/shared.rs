//! What a node's callbacks share with the node object, and how they call Ruby.

use crate::errors::to_rb_error;
use crate::retained::{Key, Retained};
use dripdrop::{Node, NodeHandle};
use magnus::{
    error::ErrorType, prelude::*, value::LazyId, ArgList, Error, Ruby, TryConvert, Value,
};
use std::cell::{Cell, RefCell};

pub struct Shared {
    /// Stops the loop when a callback hits a fatal error.
    handle: NodeHandle,
    /// The node a callback is running with (the loop's own `&mut Node`), lent to the methods
    /// the callback calls; null outside callbacks.
    pub active: Cell<*mut Node>,
    pub retained: Retained,
    pub on_error: Cell<Option<Key>>,
    /// What must end `run`: an exception that is not a StandardError (Interrupt, SystemExit)
    /// or a jump (Thread#kill, Timeout's throw). Its exception stays retained until raised.
    fatal: RefCell<Option<(Error, Option<Key>)>>,
}

/// Whether `e` must stop the loop rather than go to `on_error`: what a `rescue => e` would
/// not catch.
fn is_fatal(ruby: &Ruby, e: &Error) -> bool {
    match e.error_type() {
        ErrorType::Jump(_) => true,
        ErrorType::Exception(x) => !x.is_kind_of(ruby.exception_standard_error()),
        ErrorType::Error(..) => false,
    }
}

/// `e` as an exception object.
pub fn exception_of(e: Error) -> Result<Value, Error> {
    match e.error_type() {
        ErrorType::Exception(x) => Ok(x.as_value()),
        ErrorType::Error(class, message) => class
            .new_instance((message.to_string(),))
            .map(|x| x.as_value()),
        ErrorType::Jump(_) => Err(e),
    }
}

impl Shared {
    pub fn new(handle: NodeHandle) -> Self {
        Shared {
            handle,
            active: Cell::new(std::ptr::null_mut()),
            retained: Retained::default(),
            on_error: Cell::new(None),
            fatal: RefCell::new(None),
        }
    }

    /// Keeps the first fatal error for `run` to raise.
    pub fn set_fatal(&self, e: Error) {
        let mut fatal = self.fatal.borrow_mut();
        if fatal.is_none() {
            let key = e.value().map(|v| self.retained.keep(v));
            *fatal = Some((e, key));
        }
    }

    pub fn take_fatal(&self) -> Option<Error> {
        let (e, key) = self.fatal.borrow_mut().take()?;
        if let Some(key) = key {
            self.retained.forget(key);
        }
        Some(e)
    }

    /// Runs `f` (a call into Ruby) with the loop's node lent to the node object. An
    /// exception goes to `on_error` (default: printed); a fatal one stops the loop.
    pub fn invoke(&self, node: &mut Node, f: impl FnOnce(&Ruby) -> Result<(), Error>) {
        let Ok(ruby) = Ruby::get() else { return };
        let previous = self.active.replace(node as *mut Node);
        if let Err(e) = f(&ruby) {
            self.report(&ruby, e);
        }
        self.active.set(previous);
    }

    /// Passes an exception to `on_error`, or stops the loop with a fatal one.
    pub fn report(&self, ruby: &Ruby, e: Error) {
        if is_fatal(ruby, &e) {
            self.set_fatal(e);
            self.handle.stop();
            return;
        }
        let handler = self
            .on_error
            .get()
            .and_then(|key| self.retained.get(ruby, key));
        let outcome = exception_of(e).and_then(|exception| match handler {
            Some(handler) => call(ruby, handler, (exception,)),
            None => print_exception(exception),
        });
        if let Err(inner) = outcome {
            if is_fatal(ruby, &inner) {
                self.set_fatal(inner);
                self.handle.stop();
            } else if let Ok(exception) = exception_of(inner) {
                let _ = print_exception(exception);
            }
        }
    }

    /// Calls `on_error` with a core error (a frame that did not decode...).
    pub fn report_core(&self, node: &mut Node, e: &dripdrop::Error) {
        self.invoke(node, |ruby| Err(to_rb_error(ruby, e.clone())));
    }
}

static CALL: LazyId = LazyId::new("call");

/// `block.call(*args)`, its result dropped.
pub fn call<A: ArgList>(ruby: &Ruby, block: Value, args: A) -> Result<(), Error> {
    call_for::<_, Value>(ruby, block, args).map(drop)
}

/// `block.call(*args)`, its result returned.
pub fn call_for<A: ArgList, T: TryConvert>(ruby: &Ruby, block: Value, args: A) -> Result<T, Error> {
    block.funcall(LazyId::get_inner_with(&CALL, ruby), args)
}

/// Prints an exception as Ruby would for an uncaught one in a thread.
fn print_exception(exception: Value) -> Result<(), Error> {
    let text: String = exception.funcall("full_message", ())?;
    eprint!("{text}");
    Ok(())
}
