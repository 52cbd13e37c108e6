//! A pool's settings and where it runs its tasks.

use crate::bert::DecodeLimits;
use crate::error::Error;
use crate::security::CurveOption;
use std::time::Duration;

/// A worker's announced heartbeat interval is read as at most this many times the pool's own:
/// a worker cannot make itself undeclarable-dead by announcing an interval of years.
pub(crate) const HEARTBEAT_CEILING: u32 = 10;

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
    /// Where tasks run: local threads, remote workers, or local first.
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
    /// Tasks a remote worker is sent beyond its concurrency, so it never waits for the next
    /// one. `None` (the default) adapts it to each worker's tasks: more while its tasks are
    /// short and it runs dry, fewer when they run long (see `docs/protocol.md`); a number
    /// fixes it.
    pub prefetch: Option<usize>,
    /// Most tasks one remote worker holds at once, whatever concurrency it announces: a
    /// worker that claims a million cannot swallow the queue.
    pub max_worker_credit: usize,
    /// How long a remote worker may hold a task without answering, for tasks whose caller set
    /// no deadline; past it the worker is taken for stalled, removed, and its tasks run
    /// elsewhere. `None` (the default) waits as long as the worker heartbeats, since a task
    /// may legitimately run for hours.
    pub lease_timeout: Option<Duration>,
    /// Most remote workers connected at once; a READY past it is ignored.
    pub max_workers: usize,
    /// The largest frame a worker may send, in bytes: ZeroMQ disconnects a worker that sends
    /// a larger one (`ZMQ_MAXMSGSIZE`) before the pool reads any of it.
    pub max_frame_bytes: usize,
    /// Most terms in one result value (every element of every container counts): a bigger
    /// value ends its task with a `DecodeError` instead of costing the pool's thread its
    /// time and memory.
    pub max_result_elements: usize,
    /// CURVE on the socket workers connect to (docs/security.md): the pool is the server,
    /// its workers clients; with an allowed directory only the workers whose keys it holds
    /// get in. The default takes `DRIPDROP_CURVE_DIR` when the environment names one, else
    /// plain text.
    pub curve: CurveOption,
}

impl PoolOptions {
    /// The limits a result value is read within.
    pub(crate) fn result_limits(&self) -> DecodeLimits {
        DecodeLimits {
            max_input_bytes: self.max_frame_bytes,
            max_elements: self.max_result_elements,
            ..DecodeLimits::DEFAULT
        }
    }

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

    pub(crate) fn check(&self) -> Result<(), Error> {
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
            _ if self.max_worker_credit == 0 => bad("max_worker_credit must be at least 1"),
            _ if self.max_workers == 0 => bad("max_workers must be at least 1"),
            _ if self.lease_timeout.is_some_and(|t| t.is_zero()) => {
                bad("lease_timeout must be positive (or none)")
            }
            _ if self.max_frame_bytes == 0 || i64::try_from(self.max_frame_bytes).is_err() => {
                bad("max_frame_bytes must be between 1 and 2^63 - 1")
            }
            _ if self.max_result_elements == 0 => bad("max_result_elements must be at least 1"),
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
            prefetch: None,
            max_worker_credit: 1024,
            lease_timeout: None,
            max_workers: 10_000,
            max_frame_bytes: DecodeLimits::DEFAULT.max_input_bytes,
            max_result_elements: 1_000_000,
            curve: CurveOption::FromEnvironment,
        }
    }
}
