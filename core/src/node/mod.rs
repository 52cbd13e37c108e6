//! `Node`: one reactor loop running routes, timers, deferred work and nodelets on the thread
//! that calls [`Node::run`].
//!
//! ```
//! use dripdrop::{Message, Mode, Node, RouteKind};
//!
//! let mut node = Node::new()?;
//! let endpoint = node
//!     .route("in", RouteKind::Pull, &["inproc://doc-node"], Mode::Bind)?
//!     .endpoint()
//!     .to_owned();
//! node.route("out", RouteKind::Push, &[&endpoint], Mode::Connect)?;
//! node.on_receive("in", |node, msg| {
//!     assert_eq!(msg.name(), "hello");
//!     node.stop();
//! })?;
//! node.send_message("out", &Message::new("hello")?)?;
//! node.run()?;
//! # Ok::<(), dripdrop::Error>(())
//! ```

mod callbacks;
mod dispatch;
mod handle;
mod nodelet;
mod pools;
mod routes;

pub use callbacks::Response;
pub(crate) use callbacks::{Asker, Handler, ReplyCallback};
pub use handle::NodeHandle;
pub use pools::{PoolRef, TaskOptions};

use crate::bert::Value;
use crate::defer::DeferPool;
use crate::error::Error;
use crate::route::Route;
use crate::timers::Timers;
use crate::waker::{self, WakeReceiver, Waker};
use callbacks::{DeferCallback, ErrorHandler, Posted, TimerCallback};
use crossbeam_channel::{Receiver, Sender};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Settings of a node.
#[derive(Clone, Debug)]
pub struct NodeOptions {
    /// Threads of the local `defer` pool; the default is the number of CPUs.
    pub defer_threads: usize,
    /// How long `stop` keeps flushing queued sends before the loop returns anyway.
    pub stop_linger: Duration,
    /// Most messages read from one socket per loop turn, so one busy route cannot starve the
    /// others or the timers.
    pub receive_batch: usize,
    /// Only these nodelets run; `None` runs them all.
    pub run_list: Option<Vec<String>>,
}

impl Default for NodeOptions {
    fn default() -> Self {
        NodeOptions {
            defer_threads: std::thread::available_parallelism().map_or(2, usize::from),
            stop_linger: Duration::from_secs(1),
            receive_batch: 256,
            run_list: None,
        }
    }
}

/// A DripDrop node. Not `Send`: it lives on the thread that runs it; other threads reach it
/// through a [`NodeHandle`].
pub struct Node {
    routes: Vec<Route>,
    /// Held so the shared context outlives this node's sockets (see `context`).
    context: Arc<zmq::Context>,
    /// Every send looks its route up by name; route names are the app's own, not a peer's,
    /// so a fast non-keyed hash is safe here.
    by_name: rustc_hash::FxHashMap<String, usize>,
    timers: Timers<TimerCallback>,
    waker: Arc<Waker>,
    wake_receiver: WakeReceiver,
    posted_tx: Sender<Posted>,
    posted_rx: Receiver<Posted>,
    unanswered_tx: Sender<Asker>,
    unanswered_rx: Receiver<Asker>,
    stop_requested: Arc<AtomicBool>,
    defer: DeferPool,
    defer_callbacks: HashMap<u64, DeferCallback>,
    next_defer_id: u64,
    on_error: Option<ErrorHandler>,
    run_list: Option<HashSet<String>>,
    current_nodelet: Option<String>,
    nodelets: Vec<String>,
    options: NodeOptions,
    errors_reported: u64,
    /// Reused to encode outgoing messages.
    scratch: Vec<u8>,
    /// Reused to receive one-frame messages, the commonest kind.
    recv_frames: Vec<zmq::Message>,
    /// Named tasks, run by the pools' local threads.
    tasks: crate::pool::TaskRegistry,
    pools: Vec<pools::NodePool>,
    /// Inside `run`: pool submissions wait for the end of the turn to go out in a batch.
    running: bool,
}

impl Drop for Node {
    /// Sockets close before the context is let go, so that the last node's drop terminates
    /// the context and with it writes out what ZeroMQ still holds (within each linger).
    fn drop(&mut self) {
        self.routes.clear();
        self.pools.clear();
    }
}

impl Node {
    /// A node with default options.
    pub fn new() -> Result<Node, Error> {
        Node::with_options(NodeOptions::default())
    }

    /// A node with the given options; its `defer` threads start now.
    pub fn with_options(options: NodeOptions) -> Result<Node, Error> {
        let io = |e: std::io::Error| Error::InvalidArgument(format!("cannot start node: {e}"));
        let (waker, wake_receiver) = waker::pair().map_err(io)?;
        let waker = Arc::new(waker);
        let defer = DeferPool::start(options.defer_threads, Arc::clone(&waker)).map_err(io)?;
        let (posted_tx, posted_rx) = crossbeam_channel::unbounded();
        let (unanswered_tx, unanswered_rx) = crossbeam_channel::unbounded();
        Ok(Node {
            routes: Vec::new(),
            context: crate::context::context(),
            by_name: rustc_hash::FxHashMap::default(),
            timers: Timers::new(),
            waker,
            wake_receiver,
            posted_tx,
            posted_rx,
            unanswered_tx,
            unanswered_rx,
            stop_requested: Arc::new(AtomicBool::new(false)),
            defer,
            defer_callbacks: HashMap::new(),
            next_defer_id: 0,
            on_error: None,
            run_list: options
                .run_list
                .as_ref()
                .map(|l| l.iter().cloned().collect()),
            current_nodelet: None,
            nodelets: Vec::new(),
            options,
            errors_reported: 0,
            scratch: Vec::with_capacity(256),
            recv_frames: Vec::new(),
            tasks: crate::pool::TaskRegistry::default(),
            pools: Vec::new(),
            running: false,
        })
    }

    /// A handle other threads use to post work to this node or stop it.
    pub fn handle(&self) -> NodeHandle {
        NodeHandle::new(
            self.posted_tx.clone(),
            Arc::clone(&self.waker),
            Arc::clone(&self.stop_requested),
        )
    }

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
        self.waker.wake();
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
    pub fn run_with(&mut self, around_wait: &mut dyn FnMut(&mut dyn FnMut())) -> Result<(), Error> {
        self.running = true;
        let result = self.run_loop(around_wait);
        self.running = false;
        self.flush_pools();
        self.stop_requested.store(false, Ordering::Release);
        result
    }

    fn run_loop(&mut self, around_wait: &mut dyn FnMut(&mut dyn FnMut())) -> Result<(), Error> {
        let mut stop_deadline: Option<Instant> = None;
        loop {
            self.drain_wakeups();
            if !self.is_stopping() {
                self.run_due_timers();
            }
            if self.is_stopping() {
                let deadline =
                    *stop_deadline.get_or_insert_with(|| Instant::now() + self.options.stop_linger);
                let flushed = self.routes.iter().all(|r| !r.wants_pollout());
                if flushed || Instant::now() >= deadline {
                    break;
                }
            }
            self.turn(stop_deadline, around_wait)?;
        }
        Ok(())
    }

    /// One turn of the loop: wait for sockets, the waker or the next timer, then serve what
    /// is ready.
    fn turn(
        &mut self,
        stop_deadline: Option<Instant>,
        around_wait: &mut dyn FnMut(&mut dyn FnMut()),
    ) -> Result<(), Error> {
        self.flush_pools();
        let stopping = stop_deadline.is_some();
        let wake_at = [self.timers.next_due(), stop_deadline]
            .into_iter()
            .flatten()
            .min();
        let timeout_ms = match wake_at {
            None => -1,
            Some(at) => {
                let wait = at.saturating_duration_since(Instant::now());
                // Round up, so a timer is never woken for just before it is due.
                i64::try_from(wait.as_micros().div_ceil(1000)).unwrap_or(i64::MAX)
            }
        };
        let ready = {
            let mut items = Vec::with_capacity(self.routes.len() + 1);
            items.push(zmq::PollItem::from_fd(self.wake_receiver.fd(), zmq::POLLIN));
            for route in &self.routes {
                let mut events = zmq::PollEvents::empty();
                if route.wants_pollin() && !stopping {
                    events |= zmq::POLLIN;
                }
                if route.wants_pollout() {
                    events |= zmq::POLLOUT;
                }
                items.push(route.socket.as_poll_item(events));
            }
            // A host may decline to wait (an interrupt is pending): that reads as no events.
            let mut polled = Ok(0);
            around_wait(&mut || polled = zmq::poll(&mut items, timeout_ms));
            match polled {
                Ok(_) => {}
                Err(zmq::Error::EINTR) => return Ok(()),
                Err(e) => return Err(Error::zmq("poll", e)),
            }
            items[1..]
                .iter()
                .enumerate()
                .filter(|(_, item)| !item.get_revents().is_empty())
                .map(|(i, item)| (i, item.is_readable(), item.is_writable()))
                .collect::<Vec<_>>()
        };
        for (index, readable, writable) in ready {
            if writable {
                self.flush_route(index);
            }
            if readable {
                self.receive(index);
            }
        }
        Ok(())
    }

    /// Runs what other threads posted and what the `defer` pool finished.
    fn drain_wakeups(&mut self) {
        self.wake_receiver.drain(&self.waker);
        while let Ok(posted) = self.posted_rx.try_recv() {
            self.guarded("posted callback", posted);
        }
        while let Some((id, output)) = self.defer.try_result() {
            if let Some(callback) = self.defer_callbacks.remove(&id) {
                self.guarded("defer callback", |node| callback(node, output));
            }
        }
        self.drain_pools();
        while let Ok(asker) = self.unanswered_rx.try_recv() {
            self.reject(
                asker,
                "Unanswered",
                "the request's handler ended without answering it",
            );
        }
    }

    fn run_due_timers(&mut self) {
        let now = Instant::now();
        while let Some((id, callback, period)) = self.timers.pop_due(now) {
            match callback {
                TimerCallback::Once(f) => self.guarded("timer", f),
                TimerCallback::Every(mut f) => {
                    self.guarded("timer", |node| f(node));
                    if let Some(period) = period {
                        self.timers.finish(id, TimerCallback::Every(f), period);
                    }
                }
            }
        }
    }

    /// Counters of every route, the timers and the defer pool, as one dict:
    /// `{routes => {name => {kind, nodelet, messages_in, ...}}, timers, defer, errors}`.
    pub fn stats(&self) -> Value {
        let routes = self
            .routes
            .iter()
            .map(|route| {
                let Value::Dict(mut entries) = route.stats().to_value() else {
                    unreachable!("RouteStats::to_value is a dict")
                };
                entries.insert(0, (Value::from("kind"), Value::from(route.kind.name())));
                let nodelet = route.nodelet.as_deref().map(Value::from);
                entries.insert(1, (Value::from("nodelet"), Value::from(nodelet)));
                (Value::from(route.name.as_str()), Value::Dict(entries))
            })
            .collect();
        let defer = Value::Dict(vec![
            (
                Value::from("threads"),
                Value::from(self.defer.threads() as u64),
            ),
            (
                Value::from("pending"),
                Value::from(self.defer_callbacks.len() as u64),
            ),
        ]);
        Value::Dict(vec![
            (Value::from("routes"), Value::Dict(routes)),
            (Value::from("timers"), Value::from(self.timers.len() as u64)),
            (Value::from("defer"), defer),
            (Value::from("pools"), self.pool_stats()),
            (Value::from("errors"), Value::from(self.errors_reported)),
        ])
    }
}
