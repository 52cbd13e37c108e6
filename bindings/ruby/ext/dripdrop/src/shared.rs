//! What a node's callbacks share with the node object: the lender through which they lend the
//! loop's node to the methods they call (core's `Lender`), the Ruby values they hold, where
//! their exceptions go, and how they call Ruby.

use crate::errors::to_rb_error;
use crate::retained::{Key, Retained};
use dripdrop::{Lender, Node, NodeHandle};
use magnus::{
    error::ErrorType, prelude::*, value::LazyId, ArgList, Error, Ruby, TryConvert, Value,
};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};

/// The context of the error core reports for a `map` item that could not be read; the Ruby
/// exception itself waits in `Shared::item_errors`.
const MAP_ITEM: &str = "map item";

pub struct Shared {
    /// Stops the loop when a callback hits a fatal error.
    handle: NodeHandle,
    lender: Lender,
    /// A method of the node holds it and has lent it to no callback since: Ruby code that
    /// runs inside that method without a callback (a `map`'s Enumerator) must not reach the
    /// node, which the method is using.
    in_method: Cell<bool>,
    pub retained: Retained,
    /// Timers' blocks by timer id, until cancelled or fired for the last time.
    timers: RefCell<HashMap<u64, Key>>,
    on_error: Cell<Option<Key>>,
    /// What must end `run`: an exception that is not a StandardError (Interrupt, SystemExit)
    /// or a jump (Thread#kill, Timeout's throw). Its exception stays retained until raised.
    fatal: RefCell<Option<(Error, Option<Key>)>>,
    /// The exceptions of `map` items, in the order core reports them (None: a fatal one,
    /// handled already), so `on_error` gets the Ruby exception with its class and backtrace.
    item_errors: RefCell<VecDeque<Option<Key>>>,
}

/// Whether `e` must stop the loop rather than go to `on_error`: what a `rescue => e` would
/// not catch.
pub fn is_fatal(ruby: &Ruby, e: &Error) -> bool {
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

/// Marks the node as held by a method until dropped.
pub struct InMethod<'a>(&'a Cell<bool>);

impl Drop for InMethod<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

impl Shared {
    pub fn new(handle: NodeHandle, lender: Lender) -> Self {
        Shared {
            handle,
            lender,
            in_method: Cell::new(false),
            retained: Retained::default(),
            timers: RefCell::new(HashMap::new()),
            on_error: Cell::new(None),
            fatal: RefCell::new(None),
            item_errors: RefCell::new(VecDeque::new()),
        }
    }

    /// Marks the node as held by a method; None if a method holds it already.
    pub fn enter_method(&self) -> Option<InMethod<'_>> {
        (!self.in_method.replace(true)).then_some(InMethod(&self.in_method))
    }

    /// Keeps timer `id`'s block until `forget_timer`.
    pub fn remember_timer(&self, id: u64, key: Key) {
        self.timers.borrow_mut().insert(id, key);
    }

    /// Lets timer `id`'s block go.
    pub fn forget_timer(&self, id: u64) {
        let key = self.timers.borrow_mut().remove(&id);
        if let Some(key) = key {
            self.retained.forget(key);
        }
    }

    /// Lets every retained value go (the node closed).
    pub fn clear(&self) {
        self.timers.borrow_mut().clear();
        self.retained.clear();
    }

    /// Sets the block that gets callbacks' exceptions; returns the one it replaces.
    pub fn set_on_error(&self, key: Key) -> Option<Key> {
        self.on_error.replace(Some(key))
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

    /// Runs `f` (a call into Ruby) with the loop's node lent to the node object's methods,
    /// and returns what it returned.
    pub fn lend<T>(&self, node: &mut Node, f: impl FnOnce() -> T) -> T {
        let outer = self.in_method.replace(false);
        let out = self.lender.lend(node, f);
        self.in_method.set(outer);
        out
    }

    /// Runs callback `f` with the node lent. An exception goes to `on_error` (default:
    /// printed); a fatal one stops the loop.
    pub fn invoke(&self, node: &mut Node, f: impl FnOnce(&Ruby) -> Result<(), Error>) {
        let Ok(ruby) = Ruby::get() else { return };
        self.lend(node, || {
            if let Err(e) = f(&ruby) {
                self.report(&ruby, e);
            }
        });
    }

    /// Passes an exception to `on_error`, or stops the loop with a fatal one.
    pub fn report(&self, ruby: &Ruby, e: Error) {
        if is_fatal(ruby, &e) {
            self.stop_with(e);
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
                self.stop_with(inner);
            } else if let Ok(exception) = exception_of(inner) {
                let _ = print_exception(exception);
            }
        }
    }

    fn stop_with(&self, fatal: Error) {
        self.set_fatal(fatal);
        self.handle.stop();
    }

    /// Calls `on_error` with an error core reports (a frame that did not decode, a `map`
    /// item that could not be read...).
    pub fn report_core(&self, node: &mut Node, e: &dripdrop::Error) {
        let item = match e {
            dripdrop::Error::Callback { context, .. } if context == MAP_ITEM => {
                self.item_errors.borrow_mut().pop_front()
            }
            _ => None,
        };
        self.invoke(node, |ruby| match item {
            Some(Some(key)) => match self
                .retained
                .take(ruby, key)
                .and_then(magnus::Exception::from_value)
            {
                Some(exception) => Err(exception.into()),
                None => Ok(()),
            },
            // A fatal exception: `run` raises it.
            Some(None) => Ok(()),
            None => Err(to_rb_error(ruby, e.clone())),
        });
    }

    /// The error core reports for a `map` item whose Enumerator raised `e` (or that could not
    /// be converted); the exception itself is kept for `report_core`. A fatal one stops the
    /// loop instead.
    pub fn item_error(&self, ruby: &Ruby, e: Error) -> dripdrop::Error {
        let message = e.to_string();
        let kept = if is_fatal(ruby, &e) {
            self.stop_with(e);
            None
        } else {
            exception_of(e).ok().map(|x| self.retained.keep(x))
        };
        self.item_errors.borrow_mut().push_back(kept);
        dripdrop::Error::Callback {
            context: MAP_ITEM.into(),
            message,
        }
    }

    /// Calls a retained block that may run again (if it is still there: a cancelled timer's
    /// is not).
    pub fn call_kept<A: ArgList>(&self, ruby: &Ruby, key: Key, args: A) -> Result<(), Error> {
        match self.retained.get(ruby, key) {
            Some(block) => call(ruby, block, args),
            None => Ok(()),
        }
    }

    /// Calls a one-shot retained block, letting it go.
    pub fn call_once<A: ArgList>(&self, ruby: &Ruby, key: Key, args: A) -> Result<(), Error> {
        match self.retained.take(ruby, key) {
            Some(block) => call(ruby, block, args),
            None => Ok(()),
        }
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
