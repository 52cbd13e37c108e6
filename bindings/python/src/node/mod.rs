//! `dripdrop._native.Node`: the reactor from Python.
//!
//! The node belongs to the Python object and may be used from any Python thread, one at a
//! time (`one_thread`): the thread that runs the loop holds it for the whole run, and every
//! callback runs there. The loop keeps the GIL except while it waits, and looks for signals
//! after each wait, so Ctrl-C stops `run` with KeyboardInterrupt. Callbacks reach the node
//! through core's `Lender`; the Python objects they hold are visible to the garbage collector
//! (`python_refs`). The methods are thin: each file beside this one does one part.

mod connection;
mod handle;
mod one_thread;
mod pools;
mod python_refs;
mod response;
mod route;
mod routes;
mod running;
mod shared;
mod timers;

pub use connection::PyConnection;
pub use handle::PyNodeHandle;
pub use response::PyResponse;
pub use route::PyRoute;

use crate::convert::{from_py, to_py};
use crate::errors::{catching, py_result};
use crate::options::named;
use crate::tasks::PyTaskQueue;
use dripdrop::pool::HostQueue;
use dripdrop::{Error, HostedNode, Node, NodeHandle, NodeOptions};
use one_thread::{Entered, OneThreadAtATime};
use pyo3::gc::{PyTraverseError, PyVisit};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use shared::Shared;
use std::rc::Rc;
use std::sync::Arc;

/// What only the thread using the node may touch.
struct Inner {
    hosted: HostedNode,
    shared: Rc<Shared>,
}

impl Inner {
    /// Runs `f` with the node (the loop's own inside a callback); `WrongThread` while the
    /// loop waits on this thread and nobody lent it (a signal handler).
    fn with<T>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut Node) -> Result<T, Error>,
    ) -> PyResult<T> {
        py_result(py, self.hosted.with(f).and_then(|result| result))
    }
}

/// A node: routes, handlers, timers, pools; run, start on a thread, stop.
#[pyclass(module = "dripdrop._native", name = "Node", subclass, frozen, weakref)]
pub struct PyNode {
    inner: OneThreadAtATime<Inner>,
    /// The Python objects the node's callbacks hold (also reachable from `inner`, but the
    /// garbage collector, which may run on any thread, must not go through it).
    refs: Arc<python_refs::PythonRefs>,
    /// Stop and post, from any thread.
    handle: NodeHandle,
    /// The jobs of this node's Python tasks, for the Python threads its local pools start.
    tasks: Arc<HostQueue>,
    defer_threads: usize,
}

impl PyNode {
    fn enter(&self, py: Python<'_>) -> PyResult<Entered<'_, Inner>> {
        py_result(py, self.inner.enter())
    }

    /// Runs `f` with the node on this thread (see `Inner::with`).
    fn with<T>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut Node) -> Result<T, Error>,
    ) -> PyResult<T> {
        self.enter(py)?.with(py, f)
    }
}

impl Drop for PyNode {
    /// The Python threads serving this node's tasks end with it.
    fn drop(&mut self) {
        self.tasks.close();
    }
}

#[pymethods]
impl PyNode {
    /// A node; options by name (`run_list`, `defer_threads`, `stop_linger`,
    /// `receive_batch`), read by core.
    #[new]
    #[pyo3(signature = (**options))]
    fn new(py: Python<'_>, options: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        catching(py, "Node()", || {
            // Reported to a control server as this process's language, unless the program
            // says otherwise (a later name overrides an earlier one).
            let language = ("language".to_owned(), dripdrop::Value::from("python"));
            let options = std::iter::once(language).chain(named(options)?);
            let options = py_result(py, NodeOptions::from_named(options))?;
            let defer_threads = options.defer_threads;
            let hosted = HostedNode::new(py_result(py, Node::with_options(options))?);
            let handle = hosted.handle().clone();
            let shared = Rc::new(Shared::new(hosted.lender(), handle.clone()));
            let errors = Rc::clone(&shared);
            py_result(
                py,
                hosted.with(|n| n.on_error(move |node, error| errors.on_core_error(node, error))),
            )?;
            Ok(PyNode {
                refs: Arc::clone(&shared.refs),
                inner: OneThreadAtATime::new(Inner { hosted, shared }),
                handle,
                tasks: Arc::new(HostQueue::default()),
                defer_threads,
            })
        })
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        self.refs.traverse(&visit)
    }

    fn __clear__(&self) {
        self.refs.clear();
    }

    /// Adds a route (options by name, read by core); returns its first endpoint (with the
    /// port ZeroMQ picked for `:*`). No mode: the kind's default (connect for http_client,
    /// bind for the others).
    #[pyo3(signature = (name, kind, addresses, mode=None, options=None))]
    fn _route(
        &self,
        py: Python<'_>,
        name: &str,
        kind: &str,
        addresses: Vec<String>,
        mode: Option<&str>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<String> {
        catching(py, "Node.route", || {
            routes::add(&*self.enter(py)?, py, name, kind, &addresses, mode, options)
        })
    }

    /// The route's endpoints.
    fn _endpoints(&self, py: Python<'_>, name: &str) -> PyResult<Vec<String>> {
        catching(py, "Route.endpoints", || {
            self.with(py, |n| n.get_route(name).map(|r| r.endpoints().to_vec()))
        })
    }

    /// The names of the routes.
    fn _route_names<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        catching(py, "Node.routes", || {
            let names: Vec<String> = self.with(py, |n| {
                Ok(n.routes().map(|r| r.name().to_owned()).collect())
            })?;
            PyList::new(py, names)
        })
    }

    /// Calls `callback(message)` (xrep/rep: `callback(message, response)`) for what the
    /// route receives.
    fn _on_receive(slf: &Bound<'_, Self>, name: &str, callback: Py<PyAny>) -> PyResult<()> {
        let py = slf.py();
        catching(py, "Route.on_receive", || {
            routes::on_receive(slf, &*slf.get().enter(py)?, name, callback)
        })
    }

    /// Calls `callback(frames)` (a list of bytes) for what a raw route receives;
    /// `callback(frames, connection)` on a route with connections.
    fn _on_frames(slf: &Bound<'_, Self>, name: &str, callback: Py<PyAny>) -> PyResult<()> {
        let py = slf.py();
        catching(py, "Route.on_frames", || {
            routes::on_frames(slf, &*slf.get().enter(py)?, name, callback)
        })
    }

    /// Calls `callback(connection)` for each connection the route opens.
    fn _on_open(slf: &Bound<'_, Self>, name: &str, callback: Py<PyAny>) -> PyResult<()> {
        let py = slf.py();
        catching(py, "Route.on_open", || {
            let change = routes::ConnectionChange::Open;
            routes::on_connection(slf, &*slf.get().enter(py)?, name, change, callback)
        })
    }

    /// Calls `callback(connection)` for each connection of the route that closes.
    fn _on_close(slf: &Bound<'_, Self>, name: &str, callback: Py<PyAny>) -> PyResult<()> {
        let py = slf.py();
        catching(py, "Route.on_close", || {
            let change = routes::ConnectionChange::Close;
            routes::on_connection(slf, &*slf.get().enter(py)?, name, change, callback)
        })
    }

    /// Calls `callback(reason, connection)` when something goes wrong on a connection.
    fn _on_connection_error(
        slf: &Bound<'_, Self>,
        name: &str,
        callback: Py<PyAny>,
    ) -> PyResult<()> {
        let py = slf.py();
        catching(py, "Route.on_error", || {
            routes::on_connection_error(slf, &*slf.get().enter(py)?, name, callback)
        })
    }

    /// Sends a message to every open connection of the route; how many it went to.
    fn _broadcast(
        &self,
        py: Python<'_>,
        name: &str,
        message: &Bound<'_, PyAny>,
    ) -> PyResult<usize> {
        catching(py, "Route.broadcast", || {
            routes::broadcast(&*self.enter(py)?, py, name, message)
        })
    }

    /// Sends a frame untouched to every open connection of a raw route.
    fn _broadcast_frame(
        &self,
        py: Python<'_>,
        name: &str,
        frame: &Bound<'_, PyAny>,
    ) -> PyResult<usize> {
        catching(py, "Route.broadcast_frame", || {
            routes::broadcast_frame(&*self.enter(py)?, py, name, frame)
        })
    }

    /// Sends a message (a Message, or a dict with name/head/body).
    fn _send_message(
        &self,
        py: Python<'_>,
        name: &str,
        message: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        catching(py, "Route.send_message", || {
            routes::send_message(&*self.enter(py)?, py, name, message)
        })
    }

    /// Sends frames untouched on a raw route.
    fn _send_frames(&self, py: Python<'_>, name: &str, frames: &Bound<'_, PyAny>) -> PyResult<()> {
        catching(py, "Route.send_frames", || {
            routes::send_frames(&*self.enter(py)?, py, name, frames)
        })
    }

    /// Sends a request; `callback(reply, error)` gets the reply or the exception.
    fn _send_request(
        &self,
        py: Python<'_>,
        name: &str,
        message: &Bound<'_, PyAny>,
        callback: Py<PyAny>,
    ) -> PyResult<()> {
        catching(py, "Route.send_message", || {
            routes::send_request(&*self.enter(py)?, py, name, message, callback)
        })
    }

    /// Calls `callback()` every `seconds`; returns the timer's id.
    fn every(&self, py: Python<'_>, seconds: f64, callback: Py<PyAny>) -> PyResult<u64> {
        catching(py, "Node.every", || {
            timers::every(&*self.enter(py)?, py, seconds, callback)
        })
    }

    /// Calls `callback()` once after `seconds`; returns the timer's id.
    fn after(&self, py: Python<'_>, seconds: f64, callback: Py<PyAny>) -> PyResult<u64> {
        catching(py, "Node.after", || {
            timers::after(&*self.enter(py)?, py, seconds, callback)
        })
    }

    /// Calls `callback()` at the loop's next turn; returns the timer's id.
    fn next_tick(&self, py: Python<'_>, callback: Py<PyAny>) -> PyResult<u64> {
        catching(py, "Node.next_tick", || {
            timers::next_tick(&*self.enter(py)?, py, callback)
        })
    }

    /// Cancels a timer; False if it already fired or never was.
    fn cancel_timer(&self, py: Python<'_>, timer: u64) -> PyResult<bool> {
        catching(py, "Node.cancel_timer", || {
            timers::cancel(&*self.enter(py)?, py, timer)
        })
    }

    /// Sets the handler of what callbacks raise and of the node's errors (bad frames, a map
    /// item that could not be read...): `handler(exception)`. Without one, each is printed
    /// with its traceback.
    fn on_error(&self, py: Python<'_>, handler: Py<PyAny>) -> PyResult<()> {
        catching(py, "Node.on_error", || {
            self.enter(py)?.shared.set_on_error(handler);
            Ok(())
        })
    }

    /// Runs `setup(self)` as nodelet `name` if the run list allows it; True if it ran.
    fn _nodelet(slf: &Bound<'_, Self>, name: &str, setup: Py<PyAny>) -> PyResult<bool> {
        let py = slf.py();
        catching(py, "Node.nodelet", || {
            running::nodelet(slf, &*slf.get().enter(py)?, name, setup)
        })
    }

    /// Runs the loop on this thread until `stop`: the GIL is released while it waits, and
    /// a signal handler that raises (Ctrl-C) stops it and is raised here.
    fn run(&self, py: Python<'_>) -> PyResult<()> {
        catching(py, "Node.run", || running::run(py, &*self.enter(py)?))
    }

    /// Keeps the node for a thread about to start (`start()`); returns the token that
    /// thread claims it with.
    fn _reserve_thread(&self, py: Python<'_>) -> PyResult<u64> {
        catching(py, "Node.start", || py_result(py, self.inner.reserve()))
    }

    /// Runs the loop on this thread, which `_reserve_thread` kept the node for.
    fn _run_reserved(&self, py: Python<'_>, token: u64) -> PyResult<()> {
        catching(py, "Node.start", || {
            running::run(py, &*py_result(py, self.inner.claim(token))?)
        })
    }

    /// Gives back a reservation whose thread never started.
    fn _release_thread(&self, token: u64) -> bool {
        self.inner.release(token)
    }

    /// Asks the loop to stop (`run` returns once queued sends went out); from any thread.
    fn stop(&self) {
        self.handle.stop();
    }

    /// A handle for other threads: `post(callable)`, `stop()`.
    fn handle(slf: &Bound<'_, Self>) -> PyResult<PyNodeHandle> {
        catching(slf.py(), "Node.handle", || PyNodeHandle::new(slf))
    }

    /// Every route's (and pool's) counters, as a dict.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        catching(py, "Node.stats", || {
            let stats = self.with(py, |n| Ok(n.stats()))?;
            to_py(py, &stats)
        })
    }

    /// How many threads the node's `defer` runs on (core's default unless given).
    fn _defer_threads(&self) -> usize {
        self.defer_threads
    }

    /// A queue the node's Python task threads serve.
    fn _task_queue(&self) -> PyTaskQueue {
        PyTaskQueue::serving(Arc::clone(&self.tasks))
    }

    /// Registers task `name` for this node's pools, run by the threads serving `_task_queue`.
    fn _task(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        catching(py, "Node.task", || {
            self.with(py, |n| {
                n.host_task(name, &self.tasks);
                Ok(())
            })
        })
    }

    /// Starts a worker pool (options by name, read by core); returns the endpoints it bound
    /// and how many local threads it runs tasks on.
    #[pyo3(signature = (name, options=None))]
    fn _worker_pool(
        &self,
        py: Python<'_>,
        name: &str,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<(Vec<String>, usize)> {
        catching(py, "Node.worker_pool", || {
            pools::start(&*self.enter(py)?, py, name, options)
        })
    }

    /// The endpoints of pool `pool` (`NoSuchPool` if there is none).
    fn _pool_endpoints(&self, py: Python<'_>, pool: &str) -> PyResult<Vec<String>> {
        catching(py, "Node.pool", || {
            self.with(py, |n| Ok(n.pool(pool)?.endpoints().to_vec()))
        })
    }

    /// Runs task `task` of pool `pool`; `callback(result, error)` on the loop's thread.
    /// Returns the task's id.
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
        catching(py, "Pool.defer", || {
            pools::defer(&*self.enter(py)?, py, pool, task, args, callback, timeout)
        })
    }

    /// Feeds `items` (an iterable) to task `task` of pool `pool` as results free room:
    /// `on_result(index, result, error)` for each, then `on_done()` after the last. An
    /// exception raised by the iterable ends the feeding and goes to `on_error`.
    fn _pool_map(
        &self,
        py: Python<'_>,
        pool: &str,
        task: &str,
        items: &Bound<'_, PyAny>,
        on_result: Py<PyAny>,
        on_done: Py<PyAny>,
    ) -> PyResult<()> {
        catching(py, "Pool.map", || {
            pools::map(&*self.enter(py)?, py, pool, task, items, on_result, on_done)
        })
    }

    /// Gives up on a task; False if it already finished.
    fn _pool_cancel(&self, py: Python<'_>, pool: &str, id: u64) -> PyResult<bool> {
        catching(py, "Pool.cancel", || {
            self.with(py, |n| Ok(n.pool(pool)?.cancel(id)))
        })
    }

    /// The pool's counters.
    fn _pool_stats<'py>(&self, py: Python<'py>, pool: &str) -> PyResult<Bound<'py, PyAny>> {
        catching(py, "Pool.stats", || {
            let stats = self.with(py, |n| Ok(n.pool(pool)?.stats()))?;
            to_py(py, &stats)
        })
    }

    /// A Python value converted to BERT and back (what a peer would see).
    #[staticmethod]
    fn _roundtrip<'py>(py: Python<'py>, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        catching(py, "roundtrip", || {
            let v = from_py(value)?;
            let bytes = py_result(py, dripdrop::bert::encode(&v).map_err(Error::from))?;
            let back = py_result(py, dripdrop::bert::decode(&bytes).map_err(Error::from))?;
            to_py(py, &back)
        })
    }
}
