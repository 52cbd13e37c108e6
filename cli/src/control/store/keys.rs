//! The Redis keys the store writes (docs/control.md, "Redis"), modelled on Sidekiq's: their
//! names and lifetimes in one place, for the writer and for whoever reads them.

use std::time::Duration;

/// The set of the ids of processes whose hash is (or was until lately) there.
pub const PROCESSES: &str = "dripdrop:processes";
/// The events as JSON text, newest first, capped at [`MAX_EVENTS`].
pub const EVENTS: &str = "dripdrop:events";
/// As many events as the API's log keeps, so a restarted server gets a full log back.
pub const MAX_EVENTS: usize = super::super::events::MAX_KEPT;
/// How long a process's hash and its routes' hashes live after its last beat: a process that
/// died does not haunt the store, and one that beats keeps them alive. A process whose
/// heartbeat is longer keeps them for [`TTL_HEARTBEATS`] of its heartbeats instead.
pub const PROCESS_TTL: Duration = Duration::from_secs(60);
pub const TTL_HEARTBEATS: u32 = 3;
/// How long a minute's totals are kept: a day of history.
pub const MINUTE_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// The fields of a minute's totals, in the order of [`super::batch::Totals`]: the API's
/// names for a route's counters.
pub const TOTAL_FIELDS: [&str; 4] = ["msgs_in", "msgs_out", "bytes_in", "bytes_out"];

/// A process's hash: host, pid, role, language, version, heartbeat_ms, state, started_at,
/// last_beat.
pub fn process(id: &str) -> String {
    format!("dripdrop:process:{id}")
}

/// A route's cumulative counters, as the process's last beat carried them.
pub fn route(id: &str, route: &str) -> String {
    format!("dripdrop:route:{id}:{route}")
}

/// The totals of every process's route named `route` in one minute (`minute` is the Unix
/// time divided by 60).
pub fn minute(route: &str, minute: u64) -> String {
    format!("dripdrop:minute:{route}:{minute}")
}
