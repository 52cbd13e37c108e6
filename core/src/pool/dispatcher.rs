//! The pool's I/O thread: the ROUTER socket workers connect to, heartbeats, credits and
//! leases. No host code runs here, so a slow callback or a long task never makes a worker
//! look dead, and the thread always answers its workers.

use super::local::LocalThreads;
use super::protocol::{encode_task, encode_tasks, Control, TaskRef};
use super::scheduler::{Ending, Scheduler, WorkerKey, LOCAL};
use super::task::{TaskContext, TaskRegistry};
use super::{Placement, PoolOptions, PoolSnapshot, WorkerSnapshot};
use crate::bert::Value;
use crate::waker::{WakeReceiver, Waker};
use crossbeam_channel::{Receiver, Sender};
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A task the node submits.
pub(crate) struct Submission {
    pub(crate) id: u64,
    pub(crate) name: Arc<str>,
    pub(crate) args: Value,
    pub(crate) timeout: Option<Duration>,
}

/// What the node asks of its pool. Submissions come in batches: one channel message per
/// turn of the node's loop, not per task.
pub(crate) enum Command {
    Submit(Vec<Submission>),
    Cancel(u64),
    Stop,
}

/// A task ended; the node turns the ending into its caller's result.
pub(crate) struct Done {
    pub(crate) id: u64,
    pub(crate) ending: Ending,
}

/// Tasks queued per local thread of a local-only pool.
const LOCAL_BACKLOG: usize = 32;
/// Most tasks sent to a worker in one TASKS frame.
const MAX_BATCH: usize = 64;
/// Most frames read in one turn before the thread looks at its other duties.
const RECEIVE_BATCH: usize = 1024;
/// How often pending tasks are checked against the no-worker wait, at the longest.
const EXPIRY_TICK: Duration = Duration::from_millis(50);

pub(crate) struct Dispatcher {
    pub(crate) socket: Option<zmq::Socket>,
    pub(crate) commands: Receiver<Command>,
    pub(crate) wake: WakeReceiver,
    pub(crate) waker: Arc<Waker>,
    pub(crate) done: Sender<Vec<Done>>,
    pub(crate) node_waker: Arc<Waker>,
    pub(crate) registry: TaskRegistry,
    pub(crate) local: Option<LocalThreads>,
    pub(crate) options: PoolOptions,
    pub(crate) snapshot: Arc<Mutex<PoolSnapshot>>,
    pub(crate) scheduler: Scheduler,
    /// Contexts of tasks on the local threads, to flag them cancelled.
    local_running: FxHashMap<u64, TaskContext>,
    /// A worker's name as it gave it in READY, for stats.
    labels: FxHashMap<WorkerKey, String>,
    protocol_errors: u64,
    frame: Vec<u8>,
    /// Endings of this turn, sent to the node as one batch at its end.
    ended: Vec<Done>,
    /// When pending tasks are next checked against the no-worker wait.
    next_no_worker_check: Instant,
    /// The worker list changed since the snapshot last named them.
    workers_changed: bool,
}

impl Dispatcher {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        socket: Option<zmq::Socket>,
        commands: Receiver<Command>,
        (wake, waker): (WakeReceiver, Arc<Waker>),
        done: Sender<Vec<Done>>,
        node_waker: Arc<Waker>,
        registry: TaskRegistry,
        local: Option<LocalThreads>,
        options: PoolOptions,
        snapshot: Arc<Mutex<PoolSnapshot>>,
    ) -> Self {
        let mut scheduler = Scheduler::new(
            options.placement,
            options.max_attempts,
            options.no_worker_timeout,
        );
        if let Some(local) = &local {
            let now = Instant::now();
            // Local-only, the threads keep a backlog so they never wait on this thread for
            // their next task; local-first, they hold no more than they run, so that the
            // rest spills over to remote workers.
            let capacity = match options.placement {
                Placement::Local => local.threads() * LOCAL_BACKLOG,
                _ => local.threads(),
            };
            scheduler.add_worker(WorkerKey::from(LOCAL), None, capacity, Duration::MAX, now);
        }
        Dispatcher {
            socket,
            commands,
            wake,
            waker,
            done,
            node_waker,
            registry,
            local,
            options,
            snapshot,
            scheduler,
            local_running: FxHashMap::default(),
            labels: FxHashMap::default(),
            protocol_errors: 0,
            frame: Vec::with_capacity(256),
            ended: Vec::new(),
            next_no_worker_check: Instant::now(),
            workers_changed: true,
        }
    }

    pub(crate) fn run(mut self) {
        loop {
            self.wake.drain(&self.waker);
            if !self.take_commands() {
                self.shutdown();
                return;
            }
            self.collect_local_results();
            self.receive();
            let now = Instant::now();
            self.check_workers(now);
            self.expire(now);
            self.dispatch(now);
            self.publish_snapshot();
            self.send_done();
            self.wait();
        }
    }

    /// Takes what the node sent; false once it asked to stop or went away.
    fn take_commands(&mut self) -> bool {
        let now = Instant::now();
        loop {
            match self.commands.try_recv() {
                Ok(Command::Submit(batch)) => {
                    for task in batch {
                        let Submission {
                            id,
                            name,
                            args,
                            timeout,
                        } = task;
                        self.scheduler.submit(id, name, args, timeout, now);
                    }
                }
                Ok(Command::Cancel(id)) => {
                    if let Some((lease, ending)) = self.scheduler.cancel(id) {
                        self.finish(id, ending);
                        if let Some(key) = lease {
                            self.cancel_on(&key, id);
                        }
                    }
                }
                Ok(Command::Stop) => return false,
                Err(crossbeam_channel::TryRecvError::Empty) => return true,
                Err(crossbeam_channel::TryRecvError::Disconnected) => return false,
            }
        }
    }

    fn finish(&mut self, id: u64, ending: Ending) {
        self.local_running.remove(&id);
        self.ended.push(Done { id, ending });
    }

    /// Hands this turn's endings to the node and wakes it.
    fn send_done(&mut self) {
        if self.ended.is_empty() {
            return;
        }
        // The node outlives its pool's thread only briefly; after that nobody waits.
        let _ = self.done.send(std::mem::take(&mut self.ended));
        self.node_waker.wake();
    }

    fn collect_local_results(&mut self) {
        let Some(local) = &self.local else { return };
        let mut results = Vec::new();
        while let Some(result) = local.try_result() {
            results.push(result);
        }
        for (id, outcome) in results {
            self.local_running.remove(&id);
            if let Some(ending) = self.scheduler.complete(LOCAL, id, outcome, Instant::now()) {
                self.finish(id, ending);
            }
        }
    }

    /// Reads what workers sent, up to a batch.
    fn receive(&mut self) {
        // Two reused frames, not a fresh Vec per message: this runs once per task.
        let (mut key, mut payload) = (zmq::Message::new(), zmq::Message::new());
        for _ in 0..RECEIVE_BATCH {
            let Some(socket) = &self.socket else { return };
            if socket.recv(&mut key, zmq::DONTWAIT).is_err() {
                return;
            }
            // ROUTER prepends the identity: a well-formed message is [identity, frame].
            let whole = key.get_more()
                && socket.recv(&mut payload, 0).is_ok()
                && !payload.get_more()
                && !key.is_empty();
            if !whole {
                self.protocol_errors += 1;
                while socket.get_rcvmore().unwrap_or(false) {
                    let _ = socket.recv(&mut payload, 0);
                }
                continue;
            }
            match Control::decode(&payload) {
                Ok(control) => self.handle(&key, control),
                Err(_) => self.protocol_errors += 1,
            }
        }
    }

    fn handle(&mut self, key: &[u8], control: Control) {
        let now = Instant::now();
        let known = match self.scheduler.worker_mut(key) {
            Some(worker) => {
                worker.last_heard = now;
                true
            }
            None => false,
        };
        match control {
            Control::Ready {
                concurrency,
                tasks,
                heartbeat_ms,
                info,
            } => {
                let label = info
                    .get("name")
                    .and_then(Value::as_str)
                    .map_or_else(|| hex(key), str::to_owned);
                let key_shared = WorkerKey::from(key);
                self.labels.insert(Arc::clone(&key_shared), label);
                let names: FxHashSet<String> = tasks.into_iter().collect();
                let capacity = concurrency as usize + self.options.prefetch;
                let heartbeat = Duration::from_millis(heartbeat_ms.max(1));
                self.workers_changed = true;
                let ended =
                    self.scheduler
                        .add_worker(key_shared, Some(names), capacity, heartbeat, now);
                for (id, ending) in ended {
                    self.finish(id, ending);
                }
            }
            // From a worker not (or no longer) known too: the result is as good, and its
            // next heartbeat will be told to say READY again.
            Control::Result { id, outcome } => {
                if let Some(ending) = self.scheduler.complete(key, id, outcome, now) {
                    self.finish(id, ending);
                }
            }
            Control::Heartbeat => {
                if !known {
                    // A worker of an earlier pool on this address, or one declared dead:
                    // it must say READY again before it gets work.
                    self.send_to(key, &Control::Disconnect);
                }
            }
            Control::Disconnect => {
                self.workers_changed = true;
                self.labels.remove(key);
                for (id, ending) in self.scheduler.remove_worker(key, false, now) {
                    self.finish(id, ending);
                }
            }
            Control::Results(results) => {
                for (id, outcome) in results {
                    if let Some(ending) = self.scheduler.complete(key, id, outcome, now) {
                        self.finish(id, ending);
                    }
                }
            }
            Control::Task { .. } | Control::Tasks(_) | Control::Cancel { .. } => {
                self.protocol_errors += 1
            }
        }
    }

    /// Heartbeats the remote workers and declares dead those that stopped answering.
    fn check_workers(&mut self, now: Instant) {
        let liveness = self.options.liveness.max(1);
        let mut dead = Vec::new();
        let mut beat = Vec::new();
        for worker in self.scheduler.workers() {
            if worker.is_local() {
                continue;
            }
            if now.saturating_duration_since(worker.last_heard) > worker.heartbeat * liveness {
                dead.push(worker.key.clone());
            } else if now >= worker.next_heartbeat {
                beat.push(worker.key.clone());
            }
        }
        for key in dead {
            self.workers_changed = true;
            self.labels.remove(&key);
            for (id, ending) in self.scheduler.remove_worker(&key, true, now) {
                self.finish(id, ending);
            }
        }
        let interval = self.options.heartbeat;
        for key in beat {
            self.send_to(&key, &Control::Heartbeat);
            if let Some(worker) = self.scheduler.worker_mut(&key) {
                worker.next_heartbeat = now + interval.min(worker.heartbeat);
            }
        }
    }

    fn expire(&mut self, now: Instant) {
        let registry = self.registry.clone();
        let local = self.local.is_some();
        let can_run_local = |name: &str| local && registry.contains(name);
        // Deadlines are checked every turn (a heap makes that cheap); the no-worker wait,
        // a scan of the queues, every EXPIRY_TICK.
        let check_no_worker = now >= self.next_no_worker_check;
        if check_no_worker {
            self.next_no_worker_check = now + EXPIRY_TICK;
        }
        let ended = self.scheduler.expire(now, check_no_worker, &can_run_local);
        for (id, lease, ending) in ended {
            self.finish(id, ending);
            if let Some(key) = lease {
                self.cancel_on(&key, id);
            }
        }
    }

    /// Leases what can be leased and sends it.
    fn dispatch(&mut self, now: Instant) {
        let registry = self.registry.clone();
        let local = self.local.is_some();
        let can_run_local = |name: &str| local && registry.contains(name);
        loop {
            let leases = self.scheduler.assign(&can_run_local);
            if leases.is_empty() {
                return;
            }
            let mut returned = false;
            // Leases come grouped by worker; a group goes out as one TASKS frame.
            let mut start = 0;
            while start < leases.len() {
                let key = Arc::clone(&leases[start].0);
                let mut end = start + 1;
                while end < leases.len()
                    && end - start < MAX_BATCH
                    && Arc::ptr_eq(&leases[end].0, &key)
                {
                    end += 1;
                }
                let ids: Vec<u64> = leases[start..end].iter().map(|(_, id)| *id).collect();
                let sent = self.send_tasks(&key, &ids, now);
                if sent < ids.len() {
                    // Back to the front of the queue, the oldest ending up first.
                    for &id in ids[sent..].iter().rev() {
                        self.scheduler.return_lease(&key, id);
                    }
                    returned = true;
                }
                start = end;
            }
            // A lease handed back (a full pipe) is retried on a later turn, not spun on.
            if returned {
                return;
            }
        }
    }

    /// Sends leased tasks to one worker, several in one frame. Returns how many went (in
    /// order): the rest could not, and go back to the queue.
    fn send_tasks(&mut self, key: &[u8], ids: &[u64], now: Instant) -> usize {
        if *key == *LOCAL {
            for &id in ids {
                self.run_local(id);
            }
            return ids.len();
        }
        let mut tasks = Vec::with_capacity(ids.len());
        for &id in ids {
            if let Some(task) = self.scheduler.task(id) {
                tasks.push(TaskRef {
                    id,
                    name: &task.name,
                    args: &task.args,
                    attempt: task.attempt,
                    deadline_ms: deadline_ms(task.deadline, now),
                });
            }
        }
        if tasks.len() < 2 || encode_tasks(&mut self.frame, &tasks).is_err() {
            // One task, or one whose arguments cannot be written: each goes alone (and
            // that one fails).
            drop(tasks);
            return ids
                .iter()
                .take_while(|&&id| self.send_task(key, id, now))
                .count();
        }
        let Some(socket) = &self.socket else {
            return 0;
        };
        if send_frames(socket, key, &self.frame) {
            ids.len()
        } else {
            0
        }
    }

    fn run_local(&mut self, id: u64) {
        let Some(task) = self.scheduler.task(id) else {
            return;
        };
        let context = TaskContext::new(id, Arc::clone(&task.name), task.attempt, task.deadline);
        let args = task.args.clone();
        if let Some(local) = &self.local {
            self.local_running.insert(id, context.clone());
            local.run(context, args);
        }
    }

    /// Sends one leased task to a remote worker; false if it could not go.
    fn send_task(&mut self, key: &[u8], id: u64, now: Instant) -> bool {
        let Some(task) = self.scheduler.task(id) else {
            return true;
        };
        let written = encode_task(
            &mut self.frame,
            &TaskRef {
                id,
                name: &task.name,
                args: &task.args,
                attempt: task.attempt,
                deadline_ms: deadline_ms(task.deadline, now),
            },
        );
        if let Err(e) = written {
            self.scheduler.refuse(key, id);
            self.finish(id, Ending::Unsendable(e.to_string()));
            return true;
        }
        let Some(socket) = &self.socket else {
            return false;
        };
        send_frames(socket, key, &self.frame)
    }

    fn cancel_on(&mut self, key: &[u8], id: u64) {
        if *key == *LOCAL {
            if let Some(context) = self.local_running.get(&id) {
                context.cancel();
            }
        } else {
            self.send_to(key, &Control::Cancel { id });
        }
    }

    fn send_to(&mut self, key: &[u8], control: &Control) {
        if control.encode_into(&mut self.frame).is_err() {
            return;
        }
        if let Some(socket) = &self.socket {
            // A control frame that cannot go (the worker's pipe is full or it is gone) is
            // not retried: heartbeats and liveness settle it.
            send_frames(socket, key, &self.frame);
        }
    }

    fn wait(&mut self) {
        let now = Instant::now();
        let mut wake_at = self.scheduler.next_deadline();
        for worker in self.scheduler.workers() {
            if worker.is_local() {
                continue;
            }
            let dead_at = worker.last_heard + worker.heartbeat * self.options.liveness.max(1);
            for at in [worker.next_heartbeat, dead_at] {
                wake_at = Some(wake_at.map_or(at, |w| w.min(at)));
            }
        }
        if self.scheduler.pending() > 0 && self.options.no_worker_timeout.is_some() {
            let tick = now + EXPIRY_TICK;
            wake_at = Some(wake_at.map_or(tick, |w| w.min(tick)));
        }
        let timeout = match wake_at {
            None => -1,
            Some(at) => {
                let wait = at.saturating_duration_since(now);
                i64::try_from(wait.as_micros().div_ceil(1000)).unwrap_or(i64::MAX)
            }
        };
        let mut items = vec![zmq::PollItem::from_fd(self.wake.fd(), zmq::POLLIN)];
        if let Some(socket) = &self.socket {
            items.push(socket.as_poll_item(zmq::POLLIN));
        }
        // EINTR or another poll failure: the loop simply turns again.
        let _ = zmq::poll(&mut items, timeout);
    }

    /// Updates the counters the node reads; worker names are copied only when the set of
    /// workers changed.
    fn publish_snapshot(&mut self) {
        let Ok(mut shared) = self.snapshot.lock() else {
            return;
        };
        shared.counters = self.scheduler.counters.clone();
        shared.pending = self.scheduler.pending();
        shared.in_flight = self.scheduler.in_flight();
        shared.protocol_errors = self.protocol_errors;
        let workers = self.scheduler.workers();
        if std::mem::take(&mut self.workers_changed) || shared.workers.len() != workers.len() {
            shared.workers = workers
                .iter()
                .map(|w| WorkerSnapshot {
                    name: if w.is_local() {
                        "local".to_owned()
                    } else {
                        self.labels
                            .get(&w.key)
                            .cloned()
                            .unwrap_or_else(|| hex(&w.key))
                    },
                    in_flight: 0,
                    local: w.is_local(),
                })
                .collect();
        }
        for (shown, worker) in shared.workers.iter_mut().zip(workers) {
            shown.in_flight = worker.leased.len();
        }
    }

    fn shutdown(&mut self) {
        let keys: Vec<WorkerKey> = self
            .scheduler
            .workers()
            .iter()
            .filter(|w| !w.is_local())
            .map(|w| w.key.clone())
            .collect();
        for key in keys {
            self.send_to(&key, &Control::Disconnect);
        }
        for (id, ending) in self.scheduler.stop_all() {
            self.finish(id, ending);
        }
        self.publish_snapshot();
        self.send_done();
    }
}

/// A deadline as the milliseconds left at `now`, rounded up: the worker's deadline must never
/// come before the pool's, or a task that stops at its deadline would answer just in time
/// and count as done.
fn deadline_ms(deadline: Option<Instant>, now: Instant) -> Option<u64> {
    deadline.map(|d| {
        let left = d.saturating_duration_since(now).as_micros().div_ceil(1000);
        u64::try_from(left).unwrap_or(u64::MAX)
    })
}

/// Sends `[identity, frame]` without blocking; false if the worker's pipe is full or the
/// worker is gone (ROUTER_MANDATORY makes that an error instead of a silent drop).
fn send_frames(socket: &zmq::Socket, key: &[u8], frame: &[u8]) -> bool {
    socket
        .send(key, zmq::SNDMORE | zmq::DONTWAIT)
        .and_then(|()| socket.send(frame, zmq::DONTWAIT))
        .is_ok()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
