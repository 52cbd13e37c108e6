//! A remote worker: connects to a pool, says READY with its concurrency and task names, runs
//! the tasks it is sent on its own threads and sends their results back.
//!
//! The thread that calls [`Worker::run`] is the worker's I/O thread: it heartbeats the pool
//! and notices when the pool goes silent, and no task ever runs on it, so a long task never
//! makes the worker look dead. When the pool goes away the worker reconnects with backoff and
//! says READY again; results it could not deliver are sent on the new connection.

use super::ids::IdSource;
use super::protocol::{encode_result, encode_results, Control, TaskFrame};
use super::task::{start_task_threads, Job, TaskContext, TaskError, TaskRegistry, TaskResult};
use crate::bert::Value;
use crate::error::Error;
use crate::waker::{self, WakeReceiver, Waker};
use crossbeam_channel::{Receiver, Sender};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Most results sent in one RESULTS frame.
const RESULT_BATCH: usize = 64;

/// How long a stopping worker lets ZeroMQ deliver its DISCONNECT.
const STOP_LINGER_MS: i32 = 500;

/// A worker's settings.
#[derive(Clone, Debug)]
pub struct WorkerOptions {
    /// Tasks run at once (threads).
    pub concurrency: usize,
    /// How often the worker heartbeats the pool; the pool uses it to judge the worker too.
    pub heartbeat: Duration,
    /// Heartbeat intervals the pool may stay silent before the worker reconnects.
    pub liveness: u32,
    /// First wait before reconnecting; it doubles up to `reconnect_max`.
    pub reconnect_min: Duration,
    pub reconnect_max: Duration,
    /// The name the pool shows in its stats; default `worker-<pid>`.
    pub name: Option<String>,
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
pub struct Worker {
    endpoints: Vec<String>,
    options: WorkerOptions,
    registry: TaskRegistry,
    stop: Arc<AtomicBool>,
    waker: Arc<Waker>,
    wake: WakeReceiver,
}

/// Why a session with the pool ended.
enum SessionEnd {
    Stopped,
    /// The pool said DISCONNECT: reconnect now.
    Told,
    /// The pool went silent: reconnect after a backoff (reset first if the pool had been
    /// heard in this session, so a healthy session starts the backoff over).
    Silent {
        heard: bool,
    },
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
        if options.heartbeat < Duration::from_millis(1) {
            // The protocol counts heartbeats in whole milliseconds.
            return Err(Error::InvalidArgument(
                "worker: heartbeat must be 1 ms or more".into(),
            ));
        }
        let (waker, wake) = waker::pair()
            .map_err(|e| Error::InvalidArgument(format!("cannot start worker: {e}")))?;
        Ok(Worker {
            endpoints: endpoints.iter().map(|e| e.to_string()).collect(),
            options,
            registry: TaskRegistry::default(),
            stop: Arc::new(AtomicBool::new(false)),
            waker: Arc::new(waker),
            wake,
        })
    }

    /// Registers a task this worker runs (before `run`: READY lists the names).
    pub fn task(
        &mut self,
        name: &str,
        handler: impl Fn(&TaskContext, Value) -> TaskResult + Send + Sync + 'static,
    ) -> &mut Self {
        self.registry.register(name, handler);
        self
    }

    /// The worker's tasks, to share with code that registers them elsewhere.
    pub fn registry(&self) -> &TaskRegistry {
        &self.registry
    }

    pub fn handle(&self) -> WorkerHandle {
        WorkerHandle {
            stop: Arc::clone(&self.stop),
            waker: Arc::clone(&self.waker),
        }
    }

    /// Serves the pool until a handle's `stop`: connects, reconnects, runs tasks.
    pub fn run(&mut self) -> Result<(), Error> {
        let context = crate::context::context();
        let (job_tx, job_rx) = crossbeam_channel::unbounded::<Job>();
        let (result_tx, result_rx) = crossbeam_channel::unbounded();
        self.start_threads(&job_rx, &result_tx)?;
        let mut state = Session {
            running: HashMap::new(),
            backlog: VecDeque::new(),
            frame: Vec::with_capacity(256),
            jobs: job_tx,
            results: result_rx,
        };
        let mut backoff = self.options.reconnect_min;
        let mut ids = IdSource::new();
        while !self.stop.load(Ordering::Acquire) {
            let socket = self.connect(&context, &mut ids)?;
            match self.session(&socket, &mut state)? {
                SessionEnd::Stopped => break,
                SessionEnd::Told => backoff = self.options.reconnect_min,
                SessionEnd::Silent { heard } => {
                    if heard {
                        backoff = self.options.reconnect_min;
                    }
                    self.pause(backoff);
                    backoff = (backoff * 2).min(self.options.reconnect_max);
                }
            }
        }
        self.stop.store(false, Ordering::Release);
        Ok(())
    }

    fn start_threads(
        &self,
        jobs: &Receiver<Job>,
        results: &Sender<(u64, TaskResult)>,
    ) -> Result<(), Error> {
        start_task_threads(
            "dripdrop-worker",
            self.options.concurrency,
            jobs,
            results,
            &self.registry,
            &self.waker,
        )
        .map_err(|e| Error::InvalidArgument(format!("cannot start worker: {e}")))?;
        Ok(())
    }

    fn connect(&self, context: &zmq::Context, ids: &mut IdSource) -> Result<zmq::Socket, Error> {
        let fail = |what: &'static str| move |e| Error::zmq(format!("worker: {what}"), e);
        let socket = context.socket(zmq::DEALER).map_err(fail("socket"))?;
        // What is unsent when a session ends goes with it: the pool runs those tasks again.
        socket.set_linger(0).map_err(fail("linger"))?;
        // A fresh identity per session, never starting with a zero byte (ZeroMQ's own).
        let mut identity = b"dd-".to_vec();
        identity.extend_from_slice(&ids.next().to_be_bytes());
        socket.set_identity(&identity).map_err(fail("identity"))?;
        for endpoint in &self.endpoints {
            socket.connect(endpoint).map_err(fail("connect"))?;
        }
        Ok(socket)
    }

    /// Waits `backoff`, or less if stopped.
    fn pause(&self, backoff: Duration) {
        let mut items = [zmq::PollItem::from_fd(self.wake.fd(), zmq::POLLIN)];
        let _ = zmq::poll(&mut items, backoff.as_millis() as i64);
    }

    fn ready(&self) -> Control {
        let name = self
            .options
            .name
            .clone()
            .unwrap_or_else(|| format!("worker-{}", std::process::id()));
        Control::Ready {
            concurrency: self.options.concurrency as u32,
            tasks: self.registry.names(),
            heartbeat_ms: self.options.heartbeat.as_millis() as u64,
            info: Value::Dict(vec![
                (Value::from("name"), Value::from(name)),
                (
                    Value::from("dripdrop"),
                    Value::from(env!("CARGO_PKG_VERSION")),
                ),
            ]),
        }
    }

    fn session(&self, socket: &zmq::Socket, state: &mut Session) -> Result<SessionEnd, Error> {
        let heartbeat = self.options.heartbeat;
        let silence = heartbeat * self.options.liveness.max(1);
        state.start(socket, &self.ready());
        let mut last_heard = Instant::now();
        let mut heard = false;
        // Reused for every frame read: this runs once per task.
        let mut frame = zmq::Message::new();
        let mut next_beat = last_heard + heartbeat;
        loop {
            let now = Instant::now();
            let wake_at = next_beat.min(last_heard + silence);
            let timeout = wake_at
                .saturating_duration_since(now)
                .as_micros()
                .div_ceil(1000);
            let mut pollout = zmq::PollEvents::empty();
            if !state.backlog.is_empty() {
                pollout = zmq::POLLOUT;
            }
            {
                let mut items = [
                    zmq::PollItem::from_fd(self.wake.fd(), zmq::POLLIN),
                    socket.as_poll_item(zmq::POLLIN | pollout),
                ];
                match zmq::poll(&mut items, timeout as i64) {
                    Ok(_) | Err(zmq::Error::EINTR) => {}
                    Err(e) => return Err(Error::zmq("worker: poll", e)),
                }
            }
            self.wake.drain(&self.waker);
            if self.stop.load(Ordering::Acquire) {
                state.send(socket, &Control::Disconnect);
                state.flush(socket);
                // Sessions close with linger 0; this last word gets a moment to go out, so
                // the pool requeues our tasks at once instead of waiting to call us dead.
                let _ = socket.set_linger(STOP_LINGER_MS);
                return Ok(SessionEnd::Stopped);
            }
            state.flush(socket);
            state.send_results(socket);
            while socket.recv(&mut frame, zmq::DONTWAIT).is_ok() {
                last_heard = Instant::now();
                heard = true;
                match Control::decode(&frame) {
                    Ok(Control::Task {
                        id,
                        name,
                        args,
                        attempt,
                        deadline_ms,
                    }) => {
                        let task = TaskFrame {
                            id,
                            name,
                            args,
                            attempt,
                            deadline_ms,
                        };
                        state.start_task(task, last_heard);
                    }
                    Ok(Control::Tasks(tasks)) => {
                        for task in tasks {
                            state.start_task(task, last_heard);
                        }
                    }
                    Ok(Control::Cancel { id }) => {
                        if let Some(context) = state.running.get(&id) {
                            context.cancel();
                        }
                    }
                    Ok(Control::Disconnect) => return Ok(SessionEnd::Told),
                    // Heartbeats only prove the pool is there; anything else is not ours.
                    Ok(_) | Err(_) => {}
                }
            }
            let now = Instant::now();
            if now >= next_beat {
                state.send(socket, &Control::Heartbeat);
                next_beat = now + heartbeat;
            }
            if now.saturating_duration_since(last_heard) > silence {
                return Ok(SessionEnd::Silent { heard });
            }
        }
    }
}

/// What lives across sessions: the tasks running, results not yet delivered.
struct Session {
    running: HashMap<u64, TaskContext>,
    /// Encoded frames ZeroMQ would not take yet, oldest first; true for a result.
    backlog: VecDeque<(bool, Vec<u8>)>,
    frame: Vec<u8>,
    jobs: Sender<Job>,
    results: Receiver<(u64, TaskResult)>,
}

impl Session {
    /// Hands a task to the task threads; its deadline counts from when it arrived.
    fn start_task(&mut self, task: TaskFrame, arrived: Instant) {
        let deadline = task
            .deadline_ms
            .map(|ms| arrived + Duration::from_millis(ms));
        let context = TaskContext::new(task.id, Arc::from(task.name), task.attempt, deadline);
        self.running.insert(task.id, context.clone());
        let _ = self.jobs.send(Job {
            context,
            args: task.args,
        });
    }

    /// Sends the results the task threads finished: all that are ready in one frame (up
    /// to a batch), so a busy worker sends one frame for many tasks.
    fn send_results(&mut self, socket: &zmq::Socket) {
        loop {
            let mut batch = Vec::new();
            while batch.len() < RESULT_BATCH {
                let Ok((id, result)) = self.results.try_recv() else {
                    break;
                };
                self.running.remove(&id);
                batch.push((id, result));
            }
            match batch.len() {
                0 => return,
                1 => {
                    let (id, result) = batch.pop().expect("one result");
                    self.send_result(socket, id, result);
                }
                _ => {
                    if encode_results(&mut self.frame, &batch).is_ok() {
                        let frame = std::mem::take(&mut self.frame);
                        self.push(socket, true, frame);
                    } else {
                        // One of them cannot be written: each goes alone.
                        for (id, result) in batch {
                            self.send_result(socket, id, result);
                        }
                    }
                }
            }
        }
    }

    fn send_result(&mut self, socket: &zmq::Socket, id: u64, result: TaskResult) {
        let written = match encode_result(&mut self.frame, id, &result) {
            Ok(()) => Ok(()),
            // A result BERT cannot carry (a NaN...) is the task's error, not a lost result.
            Err(e) => {
                let error = TaskError::new("EncodeError", e.to_string());
                encode_result(&mut self.frame, id, &Err(error))
            }
        };
        if written.is_ok() {
            let frame = std::mem::take(&mut self.frame);
            self.push(socket, true, frame);
        }
    }

    fn send(&mut self, socket: &zmq::Socket, control: &Control) {
        if let Ok(frame) = control.encode() {
            self.push(socket, false, frame);
        }
    }

    /// Starts a session on a new socket: READY goes first; of what the last session could
    /// not send only results are still worth sending.
    fn start(&mut self, socket: &zmq::Socket, ready: &Control) {
        self.backlog.retain(|(is_result, _)| *is_result);
        if let Ok(frame) = ready.encode() {
            self.backlog.push_front((false, frame));
        }
        self.flush(socket);
    }

    /// Sends a frame, or keeps it (in order) until the socket takes more.
    fn push(&mut self, socket: &zmq::Socket, is_result: bool, frame: Vec<u8>) {
        if self.backlog.is_empty() && socket.send(&frame[..], zmq::DONTWAIT).is_ok() {
            self.frame = frame;
            return;
        }
        self.backlog.push_back((is_result, frame));
    }

    fn flush(&mut self, socket: &zmq::Socket) {
        while let Some((_, frame)) = self.backlog.front() {
            if socket.send(&frame[..], zmq::DONTWAIT).is_err() {
                return;
            }
            self.backlog.pop_front();
        }
    }
}
