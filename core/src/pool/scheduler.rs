//! The pool's bookkeeping, without sockets or threads: pending tasks by name, workers and
//! their credit, leases, requeueing after a worker dies, quarantine, deadlines.
//!
//! Every task accepted here ends exactly once, as one [`Ending`]: a result, or a failure the
//! pool decided (deadline, cancel, poison, no worker, shutdown). A task is forgotten only
//! when it has ended and no worker holds it any more.

use super::credit::{Credit, RunTime};
use super::latency::LatencyHistogram;
use super::options::Placement;
use super::registry::TaskRegistry;
use super::task::TaskError;
use crate::bert::Value;
use crate::reactor::later;
use rustc_hash::{FxHashMap, FxHashSet};
use smallvec::SmallVec;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A worker as the scheduler knows it: an id that is never reused, so a stale id can only
/// miss, never name another worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct WorkerId(u64);

/// How a task ended, for the caller.
#[derive(Debug, PartialEq)]
pub(crate) enum Ending {
    Ok(Value),
    Failed(TaskError),
    TimedOut {
        timeout_ms: u64,
    },
    Cancelled,
    Quarantined {
        attempts: u32,
    },
    NoWorker {
        waited_ms: u64,
    },
    Stopped,
    /// The arguments cannot be written as BERT (a NaN...): the task never ran.
    Unsendable(String),
}

/// Workers a task remembers having held it: a result from one of them counts. Past this
/// many (a task requeued again and again), the oldest are forgotten, and a result from them
/// is refused like a stranger's.
const MAX_HOLDERS: usize = 8;

/// Tasks a worker is leased before it proves itself alive (a heartbeat or a result after
/// READY): a peer that says READY and nothing else holds no more than this.
const PROBATION_CREDIT: usize = 1;

/// A task the pool accepted: what the caller asked, and where it stands.
pub(crate) struct Task {
    id: u64,
    /// Order of submission (ids are unpredictable, so they cannot tell the older task).
    seq: u64,
    name: Arc<str>,
    args: Value,
    timeout: Option<Duration>,
    /// Runs started (1 on the first lease); sent to the worker as the attempt.
    attempt: u32,
    /// Times a worker died or vanished while holding it.
    deaths: u32,
    deadline: Option<Instant>,
    /// When the pool took it: its latency runs from here to the worker's answer.
    submitted_at: Instant,
    /// When it last joined the queue (submission or requeue), for the no-worker timeout.
    queued_at: Instant,
    lease: Option<WorkerId>,
    /// When the current lease began: how long the worker held it tells its credit how long
    /// its tasks take.
    leased_at: Instant,
    /// When the current lease expires, if the pool has a lease timeout and the caller set no
    /// deadline.
    lease_expires: Option<Instant>,
    /// Every worker that was sent the task, the latest last (at most `MAX_HOLDERS`).
    holders: SmallVec<[WorkerId; 2]>,
    /// Ended for the caller (cancel, deadline) while a worker still holds it.
    ended: bool,
}

impl Task {
    /// A task as the caller submits it; the scheduler sets the rest when it takes it.
    pub(crate) fn new(id: u64, name: Arc<str>, args: Value, timeout: Option<Duration>) -> Self {
        // Read once (the scheduler sets the times again when it takes the task).
        let now = Instant::now();
        Task {
            id,
            seq: 0,
            name,
            args,
            timeout,
            attempt: 0,
            deaths: 0,
            deadline: None,
            submitted_at: now,
            queued_at: now,
            lease: None,
            leased_at: now,
            lease_expires: None,
            holders: SmallVec::new(),
            ended: false,
        }
    }

    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Waiting for a worker: neither leased nor ended.
    fn is_pending(&self) -> bool {
        !self.ended && self.lease.is_none()
    }

    pub(crate) fn name(&self) -> &Arc<str> {
        &self.name
    }

    pub(crate) fn args(&self) -> &Value {
        &self.args
    }

    pub(crate) fn attempt(&self) -> u32 {
        self.attempt
    }

    /// When the caller stops waiting, if it set a timeout.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    fn timeout_ms(&self) -> u64 {
        self.timeout.map_or(0, |t| t.as_millis() as u64)
    }

    /// A task as a worker would get it on its first lease at `now` (for tests of what reads
    /// tasks, and the fuzz targets' seed frames).
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn leased_for_test(&mut self, now: Instant) {
        self.deadline = self.timeout.map(|t| now + t);
        self.attempt = 1;
    }
}

/// Which tasks a worker runs.
pub(crate) enum Capabilities {
    /// The names it announced in READY.
    Names(FxHashSet<String>),
    /// Whatever its node registers, now or later (the pool's local threads).
    Registry(TaskRegistry),
}

impl Capabilities {
    fn can_run(&self, name: &str) -> bool {
        match self {
            Capabilities::Names(names) => names.contains(name),
            Capabilities::Registry(registry) => registry.contains(name),
        }
    }
}

struct Worker {
    /// The pool's own local threads, not a remote worker (placement tells them apart).
    local: bool,
    capabilities: Capabilities,
    credit: Credit,
    leased: FxHashSet<u64>,
    /// It sent a heartbeat or a result after READY: its death counts against its tasks, and
    /// it gets its whole credit.
    proven: bool,
    /// It sent a result: a lease of it that times out counts against that task.
    answered: bool,
    /// When it last answered, while it still held tasks: the time to its next answer is how
    /// long a task of its ran (it was busy all along).
    last_answer: Option<Instant>,
}

impl Worker {
    fn free(&self) -> usize {
        let capacity = self.credit.capacity();
        let credit = if self.proven {
            capacity
        } else {
            capacity.min(PROBATION_CREDIT)
        };
        credit.saturating_sub(self.leased.len())
    }
}

/// Why a worker leaves the pool; it decides whether its tasks count a death.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Departure {
    /// It said DISCONNECT, or READY again: alive, so nothing counts.
    Left,
    /// It went silent past its liveness, or its connection is gone. Its tasks count a death
    /// only if it ever proved itself alive: a peer that said READY and nothing else proves
    /// nothing about the tasks it was sent.
    Died,
    /// Its lease of `task` timed out. That task counts a death if the worker ever answered
    /// anything (so it was working, and this task is what it could not finish); the others
    /// go back without one.
    Stalled { task: u64 },
}

/// Counters the pool reports in `node.stats()`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PoolCounters {
    /// Tasks accepted.
    pub submitted: u64,
    /// Tasks that ended with their handler's value.
    pub completed: u64,
    /// Tasks that ended with their handler's error (or could not be sent).
    pub failed: u64,
    /// Tasks put back in the queue after their worker died or left.
    pub retried: u64,
    /// Tasks whose workers died under them `max_attempts` times.
    pub quarantined: u64,
    /// Tasks that did not finish before their deadline.
    pub timed_out: u64,
    /// Tasks their caller gave up on.
    pub cancelled: u64,
    /// Tasks no worker could take for as long as the pool waits for one.
    pub no_worker: u64,
    /// Results that came for a task already ended: it ran twice (its first worker was
    /// declared dead but finished anyway), or finished after its deadline or cancel.
    pub late_results: u64,
    /// Workers declared dead (silent past their liveness, gone, or holding a lease past the
    /// lease timeout).
    pub workers_lost: u64,
    /// Results refused: from a worker that never held the task, or (counted once per frame)
    /// from a peer that never said READY.
    pub rejected_results: u64,
    /// Leases that went past the lease timeout without a result.
    pub leases_expired: u64,
}

/// A lease to carry out: send task `task` to `worker`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Lease {
    pub(crate) worker: WorkerId,
    pub(crate) task: u64,
}

/// A task that ended for its caller. `held_by` still runs it: tell it to cancel.
#[derive(Debug, PartialEq)]
pub(crate) struct Ended {
    pub(crate) id: u64,
    pub(crate) held_by: Option<WorkerId>,
    pub(crate) ending: Ending,
}

/// The pending tasks of one name, and how long tasks of that name run.
#[derive(Default)]
struct NameQueue {
    ids: VecDeque<u64>,
    /// Only a name whose tasks are known to run short is queued behind a worker's running
    /// tasks: one not measured yet may run long.
    runs: RunTime,
}

/// Names whose queues may stay empty (and their run times known) before a new name sweeps
/// them out. Every lease looks at every queue, and an app that makes up task names (one per
/// user, per file) would otherwise grow the map, and the cost of a lease, without end. A
/// name swept out is measured afresh: until then its tasks wait for free slots. The next
/// sweep waits until the map has doubled, so sweeps cost O(1) a new name however many
/// names have tasks waiting.
const IDLE_NAMES: usize = 32;

pub(crate) struct Scheduler {
    tasks: FxHashMap<u64, Task>,
    /// Pending ids by task name, oldest first; an id whose task has ended or is leased is
    /// skipped when it comes up.
    queues: FxHashMap<Arc<str>, NameQueue>,
    /// How many queues a new name finds before it sweeps out the empty ones.
    sweep_queues_at: usize,
    pending: usize,
    workers: FxHashMap<WorkerId, Worker>,
    /// Every worker, in the order they came; assignment walks it from a rotating start.
    order: Vec<WorkerId>,
    next_worker: u64,
    deadlines: BinaryHeap<Reverse<(Instant, u64)>>,
    /// When leases expire: (expiry, task, worker); stale entries are skipped.
    lease_expiries: BinaryHeap<Reverse<(Instant, u64, WorkerId)>>,
    next_seq: u64,
    placement: Placement,
    max_attempts: u32,
    no_worker_timeout: Option<Duration>,
    lease_timeout: Option<Duration>,
    /// Rotates the first remote worker offered tasks, to spread a light load.
    next_start: usize,
    counters: PoolCounters,
    latency: LatencyHistogram,
}

impl Scheduler {
    pub(crate) fn new(placement: Placement, max_attempts: u32) -> Self {
        Scheduler {
            tasks: FxHashMap::default(),
            queues: FxHashMap::default(),
            sweep_queues_at: IDLE_NAMES,
            pending: 0,
            workers: FxHashMap::default(),
            order: Vec::new(),
            next_worker: 0,
            deadlines: BinaryHeap::new(),
            lease_expiries: BinaryHeap::new(),
            next_seq: 0,
            placement,
            max_attempts: max_attempts.max(1),
            no_worker_timeout: None,
            lease_timeout: None,
            next_start: 0,
            counters: PoolCounters::default(),
            latency: LatencyHistogram::default(),
        }
    }

    /// Ends a task no worker can run after it waited `limit` (from submission or requeue).
    pub(crate) fn with_no_worker_timeout(mut self, limit: Option<Duration>) -> Self {
        self.no_worker_timeout = limit;
        self
    }

    /// Takes a remote worker's lease back after `limit` without its result, when the caller
    /// set no deadline.
    pub(crate) fn with_lease_timeout(mut self, limit: Option<Duration>) -> Self {
        self.lease_timeout = limit;
        self
    }

    pub(crate) fn task(&self, id: u64) -> Option<&Task> {
        self.tasks.get(&id)
    }

    pub(crate) fn counters(&self) -> &PoolCounters {
        &self.counters
    }

    /// How long the tasks its workers answered took, submission to answer.
    pub(crate) fn latency(&self) -> &LatencyHistogram {
        &self.latency
    }

    /// Tasks waiting for a worker.
    pub(crate) fn pending(&self) -> usize {
        self.pending
    }

    /// Tasks a worker holds (including ended ones it has not answered yet).
    pub(crate) fn in_flight(&self) -> usize {
        self.workers.values().map(|w| w.leased.len()).sum()
    }

    /// Every worker with the number of tasks it holds and the most it may hold now, in the
    /// order they came.
    pub(crate) fn workers(&self) -> impl Iterator<Item = (WorkerId, usize, usize)> + '_ {
        self.order.iter().map(|id| {
            let worker = self.workers.get(id);
            let held = worker.map_or(0, |w| w.leased.len());
            (*id, held, worker.map_or(0, |w| w.credit.capacity()))
        })
    }

    /// Takes a task the caller submitted at `now`.
    pub(crate) fn submit(&mut self, mut task: Task, now: Instant) {
        task.deadline = task.timeout.map(|t| now + t);
        task.submitted_at = now;
        task.queued_at = now;
        task.seq = self.next_seq;
        self.next_seq += 1;
        if let Some(at) = task.deadline {
            self.deadlines.push(Reverse((at, task.id)));
        }
        self.enqueue(&task.name, task.id, false);
        self.pending += 1;
        self.counters.submitted += 1;
        self.tasks.insert(task.id, task);
    }

    /// Puts an id on its name's queue (at the front for a task going back), without
    /// allocating once the name has a queue.
    fn enqueue(&mut self, name: &Arc<str>, id: u64, front: bool) {
        let queue = match self.queues.get_mut(&**name) {
            Some(queue) => queue,
            None => {
                if self.queues.len() >= self.sweep_queues_at {
                    let tasks = &self.tasks;
                    self.queues.retain(|_, queue| {
                        queue
                            .ids
                            .retain(|id| tasks.get(id).is_some_and(Task::is_pending));
                        !queue.ids.is_empty()
                    });
                    self.sweep_queues_at = IDLE_NAMES.max(2 * self.queues.len());
                }
                self.queues.entry(Arc::clone(name)).or_default()
            }
        };
        if front {
            queue.ids.push_front(id);
        } else {
            queue.ids.push_back(id);
        }
    }

    /// A worker joins, holding at most what `credit` allows at once; returns its id.
    pub(crate) fn add_worker(
        &mut self,
        local: bool,
        capabilities: Capabilities,
        credit: Credit,
    ) -> WorkerId {
        let id = WorkerId(self.next_worker);
        self.next_worker += 1;
        self.workers.insert(
            id,
            Worker {
                local,
                capabilities,
                credit,
                leased: FxHashSet::default(),
                // The pool's own threads need not prove anything.
                proven: local,
                answered: local,
                last_answer: None,
            },
        );
        self.order.push(id);
        id
    }

    /// A worker sent a heartbeat: it is alive.
    pub(crate) fn note_alive(&mut self, id: WorkerId) {
        if let Some(worker) = self.workers.get_mut(&id) {
            worker.proven = true;
        }
    }

    /// A worker left (see [`Departure`] for what counts as a death). What it held goes back
    /// to the front of the queue; a task whose workers died under it `max_attempts` times
    /// ends quarantined instead. The wait for a capable worker starts again at `now` for the
    /// requeued tasks.
    pub(crate) fn remove_worker(
        &mut self,
        id: WorkerId,
        departure: Departure,
        now: Instant,
    ) -> Vec<Ended> {
        let Some(worker) = self.workers.remove(&id) else {
            return Vec::new();
        };
        self.order.retain(|&w| w != id);
        if departure != Departure::Left {
            self.counters.workers_lost += 1;
        }
        let counts_death = |task: u64| match departure {
            Departure::Left => false,
            Departure::Died => worker.proven,
            Departure::Stalled { task: stalled } => worker.answered && task == stalled,
        };
        let tasks = &self.tasks;
        let mut ids: Vec<(u64, u64)> = worker
            .leased
            .iter()
            .map(|&task| (tasks.get(&task).map_or(0, |t| t.seq), task))
            .collect();
        // Requeued in submission order, so the oldest runs first again.
        ids.sort_unstable();
        let mut ended = Vec::new();
        for (_, task_id) in ids.into_iter().rev() {
            let Some(task) = self.tasks.get_mut(&task_id) else {
                continue;
            };
            task.lease = None;
            task.lease_expires = None;
            if task.ended {
                self.tasks.remove(&task_id);
                continue;
            }
            if counts_death(task_id) {
                task.deaths += 1;
                if task.deaths >= self.max_attempts {
                    let attempts = task.deaths;
                    self.tasks.remove(&task_id);
                    self.counters.quarantined += 1;
                    ended.push(Ended {
                        id: task_id,
                        held_by: None,
                        ending: Ending::Quarantined { attempts },
                    });
                    continue;
                }
            }
            self.counters.retried += 1;
            self.pending += 1;
            task.queued_at = now;
            let name = Arc::clone(&task.name);
            self.enqueue(&name, task_id, true);
        }
        ended
    }

    /// Leases pending tasks to workers with free credit, following the placement policy.
    pub(crate) fn assign(&mut self) -> Vec<Lease> {
        let mut leases = Vec::new();
        if self.pending == 0 || self.order.is_empty() {
            return leases;
        }
        let count = self.order.len();
        self.next_start = (self.next_start + 1) % count;
        // Local threads first (if the policy lets them run anything), then every remote
        // worker from a rotating start, to spread a light load.
        let local_pass = self.placement != Placement::Remote;
        let remote_pass = self.placement != Placement::Local;
        let is_local = |id: &WorkerId| self.workers.get(id).is_some_and(|w| w.local);
        let order = self
            .order
            .iter()
            .copied()
            .filter(|id| local_pass && is_local(id))
            .chain(
                (0..count)
                    .map(|k| self.order[(self.next_start + k) % count])
                    .filter(|id| remote_pass && !is_local(id)),
            )
            .collect::<smallvec::SmallVec<[WorkerId; 16]>>();
        // No worker takes more than its share of what waits while others have room: a
        // worker whose credit grew on short tasks must not swallow a handful of long ones
        // that others could run at the same time. Later passes hand out what is left.
        let with_room = order
            .iter()
            .filter(|id| self.workers.get(id).is_some_and(|w| w.free() > 0))
            .count();
        let share = self.pending.div_ceil(with_room.max(1));
        let now = Instant::now();
        for worker in order {
            let mut taken = 0;
            while self.pending > 0 && taken < share {
                let Some(task) = self.next_for(worker) else {
                    break;
                };
                taken += 1;
                self.lease(task, worker, now);
                self.pending -= 1;
                leases.push(Lease { worker, task });
            }
            if self.pending == 0 {
                break;
            }
        }
        leases
    }

    /// Records that `task` goes to `worker` at `now`.
    fn lease(&mut self, task: u64, worker: WorkerId, now: Instant) {
        let Some(held) = self.workers.get_mut(&worker) else {
            return;
        };
        held.leased.insert(task);
        let local = held.local;
        let Some(leased) = self.tasks.get_mut(&task) else {
            return;
        };
        leased.lease = Some(worker);
        leased.leased_at = now;
        leased.attempt += 1;
        if leased.holders.len() == MAX_HOLDERS {
            leased.holders.remove(0);
        }
        leased.holders.push(worker);
        // The pool's own threads are not timed: nothing could take their task back.
        let timeout = self
            .lease_timeout
            .filter(|_| !local && leased.deadline.is_none());
        leased.lease_expires = timeout.map(|t| later(now, t));
        if let Some(at) = leased.lease_expires {
            self.lease_expiries.push(Reverse((at, task, worker)));
        }
    }

    /// The oldest pending task the worker can run and has credit for, taken off its queue.
    fn next_for(&mut self, worker: WorkerId) -> Option<u64> {
        let worker = self.workers.get(&worker).filter(|w| w.free() > 0)?;
        let busy = worker.leased.len() >= worker.credit.concurrency();
        let mut best: Option<(u64, &Arc<str>)> = None;
        for (name, queue) in &mut self.queues {
            // Drop ids that ended or were leased since they were queued.
            let front = loop {
                let Some(&id) = queue.ids.front() else {
                    break None;
                };
                match self.tasks.get(&id) {
                    Some(task) if task.is_pending() => break Some(task.seq),
                    _ => {
                        queue.ids.pop_front();
                    }
                }
            };
            let Some(seq) = front else { continue };
            // The smallest sequence number at a front is the oldest task. Checked first: the
            // capability check below may take the registry's lock and hash the name, and
            // only the few fronts older than the best so far need it.
            if best.is_some_and(|(b, _)| b <= seq) {
                continue;
            }
            // Long tasks (and those of a name not measured yet) wait in the pool for a free
            // slot rather than at a busy worker, whatever its credit: another worker may free
            // up first.
            if busy && !queue.runs.is_short() {
                continue;
            }
            if !worker.capabilities.can_run(name) {
                continue;
            }
            best = Some((seq, name));
        }
        let (_, name) = best?;
        let name = Arc::clone(name);
        self.queues.get_mut(&*name)?.ids.pop_front()
    }

    /// A lease that could not be carried out (the worker's pipe was full, or it is gone):
    /// the task goes back to the front of its queue as if never sent.
    pub(crate) fn return_lease(&mut self, lease: Lease) {
        if let Some(worker) = self.workers.get_mut(&lease.worker) {
            worker.leased.remove(&lease.task);
        }
        let Some(task) = self.tasks.get_mut(&lease.task) else {
            return;
        };
        task.lease = None;
        task.lease_expires = None;
        task.attempt = task.attempt.saturating_sub(1);
        // Never sent: that worker did not hold it.
        if task.holders.last() == Some(&lease.worker) {
            task.holders.pop();
        }
        if task.ended {
            self.tasks.remove(&lease.task);
            return;
        }
        self.pending += 1;
        let name = Arc::clone(&task.name);
        self.enqueue(&name, lease.task, true);
    }

    /// A result came at `now` from `senders`: the worker whose connection it came on, then
    /// the earlier sessions that worker continues. It counts only if one of them was sent the
    /// task (first result wins); from anyone else it is refused. `outcome` builds the result
    /// only when it will be used. The outcome is the caller's unless the task already ended;
    /// an answer after the task's deadline is a timeout all the same.
    pub(crate) fn complete(
        &mut self,
        senders: &[WorkerId],
        id: u64,
        outcome: impl FnOnce() -> Result<Value, TaskError>,
        now: Instant,
    ) -> Option<Ending> {
        let Some(task) = self.tasks.get_mut(&id) else {
            self.counters.late_results += 1;
            return None;
        };
        if !task.holders.iter().any(|h| senders.contains(h)) {
            self.counters.rejected_results += 1;
            return None;
        }
        // The answer may come from another worker than the holder (one declared dead that
        // finished anyway); either way the holder's credit comes back.
        let holder = task.lease.take();
        task.lease_expires = None;
        if holder.is_none() && !task.ended {
            // Pending again after its worker was declared dead, and answered now: done, and
            // no longer pending.
            self.pending -= 1;
        }
        let sender = senders.first().copied();
        if let Some(worker) = sender.and_then(|w| self.workers.get_mut(&w)) {
            worker.proven = true;
            worker.answered = true;
            worker.leased.remove(&id);
            // Only the holder's own answer says how long its tasks take: at most the time
            // it held this one, and at most (times what it runs at once) the time since its
            // last answer, if it was busy since (else that includes the wait for work).
            if holder == sender {
                let held = now.saturating_duration_since(task.leased_at);
                let took = match worker.last_answer {
                    Some(last) => {
                        let concurrency = worker.credit.concurrency() as u32;
                        held.min(
                            now.saturating_duration_since(last)
                                .saturating_mul(concurrency),
                        )
                    }
                    None => held,
                };
                worker.credit.answered(took);
                if let Some(queue) = self.queues.get_mut(&*task.name) {
                    queue.runs.add(took);
                }
            }
        }
        if let Some(worker) = holder.filter(|h| Some(*h) != sender) {
            if let Some(worker) = self.workers.get_mut(&worker) {
                worker.leased.remove(&id);
            }
        }
        let ended = task.ended;
        let late = task.deadline.is_some_and(|d| d <= now);
        let timeout_ms = task.timeout_ms();
        let took = now.saturating_duration_since(task.submitted_at);
        self.tasks.remove(&id);
        if ended {
            self.counters.late_results += 1;
            return None;
        }
        if late {
            self.counters.timed_out += 1;
            return Some(Ending::TimedOut { timeout_ms });
        }
        self.latency.record(took);
        Some(match outcome() {
            Ok(value) => {
                self.counters.completed += 1;
                Ending::Ok(value)
            }
            Err(e) => {
                self.counters.failed += 1;
                Ending::Failed(e)
            }
        })
    }

    /// After a worker's answers: its credit adapts to what it holds now and to whether
    /// tasks it could run are waiting (see [`Credit::adapt`]).
    pub(crate) fn adapt_credit(&mut self, id: WorkerId, now: Instant) {
        let Some(worker) = self.workers.get(&id) else {
            return;
        };
        let holding = worker.leased.len();
        let waiting = self.pending > 0
            && self
                .queues
                .iter()
                .any(|(name, queue)| !queue.ids.is_empty() && worker.capabilities.can_run(name));
        if let Some(worker) = self.workers.get_mut(&id) {
            worker.credit.adapt(holding, waiting);
            worker.last_answer = (holding > 0).then_some(now);
        }
    }

    /// Ends a leased task that cannot be sent to its worker (its arguments cannot be
    /// written); the caller learns why.
    pub(crate) fn refuse(&mut self, lease: Lease, why: String) -> Ended {
        if let Some(worker) = self.workers.get_mut(&lease.worker) {
            worker.leased.remove(&lease.task);
        }
        self.tasks.remove(&lease.task);
        self.counters.failed += 1;
        Ended {
            id: lease.task,
            held_by: None,
            ending: Ending::Unsendable(why),
        }
    }

    /// The caller gave up on a task; `None` if it already ended.
    pub(crate) fn cancel(&mut self, id: u64) -> Option<Ended> {
        let held_by = self.end(id)?;
        self.counters.cancelled += 1;
        Some(Ended {
            id,
            held_by,
            ending: Ending::Cancelled,
        })
    }

    /// Ends a task for its caller; a leased task stays with its worker until it answers.
    /// `None` if it already ended; else the worker that holds it, if one does.
    fn end(&mut self, id: u64) -> Option<Option<WorkerId>> {
        let task = self.tasks.get_mut(&id)?;
        if task.ended {
            return None;
        }
        match task.lease {
            Some(worker) => {
                task.ended = true;
                Some(Some(worker))
            }
            None => {
                self.tasks.remove(&id);
                self.pending -= 1;
                Some(None)
            }
        }
    }

    /// Tasks whose deadline passed (`now` or earlier), and with `check_no_worker` pending
    /// tasks no worker could take for `no_worker_timeout`.
    pub(crate) fn expire(&mut self, now: Instant, check_no_worker: bool) -> Vec<Ended> {
        let mut ended = Vec::new();
        while let Some(Reverse((at, id))) = self.deadlines.peek().copied() {
            if at > now {
                break;
            }
            self.deadlines.pop();
            let timeout_ms = self.tasks.get(&id).map_or(0, Task::timeout_ms);
            if let Some(held_by) = self.end(id) {
                self.counters.timed_out += 1;
                ended.push(Ended {
                    id,
                    held_by,
                    ending: Ending::TimedOut { timeout_ms },
                });
            }
        }
        if let Some(limit) = self.no_worker_timeout.filter(|_| check_no_worker) {
            self.expire_unrunnable(now, limit, &mut ended);
        }
        ended
    }

    /// Ends the pending tasks that waited `limit` for a worker able to run them.
    fn expire_unrunnable(&mut self, now: Instant, limit: Duration, ended: &mut Vec<Ended>) {
        let names: Vec<Arc<str>> = self.queues.keys().cloned().collect();
        for name in names {
            if self.workers.values().any(|w| w.capabilities.can_run(&name)) {
                continue;
            }
            let Some(queue) = self.queues.get_mut(&*name) else {
                continue;
            };
            // The whole queue: a task put back at the front waits afresh, and must not
            // hold back older ones behind it.
            let tasks = &self.tasks;
            let mut expired = Vec::new();
            queue.ids.retain(|&id| {
                let Some(task) = tasks.get(&id) else {
                    return false;
                };
                if !task.is_pending() {
                    return false;
                }
                let waited = now.saturating_duration_since(task.queued_at);
                if waited < limit {
                    return true;
                }
                expired.push((id, waited));
                false
            });
            for (id, waited) in expired {
                self.tasks.remove(&id);
                self.pending -= 1;
                self.counters.no_worker += 1;
                let waited_ms = waited.as_millis() as u64;
                ended.push(Ended {
                    id,
                    held_by: None,
                    ending: Ending::NoWorker { waited_ms },
                });
            }
        }
    }

    /// Remote workers holding a lease past the lease timeout at `now`, each with the task
    /// whose lease expired first; the caller removes them as [`Departure::Stalled`].
    pub(crate) fn stalled(&mut self, now: Instant) -> Vec<(WorkerId, u64)> {
        let mut stalled: Vec<(WorkerId, u64)> = Vec::new();
        while let Some(&Reverse((at, task, worker))) = self.lease_expiries.peek() {
            if at > now {
                break;
            }
            self.lease_expiries.pop();
            let current = self.tasks.get(&task).is_some_and(|t| {
                !t.ended && t.lease == Some(worker) && t.lease_expires == Some(at)
            });
            if current && !stalled.iter().any(|(w, _)| *w == worker) {
                self.counters.leases_expired += 1;
                stalled.push((worker, task));
            }
        }
        stalled
    }

    /// When `expire` or `stalled` next has something to look at, if ever.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let deadline = self.deadlines.peek().map(|Reverse((at, _))| *at);
        let expiry = self.lease_expiries.peek().map(|Reverse((at, ..))| *at);
        match (deadline, expiry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether pending tasks wait on the no-worker limit (so `expire` should look at them).
    pub(crate) fn waits_for_workers(&self) -> bool {
        self.pending > 0 && self.no_worker_timeout.is_some()
    }

    /// Ends every task not yet ended: the pool is going away.
    pub(crate) fn stop_all(&mut self) -> Vec<Ended> {
        let ids: Vec<u64> = self
            .tasks
            .iter()
            .filter(|(_, t)| !t.ended)
            .map(|(&id, _)| id)
            .collect();
        self.tasks.clear();
        self.queues.clear();
        self.pending = 0;
        for worker in self.workers.values_mut() {
            worker.leased.clear();
        }
        ids.into_iter()
            .map(|id| Ended {
                id,
                held_by: None,
                ending: Ending::Stopped,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Capabilities {
        Capabilities::Names(list.iter().map(|s| s.to_string()).collect())
    }

    /// A remote worker that has proved itself alive (it heartbeated).
    fn remote(s: &mut Scheduler, tasks: &[&str], capacity: usize) -> WorkerId {
        let w = s.add_worker(false, names(tasks), Credit::fixed(capacity, 0, capacity));
        s.note_alive(w);
        w
    }

    fn scheduler() -> Scheduler {
        Scheduler::new(Placement::Remote, 3)
    }

    fn ok(value: Value) -> impl FnOnce() -> Result<Value, TaskError> {
        move || Ok(value)
    }

    fn submit(s: &mut Scheduler, id: u64, name: &str) {
        let task = Task::new(id, Arc::from(name), Value::Int(id as i64), None);
        s.submit(task, Instant::now());
    }

    fn submit_with_timeout(s: &mut Scheduler, id: u64, timeout: Duration, now: Instant) {
        s.submit(
            Task::new(id, Arc::from("a"), Value::Nil, Some(timeout)),
            now,
        );
    }

    fn lease(worker: WorkerId, task: u64) -> Lease {
        Lease { worker, task }
    }

    fn ended(id: u64, held_by: Option<WorkerId>, ending: Ending) -> Ended {
        Ended {
            id,
            held_by,
            ending,
        }
    }

    /// Leases what `worker` can take now and answers all of it at once, as a worker whose
    /// tasks take no time does; returns how many it was leased.
    fn answer_all(s: &mut Scheduler, worker: WorkerId, now: Instant) -> usize {
        let leases = s.assign();
        for l in &leases {
            assert_eq!(l.worker, worker);
            s.complete(&[worker], l.task, ok(Value::Nil), now);
        }
        s.adapt_credit(worker, now);
        leases.len()
    }

    #[test]
    fn an_adaptive_credit_grows_while_tasks_are_short_and_work_waits() {
        let mut s = scheduler();
        let w = s.add_worker(false, names(&["a"]), Credit::adaptive(1, 100));
        s.note_alive(w);
        for id in 1..=1000 {
            submit(&mut s, id, "a");
        }
        let now = Instant::now();
        let leased: Vec<usize> = (0..8).map(|_| answer_all(&mut s, w, now)).collect();
        // The first task of a name not measured yet alone (it might run long), then
        // concurrency 1 plus a prefetch of 3, 7, 15... up to the ceiling.
        assert_eq!(leased, vec![1, 4, 8, 16, 32, 64, 100, 100]);
        // Idle with nothing waiting: halved.
        while s.pending() > 0 {
            answer_all(&mut s, w, now);
        }
        assert_eq!(s.workers().next().map(|(_, _, credit)| credit), Some(50));
    }

    #[test]
    fn no_worker_takes_more_than_its_share_while_others_have_room() {
        let mut s = scheduler();
        let a = remote(&mut s, &["a"], 1000);
        let b = remote(&mut s, &["a"], 1000);
        for id in 1..=8 {
            submit(&mut s, id, "a");
        }
        let leases = s.assign();
        let count = |w| leases.iter().filter(|l| l.worker == w).count();
        assert_eq!((count(a), count(b)), (4, 4));
        // What one cannot run, the other gets on a later pass.
        let c = remote(&mut s, &["b"], 1000);
        for id in 9..=12 {
            submit(&mut s, id, "a");
        }
        let mut leases = s.assign();
        leases.extend(s.assign());
        assert_eq!(leases.len(), 4);
        assert!(leases.iter().all(|l| l.worker != c));
    }

    #[test]
    fn tasks_of_a_name_that_runs_long_wait_for_a_free_slot_not_at_a_busy_worker() {
        let mut s = scheduler();
        let a = s.add_worker(
            false,
            names(&["slow", "quick"]),
            Credit::fixed(1, 999, 1000),
        );
        s.note_alive(a);
        let start = Instant::now();
        submit(&mut s, 1, "slow");
        assert_eq!(s.assign(), vec![lease(a, 1)]);
        s.complete(&[a], 1, ok(Value::Nil), start + Duration::from_millis(30));
        s.adapt_credit(a, start + Duration::from_millis(30));
        // Quick ones are measured short first (a name not measured yet waits too).
        submit(&mut s, 7, "quick");
        assert_eq!(s.assign(), vec![lease(a, 7)]);
        let answered = Instant::now() + Duration::from_millis(1);
        s.complete(&[a], 7, ok(Value::Nil), answered);
        for id in 2..=5 {
            submit(&mut s, id, "slow");
        }
        submit(&mut s, 6, "quick");
        // One slow task runs; the rest wait in the pool, while quick ones are prefetched.
        assert_eq!(s.assign(), vec![lease(a, 2), lease(a, 6)]);
        let b = s.add_worker(false, names(&["slow"]), Credit::fixed(1, 999, 1000));
        s.note_alive(b);
        assert_eq!(s.assign(), vec![lease(b, 3)]);
        assert_eq!(s.pending(), 2);
    }

    #[test]
    fn the_first_tasks_of_a_name_not_measured_yet_spread_over_free_slots() {
        let mut s = scheduler();
        let credit = || Credit::fixed(1, 999, 1000);
        let a = s.add_worker(false, names(&["new", "quick"]), credit());
        let b = s.add_worker(false, names(&["new", "quick"]), credit());
        s.note_alive(a);
        s.note_alive(b);
        // A prefetch of 999 and a fair share of 5 each would put 5 at each worker, 4 of them
        // queued behind a task that may run for minutes.
        for id in 1..=10 {
            submit(&mut s, id, "new");
        }
        let leases = s.assign();
        assert_eq!(leases.len(), 2);
        assert!(leases.iter().any(|l| l.worker == a) && leases.iter().any(|l| l.worker == b));
        // Measured short, its tasks are prefetched.
        let now = Instant::now();
        for l in &leases {
            s.complete(&[l.worker], l.task, ok(Value::Nil), now);
        }
        assert_eq!(s.assign().len(), 8);
    }

    #[test]
    fn queues_of_names_no_longer_pending_are_swept_past_the_idle_bound() {
        let mut s = scheduler();
        let made_up: Vec<String> = (2..=1000).map(|id| format!("made-up-{id}")).collect();
        let all: Vec<&str> = made_up.iter().map(String::as_str).collect();
        let w = remote(&mut s, &all, 1);
        // No worker runs it yet: it waits, and its queue stays whatever is swept.
        submit(&mut s, 1, "kept");
        for (id, name) in (2..).zip(&all) {
            submit(&mut s, id, name);
            let now = Instant::now();
            for l in s.assign() {
                s.complete(&[l.worker], l.task, ok(Value::Nil), now);
            }
        }
        // One name waits, so the map never needs more than the idle bound.
        assert!(s.queues.len() <= IDLE_NAMES, "{} queues", s.queues.len());
        assert_eq!(s.pending(), 1);
        let late = remote(&mut s, &["kept"], 1);
        assert_eq!(s.assign(), vec![lease(late, 1)]);
        assert_ne!(late, w);
    }

    #[test]
    fn a_fixed_prefetch_does_not_grow() {
        let mut s = scheduler();
        let w = s.add_worker(false, names(&["a"]), Credit::fixed(1, 1, 100));
        s.note_alive(w);
        for id in 1..=20 {
            submit(&mut s, id, "a");
        }
        let now = Instant::now();
        let leased: Vec<usize> = (0..3).map(|_| answer_all(&mut s, w, now)).collect();
        // The first alone: nothing says yet that the name's tasks run short.
        assert_eq!(leased, vec![1, 2, 2]);
    }

    #[test]
    fn credit_bounds_what_a_worker_holds() {
        let mut s = scheduler();
        let w = remote(&mut s, &["a"], 2);
        for id in 1..=5 {
            submit(&mut s, id, "a");
        }
        assert_eq!(s.assign(), vec![lease(w, 1), lease(w, 2)]);
        assert_eq!((s.pending(), s.in_flight()), (3, 2));
        assert_eq!(
            s.complete(&[w], 1, ok(Value::Nil), Instant::now()),
            Some(Ending::Ok(Value::Nil))
        );
        assert_eq!(s.assign(), vec![lease(w, 3)]);
    }

    #[test]
    fn a_task_goes_only_to_a_worker_that_announced_it() {
        let mut s = scheduler();
        let a = remote(&mut s, &["a"], 10);
        submit(&mut s, 1, "b");
        submit(&mut s, 2, "a");
        assert_eq!(s.assign(), vec![lease(a, 2)]);
        assert_eq!(s.pending(), 1);
        let b = remote(&mut s, &["b"], 10);
        assert_eq!(s.assign(), vec![lease(b, 1)]);
    }

    #[test]
    fn a_dead_workers_tasks_run_elsewhere_and_poison_is_quarantined() {
        let mut s = Scheduler::new(Placement::Remote, 2);
        let w1 = remote(&mut s, &["a"], 1);
        submit(&mut s, 1, "a");
        assert_eq!(s.assign().len(), 1);
        assert!(s
            .remove_worker(w1, Departure::Died, Instant::now())
            .is_empty());
        assert_eq!(s.pending(), 1);
        let w2 = remote(&mut s, &["a"], 1);
        assert_eq!(s.assign(), vec![lease(w2, 1)]);
        assert_eq!(s.task(1).unwrap().attempt(), 2);
        // The second death reaches max_attempts.
        let gone = s.remove_worker(w2, Departure::Died, Instant::now());
        assert_eq!(
            gone,
            vec![ended(1, None, Ending::Quarantined { attempts: 2 })]
        );
        assert_eq!((s.pending(), s.counters().quarantined), (0, 1));
    }

    #[test]
    fn a_clean_disconnect_requeues_without_counting_a_death() {
        let mut s = Scheduler::new(Placement::Remote, 1);
        let w = remote(&mut s, &["a"], 1);
        submit(&mut s, 1, "a");
        s.assign();
        assert!(s
            .remove_worker(w, Departure::Left, Instant::now())
            .is_empty());
        assert_eq!(s.pending(), 1);
    }

    #[test]
    fn a_late_answer_from_a_worker_declared_dead_counts_once() {
        let mut s = scheduler();
        let w1 = remote(&mut s, &["a"], 1);
        submit(&mut s, 1, "a");
        s.assign();
        s.remove_worker(w1, Departure::Died, Instant::now());
        let w2 = remote(&mut s, &["a"], 1);
        s.assign();
        // w1 was slow, not dead: its answer (from a worker no longer known) is the result;
        // w2's later one is a duplicate.
        assert_eq!(
            s.complete(&[w1], 1, ok(Value::Int(1)), Instant::now()),
            Some(Ending::Ok(Value::Int(1)))
        );
        assert_eq!(
            s.complete(&[w2], 1, ok(Value::Int(1)), Instant::now()),
            None
        );
        assert_eq!(s.counters().late_results, 1);
        assert_eq!((s.pending(), s.in_flight()), (0, 0));
    }

    #[test]
    fn an_answer_while_requeued_ends_the_task() {
        let mut s = scheduler();
        let w1 = remote(&mut s, &["a"], 1);
        submit(&mut s, 1, "a");
        s.assign();
        s.remove_worker(w1, Departure::Died, Instant::now());
        assert_eq!(s.pending(), 1);
        assert!(s
            .complete(&[w1], 1, ok(Value::Nil), Instant::now())
            .is_some());
        assert_eq!(s.pending(), 0);
        remote(&mut s, &["a"], 1);
        assert!(s.assign().is_empty());
    }

    #[test]
    fn cancel_and_deadline_end_a_task_once_and_keep_its_credit_until_answered() {
        let mut s = scheduler();
        let now = Instant::now();
        let w = remote(&mut s, &["a"], 1);
        submit_with_timeout(&mut s, 1, Duration::from_millis(5), now);
        submit(&mut s, 2, "a");
        s.assign();
        let later = now + Duration::from_millis(10);
        assert_eq!(
            s.expire(later, true),
            vec![ended(1, Some(w), Ending::TimedOut { timeout_ms: 5 })]
        );
        // Still held: no credit for task 2 until the worker answers.
        assert!(s.assign().is_empty());
        assert_eq!(s.complete(&[w], 1, ok(Value::Nil), Instant::now()), None);
        assert_eq!(s.assign(), vec![lease(w, 2)]);
        assert_eq!(s.cancel(2), Some(ended(2, Some(w), Ending::Cancelled)));
        assert_eq!(s.cancel(2), None);
        submit(&mut s, 3, "a");
        assert_eq!(s.cancel(3), Some(ended(3, None, Ending::Cancelled)));
        assert_eq!(s.pending(), 0);
    }

    #[test]
    fn an_answer_after_the_deadline_is_a_timeout() {
        let mut s = scheduler();
        let now = Instant::now();
        let w = remote(&mut s, &["a"], 1);
        submit_with_timeout(&mut s, 1, Duration::from_millis(5), now);
        s.assign();
        let late = now + Duration::from_millis(6);
        let ending = s.complete(&[w], 1, ok(Value::Nil), late);
        assert_eq!(ending, Some(Ending::TimedOut { timeout_ms: 5 }));
        assert_eq!((s.counters().timed_out, s.counters().completed), (1, 0));
        assert!(s.expire(late, true).is_empty(), "ended once");
    }

    #[test]
    fn no_worker_for_a_task_ends_it_after_the_wait() {
        let mut s = Scheduler::new(Placement::Remote, 3)
            .with_no_worker_timeout(Some(Duration::from_millis(50)));
        let now = Instant::now();
        s.submit(Task::new(1, Arc::from("b"), Value::Nil, None), now);
        assert!(s.expire(now + Duration::from_millis(10), true).is_empty());
        let gone = s.expire(now + Duration::from_millis(60), true);
        assert_eq!(
            gone,
            vec![ended(1, None, Ending::NoWorker { waited_ms: 60 })]
        );
        assert_eq!(s.pending(), 0);
    }

    #[test]
    fn a_task_put_back_with_a_fresh_wait_does_not_hold_back_older_ones() {
        let limit = Duration::from_millis(50);
        let mut s = Scheduler::new(Placement::Remote, 3).with_no_worker_timeout(Some(limit));
        let start = Instant::now();
        s.submit(Task::new(1, Arc::from("a"), Value::Nil, None), start);
        s.submit(Task::new(2, Arc::from("a"), Value::Nil, None), start);
        // Task 1 goes to a worker that then dies at 40 ms: it waits afresh from there.
        let w = remote(&mut s, &["a"], 1);
        s.assign();
        s.remove_worker(w, Departure::Died, start + Duration::from_millis(40));
        let gone = s.expire(start + Duration::from_millis(60), true);
        assert_eq!(
            gone,
            vec![ended(2, None, Ending::NoWorker { waited_ms: 60 })]
        );
        let gone = s.expire(start + Duration::from_millis(95), true);
        assert_eq!(
            gone,
            vec![ended(1, None, Ending::NoWorker { waited_ms: 55 })]
        );
    }

    #[test]
    fn local_first_spills_to_remote_workers() {
        let mut s = Scheduler::new(Placement::LocalFirst, 3);
        let registry = TaskRegistry::default();
        registry.register("a", |_, v| Ok(v));
        let local = s.add_worker(
            true,
            Capabilities::Registry(registry),
            Credit::fixed(1, 0, 1),
        );
        let r = remote(&mut s, &["a"], 5);
        for id in 1..=3 {
            submit(&mut s, id, "a");
        }
        assert_eq!(s.assign(), vec![lease(local, 1), lease(r, 2), lease(r, 3)]);
    }

    #[test]
    fn a_result_counts_only_from_a_worker_that_was_sent_the_task() {
        let mut s = scheduler();
        let holder = remote(&mut s, &["a"], 1);
        submit(&mut s, 1, "a");
        s.assign();
        // Another worker of the pool (one that runs other tasks, so task 2 is the holder's).
        let stranger = remote(&mut s, &["b"], 1);
        let forged = || -> Result<Value, TaskError> { panic!("a refused value is never built") };
        assert_eq!(s.complete(&[stranger], 1, forged, Instant::now()), None);
        assert_eq!(s.counters().rejected_results, 1);
        // The task is still the holder's, and its credit still taken.
        assert_eq!(s.in_flight(), 1);
        assert_eq!(
            s.complete(&[holder], 1, ok(Value::Int(7)), Instant::now()),
            Some(Ending::Ok(Value::Int(7)))
        );
        // A later session of the holder (it names the holder as its predecessor) counts too.
        submit(&mut s, 2, "a");
        s.assign();
        let next_session = remote(&mut s, &["a"], 1);
        assert!(s
            .complete(&[next_session, holder], 2, ok(Value::Nil), Instant::now())
            .is_some());
        assert_eq!(s.counters().rejected_results, 1);
    }

    #[test]
    fn a_worker_on_probation_gets_one_task_and_its_death_counts_nothing() {
        let mut s = Scheduler::new(Placement::Remote, 1);
        let w = s.add_worker(false, names(&["a"]), Credit::fixed(10, 0, 10));
        for id in 1..=3 {
            submit(&mut s, id, "a");
        }
        assert_eq!(s.assign(), vec![lease(w, 1)]);
        // Silent since READY: it proved nothing, so the task is not one death closer to
        // quarantine (max_attempts is 1 here).
        assert!(s
            .remove_worker(w, Departure::Died, Instant::now())
            .is_empty());
        assert_eq!(s.pending(), 3);
        let w = s.add_worker(false, names(&["a"]), Credit::fixed(10, 0, 10));
        assert_eq!(s.assign().len(), 1);
        s.note_alive(w);
        assert_eq!(s.assign().len(), 2, "its whole credit once it heartbeats");
        assert_eq!(s.counters().workers_lost, 1);
    }

    #[test]
    fn a_lease_past_the_lease_timeout_stalls_its_worker() {
        let timeout = Duration::from_millis(20);
        let mut s = Scheduler::new(Placement::Remote, 1).with_lease_timeout(Some(timeout));
        let idle = remote(&mut s, &["a"], 2);
        submit(&mut s, 1, "a");
        submit_with_timeout(&mut s, 2, Duration::from_secs(60), Instant::now());
        s.assign();
        let later = Instant::now() + Duration::from_millis(30);
        assert!(s.next_deadline().is_some_and(|at| at < later));
        // Task 2 has a deadline of its own: only task 1's lease is timed.
        assert_eq!(s.stalled(later), vec![(idle, 1)]);
        assert_eq!(s.counters().leases_expired, 1);
        // It never answered anything: nothing counts against the tasks.
        let gone = s.remove_worker(idle, Departure::Stalled { task: 1 }, later);
        assert!(gone.is_empty());
        assert_eq!(s.pending(), 2);

        // A worker that answers other tasks but not this one: this one counts a death.
        let busy = remote(&mut s, &["a"], 2);
        s.assign();
        assert!(s.complete(&[busy], 2, ok(Value::Nil), later).is_some());
        let much_later = later + Duration::from_millis(30);
        assert_eq!(s.stalled(much_later), vec![(busy, 1)]);
        let gone = s.remove_worker(busy, Departure::Stalled { task: 1 }, much_later);
        assert_eq!(
            gone,
            vec![ended(1, None, Ending::Quarantined { attempts: 1 })]
        );
    }

    #[test]
    fn tasks_go_out_in_submission_order_whatever_their_ids() {
        let mut s = scheduler();
        let w = remote(&mut s, &["a", "b"], 3);
        submit(&mut s, 30, "a");
        submit(&mut s, 20, "b");
        submit(&mut s, 10, "a");
        assert_eq!(s.assign(), vec![lease(w, 30), lease(w, 20), lease(w, 10)]);
        // Back after a death, still oldest first.
        s.remove_worker(w, Departure::Died, Instant::now());
        let w = remote(&mut s, &["a", "b"], 3);
        assert_eq!(s.assign(), vec![lease(w, 30), lease(w, 20), lease(w, 10)]);
    }

    #[test]
    fn stop_ends_everything_once() {
        let mut s = scheduler();
        remote(&mut s, &["a"], 1);
        submit(&mut s, 1, "a");
        submit(&mut s, 2, "a");
        s.assign();
        s.cancel(1);
        let mut gone = s.stop_all();
        gone.sort_by_key(|e| e.id);
        assert_eq!(gone, vec![ended(2, None, Ending::Stopped)]);
    }
}
