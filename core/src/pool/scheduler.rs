//! The pool's bookkeeping, without sockets or threads: pending tasks by name, workers and
//! their credit, leases, requeueing after a worker dies, quarantine, deadlines.
//!
//! Every task accepted here ends exactly once, as one [`Ending`]: a result, or a failure the
//! pool decided (deadline, cancel, poison, no worker, shutdown). A task is forgotten only
//! when it has ended and no worker holds it any more.

use super::task::TaskError;
use super::Placement;
use crate::bert::Value;
use rustc_hash::{FxHashMap, FxHashSet};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A worker's key: its ROUTER identity; the pool's local threads have the empty key, which
/// ZeroMQ never gives a peer. Shared, since every lease names its worker.
pub(crate) type WorkerKey = Arc<[u8]>;
pub(crate) const LOCAL: &[u8] = b"";

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

pub(crate) struct Task {
    pub(crate) name: Arc<str>,
    pub(crate) args: Value,
    /// Runs started (1 on the first lease); sent to the worker as the attempt.
    pub(crate) attempt: u32,
    /// Times a worker died or vanished while holding it.
    deaths: u32,
    pub(crate) deadline: Option<Instant>,
    timeout: Option<Duration>,
    queued_at: Instant,
    lease: Option<WorkerKey>,
    /// Ended for the caller (cancel, deadline) while a worker still holds it.
    ended: bool,
}

pub(crate) struct Worker {
    pub(crate) key: WorkerKey,
    /// `None`: the local threads, which run whatever the node registered.
    names: Option<FxHashSet<String>>,
    capacity: usize,
    pub(crate) leased: FxHashSet<u64>,
    pub(crate) heartbeat: Duration,
    pub(crate) last_heard: Instant,
    pub(crate) next_heartbeat: Instant,
}

impl Worker {
    fn free(&self) -> usize {
        self.capacity.saturating_sub(self.leased.len())
    }

    pub(crate) fn is_local(&self) -> bool {
        *self.key == *LOCAL
    }

    fn can_run(&self, name: &str, local_names: &dyn Fn(&str) -> bool) -> bool {
        match &self.names {
            Some(names) => names.contains(name),
            None => local_names(name),
        }
    }
}

/// Counters the pool reports in `node.stats()`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PoolCounters {
    pub submitted: u64,
    pub completed: u64,
    pub failed: u64,
    pub retried: u64,
    pub quarantined: u64,
    pub timed_out: u64,
    pub cancelled: u64,
    pub no_worker: u64,
    /// Results that came for a task already ended: it ran twice (its first worker was
    /// declared dead but finished anyway), or finished after its deadline or cancel.
    pub late_results: u64,
    pub workers_lost: u64,
}

/// A lease to carry out: send task `id` to `worker`.
pub(crate) type Lease = (WorkerKey, u64);

pub(crate) struct Scheduler {
    tasks: FxHashMap<u64, Task>,
    /// Pending ids by task name, oldest first; an id whose task has ended or is leased is
    /// skipped when it comes up.
    queues: FxHashMap<Arc<str>, VecDeque<u64>>,
    pending: usize,
    workers: Vec<Worker>,
    deadlines: BinaryHeap<Reverse<(Instant, u64)>>,
    placement: Placement,
    max_attempts: u32,
    no_worker_timeout: Option<Duration>,
    /// Rotates the first remote worker offered tasks, to spread a light load.
    next_start: usize,
    pub(crate) counters: PoolCounters,
}

impl Scheduler {
    pub(crate) fn new(
        placement: Placement,
        max_attempts: u32,
        no_worker_timeout: Option<Duration>,
    ) -> Self {
        Scheduler {
            tasks: FxHashMap::default(),
            queues: FxHashMap::default(),
            pending: 0,
            workers: Vec::new(),
            deadlines: BinaryHeap::new(),
            placement,
            max_attempts: max_attempts.max(1),
            no_worker_timeout,
            next_start: 0,
            counters: PoolCounters::default(),
        }
    }

    pub(crate) fn task(&self, id: u64) -> Option<&Task> {
        self.tasks.get(&id)
    }

    /// Tasks waiting for a worker.
    pub(crate) fn pending(&self) -> usize {
        self.pending
    }

    /// Tasks a worker holds (including ended ones it has not answered yet).
    pub(crate) fn in_flight(&self) -> usize {
        self.workers.iter().map(|w| w.leased.len()).sum()
    }

    pub(crate) fn workers(&self) -> &[Worker] {
        &self.workers
    }

    pub(crate) fn worker_mut(&mut self, key: &[u8]) -> Option<&mut Worker> {
        self.workers.iter_mut().find(|w| *w.key == *key)
    }

    pub(crate) fn submit(
        &mut self,
        id: u64,
        name: Arc<str>,
        args: Value,
        timeout: Option<Duration>,
        now: Instant,
    ) {
        let deadline = timeout.map(|t| now + t);
        if let Some(at) = deadline {
            self.deadlines.push(Reverse((at, id)));
        }
        self.enqueue(&name, id, false);
        self.pending += 1;
        self.counters.submitted += 1;
        self.tasks.insert(
            id,
            Task {
                name,
                args,
                attempt: 0,
                deaths: 0,
                deadline,
                timeout,
                queued_at: now,
                lease: None,
                ended: false,
            },
        );
    }

    /// Puts an id on its name's queue (at the front for a task going back), without
    /// allocating once the name has a queue.
    fn enqueue(&mut self, name: &Arc<str>, id: u64, front: bool) {
        let queue = match self.queues.get_mut(&**name) {
            Some(queue) => queue,
            None => self.queues.entry(Arc::clone(name)).or_default(),
        };
        if front {
            queue.push_front(id);
        } else {
            queue.push_back(id);
        }
    }

    /// A worker said READY. A key seen before starts over: whatever it held is requeued
    /// (not counted as a death: it is alive and asking for work).
    pub(crate) fn add_worker(
        &mut self,
        key: WorkerKey,
        names: Option<FxHashSet<String>>,
        capacity: usize,
        heartbeat: Duration,
        now: Instant,
    ) -> Vec<(u64, Ending)> {
        let ended = self.remove_worker(&key, false, now);
        self.workers.push(Worker {
            key,
            names,
            capacity: capacity.max(1),
            leased: FxHashSet::default(),
            heartbeat,
            last_heard: now,
            next_heartbeat: now,
        });
        ended
    }

    /// A worker left (`died`: it stopped answering; otherwise it said DISCONNECT). What it
    /// held goes back to the front of the queue; a task whose workers died under it
    /// `max_attempts` times ends quarantined instead.
    /// The wait for a capable worker starts again at `now` for the requeued tasks.
    pub(crate) fn remove_worker(
        &mut self,
        key: &[u8],
        died: bool,
        now: Instant,
    ) -> Vec<(u64, Ending)> {
        let Some(at) = self.workers.iter().position(|w| *w.key == *key) else {
            return Vec::new();
        };
        let worker = self.workers.swap_remove(at);
        if died {
            self.counters.workers_lost += 1;
        }
        let mut ids: Vec<u64> = worker.leased.into_iter().collect();
        // Requeued in id order (submission order), so the oldest runs first again.
        ids.sort_unstable();
        let mut endings = Vec::new();
        for id in ids.into_iter().rev() {
            let Some(task) = self.tasks.get_mut(&id) else {
                continue;
            };
            task.lease = None;
            if task.ended {
                self.tasks.remove(&id);
                continue;
            }
            if died {
                task.deaths += 1;
                if task.deaths >= self.max_attempts {
                    let attempts = task.deaths;
                    self.tasks.remove(&id);
                    self.counters.quarantined += 1;
                    endings.push((id, Ending::Quarantined { attempts }));
                    continue;
                }
            }
            self.counters.retried += 1;
            self.pending += 1;
            task.queued_at = now;
            let name = Arc::clone(&task.name);
            self.enqueue(&name, id, true);
        }
        endings
    }

    /// Leases pending tasks to workers with free credit, following the placement policy.
    pub(crate) fn assign(&mut self, local_names: &dyn Fn(&str) -> bool) -> Vec<Lease> {
        let mut leases = Vec::new();
        if self.pending == 0 || self.workers.is_empty() {
            return leases;
        }
        let count = self.workers.len();
        self.next_start = (self.next_start + 1) % count;
        // Local threads first (if the policy lets them run anything), then every remote
        // worker from a rotating start, to spread a light load.
        let local_pass = self.placement != Placement::Remote;
        let remote_pass = self.placement != Placement::Local;
        let order = (0..count)
            .filter(|&i| local_pass && self.workers[i].is_local())
            .chain(
                (0..count)
                    .map(|k| (self.next_start + k) % count)
                    .filter(|&i| remote_pass && !self.workers[i].is_local()),
            )
            .collect::<smallvec::SmallVec<[usize; 16]>>();
        for index in order {
            while self.workers[index].free() > 0 && self.pending > 0 {
                let Some(id) = self.next_for(index, local_names) else {
                    break;
                };
                let worker = &mut self.workers[index];
                worker.leased.insert(id);
                let key = Arc::clone(&worker.key);
                if let Some(task) = self.tasks.get_mut(&id) {
                    task.lease = Some(Arc::clone(&key));
                    task.attempt += 1;
                }
                self.pending -= 1;
                leases.push((key, id));
            }
            if self.pending == 0 {
                break;
            }
        }
        leases
    }

    /// The oldest pending task the worker can run, taken off its queue.
    fn next_for(&mut self, index: usize, local_names: &dyn Fn(&str) -> bool) -> Option<u64> {
        let worker = &self.workers[index];
        let mut best: Option<(u64, &Arc<str>)> = None;
        for (name, queue) in &mut self.queues {
            // Drop ids that ended or were leased since they were queued.
            while let Some(&id) = queue.front() {
                match self.tasks.get(&id) {
                    Some(task) if !task.ended && task.lease.is_none() => break,
                    _ => {
                        queue.pop_front();
                    }
                }
            }
            let Some(&id) = queue.front() else { continue };
            if !worker.can_run(name, local_names) {
                continue;
            }
            // Ids grow with submission: the smallest front is the oldest task.
            if best.is_none_or(|(b, _)| id < b) {
                best = Some((id, name));
            }
        }
        let (id, name) = best?;
        let name = Arc::clone(name);
        self.queues.get_mut(&*name)?.pop_front();
        Some(id)
    }

    /// A lease that could not be carried out (the worker's pipe was full, or it is gone):
    /// the task goes back to the front of its queue as if never sent.
    pub(crate) fn return_lease(&mut self, key: &[u8], id: u64) {
        if let Some(worker) = self.workers.iter_mut().find(|w| *w.key == *key) {
            worker.leased.remove(&id);
        }
        let Some(task) = self.tasks.get_mut(&id) else {
            return;
        };
        task.lease = None;
        task.attempt = task.attempt.saturating_sub(1);
        if task.ended {
            self.tasks.remove(&id);
            return;
        }
        self.pending += 1;
        let name = Arc::clone(&task.name);
        self.enqueue(&name, id, true);
    }

    /// A worker answered at `now`. The outcome is the caller's unless the task already
    /// ended; an answer after the task's deadline is a timeout all the same.
    pub(crate) fn complete(
        &mut self,
        from: &[u8],
        id: u64,
        outcome: Result<Value, TaskError>,
        now: Instant,
    ) -> Option<Ending> {
        let Some(task) = self.tasks.get_mut(&id) else {
            self.counters.late_results += 1;
            return None;
        };
        // The answer may come from another worker than the holder (one declared dead that
        // finished anyway); either way the holder's credit comes back.
        let holder = task.lease.take();
        if holder.is_none() && !task.ended {
            // Pending again after its worker was declared dead, and answered now: done, and
            // no longer pending.
            self.pending -= 1;
        }
        for key in [holder.as_deref(), Some(from)].into_iter().flatten() {
            if let Some(worker) = self.workers.iter_mut().find(|w| *w.key == *key) {
                worker.leased.remove(&id);
            }
        }
        let ended = task.ended;
        let late = task.deadline.is_some_and(|d| d <= now);
        let timeout_ms = task.timeout.map_or(0, |t| t.as_millis() as u64);
        self.tasks.remove(&id);
        if ended {
            self.counters.late_results += 1;
            return None;
        }
        if late {
            self.counters.timed_out += 1;
            return Some(Ending::TimedOut { timeout_ms });
        }
        Some(match outcome {
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

    /// Ends a task that cannot be sent to any worker; the caller learns why.
    pub(crate) fn refuse(&mut self, key: &[u8], id: u64) {
        if let Some(worker) = self.workers.iter_mut().find(|w| *w.key == *key) {
            worker.leased.remove(&id);
        }
        self.tasks.remove(&id);
        self.counters.failed += 1;
    }

    /// The caller gave up on a task. Returns where it was leased (to send CANCEL) and whether
    /// it was still running at all.
    pub(crate) fn cancel(&mut self, id: u64) -> Option<(Option<WorkerKey>, Ending)> {
        let lease = self.end(id)?;
        self.counters.cancelled += 1;
        Some((lease, Ending::Cancelled))
    }

    /// Ends a task for its caller; a leased task stays with its worker until it answers.
    fn end(&mut self, id: u64) -> Option<Option<WorkerKey>> {
        let task = self.tasks.get_mut(&id)?;
        if task.ended {
            return None;
        }
        match task.lease.clone() {
            Some(key) => {
                task.ended = true;
                Some(Some(key))
            }
            None => {
                self.tasks.remove(&id);
                self.pending -= 1;
                Some(None)
            }
        }
    }

    /// Tasks whose deadline passed (`now` or earlier), and pending tasks no worker could
    /// take for `no_worker_timeout`.
    pub(crate) fn expire(
        &mut self,
        now: Instant,
        check_no_worker: bool,
        local_names: &dyn Fn(&str) -> bool,
    ) -> Vec<(u64, Option<WorkerKey>, Ending)> {
        let mut ended = Vec::new();
        while let Some(Reverse((at, id))) = self.deadlines.peek().copied() {
            if at > now {
                break;
            }
            self.deadlines.pop();
            let timeout_ms = self
                .tasks
                .get(&id)
                .and_then(|t| t.timeout)
                .map_or(0, |t| t.as_millis() as u64);
            if let Some(lease) = self.end(id) {
                self.counters.timed_out += 1;
                ended.push((id, lease, Ending::TimedOut { timeout_ms }));
            }
        }
        if let Some(limit) = self.no_worker_timeout.filter(|_| check_no_worker) {
            let names: Vec<Arc<str>> = self.queues.keys().cloned().collect();
            for name in names {
                if self.workers.iter().any(|w| w.can_run(&name, local_names)) {
                    continue;
                }
                let Some(queue) = self.queues.get_mut(&*name) else {
                    continue;
                };
                // The whole queue: a task put back at the front waits afresh, and must not
                // hold back older ones behind it.
                let tasks = &self.tasks;
                let mut expired = Vec::new();
                queue.retain(|&id| {
                    let Some(task) = tasks.get(&id) else {
                        return false;
                    };
                    if task.ended || task.lease.is_some() {
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
                    ended.push((id, None, Ending::NoWorker { waited_ms }));
                }
            }
        }
        ended
    }

    /// When `expire` next has something to do (a deadline), if ever.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.peek().map(|Reverse((at, _))| *at)
    }

    /// Ends every task not yet ended: the pool is going away.
    pub(crate) fn stop_all(&mut self) -> Vec<(u64, Ending)> {
        let ids: Vec<u64> = self
            .tasks
            .iter()
            .filter(|(_, t)| !t.ended)
            .map(|(&id, _)| id)
            .collect();
        self.tasks.clear();
        self.queues.clear();
        self.pending = 0;
        for worker in &mut self.workers {
            worker.leased.clear();
        }
        ids.into_iter().map(|id| (id, Ending::Stopped)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HB: Duration = Duration::from_secs(1);

    fn names(list: &[&str]) -> Option<FxHashSet<String>> {
        Some(list.iter().map(|s| s.to_string()).collect())
    }

    fn key(bytes: &[u8]) -> WorkerKey {
        WorkerKey::from(bytes)
    }

    fn none(_: &str) -> bool {
        false
    }

    fn scheduler() -> Scheduler {
        Scheduler::new(Placement::Remote, 3, None)
    }

    fn submit(s: &mut Scheduler, id: u64, name: &str) {
        s.submit(
            id,
            Arc::from(name),
            Value::Int(id as i64),
            None,
            Instant::now(),
        );
    }

    #[test]
    fn credit_bounds_what_a_worker_holds() {
        let mut s = scheduler();
        s.add_worker(key(b"w"), names(&["a"]), 2, HB, Instant::now());
        for id in 1..=5 {
            submit(&mut s, id, "a");
        }
        let leases = s.assign(&none);
        assert_eq!(leases, vec![(key(b"w"), 1), (key(b"w"), 2)]);
        assert_eq!((s.pending(), s.in_flight()), (3, 2));
        assert_eq!(
            s.complete(b"w", 1, Ok(Value::Nil), Instant::now()),
            Some(Ending::Ok(Value::Nil))
        );
        assert_eq!(s.assign(&none), vec![(key(b"w"), 3)]);
    }

    #[test]
    fn a_task_goes_only_to_a_worker_that_announced_it() {
        let mut s = scheduler();
        s.add_worker(key(b"a"), names(&["a"]), 10, HB, Instant::now());
        submit(&mut s, 1, "b");
        submit(&mut s, 2, "a");
        assert_eq!(s.assign(&none), vec![(key(b"a"), 2)]);
        assert_eq!(s.pending(), 1);
        s.add_worker(key(b"b"), names(&["b"]), 10, HB, Instant::now());
        assert_eq!(s.assign(&none), vec![(key(b"b"), 1)]);
    }

    #[test]
    fn a_dead_workers_tasks_run_elsewhere_and_poison_is_quarantined() {
        let mut s = Scheduler::new(Placement::Remote, 2, None);
        s.add_worker(key(b"w1"), names(&["a"]), 1, HB, Instant::now());
        submit(&mut s, 1, "a");
        assert_eq!(s.assign(&none).len(), 1);
        assert!(s.remove_worker(b"w1", true, Instant::now()).is_empty());
        assert_eq!(s.pending(), 1);
        s.add_worker(key(b"w2"), names(&["a"]), 1, HB, Instant::now());
        assert_eq!(s.assign(&none), vec![(key(b"w2"), 1)]);
        assert_eq!(s.task(1).unwrap().attempt, 2);
        // The second death reaches max_attempts.
        let ended = s.remove_worker(b"w2", true, Instant::now());
        assert_eq!(ended, vec![(1, Ending::Quarantined { attempts: 2 })]);
        assert_eq!((s.pending(), s.counters.quarantined), (0, 1));
    }

    #[test]
    fn a_clean_disconnect_requeues_without_counting_a_death() {
        let mut s = Scheduler::new(Placement::Remote, 1, None);
        s.add_worker(key(b"w"), names(&["a"]), 1, HB, Instant::now());
        submit(&mut s, 1, "a");
        s.assign(&none);
        assert!(s.remove_worker(b"w", false, Instant::now()).is_empty());
        assert_eq!(s.pending(), 1);
    }

    #[test]
    fn a_late_answer_from_a_worker_declared_dead_counts_once() {
        let mut s = scheduler();
        s.add_worker(key(b"w1"), names(&["a"]), 1, HB, Instant::now());
        submit(&mut s, 1, "a");
        s.assign(&none);
        s.remove_worker(b"w1", true, Instant::now());
        s.add_worker(key(b"w2"), names(&["a"]), 1, HB, Instant::now());
        s.assign(&none);
        // w1 was slow, not dead: its answer is the result; w2's later one is a duplicate.
        assert_eq!(
            s.complete(b"w1", 1, Ok(Value::Int(1)), Instant::now()),
            Some(Ending::Ok(Value::Int(1)))
        );
        assert_eq!(
            s.complete(b"w2", 1, Ok(Value::Int(1)), Instant::now()),
            None
        );
        assert_eq!(s.counters.late_results, 1);
        assert_eq!((s.pending(), s.in_flight()), (0, 0));
    }

    #[test]
    fn an_answer_while_requeued_ends_the_task() {
        let mut s = scheduler();
        s.add_worker(key(b"w1"), names(&["a"]), 1, HB, Instant::now());
        submit(&mut s, 1, "a");
        s.assign(&none);
        s.remove_worker(b"w1", true, Instant::now());
        assert_eq!(s.pending(), 1);
        assert!(s
            .complete(b"w1", 1, Ok(Value::Nil), Instant::now())
            .is_some());
        assert_eq!(s.pending(), 0);
        s.add_worker(key(b"w2"), names(&["a"]), 1, HB, Instant::now());
        assert!(s.assign(&none).is_empty());
    }

    #[test]
    fn cancel_and_deadline_end_a_task_once_and_keep_its_credit_until_answered() {
        let mut s = scheduler();
        let now = Instant::now();
        s.add_worker(key(b"w"), names(&["a"]), 1, HB, now);
        s.submit(
            1,
            Arc::from("a"),
            Value::Nil,
            Some(Duration::from_millis(5)),
            now,
        );
        submit(&mut s, 2, "a");
        s.assign(&none);
        let later = now + Duration::from_millis(10);
        let expired = s.expire(later, true, &none);
        assert_eq!(
            expired,
            vec![(1, Some(key(b"w")), Ending::TimedOut { timeout_ms: 5 })]
        );
        // Still held: no credit for task 2 until the worker answers.
        assert!(s.assign(&none).is_empty());
        assert_eq!(s.complete(b"w", 1, Ok(Value::Nil), Instant::now()), None);
        assert_eq!(s.assign(&none), vec![(key(b"w"), 2)]);
        assert_eq!(s.cancel(2), Some((Some(key(b"w")), Ending::Cancelled)));
        assert_eq!(s.cancel(2), None);
        submit(&mut s, 3, "a");
        assert_eq!(s.cancel(3), Some((None, Ending::Cancelled)));
        assert_eq!(s.pending(), 0);
    }

    #[test]
    fn an_answer_after_the_deadline_is_a_timeout() {
        let mut s = scheduler();
        let now = Instant::now();
        s.add_worker(key(b"w"), names(&["a"]), 1, HB, now);
        s.submit(
            1,
            Arc::from("a"),
            Value::Nil,
            Some(Duration::from_millis(5)),
            now,
        );
        s.assign(&none);
        let late = now + Duration::from_millis(6);
        let ending = s.complete(b"w", 1, Ok(Value::Nil), late);
        assert_eq!(ending, Some(Ending::TimedOut { timeout_ms: 5 }));
        assert_eq!((s.counters.timed_out, s.counters.completed), (1, 0));
        assert!(s.expire(late, true, &none).is_empty(), "ended once");
    }

    #[test]
    fn no_worker_for_a_task_ends_it_after_the_wait() {
        let mut s = Scheduler::new(Placement::Remote, 3, Some(Duration::from_millis(50)));
        let now = Instant::now();
        s.submit(1, Arc::from("b"), Value::Nil, None, now);
        assert!(s
            .expire(now + Duration::from_millis(10), true, &none)
            .is_empty());
        let ended = s.expire(now + Duration::from_millis(60), true, &none);
        assert_eq!(ended, vec![(1, None, Ending::NoWorker { waited_ms: 60 })]);
        assert_eq!(s.pending(), 0);
    }

    #[test]
    fn a_task_put_back_with_a_fresh_wait_does_not_hold_back_older_ones() {
        let limit = Duration::from_millis(50);
        let mut s = Scheduler::new(Placement::Remote, 3, Some(limit));
        let start = Instant::now();
        s.submit(1, Arc::from("a"), Value::Nil, None, start);
        s.submit(2, Arc::from("a"), Value::Nil, None, start);
        // Task 1 goes to a worker that then dies at 40 ms: it waits afresh from there.
        s.add_worker(key(b"w"), names(&["a"]), 1, HB, start);
        s.assign(&none);
        s.remove_worker(b"w", true, start + Duration::from_millis(40));
        let ended = s.expire(start + Duration::from_millis(60), true, &none);
        assert_eq!(ended, vec![(2, None, Ending::NoWorker { waited_ms: 60 })]);
        let ended = s.expire(start + Duration::from_millis(95), true, &none);
        assert_eq!(ended, vec![(1, None, Ending::NoWorker { waited_ms: 55 })]);
    }

    #[test]
    fn local_first_spills_to_remote_workers() {
        let mut s = Scheduler::new(Placement::LocalFirst, 3, None);
        let now = Instant::now();
        s.add_worker(key(LOCAL), None, 1, HB, now);
        s.add_worker(key(b"r"), names(&["a"]), 5, HB, now);
        for id in 1..=3 {
            submit(&mut s, id, "a");
        }
        let all = |_: &str| true;
        let leases = s.assign(&all);
        assert_eq!(
            leases,
            vec![(key(LOCAL), 1), (key(b"r"), 2), (key(b"r"), 3)]
        );
    }

    #[test]
    fn stop_ends_everything_once() {
        let mut s = scheduler();
        s.add_worker(key(b"w"), names(&["a"]), 1, HB, Instant::now());
        submit(&mut s, 1, "a");
        submit(&mut s, 2, "a");
        s.assign(&none);
        s.cancel(1);
        let mut ended = s.stop_all();
        ended.sort_by_key(|(id, _)| *id);
        assert_eq!(ended, vec![(2, Ending::Stopped)]);
    }
}
