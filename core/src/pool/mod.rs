//! The distributed worker pool: `EM.defer` across machines.
//!
//! A pool is created from a node ([`crate::Node::worker_pool`]) and runs named tasks on its
//! own local threads, on remote [`Worker`]s that connect to it, or both. Its bookkeeping
//! (credits, leases, heartbeats) lives on an I/O thread of its own (the dispatcher); the node
//! only submits tasks and runs the callbacks of their results. The wire protocol is in
//! `docs/protocol.md`.

mod dispatcher;
mod host_queue;
mod ids;
mod local;
mod protocol;
mod scheduler;
mod task;
mod worker;

pub(crate) use dispatcher::{Command, Done, Submission};
pub use host_queue::{HostJob, HostQueue, Next};
pub(crate) use ids::IdSource;
pub(crate) use scheduler::Ending;
pub use scheduler::PoolCounters;
pub use task::{
    TaskContext, TaskError, TaskFn, TaskRegistry, TaskResult, PANIC_CLASS, UNKNOWN_TASK_CLASS,
};
pub use worker::{Worker, WorkerHandle, WorkerOptions};

use crate::bert::Value;
use crate::error::Error;
use crate::waker::{self, Waker};
use crossbeam_channel::{Receiver, Sender};
use dispatcher::Dispatcher;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Where a pool runs its tasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Only on the pool's local threads.
    Local,
    /// Only on remote workers.
    Remote,
    /// On the local threads while one is free, spilling over to remote workers.
    LocalFirst,
}

/// A pool's settings.
#[derive(Clone, Debug)]
pub struct PoolOptions {
    /// Addresses the pool binds for remote workers (`tcp://0.0.0.0:2100`,
    /// `tcp://127.0.0.1:*`...); empty for a pool without remote workers.
    pub bind: Vec<String>,
    /// Local threads running the node's registered tasks; 0 for none.
    pub local_threads: usize,
    pub placement: Placement,
    /// Tasks accepted and not yet finished, at most; past it `defer` reports backpressure.
    pub max_pending: usize,
    /// How often the pool heartbeats each worker (at most; a worker that announced a
    /// shorter interval is heartbeated at its own).
    pub heartbeat: Duration,
    /// Heartbeat intervals a worker may stay silent before it is declared dead.
    pub liveness: u32,
    /// Deaths of its worker a task survives: after this many it is quarantined as poison.
    pub max_attempts: u32,
    /// How long a task waits for a worker that can run it; `None` waits for ever.
    pub no_worker_timeout: Option<Duration>,
    /// Tasks a worker is sent beyond its concurrency, so it never waits for the next one.
    pub prefetch: usize,
}

impl PoolOptions {
    /// A pool of remote workers bound on `addresses`.
    pub fn remote(addresses: &[&str]) -> Self {
        PoolOptions {
            bind: addresses.iter().map(|a| a.to_string()).collect(),
            local_threads: 0,
            placement: Placement::Remote,
            ..PoolOptions::default()
        }
    }

    /// A pool of `threads` local threads.
    pub fn local(threads: usize) -> Self {
        PoolOptions {
            bind: Vec::new(),
            local_threads: threads,
            placement: Placement::Local,
            ..PoolOptions::default()
        }
    }

    fn check(&self) -> Result<(), Error> {
        let bad = |what: &str| Err(Error::InvalidArgument(format!("worker pool: {what}")));
        let (local, remote) = (self.local_threads > 0, !self.bind.is_empty());
        match self.placement {
            Placement::Local if !local => bad("placement local needs local_threads > 0"),
            Placement::Remote if !remote => bad("placement remote needs a bind address"),
            Placement::LocalFirst if !(local && remote) => {
                bad("placement local_first needs local_threads > 0 and a bind address")
            }
            _ if self.max_pending == 0 => bad("max_pending must be at least 1"),
            _ if self.heartbeat.is_zero() => bad("heartbeat must be positive"),
            _ => Ok(()),
        }
    }
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            bind: Vec::new(),
            local_threads: 0,
            placement: Placement::Remote,
            max_pending: 10_000,
            heartbeat: Duration::from_secs(1),
            liveness: 3,
            max_attempts: 3,
            no_worker_timeout: Some(Duration::from_secs(30)),
            prefetch: 1,
        }
    }
}

/// One worker as the pool last saw it.
#[derive(Clone, Debug, Default)]
pub struct WorkerSnapshot {
    pub name: String,
    pub in_flight: usize,
    /// The pool's own local threads, not a remote worker.
    pub local: bool,
}

/// The pool's counters as its thread last published them.
#[derive(Clone, Debug, Default)]
pub struct PoolSnapshot {
    pub counters: PoolCounters,
    pub pending: usize,
    pub in_flight: usize,
    pub workers: Vec<WorkerSnapshot>,
    pub protocol_errors: u64,
}

impl PoolSnapshot {
    pub fn to_value(&self) -> Value {
        let c = &self.counters;
        let n = |key: &str, v: u64| (Value::from(key), Value::from(v));
        let workers = self
            .workers
            .iter()
            .map(|w| {
                let entry = vec![n("in_flight", w.in_flight as u64)];
                (Value::from(w.name.as_str()), Value::Dict(entry))
            })
            .collect();
        let remote = self.workers.iter().filter(|w| !w.local).count();
        Value::Dict(vec![
            n("pending", self.pending as u64),
            n("in_flight", self.in_flight as u64),
            n("submitted", c.submitted),
            n("completed", c.completed),
            n("failed", c.failed),
            n("retried", c.retried),
            n("quarantined", c.quarantined),
            n("timed_out", c.timed_out),
            n("cancelled", c.cancelled),
            n("no_worker", c.no_worker),
            n("late_results", c.late_results),
            n("workers_lost", c.workers_lost),
            n("workers_alive", remote as u64),
            n("protocol_errors", self.protocol_errors),
            (Value::from("workers"), Value::Dict(workers)),
        ])
    }
}

/// The node's side of a pool: the channel to its thread and what came back.
pub(crate) struct PoolLink {
    pub(crate) name: String,
    pub(crate) endpoints: Vec<String>,
    pub(crate) max_pending: usize,
    commands: Sender<Command>,
    waker: Arc<Waker>,
    pub(crate) done: Receiver<Vec<Done>>,
    snapshot: Arc<Mutex<PoolSnapshot>>,
    thread: Option<JoinHandle<()>>,
}

impl PoolLink {
    /// Binds the pool's socket (if any) and starts its thread.
    pub(crate) fn start(
        name: &str,
        options: PoolOptions,
        registry: TaskRegistry,
        context: &zmq::Context,
        node_waker: Arc<Waker>,
    ) -> Result<PoolLink, Error> {
        options.check()?;
        let io = |e: std::io::Error| Error::InvalidArgument(format!("worker pool {name}: {e}"));
        let (socket, endpoints) = if options.bind.is_empty() {
            (None, Vec::new())
        } else {
            let (socket, endpoints) = bind_router(name, context, &options.bind)?;
            (Some(socket), endpoints)
        };
        let (waker, wake) = waker::pair().map_err(io)?;
        let waker = Arc::new(waker);
        let local = match options.local_threads {
            0 => None,
            n => Some(
                local::LocalThreads::start(name, n, registry.clone(), Arc::clone(&waker))
                    .map_err(io)?,
            ),
        };
        let (command_tx, command_rx) = crossbeam_channel::unbounded();
        let (done_tx, done_rx) = crossbeam_channel::unbounded();
        let snapshot = Arc::new(Mutex::new(PoolSnapshot::default()));
        let max_pending = options.max_pending;
        let dispatcher = Dispatcher::new(
            socket,
            command_rx,
            (wake, Arc::clone(&waker)),
            done_tx,
            node_waker,
            registry,
            local,
            options,
            Arc::clone(&snapshot),
        );
        let thread = std::thread::Builder::new()
            .name(format!("dripdrop-pool-{name}"))
            .spawn(move || dispatcher.run())
            .map_err(io)?;
        Ok(PoolLink {
            name: name.to_owned(),
            endpoints,
            max_pending,
            commands: command_tx,
            waker,
            done: done_rx,
            snapshot,
            thread: Some(thread),
        })
    }

    pub(crate) fn send(&self, command: Command) {
        // The thread lives as long as this link; a send can fail only after it ended.
        let _ = self.commands.send(command);
        self.waker.wake();
    }

    pub(crate) fn snapshot(&self) -> PoolSnapshot {
        self.snapshot.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for PoolLink {
    /// Stops the thread (it tells its workers DISCONNECT) and waits for it: it runs no
    /// host code, so it ends promptly.
    fn drop(&mut self) {
        self.send(Command::Stop);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn bind_router(
    name: &str,
    context: &zmq::Context,
    addresses: &[String],
) -> Result<(zmq::Socket, Vec<String>), Error> {
    let fail =
        |what: String| move |e: zmq::Error| Error::zmq(format!("worker pool {name}: {what}"), e);
    let socket = context.socket(zmq::ROUTER).map_err(fail("socket".into()))?;
    socket.set_linger(100).map_err(fail("linger".into()))?;
    // A task for a worker that vanished is an error to requeue on, not a silent drop.
    socket
        .set_router_mandatory(true)
        .map_err(fail("router_mandatory".into()))?;
    let mut endpoints = Vec::new();
    for address in addresses {
        socket
            .bind(address)
            .map_err(fail(format!("bind {address}")))?;
        let endpoint = socket
            .get_last_endpoint()
            .map_err(fail("endpoint".into()))?
            .unwrap_or_else(|_| address.clone());
        endpoints.push(endpoint);
    }
    Ok((socket, endpoints))
}
