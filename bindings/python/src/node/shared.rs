//! What a node's callbacks share with the node object: the lender that lends them the loop's
//! node, the Python objects they hold, and where what they raise goes.
//!
//! An exception raised by Python code run for the node goes to core's `report_error` (so it
//! is counted in `stats()["errors"]`), and from there to the node's `on_error` handler as the
//! exception itself, traceback and all. A `BaseException` that is not an `Exception`
//! (KeyboardInterrupt, SystemExit) instead stops the loop and is raised by `run()`.

use super::python_refs::{Key, PythonRefs};
use crate::errors::to_py_err;
use dripdrop::{Error, Lender, Node, NodeHandle};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Arc;

/// Exceptions waiting for core to report them (see `Shared::stash`); more than this many
/// means some were never reported, and the oldest are let go.
const MOST_WAITING: usize = 64;

pub struct Shared {
    lender: Lender,
    pub refs: Arc<PythonRefs>,
    handle: NodeHandle,
    /// The Python `on_error` handler; None prints the exception with its traceback.
    on_error: RefCell<Option<Key>>,
    /// A KeyboardInterrupt or SystemExit that ended the loop, for `run()` to raise.
    fatal: RefCell<Option<PyErr>>,
    /// Python exceptions handed to core as `Error`s, so `on_error` gets the original.
    raised: RefCell<VecDeque<(Error, PyErr)>>,
}

/// A Python callable the node calls back, held where the garbage collector sees it.
pub struct Callback {
    key: Key,
    shared: Rc<Shared>,
}

impl Shared {
    pub fn new(lender: Lender, handle: NodeHandle) -> Self {
        Shared {
            lender,
            refs: Arc::default(),
            handle,
            on_error: RefCell::new(None),
            fatal: RefCell::new(None),
            raised: RefCell::new(VecDeque::new()),
        }
    }

    pub fn lender(&self) -> &Lender {
        &self.lender
    }

    /// Holds `callable` for a callback of this node.
    pub fn callback(self: &Rc<Self>, callable: Py<PyAny>) -> Callback {
        Callback {
            key: self.refs.hold(callable),
            shared: Rc::clone(self),
        }
    }

    /// Sets the Python error handler.
    pub fn set_on_error(&self, handler: Py<PyAny>) {
        let key = self.refs.hold(handler);
        let previous = self.on_error.replace(Some(key));
        drop(previous);
    }

    /// Runs Python code for the loop with `node` lent to the node object's methods; what it
    /// raises is reported.
    pub fn invoke(&self, node: &mut Node, call: impl FnOnce(Python<'_>) -> PyResult<()>) {
        let raised = self
            .lender
            .lend(node, || Python::attach(|py| call(py).err()));
        if let Some(raised) = raised {
            self.report(node, raised);
        }
    }

    /// Hands what Python code raised to `on_error` through core, or ends the loop with it.
    pub fn report(&self, node: &mut Node, raised: PyErr) {
        let error = Python::attach(|py| {
            raised
                .is_instance_of::<PyException>(py)
                .then(|| as_core_error(py, &raised, "a Python callback"))
        });
        match error {
            None => self.fail(raised),
            Some(error) => {
                self.stash(error.clone(), raised);
                node.report_error(error);
            }
        }
    }

    /// Keeps the Python exception behind `error`, which core is about to report.
    pub fn stash(&self, error: Error, raised: PyErr) {
        let mut waiting = self.raised.borrow_mut();
        if waiting.len() >= MOST_WAITING {
            waiting.pop_front();
        }
        waiting.push_back((error, raised));
    }

    /// Ends the loop: `run()` raises `raised`.
    pub fn fail(&self, raised: PyErr) {
        self.fatal.borrow_mut().get_or_insert(raised);
        self.handle.stop();
    }

    pub fn take_fatal(&self) -> Option<PyErr> {
        self.fatal.borrow_mut().take()
    }

    /// Core's error handler for this node: the Python handler gets the exception (the one
    /// Python raised, if it was one), with the node lent to it.
    pub fn on_core_error(&self, node: &mut Node, error: &Error) {
        let raised = {
            let mut waiting = self.raised.borrow_mut();
            let found = waiting.iter().position(|(stashed, _)| stashed == error);
            found
                .and_then(|at| waiting.remove(at))
                .map(|(_, raised)| raised)
        };
        self.lender.lend(node, || {
            Python::attach(|py| {
                let exception = raised.unwrap_or_else(|| to_py_err(py, error.clone()));
                let handler = self.on_error.borrow().as_ref().and_then(|key| key.get(py));
                let Some(handler) = handler else {
                    exception.display(py);
                    return;
                };
                if let Err(failure) = handler.call1(py, (exception.into_value(py),)) {
                    if failure.is_instance_of::<PyException>(py) {
                        // The handler's own error has nowhere else to go.
                        failure.display(py);
                    } else {
                        self.fail(failure);
                    }
                }
            })
        });
    }
}

impl Callback {
    /// Calls the callable through `call` for the loop (see `Shared::invoke`); nothing if the
    /// garbage collector let it go.
    pub fn call(
        &self,
        node: &mut Node,
        call: impl FnOnce(Python<'_>, &Bound<'_, PyAny>) -> PyResult<()>,
    ) {
        self.shared.invoke(node, |py| match self.key.get(py) {
            Some(callable) => call(py, callable.bind(py)),
            None => Ok(()),
        })
    }
}

/// A Python exception as a core error (`CallbackError` with the exception's class and text).
pub fn as_core_error(py: Python<'_>, raised: &PyErr, context: &str) -> Error {
    let class = raised
        .get_type(py)
        .name()
        .map(|name| name.to_string())
        .unwrap_or_else(|_| "Exception".into());
    let text = raised
        .value(py)
        .str()
        .map(|text| text.to_string())
        .unwrap_or_default();
    Error::Callback {
        context: context.to_owned(),
        message: format!("{class}: {text}"),
    }
}
