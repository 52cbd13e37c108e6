//! `Node`: one reactor loop running routes, timers, deferred work, worker pools and nodelets
//! on the thread that calls [`Node::run`].
//!
//! A node is a few parts that each own one thing, put together by the loop in this file:
//! the reactor (polling, timers, wake-ups), the route table, each route's handler, the
//! requests waiting for replies, the `defer` threads, the pools, the inbox of what other
//! threads send, the error handler and the nodelets.

mod callbacks;
mod connection;
mod deferred;
mod errors;
mod handle;
mod handlers;
mod hosted;
mod inbox;
mod nodelets;
mod pools;
mod reporting;
mod requests;
mod response;
mod route_table;
mod service;

pub use connection::Connection;
pub use handle::NodeHandle;
pub use hosted::{HostedNode, Lender};
pub use pools::{PoolRef, TaskOptions};
pub use response::Response;

use crate::bert::Value;
use crate::control::{ControlSettings, Reporter};
use crate::error::Error;
use crate::message::Message;
use crate::panic_message::panic_message;
use crate::pool::{HostQueue, PoolOptions, TaskContext, TaskRegistry, TaskResult};
use crate::reactor::{AroundWait, Event, Reactor, TimerId};
use crate::route::{
    error_reply, ConnectionEvent, Inbound, Mode, Received, Route, RouteKind, RouteOptions,
};
use crate::security::CurveOption;
use crate::service::{apply_launch_environment, Service};
use callbacks::TimerCallback;
use deferred::Deferred;
use errors::ErrorSink;
use handlers::{ConnectionSlot, Handler, Handlers};
use inbox::Inbox;
use nodelets::Nodelets;
use pools::{Delivery, Pools};
use requests::{Pending, PendingRequests};
use route_table::RouteTable;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The default number of `defer` threads (see [`NodeOptions::defer_threads`]).
pub const DEFER_THREADS: usize = 20;

/// Settings of a node.
#[derive(Clone, Debug)]
pub struct NodeOptions {
    /// Threads of the local `defer` pool, started at the first `defer`. The default is 20,
    /// EventMachine's: `defer` is for blocking work (a query, a file, a call to a service),
    /// whose threads mostly wait.
    pub defer_threads: usize,
    /// How long `stop` keeps flushing queued sends before the loop returns anyway.
    pub stop_linger: Duration,
    /// Most messages read from one socket per loop turn, so one busy route cannot starve the
    /// others or the timers.
    pub receive_batch: usize,
    /// Only these nodelets run; `None` runs them all.
    pub run_list: Option<Vec<String>>,
    /// The control server to report to (`tcp://host:port`, its ROUTER; see
    /// `docs/control.md`). `None` takes `DRIPDROP_CONTROL` from the environment, read when
    /// the node starts; an empty address reports to nobody, whatever the environment says.
    pub control: Option<String>,
    /// The role the node reports; `None` takes `DRIPDROP_ROLE`, else the program's name.
    pub role: Option<String>,
    /// How often the node reports its counters and its reporting thread says it is alive.
    pub heartbeat: Duration,
    /// The language of the program, as reported: skins set theirs (`ruby`, `python`, `c`).
    pub language: String,
    /// CURVE on the backchannel to the control server (docs/security.md): the reporter is a
    /// client of the server's backchannel. The default takes `DRIPDROP_CURVE_DIR` when the
    /// environment names one, else plain text.
    pub control_curve: CurveOption,
}

impl Default for NodeOptions {
    fn default() -> Self {
        NodeOptions {
            defer_threads: DEFER_THREADS,
            stop_linger: Duration::from_secs(1),
            receive_batch: 256,
            run_list: None,
            control: None,
            role: None,
            heartbeat: Duration::from_secs(1),
            language: "rust".to_owned(),
            control_curve: CurveOption::FromEnvironment,
        }
    }
}

/// A DripDrop node: routes, timers, `defer` and worker pools on one reactor loop, run by the
/// thread that calls [`Node::run`]. Callbacks run on that thread; other threads reach the
/// node through a [`NodeHandle`]. Not `Send`: it lives on the thread that made it.
///
/// ```
/// use dripdrop::{Message, Mode, Node, RouteKind, Value};
/// use std::time::Duration;
///
/// let mut node = Node::new()?;
/// let endpoint = node
///     .route("in", RouteKind::Pull, &["tcp://127.0.0.1:*"], Mode::Bind)?
///     .endpoint()
///     .to_owned();                             // the port ZeroMQ picked
/// node.route("out", RouteKind::Push, &[&endpoint], Mode::Connect)?;
/// let got = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
/// let inbox = got.clone();
/// node.on_receive("in", move |node, msg| {
///     inbox.borrow_mut().push(msg);            // a callback that panics goes to on_error
///     node.stop();
/// })?;
/// node.after(Duration::from_millis(1), |node| {
///     let hello = Message::new("hello").expect("a valid name").with_body(42);
///     if let Err(e) = node.send_message("out", &hello) {
///         node.report_error(e);                // e.g. backpressure
///     }
/// });
/// node.run()?;
/// let got = got.borrow();
/// assert_eq!((got[0].name(), got[0].body()), ("hello", &Value::Int(42)));
/// # Ok::<(), dripdrop::Error>(())
/// ```
pub struct Node {
    reactor: Reactor<usize, TimerCallback>,
    routes: RouteTable,
    handlers: Handlers,
    requests: PendingRequests,
    pools: Pools,
    deferred: Deferred,
    inbox: Inbox,
    errors: ErrorSink,
    nodelets: Nodelets,
    options: NodeOptions,
    stop_requested: Arc<AtomicBool>,
    /// The stop is a shutdown ([`NodeHandle::shutdown`]): pool tasks are drained too.
    shutdown_requested: Arc<AtomicBool>,
    /// What the last wait found ready, kept to reuse its allocation.
    ready: Vec<Event<usize>>,
    /// The control backchannel, when the node reports to a control server.
    control: Option<Reporter>,
    /// What the environment asks of the node as a service (systemd, a health file, SIGTERM).
    service: Option<Service>,
    /// Held so the shared context outlives this node's sockets (see `context`); last, so it
    /// is let go after everything that holds a socket.
    context: Arc<zmq::Context>,
}

impl Drop for Node {
    /// Sockets close before the context is let go, so that the last node's drop terminates
    /// the context and with it writes out what ZeroMQ still holds (within each linger).
    fn drop(&mut self) {
        // The goodbye goes first, while the routes it would describe still exist.
        self.control = None;
        self.routes.clear();
        self.reactor.clear();
        self.pools.clear();
    }
}

impl Node {
    /// A node with default options.
    pub fn new() -> Result<Node, Error> {
        Node::with_options(NodeOptions::default())
    }

    /// A node with the given options. With a control server (the `control` option or
    /// `DRIPDROP_CONTROL`) it starts reporting at once; a bad control address is an error.
    pub fn with_options(options: NodeOptions) -> Result<Node, Error> {
        let io = |e: std::io::Error| Error::InvalidArgument(format!("cannot start node: {e}"));
        let options = apply_launch_environment(options);
        let control = ControlSettings::resolve(&options)?;
        let reactor = Reactor::new().map_err(io)?;
        let deferred = Deferred::new(options.defer_threads, reactor.waker());
        let mut node = Node {
            reactor,
            routes: RouteTable::default(),
            handlers: Handlers::default(),
            requests: PendingRequests::default(),
            pools: Pools::default(),
            deferred,
            inbox: Inbox::new(),
            errors: ErrorSink::default(),
            nodelets: Nodelets::new(options.run_list.as_deref()),
            options,
            stop_requested: Arc::new(AtomicBool::new(false)),
            shutdown_requested: Arc::new(AtomicBool::new(false)),
            ready: Vec::new(),
            control: None,
            service: None,
            context: crate::context::context(),
        };
        if let Some(settings) = control {
            node.start_reporting(settings)?;
        }
        node.start_service();
        Ok(node)
    }

    /// A handle other threads use to post work to this node or stop it.
    pub fn handle(&self) -> NodeHandle {
        NodeHandle::new(
            self.inbox.poster(),
            Arc::clone(self.reactor.waker()),
            Arc::clone(&self.stop_requested),
            Arc::clone(&self.shutdown_requested),
        )
    }

    // Routes.

    /// Creates route `name` of `kind`, bound or connected to every address, with default
    /// options.
    pub fn route(
        &mut self,
        name: &str,
        kind: RouteKind,
        addresses: &[&str],
        mode: Mode,
    ) -> Result<&mut Route, Error> {
        self.route_with(name, kind, addresses, mode, RouteOptions::default())
    }

    /// Creates a route with the given options.
    pub fn route_with(
        &mut self,
        name: &str,
        kind: RouteKind,
        addresses: &[&str],
        mode: Mode,
        options: RouteOptions,
    ) -> Result<&mut Route, Error> {
        if self.routes.contains(name) {
            return Err(Error::DuplicateRoute(name.to_owned()));
        }
        let nodelet = self.nodelets.current().map(str::to_owned);
        let route = Route::open(
            &self.context,
            name,
            kind,
            addresses,
            mode,
            &options,
            nodelet,
        )?;
        let index = self.routes.add(route, &mut self.reactor);
        Ok(self.routes.get_mut(index))
    }

    /// The route named `name`.
    pub fn get_route(&self, name: &str) -> Result<&Route, Error> {
        self.routes.index_of(name).map(|i| self.routes.get(i))
    }

    /// Every route, in the order they were made.
    pub fn routes(&self) -> impl Iterator<Item = &Route> {
        self.routes.iter()
    }

    fn set_handler(&mut self, route: &str, handler: Handler) -> Result<(), Error> {
        let index = self.routes.index_of(route)?;
        self.handlers.set(index, self.routes.get(index), handler)
    }

    /// Calls `handler` with every message the route receives (pub/sub, push/pull, pair).
    pub fn on_receive(
        &mut self,
        route: &str,
        handler: impl FnMut(&mut Node, Message) + 'static,
    ) -> Result<(), Error> {
        self.set_handler(route, Handler::Message(Box::new(handler)))
    }

    /// Calls `handler` with every request an xrep or rep route receives and the `Response`
    /// that answers it.
    pub fn on_request(
        &mut self,
        route: &str,
        handler: impl FnMut(&mut Node, Message, Response) + 'static,
    ) -> Result<(), Error> {
        self.set_handler(route, Handler::Request(Box::new(handler)))
    }

    /// Calls `handler` with the frames a raw route receives, untouched.
    pub fn on_frames(
        &mut self,
        route: &str,
        handler: impl FnMut(&mut Node, Vec<Vec<u8>>) + 'static,
    ) -> Result<(), Error> {
        self.set_handler(route, Handler::Frames(Box::new(handler)))
    }

    fn set_connection_handler(&mut self, route: &str, slot: ConnectionSlot) -> Result<(), Error> {
        let index = self.routes.index_of(route)?;
        self.handlers
            .set_connection(index, self.routes.get(index), slot)
    }

    /// Calls `handler` with each connection a websocket_server route opens (its handshake
    /// done).
    pub fn on_open(
        &mut self,
        route: &str,
        handler: impl FnMut(&mut Node, Connection) + 'static,
    ) -> Result<(), Error> {
        self.set_connection_handler(route, ConnectionSlot::Open(Box::new(handler)))
    }

    /// Calls `handler` with every message a websocket_server route receives and the
    /// connection it came on (the form `on_receive` takes on a route with connections).
    pub fn on_receive_from(
        &mut self,
        route: &str,
        handler: impl FnMut(&mut Node, Message, Connection) + 'static,
    ) -> Result<(), Error> {
        self.set_connection_handler(route, ConnectionSlot::Receive(Box::new(handler)))
    }

    /// Calls `handler` with every frame a raw websocket_server route receives and the
    /// connection it came on.
    pub fn on_frames_from(
        &mut self,
        route: &str,
        handler: impl FnMut(&mut Node, Vec<Vec<u8>>, Connection) + 'static,
    ) -> Result<(), Error> {
        self.set_connection_handler(route, ConnectionSlot::Frames(Box::new(handler)))
    }

    /// Calls `handler` with what went wrong on a connection (a frame over the route's bound,
    /// text that is not JSON...), before the connection closes or goes on.
    pub fn on_connection_error(
        &mut self,
        route: &str,
        handler: impl FnMut(&mut Node, &str, Connection) + 'static,
    ) -> Result<(), Error> {
        self.set_connection_handler(route, ConnectionSlot::Error(Box::new(handler)))
    }

    /// Calls `handler` with each connection that closes, whichever side closed it.
    pub fn on_close(
        &mut self,
        route: &str,
        handler: impl FnMut(&mut Node, Connection) + 'static,
    ) -> Result<(), Error> {
        self.set_connection_handler(route, ConnectionSlot::Close(Box::new(handler)))
    }

    /// Sends a message to every open connection of a websocket_server route; returns how
    /// many it went to. A connection whose send queue is full misses it (counted in the
    /// route's `backpressure`); the others still get it.
    pub fn broadcast(&mut self, route: &str, message: &Message) -> Result<usize, Error> {
        let index = self.routes.index_of(route)?;
        self.routes
            .get_mut(index)
            .broadcast(crate::route::Outgoing::Message(message))
    }

    /// Sends one frame untouched to every open connection of a raw websocket_server route.
    pub fn broadcast_frame(&mut self, route: &str, frame: &[u8]) -> Result<usize, Error> {
        let index = self.routes.index_of(route)?;
        self.routes
            .get_mut(index)
            .broadcast(crate::route::Outgoing::Frame(frame))
    }

    pub(crate) fn send_to_connection(
        &mut self,
        connection: &Connection,
        payload: crate::route::Outgoing<'_>,
    ) -> Result<(), Error> {
        self.routes
            .get_mut(connection.route_index())
            .send_to(connection.signature(), payload)
    }

    pub(crate) fn close_connection(&mut self, connection: &Connection) -> Result<(), Error> {
        self.routes
            .get_mut(connection.route_index())
            .close_connection(connection.signature())
    }

    pub(crate) fn route_name(&self, index: usize) -> &str {
        self.routes.get(index).name()
    }

    /// Sends a message on a publish, push, pair, xreq or req route (on the last two, a
    /// request whose reply is not wanted). Never blocks: past the route's send queue the
    /// message is refused with `Error::Backpressure`.
    pub fn send_message(&mut self, route: &str, message: &Message) -> Result<(), Error> {
        let index = self.routes.index_of(route)?;
        if self.routes.get(index).abilities().requests {
            return self.send_request(route, message, |_, _| {});
        }
        self.routes.get_mut(index).send_message(message)
    }

    /// Sends frames untouched on a raw route.
    pub fn send_frames(&mut self, route: &str, frames: Vec<Vec<u8>>) -> Result<(), Error> {
        let index = self.routes.index_of(route)?;
        let slices: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
        self.routes.get_mut(index).send_frames(&slices)
    }

    /// Sends a request on an xreq or req route; `on_reply` gets the reply, or the error that
    /// ended the wait (the route's `request_timeout`, an undecodable reply). Without a
    /// timeout a request whose reply never comes waits as long as the node lives.
    pub fn send_request(
        &mut self,
        route: &str,
        message: &Message,
        on_reply: impl FnOnce(&mut Node, Result<Message, Error>) + 'static,
    ) -> Result<(), Error> {
        let index = self.routes.index_of(route)?;
        let id = self.routes.get_mut(index).send_request(message)?;
        let timer = self
            .routes
            .get(index)
            .request_timeout()
            .map(|after| self.after(after, move |node| node.expire_request(index, id, after)));
        let callback = Box::new(on_reply);
        self.requests.insert(index, id, Pending { callback, timer });
        Ok(())
    }

    /// Ends a request's wait with a timeout error, unless its reply came first.
    fn expire_request(&mut self, route: usize, id: u64, after: Duration) {
        let Some(pending) = self.requests.take(route, id) else {
            return;
        };
        let target = self.routes.get_mut(route);
        target.request_timed_out(id);
        let error = Error::Timeout {
            route: target.name().to_owned(),
            timeout_ms: after.as_millis() as u64,
        };
        self.guarded("reply callback", |node| {
            (pending.callback)(node, Err(error))
        });
    }

    /// Answers an http_server request with a status or a file (a `Response` does this).
    fn answer_http(
        &mut self,
        route: usize,
        asker: &crate::route::Asker,
        answer: crate::route::HttpAnswer<'_>,
    ) -> Result<(), Error> {
        self.routes.get_mut(route).answer_http(asker, answer)
    }

    /// Answers a request received on route `route` (a `Response` does this).
    fn answer(
        &mut self,
        route: usize,
        asker: &crate::route::Asker,
        reply: &Message,
    ) -> Result<(), Error> {
        self.routes.get_mut(route).reply(asker, reply)
    }

    // Timers and deferred work.

    /// Calls `f` every `period`, first one period from now.
    pub fn every(&mut self, period: Duration, f: impl FnMut(&mut Node) + 'static) -> TimerId {
        self.reactor
            .timers_mut()
            .add(period, Some(period), TimerCallback::Every(Box::new(f)))
    }

    /// Calls `f` once, `delay` from now.
    pub fn after(&mut self, delay: Duration, f: impl FnOnce(&mut Node) + 'static) -> TimerId {
        self.reactor
            .timers_mut()
            .add(delay, None, TimerCallback::Once(Box::new(f)))
    }

    /// Calls `f` on the next turn of the loop, after what is ready now.
    pub fn next_tick(&mut self, f: impl FnOnce(&mut Node) + 'static) -> TimerId {
        self.after(Duration::ZERO, f)
    }

    /// Cancels a timer; false if it already ran (and does not repeat) or was cancelled.
    pub fn cancel_timer(&mut self, id: TimerId) -> bool {
        self.reactor.timers_mut().cancel(id)
    }

    /// Runs `op` on the node's thread pool and `callback` with its result back on the loop's
    /// thread: EventMachine's `EM.defer`. A panic in `op` reaches the callback as
    /// `Err(Error::Callback)`.
    pub fn defer<T: Send + 'static>(
        &mut self,
        op: impl FnOnce() -> T + Send + 'static,
        callback: impl FnOnce(&mut Node, Result<T, Error>) + 'static,
    ) {
        self.deferred.submit(op, callback);
    }

    // Errors.

    /// Sets the handler for errors in callbacks and bad frames (the original
    /// `DripDrop::Node.error_handler`).
    pub fn on_error(&mut self, handler: impl FnMut(&mut Node, &Error) + 'static) {
        self.errors.set_handler(Box::new(handler));
    }

    /// Hands an error to the `on_error` handler (by default, a line on stderr). Skins report
    /// their callbacks' exceptions through this.
    pub fn report_error(&mut self, error: Error) {
        let Some(mut handler) = self.errors.take_handler() else {
            eprintln!("dripdrop: {error}");
            return;
        };
        let outcome = catch_unwind(AssertUnwindSafe(|| handler(self, &error)));
        self.errors.restore(handler);
        if let Err(payload) = outcome {
            eprintln!(
                "dripdrop: on_error panicked ({}) handling: {error}",
                panic_message(payload.as_ref())
            );
        }
    }

    /// Runs a callback; a panic in it is reported to `on_error` instead of unwinding the loop.
    fn guarded(&mut self, context: &str, f: impl FnOnce(&mut Node)) {
        self.guarded_with(|_| context.to_owned(), f);
    }

    /// As [`Node::guarded`], naming the context only if there is a panic to report: the
    /// hot path of every received message builds no string.
    fn guarded_with(&mut self, context: impl FnOnce(&Node) -> String, f: impl FnOnce(&mut Node)) {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| f(self))) {
            self.report_error(Error::Callback {
                context: context(self),
                message: panic_message(payload.as_ref()),
            });
        }
    }

    // Worker pools.

    /// Registers a named task this node's pools run on their local threads.
    pub fn task(
        &mut self,
        name: &str,
        handler: impl Fn(&TaskContext, Value) -> TaskResult + Send + Sync + 'static,
    ) -> &mut Self {
        self.pools.tasks().register(name, handler);
        self
    }

    /// Registers a named task whose handler runs on host-language threads serving `queue`
    /// (how the Ruby and Python skins register theirs): the pools' I/O threads hand its
    /// jobs to the queue directly.
    pub fn host_task(&mut self, name: &str, queue: &Arc<HostQueue>) -> &mut Self {
        self.pools.tasks().register_host(name, queue);
        self
    }

    /// The node's named tasks.
    pub fn tasks(&self) -> &TaskRegistry {
        self.pools.tasks()
    }

    /// Starts a worker pool; returns the endpoints it bound for remote workers (with the
    /// port of a `tcp://...:*` address filled in).
    pub fn worker_pool(&mut self, name: &str, options: PoolOptions) -> Result<Vec<String>, Error> {
        self.pools
            .start(name, options, &self.context, self.reactor.waker())
    }

    /// The pool of this name.
    pub fn pool(&mut self, name: &str) -> Result<PoolRef<'_>, Error> {
        let index = self.pools.index_of(name)?;
        Ok(PoolRef::new(self, index))
    }

    fn pools(&self) -> &Pools {
        &self.pools
    }

    fn pools_mut(&mut self) -> &mut Pools {
        &mut self.pools
    }

    // Nodelets.

    /// Sets up nodelet `name` by calling `setup`, unless a run list is set and leaves it out.
    /// Routes made inside `setup` belong to the nodelet. Returns whether it was set up.
    pub fn nodelet(
        &mut self,
        name: &str,
        setup: impl FnOnce(&mut Node) -> Result<(), Error>,
    ) -> Result<bool, Error> {
        if !self.nodelets.runs(name) {
            return Ok(false);
        }
        let outer = self.nodelets.enter(name);
        let result = setup(self);
        self.nodelets.leave(outer, result.is_ok());
        result.map(|()| true)
    }

    /// The nodelets set up so far, in order.
    pub fn nodelets(&self) -> &[String] {
        self.nodelets.set_up()
    }

    /// The nodelets this node runs, from its options or else `DRIPDROP_RUN_LIST`; `None`
    /// runs them all.
    pub fn run_list(&self) -> Option<&[String]> {
        self.options.run_list.as_deref()
    }

    // The loop.

    /// Whether a stop was asked for and `run` has not yet returned: no timer fires and no
    /// message is read any more.
    pub fn is_stopping(&self) -> bool {
        self.stop_requested.load(Ordering::Acquire)
    }

    /// Asks the loop to stop: it stops reading and firing timers, flushes queued sends for
    /// at most `stop_linger`, and `run` returns. Posted closures and `defer` callbacks that
    /// arrive meanwhile still run.
    pub fn stop(&self) {
        self.stop_requested.store(true, Ordering::Release);
        self.reactor.waker().wake();
    }

    /// Runs the loop until [`Node::stop`] (or a handle's `stop`). Callbacks run on this
    /// thread; an error or panic in one goes to `on_error` and the loop goes on.
    pub fn run(&mut self) -> Result<(), Error> {
        self.run_with(&mut |wait| wait())
    }

    /// Runs the loop as [`Node::run`] does, calling `around_wait(wait)` each time the loop is
    /// about to block: `around_wait` must call `wait` once, on this thread. A host language
    /// releases its interpreter lock around `wait` and takes it back before callbacks run, and
    /// checks its interrupts afterwards (stopping the node through a [`NodeHandle`]).
    pub fn run_with(&mut self, around_wait: AroundWait<'_>) -> Result<(), Error> {
        self.describe_to_control();
        if let Some(service) = &mut self.service {
            service.ready();
        }
        self.pools.set_batching(true);
        let result = self.run_loop(around_wait);
        self.pools.set_batching(false);
        self.pools.flush();
        if let Some(service) = &mut self.service {
            service.stopping();
        }
        self.stop_requested.store(false, Ordering::Release);
        self.shutdown_requested.store(false, Ordering::Release);
        result
    }

    fn run_loop(&mut self, around_wait: AroundWait<'_>) -> Result<(), Error> {
        let mut stop_deadline: Option<Instant> = None;
        loop {
            self.take_inbox();
            if !self.is_stopping() {
                self.run_due_timers();
            }
            if self.is_stopping() {
                let deadline =
                    *stop_deadline.get_or_insert_with(|| Instant::now() + self.options.stop_linger);
                let shutdown = self.shutdown_requested.load(Ordering::Acquire);
                let drained = !shutdown || self.pools.waiting() == 0;
                if (self.routes.flushed() && drained) || Instant::now() >= deadline {
                    if shutdown {
                        self.hand_back_tasks();
                    }
                    return Ok(());
                }
            }
            self.pools.flush();
            // What this turn's callbacks sent goes out now, together: a route that batches
            // its writes (websocket_server) writes once per turn, not once per message.
            for route in 0..self.routes.len() {
                self.flush_route(route);
            }
            let reading = stop_deadline.is_none();
            self.routes.prepare_wait(&mut self.reactor, reading);
            let until = match (stop_deadline, self.routes.deadline()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let mut ready = std::mem::take(&mut self.ready);
            let waited = self.reactor.wait(until, around_wait, &mut ready);
            for &event in &ready {
                self.serve(event);
            }
            self.ready = ready;
            waited?;
            self.serve_deadlines();
        }
    }

    /// Runs what other threads posted, the callbacks of finished `defer` operations and pool
    /// tasks, and answers the requests whose responses were dropped.
    fn take_inbox(&mut self) {
        while let Some(posted) = self.inbox.next_posted() {
            self.guarded("posted callback", posted);
        }
        while let Some((callback, output)) = self.deferred.next_finished() {
            self.guarded("defer callback", |node| callback(node, output));
        }
        for pool in 0..self.pools.len() {
            while let Some(notice) = self.pools.next_notice(pool) {
                self.report_error(notice);
            }
            while let Some(batch) = self.pools.next_batch(pool) {
                for done in batch {
                    if let Some(delivery) = self.pools.settle(pool, done) {
                        self.deliver_task_result(delivery);
                    }
                }
            }
            self.pump_feeds(pool);
        }
        while let Some((route, asker)) = self.inbox.next_unanswered() {
            let reply = error_reply(
                "Unanswered",
                "the request's handler ended without answering it",
            );
            if let Err(error) = self.answer(route, &asker, &reply) {
                self.report_error(error);
            }
        }
    }

    /// At the end of a shutdown: every task still outstanding is cancelled at its pool and
    /// its caller told `Error::Stopped` (a `map` item likewise; a feed submits no more).
    fn hand_back_tasks(&mut self) {
        for pool in 0..self.pools.len() {
            for delivery in self.pools.hand_back(pool) {
                self.deliver_task_result(delivery);
            }
        }
        self.pools.flush();
    }

    fn deliver_task_result(&mut self, delivery: Delivery) {
        match delivery {
            Delivery::Callback(callback, result) => {
                self.guarded("pool callback", |node| callback(node, result));
            }
            Delivery::Item {
                pool,
                feed,
                mut on_result,
                index,
                result,
            } => {
                self.guarded("map callback", |node| on_result(node, index, result));
                self.pools.restore_feed_callback(pool, feed, on_result);
            }
        }
    }

    /// Lets a pool's `map` feeds submit more; reports the items that could not be read, and
    /// runs the `on_done` of the feeds that finished.
    fn pump_feeds(&mut self, pool: usize) {
        let outcome = self.pools.pump_feeds(pool);
        for error in outcome.errors {
            self.report_error(error);
        }
        for on_done in outcome.finished {
            self.guarded("map done callback", on_done);
        }
    }

    fn run_due_timers(&mut self) {
        let now = Instant::now();
        while let Some(due) = self.reactor.timers_mut().pop_due(now) {
            match due.callback {
                TimerCallback::Once(f) => self.guarded("timer", f),
                TimerCallback::Every(mut f) => {
                    self.guarded("timer", |node| f(node));
                    if let Some(period) = due.period {
                        let callback = TimerCallback::Every(f);
                        self.reactor.timers_mut().finish(due.id, callback, period);
                    }
                }
            }
        }
    }

    /// Serves a ready source: writes what its route queued, then reads a batch of messages.
    fn serve(&mut self, event: Event<usize>) {
        let route = event.key;
        for error in self.routes.get_mut(route).on_ready(event) {
            self.report_error(error);
        }
        if event.readable {
            self.receive_batch(route);
        }
    }

    /// Serves the routes whose deadline came: their timeouts, then what they hold to hand
    /// on.
    fn serve_deadlines(&mut self) {
        let now = Instant::now();
        for route in self.routes.due(now) {
            for error in self.routes.get_mut(route).on_deadline(now) {
                self.report_error(error);
            }
            self.receive_batch(route);
        }
    }

    /// Reads and hands on up to a batch of what a route received.
    fn receive_batch(&mut self, route: usize) {
        for _ in 0..self.options.receive_batch {
            // After stop, nothing more is read or handled.
            if self.is_stopping() {
                return;
            }
            match self.routes.get_mut(route).receive() {
                Received::Nothing => return,
                Received::Inbound(inbound) => self.deliver(route, inbound),
                Received::Skipped => {}
                Received::Failed(errors) => {
                    for error in errors {
                        self.report_error(error);
                    }
                }
            }
        }
    }

    /// Hands what a route read to its handler, or a reply to its request's callback.
    fn deliver(&mut self, route: usize, inbound: Inbound) {
        match inbound {
            Inbound::Message(message) => self.call_handler(route, |node, handler| {
                if let Handler::Message(f) = handler {
                    f(node, message);
                }
            }),
            Inbound::Request(message, asker) => {
                let unanswered = self.inbox.unanswered_sender();
                let waker = Arc::clone(self.reactor.waker());
                let response = Response::new(route, asker, unanswered, waker);
                self.call_handler(route, |node, handler| {
                    if let Handler::Request(f) = handler {
                        f(node, message, response);
                    }
                });
            }
            Inbound::Frames(frames) => {
                self.call_handler(route, |node, handler| {
                    if let Handler::Frames(f) = handler {
                        f(node, frames);
                    }
                });
                // A raw REQ whose reply came may send its next request now.
                self.flush_route(route);
            }
            Inbound::Connection(event) => self.deliver_connection_event(route, event),
            Inbound::Reply { id, reply } => {
                match id.and_then(|id| self.requests.take(route, id)) {
                    Some(pending) => {
                        if let Some(timer) = pending.timer {
                            self.cancel_timer(timer);
                        }
                        self.guarded("reply callback", |node| (pending.callback)(node, reply));
                    }
                    // A reply after its request timed out: nobody waits for it any more.
                    None => self.routes.get_mut(route).count_dropped(),
                }
                // A REQ whose reply came may send its next request now.
                self.flush_route(route);
            }
        }
    }

    /// Hands what happened on a connection to the route's handler for it.
    fn deliver_connection_event(&mut self, route: usize, event: ConnectionEvent) {
        let Some(Handler::Connections(mut handlers)) = self.handlers.take(route) else {
            if matches!(
                event,
                ConnectionEvent::Message { .. } | ConnectionEvent::Frames { .. }
            ) {
                self.routes.get_mut(route).count_dropped();
            }
            return;
        };
        let context = |node: &Node| format!("route {} handler", node.routes.get(route).name());
        let mut dropped = false;
        self.guarded_with(context, |node| match event {
            ConnectionEvent::Open { connection } => {
                if let Some(f) = &mut handlers.on_open {
                    f(node, Connection::new(route, connection));
                }
            }
            ConnectionEvent::Message {
                connection,
                message,
            } => match &mut handlers.on_receive {
                Some(f) => f(node, message, Connection::new(route, connection)),
                None => dropped = true,
            },
            ConnectionEvent::Frames { connection, frames } => match &mut handlers.on_frames {
                Some(f) => f(node, frames, Connection::new(route, connection)),
                None => dropped = true,
            },
            ConnectionEvent::Error { connection, reason } => {
                if let Some(f) = &mut handlers.on_error {
                    f(node, &reason, Connection::new(route, connection));
                }
            }
            ConnectionEvent::Close { connection } => {
                if let Some(f) = &mut handlers.on_close {
                    f(node, Connection::new(route, connection));
                }
            }
        });
        if dropped {
            self.routes.get_mut(route).count_dropped();
        }
        self.handlers.restore(route, Handler::Connections(handlers));
    }

    /// Sends what a route queued and may send now.
    fn flush_route(&mut self, route: usize) {
        if self.routes.get(route).has_sendable() {
            for error in self.routes.get_mut(route).flush() {
                self.report_error(error);
            }
        }
    }

    /// Runs the route's handler, taken out for the call so it may use the node freely; a
    /// message for a route with no handler is counted and dropped.
    fn call_handler(&mut self, route: usize, call: impl FnOnce(&mut Node, &mut Handler)) {
        let Some(mut handler) = self.handlers.take(route) else {
            self.routes.get_mut(route).count_dropped();
            return;
        };
        self.guarded_with(
            |node| format!("route {} handler", node.routes.get(route).name()),
            |node| call(node, &mut handler),
        );
        self.handlers.restore(route, handler);
    }

    /// Counters of every route, the timers, the defer pool and the pools, as one dict:
    /// `{routes => {name => {kind, nodelet, messages_in, ...}}, timers, defer, pools, errors}`;
    /// with a control server also `control => {id, endpoint, beats, reports_sent,
    /// reports_dropped}` (its heartbeat timer counts among `timers`).
    pub fn stats(&self) -> Value {
        let routes = self
            .routes
            .iter()
            .map(|route| {
                let Value::Dict(mut entries) = route.stats().to_value() else {
                    unreachable!("RouteStats::to_value is a dict")
                };
                entries.insert(0, (Value::from("kind"), Value::from(route.kind().name())));
                let nodelet = route.nodelet().map(Value::from);
                entries.insert(1, (Value::from("nodelet"), Value::from(nodelet)));
                (Value::from(route.name()), Value::Dict(entries))
            })
            .collect();
        let count = |n: usize| Value::from(n as u64);
        let defer = Value::Dict(vec![
            (Value::from("threads"), count(self.deferred.thread_count())),
            (Value::from("pending"), count(self.deferred.pending())),
        ]);
        let mut entries = vec![
            (Value::from("routes"), Value::Dict(routes)),
            (Value::from("timers"), count(self.reactor.timers().len())),
            (Value::from("defer"), defer),
            (Value::from("pools"), self.pools.stats()),
            (Value::from("errors"), Value::from(self.errors.reported())),
        ];
        if let Some(control) = &self.control {
            entries.push((Value::from("control"), control.stats()));
        }
        Value::Dict(entries)
    }
}
