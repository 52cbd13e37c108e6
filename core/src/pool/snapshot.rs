//! A pool's counters as its I/O thread publishes them for the node.

use super::latency::LatencyHistogram;
use super::scheduler::PoolCounters;
use crate::bert::Value;

/// One worker as the pool last saw it.
#[derive(Clone, Debug, Default)]
pub struct WorkerSnapshot {
    /// The name it gave in READY (`local` for the pool's own threads).
    pub name: String,
    /// Tasks it holds now.
    pub in_flight: usize,
    /// Most tasks it may hold now: its concurrency plus its prefetch (adapted to its tasks
    /// unless the pool fixed it).
    pub credit: usize,
    /// The pool's own local threads, not a remote worker.
    pub local: bool,
}

/// The pool's counters as its thread last published them.
#[derive(Clone, Debug, Default)]
pub struct PoolSnapshot {
    /// What happened to the pool's tasks so far.
    pub counters: PoolCounters,
    /// Tasks waiting for a worker.
    pub pending: usize,
    /// Tasks a worker holds.
    pub in_flight: usize,
    /// Every worker, local threads included, in the order they came.
    pub workers: Vec<WorkerSnapshot>,
    /// Frames from workers that were not the protocol's (malformed, or meant for a worker).
    pub protocol_errors: u64,
    /// How long answered tasks took, submission to answer.
    pub latency: LatencyHistogram,
    /// With CURVE: workers the authenticator turned away (a key not in the allowed
    /// directory).
    pub auth_refused: u64,
    /// With CURVE: workers whose handshake failed otherwise (plain text, wrong keys).
    pub handshake_failed: u64,
}

impl PoolSnapshot {
    /// The counters as the dict `node.stats()` shows under `pools`.
    pub fn to_value(&self) -> Value {
        let c = &self.counters;
        let n = |key: &str, v: u64| (Value::from(key), Value::from(v));
        let workers = self
            .workers
            .iter()
            .map(|w| {
                let entry = vec![
                    n("in_flight", w.in_flight as u64),
                    n("credit", w.credit as u64),
                ];
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
            n("rejected_results", c.rejected_results),
            n("leases_expired", c.leases_expired),
            n("workers_lost", c.workers_lost),
            n("workers_alive", remote as u64),
            n("protocol_errors", self.protocol_errors),
            n("auth_refused", self.auth_refused),
            n("handshake_failed", self.handshake_failed),
            (Value::from("workers"), Value::Dict(workers)),
        ])
    }
}
