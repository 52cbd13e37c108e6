//! `dripdrop._native.Node`: the reactor from Python. The loop runs with the GIL released and
//! takes it back for each callback; every callback runs on the thread that called `run` (a
//! Python thread). A 50 ms timer checks for signals, so Ctrl-C stops `run` with
//! KeyboardInterrupt.

use crate::convert::{from_py, to_py};
use crate::errors::{py_result, to_py_err};
use crate::message::{message_of, PyMessage};
use crate::tasks::PyTaskQueue;
use dripdrop::{
    Error, Mode, Node, NodeHandle, NodeOptions, Response, RouteKind, RouteOptions, TimerId,
    TopicFilter,
};
use dripdrop::{Placement, PoolOptions, TaskOptions};
use pyo3::exceptions::{PyException, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::cell::{Cell, RefCell, UnsafeCell};
use std::rc::Rc;
use std::time::Duration;

/// How often the loop looks for signals (Ctrl-C) while it waits.
const SIGNAL_CHECK: Duration = Duration::from_millis(50);

/// What callbacks share with the node object.
#[derive(Default)]
struct Shared {
    /// The node a callback is running with (the loop's own `&mut Node`), for the methods the
    /// callback calls; null outside callbacks.
    active: Cell<*mut Node>,
    on_error: RefCell<Option<Py<PyAny>>>,
    /// An exception that must end `run` (KeyboardInterrupt, SystemExit).
    fatal: RefCell<Option<PyErr>>,
}

/// Lets the node cross into `py.detach`: it never leaves the thread that runs it.
struct OnThisThread<T>(T);
// SAFETY: `detach` runs its closure on the calling thread; the value never moves elsewhere.
unsafe impl<T> Send for OnThisThread<T> {}

/// A node: routes, handlers, timers, run and stop.
#[pyclass(module = "dripdrop._native", name = "Node", unsendable, subclass)]
pub struct PyNode {
    node: UnsafeCell<Node>,
    shared: Rc<Shared>,
    running: Cell<bool>,
    /// The jobs of this node's Python tasks (its pools' local threads hand them over).
    queue: RefCell<Option<Py<PyTaskQueue>>>,
}

impl PyNode {
    /// Runs `f` with the node: the callback's while one runs, else the node's own.
    fn with_node<T>(&self, f: impl FnOnce(&mut Node) -> T) -> T {
        let active = self.shared.active.get();
        let node = if active.is_null() {
            self.node.get()
        } else {
            active
        };
        // SAFETY: the node lives on this thread (unsendable); `active` is the loop's own
        // reference, lent for the callback's duration, and nothing else uses the node then.
        f(unsafe { &mut *node })
    }

    fn call<T>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut Node) -> Result<T, Error>,
    ) -> PyResult<T> {
        py_result(py, self.with_node(f))
    }
}

/// Calls a Python callback with the loop's node lent to the node object; an exception goes to
/// `on_error` (default: its traceback on stderr), except KeyboardInterrupt and SystemExit,
/// which stop the loop and are raised by `run`.
fn invoke(shared: &Rc<Shared>, node: &mut Node, call: impl FnOnce(Python<'_>) -> PyResult<()>) {
    let previous = shared.active.replace(node as *mut Node);
    Python::attach(|py| {
        if let Err(e) = call(py) {
            if !e.is_instance_of::<PyException>(py) {
                shared.fatal.borrow_mut().get_or_insert(e);
                node.stop();
            } else {
                let handler = shared.on_error.borrow().as_ref().map(|h| h.clone_ref(py));
                match handler {
                    Some(handler) => {
                        if let Err(inner) = handler.call1(py, (e.value(py),)) {
                            inner.print(py);
                        }
                    }
                    None => e.print(py),
                }
            }
        }
    });
    shared.active.set(previous);
}

/// Calls `callback(*leading, result, error)` with a task's value or exception.
fn deliver(
    py: Python<'_>,
    callback: &Py<PyAny>,
    mut args: Vec<Py<PyAny>>,
    result: Result<dripdrop::Value, Error>,
) -> PyResult<()> {
    let (value, error) = match result {
        Ok(v) => (to_py(py, &v)?.unbind(), py.None()),
        Err(e) => (
            py.None(),
            to_py_err(py, e).value(py).clone().into_any().unbind(),
        ),
    };
    args.push(value);
    args.push(error);
    callback
        .call1(py, pyo3::types::PyTuple::new(py, args)?)
        .map(drop)
}

fn seconds(s: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(s).map_err(|_| PyRuntimeError::new_err(format!("bad duration {s}")))
}

fn route_options(options: Option<&Bound<'_, PyDict>>) -> PyResult<RouteOptions> {
    let mut o = RouteOptions::default();
    let Some(options) = options else { return Ok(o) };
    for (key, value) in options.iter() {
        let key: String = key.extract()?;
        match key.as_str() {
            "send_hwm" => o.send_hwm = Some(value.extract()?),
            "recv_hwm" => o.recv_hwm = Some(value.extract()?),
            "linger" => o.linger = seconds(value.extract()?)?,
            "identity" => o.identity = Some(value.extract::<String>()?.into_bytes()),
            "reconnect_ivl" => o.reconnect_ivl = Some(seconds(value.extract()?)?),
            "reconnect_ivl_max" => o.reconnect_ivl_max = Some(seconds(value.extract()?)?),
            "topic" | "topic_filter" => {
                if let Ok(prefix) = value.extract::<String>() {
                    o.topic_filter = Some(TopicFilter::Prefix(prefix.into_bytes()));
                } else {
                    let source: String = value.getattr("pattern")?.extract()?;
                    let regex = dripdrop_regex(&source)?;
                    o.topic_filter = Some(TopicFilter::Regex(regex));
                }
            }
            "send_queue" => o.send_queue = value.extract()?,
            "request_timeout" => o.request_timeout = Some(seconds(value.extract()?)?),
            other => {
                return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                    "unknown route option {other:?}"
                )))
            }
        }
    }
    Ok(o)
}

fn dripdrop_regex(source: &str) -> PyResult<regex::Regex> {
    regex::Regex::new(source)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(format!("topic regex: {e}")))
}

/// The answer to one xrep/rep request: `send_message(reply)` once.
#[pyclass(module = "dripdrop._native", name = "Response", unsendable)]
pub struct PyResponse {
    response: Option<Response>,
    node: Py<PyNode>,
}

#[pymethods]
impl PyResponse {
    /// Sends the reply back to the asker.
    fn send_message(&mut self, py: Python<'_>, reply: &Bound<'_, PyAny>) -> PyResult<()> {
        let reply = message_of(reply)?;
        let response = self
            .response
            .take()
            .ok_or_else(|| PyRuntimeError::new_err("this request was answered already"))?;
        let node = self.node.bind(py).borrow();
        node.call(py, |n| response.send_message(n, &reply))
    }
}

/// Posts work to a node's loop, or stops it, from any thread.
#[pyclass(module = "dripdrop._native", name = "NodeHandle", frozen)]
pub struct PyNodeHandle {
    handle: NodeHandle,
}

#[pymethods]
impl PyNodeHandle {
    /// Runs `callback()` on the node's thread at its next turn.
    fn post(&self, py: Python<'_>, callback: Py<PyAny>) -> PyResult<()> {
        let result = self.handle.post(move |_node| {
            Python::attach(|py| {
                if let Err(e) = callback.call0(py) {
                    e.print(py);
                }
            })
        });
        py_result(py, result)
    }

    /// Stops the node's loop.
    fn stop(&self) {
        self.handle.stop();
    }
}

#[pymethods]
impl PyNode {
    #[new]
    #[pyo3(signature = (defer_threads=None, run_list=None))]
    fn new(
        py: Python<'_>,
        defer_threads: Option<usize>,
        run_list: Option<Vec<String>>,
    ) -> PyResult<Self> {
        let mut options = NodeOptions {
            run_list,
            ..NodeOptions::default()
        };
        if let Some(n) = defer_threads {
            options.defer_threads = n;
        }
        let node = py_result(py, Node::with_options(options))?;
        Ok(PyNode {
            node: UnsafeCell::new(node),
            shared: Rc::new(Shared::default()),
            running: Cell::new(false),
            queue: RefCell::new(None),
        })
    }

    /// Adds a route; returns the first endpoint (with the port ZeroMQ picked for `:*`).
    #[pyo3(signature = (name, kind, addresses, mode="bind", options=None))]
    fn _route(
        &self,
        py: Python<'_>,
        name: &str,
        kind: &str,
        addresses: Vec<String>,
        mode: &str,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<String> {
        let kind = py_result(py, RouteKind::from_name(kind))?;
        let mode = py_result(py, Mode::from_name(mode))?;
        let options = route_options(options)?;
        let addresses: Vec<&str> = addresses.iter().map(String::as_str).collect();
        self.call(py, |n| {
            n.route_with(name, kind, &addresses, mode, options)
                .map(|r| r.endpoint().to_owned())
        })
    }

    /// The route's kind (`zmq_push`...).
    fn _route_kind(&self, py: Python<'_>, name: &str) -> PyResult<String> {
        self.call(py, |n| {
            n.get_route(name).map(|r| r.kind().name().to_owned())
        })
    }

    /// The route's endpoints.
    fn _endpoints(&self, py: Python<'_>, name: &str) -> PyResult<Vec<String>> {
        self.call(py, |n| n.get_route(name).map(|r| r.endpoints().to_vec()))
    }

    /// Calls `callback(message)` (xrep/rep: `callback(message, response)`) for what the
    /// route receives.
    fn _on_receive(
        slf: &Bound<'_, Self>,
        py: Python<'_>,
        name: &str,
        callback: Py<PyAny>,
    ) -> PyResult<()> {
        let this = slf.borrow();
        let kind = this.call(py, |n| n.get_route(name).map(|r| r.kind()))?;
        let shared = Rc::clone(&this.shared);
        if kind.answers() {
            let owner: Py<PyNode> = slf.clone().unbind();
            this.call(py, |n| {
                n.on_request(name, move |node, message, response| {
                    invoke(&shared, node, |py| {
                        let msg = Py::new(py, PyMessage { inner: message })?;
                        let response = Py::new(
                            py,
                            PyResponse {
                                response: Some(response),
                                node: owner.clone_ref(py),
                            },
                        )?;
                        callback.call1(py, (msg, response)).map(drop)
                    })
                })
            })
        } else {
            this.call(py, |n| {
                n.on_receive(name, move |node, message| {
                    invoke(&shared, node, |py| {
                        let msg = Py::new(py, PyMessage { inner: message })?;
                        callback.call1(py, (msg,)).map(drop)
                    })
                })
            })
        }
    }

    /// Sends a message (a Message, or a dict with name/head/body).
    fn _send_message(
        &self,
        py: Python<'_>,
        name: &str,
        message: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let message = message_of(message)?;
        self.call(py, |n| n.send_message(name, &message))
    }

    /// Sends a request; `callback(reply, error)` gets the reply or the exception.
    fn _send_request(
        &self,
        py: Python<'_>,
        name: &str,
        message: &Bound<'_, PyAny>,
        callback: Py<PyAny>,
    ) -> PyResult<()> {
        let message = message_of(message)?;
        let shared = Rc::clone(&self.shared);
        self.call(py, |n| {
            n.send_request(name, &message, move |node, reply| {
                invoke(&shared, node, |py| match reply {
                    Ok(reply) => {
                        let msg = Py::new(py, PyMessage { inner: reply })?;
                        callback.call1(py, (msg, py.None())).map(drop)
                    }
                    Err(e) => {
                        let error = to_py_err(py, e);
                        callback.call1(py, (py.None(), error.value(py))).map(drop)
                    }
                })
            })
        })
    }

    /// Calls `callback()` every `seconds`; returns the timer's id.
    fn every(&self, seconds_: f64, callback: Py<PyAny>) -> PyResult<u64> {
        let period = seconds(seconds_)?;
        let shared = Rc::clone(&self.shared);
        Ok(self
            .with_node(|n| {
                n.every(period, move |node| {
                    invoke(&shared, node, |py| callback.call0(py).map(drop))
                })
            })
            .to_raw())
    }

    /// Calls `callback()` once after `seconds`; returns the timer's id.
    fn after(&self, seconds_: f64, callback: Py<PyAny>) -> PyResult<u64> {
        let delay = seconds(seconds_)?;
        let shared = Rc::clone(&self.shared);
        Ok(self
            .with_node(|n| {
                n.after(delay, move |node| {
                    invoke(&shared, node, |py| callback.call0(py).map(drop))
                })
            })
            .to_raw())
    }

    /// Calls `callback()` at the loop's next turn.
    fn next_tick(&self, callback: Py<PyAny>) -> u64 {
        let shared = Rc::clone(&self.shared);
        self.with_node(|n| {
            n.next_tick(move |node| invoke(&shared, node, |py| callback.call0(py).map(drop)))
        })
        .to_raw()
    }

    /// Cancels a timer; False if it already fired or never was.
    fn cancel_timer(&self, timer: u64) -> bool {
        self.with_node(|n| n.cancel_timer(TimerId::from_raw(timer)))
    }

    /// Sets the handler of errors in callbacks and bad frames: `handler(exception)`.
    fn on_error(&self, handler: Py<PyAny>) {
        *self.shared.on_error.borrow_mut() = Some(handler);
        let shared = Rc::clone(&self.shared);
        self.with_node(|n| {
            n.on_error(move |node, error| {
                let error = error.clone();
                invoke(&shared, node, |py| Err(to_py_err(py, error)))
            })
        });
    }

    /// Runs `setup(self)` as nodelet `name` if the run list allows it; True if it ran.
    fn _nodelet(
        slf: &Bound<'_, Self>,
        py: Python<'_>,
        name: &str,
        setup: Py<PyAny>,
    ) -> PyResult<bool> {
        let this = slf.borrow();
        let shared = Rc::clone(&this.shared);
        let object = slf.clone().unbind();
        let mut failure = None;
        let ran = this.with_node(|n| {
            n.nodelet(name, |node| {
                let previous = shared.active.replace(node as *mut Node);
                if let Err(e) = setup.call1(py, (object.clone_ref(py),)) {
                    failure = Some(e);
                }
                shared.active.set(previous);
                Ok(())
            })
        });
        if let Some(e) = failure {
            return Err(e);
        }
        py_result(py, ran)
    }

    /// Runs the loop until `stop`; the GIL is released while it waits.
    fn run(slf: &Bound<'_, Self>, py: Python<'_>) -> PyResult<()> {
        let this = slf.borrow();
        if this.running.replace(true) {
            return Err(PyRuntimeError::new_err("the node is already running"));
        }
        let shared = Rc::clone(&this.shared);
        let checker = this.with_node(|n| {
            n.every(SIGNAL_CHECK, move |node| {
                let previous = shared.active.replace(node as *mut Node);
                Python::attach(|py| {
                    if let Err(e) = py.check_signals() {
                        shared.fatal.borrow_mut().get_or_insert(e);
                        node.stop();
                    }
                });
                shared.active.set(previous);
            })
        });
        let node = OnThisThread(this.node.get());
        let result = py.detach(move || {
            let node = node;
            // SAFETY: the node lives on this thread; callbacks reach it only through the
            // reference the loop lends them.
            unsafe { (*node.0).run() }
        });
        this.with_node(|n| n.cancel_timer(checker));
        this.running.set(false);
        if let Some(fatal) = this.shared.fatal.borrow_mut().take() {
            return Err(fatal);
        }
        py_result(py, result)
    }

    /// Asks the loop to stop (`run` returns once queued sends went out).
    fn stop(&self) {
        self.with_node(|n| n.stop());
    }

    /// A handle for other threads: `post(callable)`, `stop()`.
    fn handle(&self) -> PyNodeHandle {
        PyNodeHandle {
            handle: self.with_node(|n| n.handle()),
        }
    }

    /// Every route's (and pool's) counters, as a dict.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let stats = self.with_node(|n| n.stats());
        to_py(py, &stats)
    }

    /// The names of the routes.
    fn _route_names<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let names: Vec<String> =
            self.with_node(|n| n.routes().map(|r| r.name().to_owned()).collect());
        PyList::new(py, names)
    }

    /// The queue the node's Python task threads serve.
    fn _task_queue(&self, py: Python<'_>) -> PyResult<Py<PyTaskQueue>> {
        let mut queue = self.queue.borrow_mut();
        if queue.is_none() {
            *queue = Some(Py::new(py, PyTaskQueue::new())?);
        }
        Ok(queue.as_ref().map(|q| q.clone_ref(py)).expect("made above"))
    }

    /// Registers task `name` for this node's pools, run by the threads serving `_task_queue`.
    fn _task(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        let queue = self._task_queue(py)?;
        self.with_node(|n| {
            n.host_task(name, queue.get().queue());
        });
        Ok(())
    }

    /// Starts a worker pool; returns the endpoints it bound.
    #[pyo3(signature = (name, bind=None, local=0, placement=None, max_pending=10_000,
        heartbeat=1.0, liveness=3, max_attempts=3, no_worker_timeout=Some(30.0), prefetch=1))]
    #[allow(clippy::too_many_arguments)]
    fn _worker_pool(
        &self,
        py: Python<'_>,
        name: &str,
        bind: Option<String>,
        local: usize,
        placement: Option<&str>,
        max_pending: usize,
        heartbeat: f64,
        liveness: u32,
        max_attempts: u32,
        no_worker_timeout: Option<f64>,
        prefetch: usize,
    ) -> PyResult<Vec<String>> {
        let placement = match placement {
            Some("local") => Placement::Local,
            Some("remote") => Placement::Remote,
            Some("local_first") => Placement::LocalFirst,
            None if bind.is_none() => Placement::Local,
            None if local > 0 => Placement::LocalFirst,
            None => Placement::Remote,
            Some(other) => {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "placement {other:?}: local, remote or local_first"
                )))
            }
        };
        let options = PoolOptions {
            bind: bind.into_iter().collect(),
            local_threads: local,
            placement,
            max_pending,
            heartbeat: seconds(heartbeat)?,
            liveness,
            max_attempts,
            no_worker_timeout: no_worker_timeout.map(seconds).transpose()?,
            prefetch,
        };
        self.call(py, |n| n.worker_pool(name, options))
    }

    /// Runs task `task` of pool `pool`; `callback(result, error)` on the loop's thread.
    #[pyo3(signature = (pool, task, args, callback, timeout=None))]
    fn _pool_defer(
        &self,
        py: Python<'_>,
        pool: &str,
        task: &str,
        args: &Bound<'_, PyAny>,
        callback: Py<PyAny>,
        timeout: Option<f64>,
    ) -> PyResult<u64> {
        let args = from_py(args)?;
        let options = TaskOptions {
            timeout: timeout.map(seconds).transpose()?,
        };
        let shared = Rc::clone(&self.shared);
        self.call(py, |n| {
            n.pool(pool)?
                .defer_with(task, args, options, move |node, result| {
                    invoke(&shared, node, |py| {
                        deliver(py, &callback, Vec::new(), result)
                    })
                })
        })
    }

    /// Feeds `items` to task `task` of pool `pool` as results free room:
    /// `on_result(index, result, error)` for each, then `on_done()`.
    fn _pool_map(
        &self,
        py: Python<'_>,
        pool: &str,
        task: &str,
        items: &Bound<'_, PyAny>,
        on_result: Py<PyAny>,
        on_done: Py<PyAny>,
    ) -> PyResult<()> {
        let iterator: Py<PyAny> = items.try_iter()?.into_any().unbind();
        let values = std::iter::from_fn(move || {
            Python::attach(|py| {
                let next = iterator.bind(py).call_method0("__next__");
                match next {
                    Ok(item) => match from_py(&item) {
                        Ok(value) => Some(value),
                        Err(e) => {
                            e.print(py);
                            None
                        }
                    },
                    Err(e) if e.is_instance_of::<pyo3::exceptions::PyStopIteration>(py) => None,
                    Err(e) => {
                        e.print(py);
                        None
                    }
                }
            })
        });
        let (for_results, for_done) = (Rc::clone(&self.shared), Rc::clone(&self.shared));
        self.call(py, |n| {
            n.pool(pool)?.map(
                task,
                values,
                move |node, index, result| {
                    invoke(&for_results, node, |py| {
                        let index = index.into_pyobject(py)?.into_any().unbind();
                        deliver(py, &on_result, vec![index], result)
                    })
                },
                move |node| invoke(&for_done, node, |py| on_done.call0(py).map(drop)),
            )
        })
    }

    /// Gives up on a task; False if it already finished.
    fn _pool_cancel(&self, py: Python<'_>, pool: &str, id: u64) -> PyResult<bool> {
        self.call(py, |n| Ok(n.pool(pool)?.cancel(id)))
    }

    /// A Python value converted to BERT and back (what a peer would see).
    #[staticmethod]
    fn _roundtrip<'py>(py: Python<'py>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let v = from_py(value)?;
        let bytes = py_result(py, dripdrop::bert::encode(&v).map_err(Error::from))?;
        let back = py_result(py, dripdrop::bert::decode(&bytes).map_err(Error::from))?;
        to_py(py, &back)
    }
}
