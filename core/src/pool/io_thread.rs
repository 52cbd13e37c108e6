//! The pool's I/O thread: the ROUTER socket workers connect to, heartbeats, credits and
//! leases. No host code runs here, so a slow callback or a long task never makes a worker
//! look dead, and the thread always answers its workers.
//!
//! Each turn it takes the node's commands, collects results, serves its timers (heartbeats,
//! liveness, the no-worker wait), ends what expired, leases what can be leased, and hands the
//! node what ended, then waits on its reactor.

use super::credit::Credit;
use super::identities::{Identities, Origin};
use super::link::Guarded;
use super::options::{Placement, PoolOptions, HEARTBEAT_CEILING};
use super::peer::{send_to, Delivery, LocalPeer, Peer, RemotePeer, Sent};
use super::protocol::to_pool::{Ready, ResultEntry, ToPool};
use super::protocol::{envelope, write_disconnect, write_heartbeat};
use super::registry::TaskRegistry;
use super::runner::TaskRunner;
use super::scheduler::{Capabilities, Departure, Ended, Ending, Lease, Scheduler, Task, WorkerId};
use super::snapshot::{PoolSnapshot, WorkerSnapshot};
use super::task::TaskResult;
use crate::bert::{DecodeLimits, Value};
use crate::error::Error;
use crate::monitor::SocketMonitor;
use crate::reactor::{later, Event, Interest, Reactor, SharedSocket, Token, WakeReceiver, Waker};
use crate::security::Secured;
use crossbeam_channel::{Receiver, Sender};
use rustc_hash::FxHashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the node asks of its pool. Submissions come in batches: one channel message per
/// turn of the node's loop, not per task.
pub(crate) enum Command {
    Submit(Vec<Task>),
    Cancel(u64),
    Stop,
}

/// A task ended; the node turns the ending into its caller's result.
pub(crate) struct Done {
    pub(crate) id: u64,
    pub(crate) ending: Ending,
}

/// What the thread's timers are for.
enum PoolTimer {
    /// Heartbeat this worker.
    Heartbeat(WorkerId),
    /// See whether this worker went silent for too long.
    Liveness(WorkerId),
    /// See whether pending tasks waited too long for a worker that can run them.
    NoWorkerCheck,
}

/// Tasks queued per local thread of a local-only pool.
const LOCAL_BACKLOG: usize = 32;
/// Most tasks sent to a worker in one TASKS frame.
const MAX_BATCH: usize = 64;
/// Most frames read in one turn before the thread looks at its other duties.
const RECEIVE_BATCH: usize = 1024;
/// Most bytes read in one turn: reading costs about in proportion to bytes, so a flood of
/// large frames cannot keep the thread from its heartbeats and liveness checks.
const RECEIVE_BYTES: usize = 4 << 20;
/// Largest frame read from a peer that never said READY: what a stranger may send (READY,
/// HEARTBEAT, DISCONNECT) is small, and its results are refused unread.
const STRANGER_FRAME_BYTES: usize = 64 << 10;
/// How often pending tasks are checked against the no-worker wait, at the longest.
const NO_WORKER_TICK: Duration = Duration::from_millis(50);

/// What a pool's thread is started with.
pub(crate) struct Setup {
    pub(crate) name: String,
    pub(crate) socket: Option<zmq::Socket>,
    /// With CURVE: the socket's handshakes and their monitor.
    pub(crate) guarded: Option<Guarded>,
    /// Where the thread's errors for the node's `on_error` go.
    pub(crate) notices: Sender<Error>,
    pub(crate) commands: Receiver<Command>,
    pub(crate) waker: (Arc<Waker>, WakeReceiver),
    pub(crate) done: Sender<Vec<Done>>,
    pub(crate) node_waker: Arc<Waker>,
    pub(crate) registry: TaskRegistry,
    pub(crate) options: PoolOptions,
    pub(crate) snapshot: Arc<Mutex<PoolSnapshot>>,
}

pub(crate) struct PoolThread {
    reactor: Reactor<(), PoolTimer>,
    socket: Option<SharedSocket>,
    /// With CURVE: the handshakes of workers, counted and reported.
    secured: Option<Secured>,
    monitor: Option<(SocketMonitor, Token)>,
    notices: Sender<Error>,
    commands: Receiver<Command>,
    done: Sender<Vec<Done>>,
    node_waker: Arc<Waker>,
    options: PoolOptions,
    snapshot: Arc<Mutex<PoolSnapshot>>,
    scheduler: Scheduler,
    local: Option<(WorkerId, LocalPeer)>,
    remotes: FxHashMap<WorkerId, RemotePeer>,
    /// Remote workers by their ROUTER identity, connected and gone.
    identities: Identities,
    /// What a result's value is read within.
    result_limits: DecodeLimits,
    protocol_errors: u64,
    /// Result frames from peers that never said READY, refused unread.
    rejected_frames: u64,
    /// Reused to encode frames.
    frame: Vec<u8>,
    /// Endings of this turn, sent to the node as one batch at its end.
    ended: Vec<Done>,
    /// Reused for the local threads' results.
    results: Vec<(u64, TaskResult)>,
    /// Reused for what the reactor found ready.
    ready: Vec<Event<()>>,
    no_worker_check_armed: bool,
    /// The worker list changed since the snapshot last named them.
    workers_changed: bool,
}

/// The worker `id`, local or remote.
fn peer<'a>(
    local: &'a mut Option<(WorkerId, LocalPeer)>,
    remotes: &'a mut FxHashMap<WorkerId, RemotePeer>,
    id: WorkerId,
) -> Option<&'a mut dyn Peer> {
    match local {
        Some((local_id, peer)) if *local_id == id => Some(peer),
        _ => remotes.get_mut(&id).map(|peer| peer as &mut dyn Peer),
    }
}

impl PoolThread {
    pub(crate) fn new(setup: Setup) -> Self {
        let (waker, wake) = setup.waker;
        let mut reactor = Reactor::with_waker(Arc::clone(&waker), wake);
        let socket = setup.socket.map(SharedSocket::new);
        if let Some(socket) = &socket {
            reactor.add_socket(socket, Interest::READABLE, ());
        }
        let (secured, monitor) = match setup.guarded {
            Some(guarded) => {
                let monitor = SocketMonitor::from_socket(guarded.monitor);
                let token = reactor.add_socket(monitor.socket(), Interest::READABLE, ());
                (Some(guarded.secured), Some((monitor, token)))
            }
            None => (None, None),
        };
        let options = setup.options;
        let mut scheduler = Scheduler::new(options.placement, options.max_attempts)
            .with_no_worker_timeout(options.no_worker_timeout)
            .with_lease_timeout(options.lease_timeout);
        let local = (options.local_threads > 0).then(|| {
            let name = format!("dripdrop-pool-{}", setup.name);
            let runner =
                TaskRunner::new(&name, options.local_threads, setup.registry.clone(), waker);
            let peer = LocalPeer::new(runner);
            // Local-only, the threads keep a backlog so they never wait on this thread for
            // their next task; local-first, they hold no more than they run, so that the
            // rest spills over to remote workers.
            let capacity = match options.placement {
                Placement::Local => peer.threads() * LOCAL_BACKLOG,
                _ => peer.threads(),
            };
            let capabilities = Capabilities::Registry(setup.registry);
            let credit = Credit::fixed(capacity, 0, capacity);
            (scheduler.add_worker(true, capabilities, credit), peer)
        });
        let result_limits = options.result_limits();
        PoolThread {
            reactor,
            socket,
            secured,
            monitor,
            notices: setup.notices,
            commands: setup.commands,
            done: setup.done,
            node_waker: setup.node_waker,
            options,
            snapshot: setup.snapshot,
            scheduler,
            local,
            remotes: FxHashMap::default(),
            identities: Identities::default(),
            result_limits,
            protocol_errors: 0,
            rejected_frames: 0,
            frame: Vec::with_capacity(256),
            ended: Vec::new(),
            results: Vec::new(),
            ready: Vec::new(),
            no_worker_check_armed: false,
            workers_changed: true,
        }
    }

    pub(crate) fn run(mut self) {
        loop {
            if !self.take_commands() {
                self.shutdown();
                return;
            }
            self.collect_local_results();
            self.receive();
            let now = Instant::now();
            self.watch_handshakes(now);
            self.run_timers(now);
            self.expire(now, false);
            self.remove_stalled(now);
            self.dispatch(now);
            self.arm_no_worker_check(now);
            // Counters first: a node that learns a task ended finds it counted.
            self.publish_snapshot();
            self.send_done();
            // A failed wait (a signal) only makes the loop turn sooner.
            let until = match (self.scheduler.next_deadline(), self.report_due()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let _ = self
                .reactor
                .wait(until, &mut |wait| wait(), &mut self.ready);
        }
    }

    /// With CURVE: counts what the monitor reported, and hands the node a report of it when
    /// one is due (at most one a second; one the node has no room for is dropped).
    fn watch_handshakes(&mut self, now: Instant) {
        let (Some(secured), Some((monitor, token))) = (&mut self.secured, &self.monitor) else {
            return;
        };
        if self.ready.iter().any(|event| event.token == *token) {
            for event in monitor.read() {
                secured.on_event(event);
            }
        }
        if let Some(report) = secured.report(now) {
            if self.notices.try_send(report).is_ok() {
                self.node_waker.wake();
            }
        }
    }

    /// When a handshake report is next due.
    fn report_due(&self) -> Option<Instant> {
        self.secured.as_ref().and_then(Secured::due)
    }

    /// Takes what the node sent; false once the node asked to stop or is gone.
    fn take_commands(&mut self) -> bool {
        loop {
            match self.commands.try_recv() {
                Ok(Command::Submit(batch)) => {
                    let now = Instant::now();
                    for task in batch {
                        self.scheduler.submit(task, now);
                    }
                }
                Ok(Command::Cancel(id)) => {
                    if let Some(ended) = self.scheduler.cancel(id) {
                        self.end(ended);
                    }
                }
                Ok(Command::Stop) => return false,
                Err(crossbeam_channel::TryRecvError::Empty) => return true,
                Err(crossbeam_channel::TryRecvError::Disconnected) => return false,
            }
        }
    }

    fn finish(&mut self, id: u64, ending: Ending) {
        self.ended.push(Done { id, ending });
    }

    /// A task ended for its caller; a worker still running it is told to cancel it.
    fn end(&mut self, ended: Ended) {
        if let Some(worker) = ended.held_by {
            if let Some(peer) = peer(&mut self.local, &mut self.remotes, worker) {
                peer.cancel(ended.id, &mut self.frame);
            }
        }
        self.finish(ended.id, ended.ending);
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
        let Some((worker, peer)) = &mut self.local else {
            return;
        };
        let worker = *worker;
        let mut results = std::mem::take(&mut self.results);
        peer.take_results(&mut results);
        let now = Instant::now();
        for (id, outcome) in results.drain(..) {
            if let Some(ending) = self.scheduler.complete(&[worker], id, || outcome, now) {
                self.finish(id, ending);
            }
        }
        self.results = results;
    }

    /// Reads what workers sent, up to a batch (in frames and in bytes).
    fn receive(&mut self) {
        let Some(socket) = self.socket.clone() else {
            return;
        };
        // Two reused frames, not a fresh Vec per message: this runs once per task.
        let (mut key, mut payload) = (zmq::Message::new(), zmq::Message::new());
        let mut bytes = 0;
        for _ in 0..RECEIVE_BATCH {
            if bytes >= RECEIVE_BYTES || socket.recv(&mut key, zmq::DONTWAIT).is_err() {
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
            bytes += payload.len();
            let sender = self.identities.sender(&key);
            if sender == Origin::Stranger && !self.readable_from_stranger(&payload) {
                continue;
            }
            match ToPool::decode(&payload) {
                Ok(message) => self.handle(&socket, &key, sender, message, &payload),
                Err(_) => self.protocol_errors += 1,
            }
        }
    }

    /// Whether a frame from an identity that never said READY is worth reading: results
    /// are refused unread (counted as rejected), and a large frame is not read at all.
    fn readable_from_stranger(&mut self, frame: &[u8]) -> bool {
        if frame.len() > STRANGER_FRAME_BYTES {
            self.protocol_errors += 1;
            return false;
        }
        match envelope(frame) {
            Ok(e) if matches!(e.kind.as_str(), "result" | "results") => {
                self.rejected_frames += 1;
                false
            }
            _ => true,
        }
    }

    fn handle(
        &mut self,
        socket: &SharedSocket,
        identity: &[u8],
        sender: Origin,
        message: ToPool,
        frame: &[u8],
    ) {
        let now = Instant::now();
        let live = match sender {
            Origin::Live(worker) => Some(worker),
            _ => None,
        };
        if let Some(peer) = live.and_then(|id| self.remotes.get_mut(&id)) {
            peer.heard(now);
        }
        match message {
            ToPool::Ready(ready) => self.admit(socket, identity, ready, live, now),
            ToPool::Results(results) => {
                let senders = match sender {
                    Origin::Live(worker) | Origin::Retired(worker) => {
                        self.identities.lineage(worker)
                    }
                    // Refused unread in `receive`.
                    Origin::Stranger => return,
                };
                self.complete(&senders, results, frame, now);
                if let Some(worker) = live {
                    self.scheduler.adapt_credit(worker, now);
                }
            }
            ToPool::Heartbeat => match live {
                Some(worker) => self.scheduler.note_alive(worker),
                None => {
                    // A worker of an earlier pool on this address, or one declared dead:
                    // it must say READY again before it gets work.
                    write_disconnect(&mut self.frame);
                    let _ = send_to(socket, identity, &self.frame);
                }
            },
            ToPool::Disconnect => {
                if let Some(worker) = live {
                    self.remove_remote(worker, Departure::Left, now);
                }
            }
        }
    }

    /// Results from `senders` (a worker and the sessions it continues): each counts if one
    /// of them was sent the task, and only then is its value read, within the pool's limits.
    fn complete(
        &mut self,
        senders: &[WorkerId],
        results: Vec<ResultEntry>,
        frame: &[u8],
        now: Instant,
    ) {
        let limits = &self.result_limits;
        for entry in results {
            let id = entry.id;
            let outcome = || entry.outcome(frame, limits);
            if let Some(ending) = self.scheduler.complete(senders, id, outcome, now) {
                self.ended.push(Done { id, ending });
            }
        }
    }

    /// A worker said READY. One seen before starts over: whatever it held is requeued (not
    /// counted as a death: it is alive and asking for work). So does the earlier session it
    /// says it continues, if that one is still connected.
    fn admit(
        &mut self,
        socket: &SharedSocket,
        identity: &[u8],
        ready: Ready,
        known: Option<WorkerId>,
        now: Instant,
    ) {
        if let Some(worker) = known {
            self.remove_remote(worker, Departure::Left, now);
        }
        if self.remotes.len() >= self.options.max_workers {
            self.protocol_errors += 1;
            return;
        }
        let name = ready
            .info
            .get("name")
            .and_then(Value::as_str)
            .map_or_else(|| hex(identity), str::to_owned);
        let previous = match ready.info.get("previous") {
            Some(Value::Binary(previous)) => Some(previous.as_slice()),
            _ => None,
        };
        let credit = Credit::from_option(
            self.options.prefetch,
            ready.concurrency as usize,
            self.options.max_worker_credit,
        );
        let names = ready.tasks.iter().cloned().collect();
        let worker = self
            .scheduler
            .add_worker(false, Capabilities::Names(names), credit);
        if let Some(replaced) = self.identities.admit(identity, worker, previous) {
            self.remove_remote(replaced, Departure::Left, now);
        }
        // A worker may beat slower than the pool, up to a ceiling: past it, its silence is
        // read against the ceiling (so an interval of years cannot make it undying).
        let ceiling = self.options.heartbeat.saturating_mul(HEARTBEAT_CEILING);
        let heartbeat = Duration::from_millis(ready.heartbeat_ms.max(1)).min(ceiling);
        let silence_limit = heartbeat
            .checked_mul(self.options.liveness.max(1))
            .unwrap_or(Duration::MAX);
        let beat_every = self.options.heartbeat.min(heartbeat);
        let peer = RemotePeer::new(
            socket.clone(),
            identity,
            name,
            beat_every,
            silence_limit,
            now,
        );
        let dead_at = peer.dead_at();
        self.remotes.insert(worker, peer);
        self.workers_changed = true;
        let timers = self.reactor.timers_mut();
        timers.add_at(now, None, PoolTimer::Heartbeat(worker));
        timers.add_at(dead_at, None, PoolTimer::Liveness(worker));
    }

    /// A remote worker left (see [`Departure`]).
    fn remove_remote(&mut self, worker: WorkerId, departure: Departure, now: Instant) {
        if let Some(peer) = self.remotes.remove(&worker) {
            self.identities.retire(peer.identity());
        }
        self.workers_changed = true;
        for ended in self.scheduler.remove_worker(worker, departure, now) {
            self.end(ended);
        }
    }

    /// Removes the workers that held a lease past the lease timeout.
    fn remove_stalled(&mut self, now: Instant) {
        for (worker, task) in self.scheduler.stalled(now) {
            self.remove_remote(worker, Departure::Stalled { task }, now);
        }
    }

    /// Heartbeats the workers due one, declares dead those that went silent, and ends
    /// pending tasks that waited too long for a worker.
    fn run_timers(&mut self, now: Instant) {
        while let Some(due) = self.reactor.timers_mut().pop_due(now) {
            match due.callback {
                PoolTimer::Heartbeat(worker) => {
                    let Some(peer) = self.remotes.get(&worker) else {
                        continue;
                    };
                    write_heartbeat(&mut self.frame);
                    if peer.send(&self.frame) == Sent::Gone {
                        self.remove_remote(worker, Departure::Died, now);
                        continue;
                    }
                    let next = later(now, peer.beat_every());
                    let timer = PoolTimer::Heartbeat(worker);
                    self.reactor.timers_mut().add_at(next, None, timer);
                }
                PoolTimer::Liveness(worker) => {
                    let Some(peer) = self.remotes.get(&worker) else {
                        continue;
                    };
                    let dead_at = peer.dead_at();
                    if now > dead_at {
                        self.remove_remote(worker, Departure::Died, now);
                    } else {
                        // Heard since the timer was set: look again when it would be dead.
                        let again = later(dead_at, Duration::from_millis(1));
                        let timer = PoolTimer::Liveness(worker);
                        self.reactor.timers_mut().add_at(again, None, timer);
                    }
                }
                PoolTimer::NoWorkerCheck => {
                    self.no_worker_check_armed = false;
                    self.expire(now, true);
                }
            }
        }
    }

    /// While tasks wait and a no-worker limit is set, looks at them every tick.
    fn arm_no_worker_check(&mut self, now: Instant) {
        if self.scheduler.waits_for_workers() && !self.no_worker_check_armed {
            self.no_worker_check_armed = true;
            let timers = self.reactor.timers_mut();
            timers.add_at(now + NO_WORKER_TICK, None, PoolTimer::NoWorkerCheck);
        }
    }

    /// Ends the tasks whose deadline passed (with `check_no_worker`, also those no worker
    /// could take in time).
    fn expire(&mut self, now: Instant, check_no_worker: bool) {
        for ended in self.scheduler.expire(now, check_no_worker) {
            self.end(ended);
        }
    }

    /// Leases what can be leased and hands it to the workers: a worker's tasks go out
    /// together, up to a batch a frame.
    fn dispatch(&mut self, now: Instant) {
        loop {
            let leases = self.scheduler.assign();
            if leases.is_empty() {
                return;
            }
            let mut returned = false;
            for group in leases.chunk_by(|a, b| a.worker == b.worker) {
                for batch in group.chunks(MAX_BATCH) {
                    returned |= self.deliver(batch, now);
                }
            }
            // A lease handed back (a full pipe) is retried on a later turn, not spun on.
            if returned {
                return;
            }
        }
    }

    /// Hands one worker a batch of its leases; true if some had to go back to the queue.
    fn deliver(&mut self, batch: &[Lease], now: Instant) -> bool {
        let worker = batch[0].worker;
        let tasks: Vec<&Task> = batch
            .iter()
            .filter_map(|lease| self.scheduler.task(lease.task))
            .collect();
        let delivery = match peer(&mut self.local, &mut self.remotes, worker) {
            Some(peer) => peer.deliver(&tasks, now, &mut self.frame),
            None => Delivery::default(),
        };
        for (task, why) in delivery.unsendable {
            let ended = self.scheduler.refuse(Lease { worker, task }, why);
            self.end(ended);
        }
        if delivery.taken >= batch.len() {
            return false;
        }
        // Back to the front of the queue, the oldest ending up first.
        for lease in batch[delivery.taken..].iter().rev() {
            self.scheduler.return_lease(*lease);
        }
        if delivery.gone {
            // Its connection is gone: waiting for its silence would only fail every turn.
            self.remove_remote(worker, Departure::Died, now);
            return false;
        }
        true
    }

    /// Updates the counters the node reads; worker names are copied only when the set of
    /// workers changed.
    fn publish_snapshot(&mut self) {
        let Ok(mut shared) = self.snapshot.lock() else {
            return;
        };
        shared.counters = self.scheduler.counters().clone();
        shared.pending = self.scheduler.pending();
        shared.in_flight = self.scheduler.in_flight();
        shared.counters.rejected_results += self.rejected_frames;
        shared.protocol_errors = self.protocol_errors;
        if let Some(secured) = &self.secured {
            shared.auth_refused = secured.auth_refused();
            shared.handshake_failed = secured.handshake_failed();
        }
        // Copied only when a task was answered since: this runs every turn of the thread.
        if shared.latency.total() != self.scheduler.latency().total() {
            shared.latency.clone_from(self.scheduler.latency());
        }
        if std::mem::take(&mut self.workers_changed) {
            let (local, remotes) = (&mut self.local, &mut self.remotes);
            shared.workers = self
                .scheduler
                .workers()
                .filter_map(|(id, _, _)| {
                    let peer = peer(local, remotes, id)?;
                    Some(WorkerSnapshot {
                        name: peer.name().to_owned(),
                        in_flight: 0,
                        credit: 0,
                        local: peer.is_local(),
                    })
                })
                .collect();
        }
        for (shown, (_, in_flight, credit)) in
            shared.workers.iter_mut().zip(self.scheduler.workers())
        {
            shown.in_flight = in_flight;
            shown.credit = credit;
        }
    }

    fn shutdown(&mut self) {
        for peer in self.remotes.values_mut() {
            peer.disconnect(&mut self.frame);
        }
        for ended in self.scheduler.stop_all() {
            self.finish(ended.id, ended.ending);
        }
        self.publish_snapshot();
        self.send_done();
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
