//! The distributed worker pool: `EM.defer` across machines.
//!
//! A pool is created from a node ([`crate::Node::worker_pool`]) and runs named tasks on its
//! own local threads, on remote [`Worker`]s that connect to it, or both. Its bookkeeping
//! (credits, leases, heartbeats) lives on an I/O thread of its own (the dispatcher); the node
//! only submits tasks and runs the callbacks of their results. The wire protocol is in
//! `docs/protocol.md`.

mod cancels;
mod credit;
mod host_queue;
mod identities;
mod ids;
mod io_thread;
mod latency;
mod link;
mod options;
mod peer;
pub(crate) mod protocol;
mod registry;
mod runner;
mod scheduler;
mod snapshot;
mod task;
mod worker;

pub use host_queue::{HostJob, HostQueue, Next};
pub(crate) use ids::IdSource;
pub(crate) use io_thread::{Command, Done};
pub use latency::LatencyHistogram;
pub(crate) use link::PoolLink;
pub use options::{Placement, PoolOptions};
pub use registry::{TaskHandler, TaskRegistry};
pub use scheduler::PoolCounters;
pub(crate) use scheduler::{Ending, Task};
pub use snapshot::{PoolSnapshot, WorkerSnapshot};
pub use task::{
    Job, TaskContext, TaskError, TaskFn, TaskResult, CANCELLED_CLASS, PANIC_CLASS,
    UNKNOWN_TASK_CLASS,
};
pub use worker::{Worker, WorkerHandle, WorkerOptions};
