//! A remote worker: connects to a pool, says READY with its concurrency and task names, runs
//! the tasks it is sent and sends their results back.
//!
//! The thread that calls [`Worker::run`] is the worker's I/O thread: it heartbeats the pool
//! and notices when the pool goes silent, and no task ever runs on it (Rust handlers run on
//! the worker's task threads, host handlers on the host's), so a long task never makes the
//! worker look dead. When the pool goes away the worker reconnects with backoff and says
//! READY again; results it could not deliver are sent on the new connection.

mod session;

use super::host_queue::HostQueue;
use super::ids::IdSource;
use super::protocol::to_pool::Ready;
use super::registry::TaskRegistry;
use super::runner::TaskRunner;
use super::task::{TaskContext, TaskResult};
use crate::bert::{DecodeLimits, Value};
use crate::error::Error;
use crate::reactor::{self, Reactor, SharedSocket, WakeReceiver, Waker};
use crate::route::Mode;
use crate::security::{self, CurveOption};
use session::{Outbox, SessionEnd, Settings};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A worker's settings.
#[derive(Clone, Debug)]
pub struct WorkerOptions {
    /// Tasks run at once.
    pub concurrency: usize,
    /// How often the worker heartbeats the pool; the pool uses it to judge the worker too.
    pub heartbeat: Duration,
    /// Heartbeat intervals the pool may stay silent before the worker reconnects.
    pub liveness: u32,
    /// First wait before reconnecting; it doubles up to `reconnect_max`.
    pub reconnect_min: Duration,
    /// Longest wait before reconnecting.
    pub reconnect_max: Duration,
    /// The name the pool shows in its stats; default `worker-<pid>`.
    pub name: Option<String>,
    /// The largest frame the pool may send, in bytes: ZeroMQ drops the connection of a pool
    /// that sends a larger one (`ZMQ_MAXMSGSIZE`), and task frames are read within it.
    pub max_frame_bytes: usize,
    /// CURVE on the socket to the pool (docs/security.md): the worker is a client, with its
    /// own certificate and the pool's public key. The default takes `DRIPDROP_CURVE_DIR`
    /// when the environment names one, else plain text. A pool that refuses the worker's key
    /// (or speaks plain text) never gets a READY from it: the worker keeps trying, and never
    /// falls back to plain text.
    pub curve: CurveOption,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            concurrency: std::thread::available_parallelism().map_or(2, usize::from),
            heartbeat: Duration::from_secs(1),
            liveness: 3,
            reconnect_min: Duration::from_millis(100),
            reconnect_max: Duration::from_secs(5),
            name: None,
            max_frame_bytes: DecodeLimits::DEFAULT.max_input_bytes,
            curve: CurveOption::FromEnvironment,
        }
    }
}

/// Stops a running worker from another thread.
#[derive(Clone)]
pub struct WorkerHandle {
    stop: Arc<AtomicBool>,
    waker: Arc<Waker>,
}

impl WorkerHandle {
    /// Asks the worker to say DISCONNECT and return from `run`; tasks still running finish
    /// on their threads, and the pool runs their tasks again elsewhere.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Release);
        self.waker.wake();
    }
}

/// A worker of one pool.
///
/// ```
/// use dripdrop::{Node, PoolOptions, Value, Worker, WorkerOptions};
///
/// // A pool (here in this process; usually on another machine) ...
/// let mut node = Node::new()?;
/// let bound = node.worker_pool("fetchers", PoolOptions::remote(&["tcp://127.0.0.1:*"]))?;
///
/// // ... and a worker that connects to it.
/// let mut worker = Worker::new(&[&bound[0]], WorkerOptions::default())?;
/// worker.task("fetch", |task, url| {
///     // task.id() is the same on every attempt: an idempotency key.
///     let url = url.as_str().unwrap_or("?").to_owned();
///     Ok(Value::from(format!("fetched {url} (attempt {})", task.attempt())))
/// });
/// let stopper = worker.handle();
/// let serving = std::thread::spawn(move || worker.run()); // reconnects if the pool goes away
///
/// let answer = std::rc::Rc::new(std::cell::RefCell::new(None));
/// let slot = answer.clone();
/// node.pool("fetchers")?.defer("fetch", "http://example.com/", move |node, result| {
///     *slot.borrow_mut() = Some(result);
///     node.stop();
/// })?;
/// node.run()?;
/// stopper.stop();
/// serving.join().expect("the worker's thread")?;
/// let answer = answer.borrow_mut().take().expect("a result");
/// assert_eq!(answer, Ok(Value::from("fetched http://example.com/ (attempt 1)")));
/// # Ok::<(), dripdrop::Error>(())
/// ```
pub struct Worker {
    endpoints: Vec<String>,
    options: WorkerOptions,
    registry: TaskRegistry,
    stop: Arc<AtomicBool>,
    waker: Arc<Waker>,
    /// The read end of the waker, lent to the reactor while the worker runs.
    wake: Option<WakeReceiver>,
}

impl Worker {
    /// A worker for the pool at `endpoints` (it connects when it runs).
    pub fn new(endpoints: &[&str], options: WorkerOptions) -> Result<Worker, Error> {
        if endpoints.is_empty() {
            return Err(Error::InvalidArgument("worker: no pool address".into()));
        }
        if options.concurrency == 0 || u32::try_from(options.concurrency).is_err() {
            return Err(Error::InvalidArgument(
                "worker: concurrency must be between 1 and 2^32 - 1".into(),
            ));
        }
        if options.max_frame_bytes == 0 || i64::try_from(options.max_frame_bytes).is_err() {
            return Err(Error::InvalidArgument(
                "worker: max_frame_bytes must be between 1 and 2^63 - 1".into(),
            ));
        }
        if options.heartbeat < Duration::from_millis(1) {
            // The protocol counts heartbeats in whole milliseconds.
            return Err(Error::InvalidArgument(
                "worker: heartbeat must be 1 ms or more".into(),
            ));
        }
        let (waker, wake) = reactor::waker_pair()
            .map_err(|e| Error::InvalidArgument(format!("cannot start worker: {e}")))?;
        Ok(Worker {
            endpoints: endpoints.iter().map(|e| e.to_string()).collect(),
            options,
            registry: TaskRegistry::default(),
            stop: Arc::new(AtomicBool::new(false)),
            waker: Arc::new(waker),
            wake: Some(wake),
        })
    }

    /// Registers a task this worker runs on its task threads (before `run`: READY lists
    /// the names).
    pub fn task(
        &mut self,
        name: &str,
        handler: impl Fn(&TaskContext, Value) -> TaskResult + Send + Sync + 'static,
    ) -> &mut Self {
        self.registry.register(name, handler);
        self
    }

    /// Registers a task that host-language threads serving `queue` run.
    pub fn host_task(&mut self, name: &str, queue: &Arc<HostQueue>) -> &mut Self {
        self.registry.register_host(name, queue);
        self
    }

    /// The worker's tasks, to share with code that registers them elsewhere.
    pub fn registry(&self) -> &TaskRegistry {
        &self.registry
    }

    /// A handle that stops the worker from another thread.
    pub fn handle(&self) -> WorkerHandle {
        WorkerHandle {
            stop: Arc::clone(&self.stop),
            waker: Arc::clone(&self.waker),
        }
    }

    /// Serves the pool until a handle's `stop`: connects, reconnects, runs tasks.
    pub fn run(&mut self) -> Result<(), Error> {
        let wake = self
            .wake
            .take()
            .ok_or_else(|| Error::InvalidArgument("worker: already running".into()))?;
        let mut reactor = Reactor::with_waker(Arc::clone(&self.waker), wake);
        // Launched for a node of a manifest, SIGTERM stops the worker as a handle does: it
        // says DISCONNECT and the pool hands what it held to other workers.
        let stopper = self.handle();
        let sigterm = crate::service::stop_on_sigterm(move || stopper.stop());
        let result = self.serve(&mut reactor);
        drop(sigterm);
        self.wake = Some(reactor.into_wake_receiver());
        self.stop.store(false, Ordering::Release);
        result
    }

    fn serve(&self, reactor: &mut Reactor<(), ()>) -> Result<(), Error> {
        let context = crate::context::context();
        let mut runner = TaskRunner::new(
            "dripdrop-worker",
            self.options.concurrency,
            self.registry.clone(),
            Arc::clone(&self.waker),
        );
        let stopping = || self.stop.load(Ordering::Acquire);
        let limits = DecodeLimits {
            max_input_bytes: self.options.max_frame_bytes,
            ..DecodeLimits::DEFAULT
        };
        let mut outbox = Outbox::default();
        let mut backoff = self.options.reconnect_min;
        let mut ids = IdSource::new();
        let mut previous: Option<Vec<u8>> = None;
        while !stopping() {
            let (socket, identity) = self.connect(&context, &mut ids)?;
            let socket = SharedSocket::new(socket);
            // Each session names the one before, so the pool takes results that session's
            // tasks finish with on this one.
            let ready = self.ready(previous.replace(identity));
            let settings = Settings {
                ready: &ready,
                heartbeat: self.options.heartbeat,
                silence: self.options.heartbeat * self.options.liveness.max(1),
                stopping: &stopping,
                limits: &limits,
            };
            match session::serve(reactor, &socket, &settings, &mut runner, &mut outbox)? {
                SessionEnd::Stopped => break,
                SessionEnd::Told => backoff = self.options.reconnect_min,
                SessionEnd::Silent { heard } => {
                    if heard {
                        backoff = self.options.reconnect_min;
                    }
                    // Waits `backoff`, or less if stopped.
                    let until = Instant::now() + backoff;
                    reactor.wait(Some(until), &mut |wait| wait(), &mut Vec::new())?;
                    backoff = (backoff * 2).min(self.options.reconnect_max);
                }
            }
        }
        Ok(())
    }

    /// A new session's socket, connected, and its identity.
    fn connect(
        &self,
        context: &zmq::Context,
        ids: &mut IdSource,
    ) -> Result<(zmq::Socket, Vec<u8>), Error> {
        let fail = |what: &'static str| move |e| Error::zmq(format!("worker: {what}"), e);
        let socket = context.socket(zmq::DEALER).map_err(fail("socket"))?;
        // What is unsent when a session ends goes with it: the pool runs those tasks again.
        socket.set_linger(0).map_err(fail("linger"))?;
        // Checked to fit in `Worker::new`.
        socket
            .set_maxmsgsize(self.options.max_frame_bytes as i64)
            .map_err(fail("max_frame_bytes"))?;
        // A fresh identity per session, never starting with a zero byte (ZeroMQ's own), and
        // unpredictable: the pool takes results only from the identity it sent the task to
        // (or one that names it as its previous session).
        let mut identity = b"dd-".to_vec();
        identity.extend_from_slice(&ids.next().to_be_bytes());
        socket.set_identity(&identity).map_err(fail("identity"))?;
        // A client's account of its handshakes is only counters, and a worker has no one to
        // show them to: the pool's counters say who it refused.
        security::secure(
            &socket,
            context,
            &self.options.curve,
            Mode::Connect,
            "worker",
        )?;
        for endpoint in &self.endpoints {
            socket.connect(endpoint).map_err(fail("connect"))?;
        }
        Ok((socket, identity))
    }

    /// READY for a session that continues the session `previous` (its identity), if any.
    fn ready(&self, previous: Option<Vec<u8>>) -> Ready {
        let name = self
            .options
            .name
            .clone()
            .unwrap_or_else(|| format!("worker-{}", std::process::id()));
        Ready {
            concurrency: self.options.concurrency as u32,
            tasks: self.registry.names(),
            heartbeat_ms: self.options.heartbeat.as_millis() as u64,
            info: Value::Dict(
                vec![
                    (Value::from("name"), Value::from(name)),
                    (
                        Value::from("dripdrop"),
                        Value::from(env!("CARGO_PKG_VERSION")),
                    ),
                ]
                .into_iter()
                .chain(previous.map(|p| (Value::from("previous"), Value::Binary(p))))
                .collect(),
            ),
        }
    }
}
