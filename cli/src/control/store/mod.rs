//! `dripdrop control --redis`: the table, its counters and its events kept in Redis too
//! (docs/control.md, "Redis"). The loop's part is cheap and never waits: once a second it
//! works out what changed and folds it into the batch the writer thread takes; that thread
//! alone talks to Redis.

mod batch;
mod diff;
mod handoff;
mod keys;
mod writer;

use super::metrics::RedisCounters;
use super::Server;
use diff::{Clock, Diff};
use handoff::Handoff;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

/// How often the loop hands what changed to the writer: a process beats once a second by
/// default, so Redis is as fresh as the beats without a write per message or per tick.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// Why the store could not be set up. A Redis that is not there is not one of these: the
/// writer keeps trying.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not a Redis URL: {0}")]
    Url(#[from] redis::RedisError),
    #[error("cannot start the Redis writer thread: {0}")]
    Thread(#[from] std::io::Error),
}

pub struct Store {
    handoff: Arc<Handoff>,
    writer: Option<JoinHandle<()>>,
    diff: Diff,
    /// The events already handed on (a cursor of `Events::recorded_since`).
    events_sent: u64,
    last_flush: Option<Instant>,
    /// Whether the events read back from Redis are still to be put in the log.
    restoring: bool,
}

impl Store {
    /// Starts the writer for `url` (`redis://host:port/db`); it connects on its own thread.
    pub fn open(url: &str) -> Result<Store, StoreError> {
        let client = redis::Client::open(url)?;
        let handoff = Arc::new(Handoff::default());
        let writer = writer::Writer::new(client, Arc::clone(&handoff));
        let writer = std::thread::Builder::new()
            .name("dripdrop-redis".into())
            .spawn(move || writer.run())?;
        Ok(Store {
            handoff,
            writer: Some(writer),
            diff: Diff::default(),
            events_sent: 0,
            last_flush: None,
            restoring: true,
        })
    }

    pub fn counters(&self) -> RedisCounters {
        let c = &self.handoff.counters;
        RedisCounters {
            up: c.up.load(Ordering::Relaxed),
            writes: c.writes.load(Ordering::Relaxed),
            failures: c.failures.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
        }
    }
}

/// The server's tick calls this: the events read back from Redis go into the log when they
/// come, and at most once per [`FLUSH_EVERY`] what changed goes to the writer.
pub fn flush(server: &mut Server, now: Instant) {
    let Server {
        store: Some(store),
        table,
        events,
        ..
    } = server
    else {
        return;
    };
    if store.restoring {
        if let Some(older) = store.handoff.take_restored() {
            events.restore(older);
            store.restoring = false;
        }
    }
    if store
        .last_flush
        .is_some_and(|at| now.duration_since(at) < FLUSH_EVERY)
    {
        return;
    }
    store.last_flush = Some(now);
    let full = store.handoff.take_resync();
    let clock = Clock {
        now,
        wall: SystemTime::now(),
    };
    let mut batch = store.diff.collect(table, full, clock);
    let (new, cursor) = events.recorded_since(store.events_sent);
    for event in new {
        batch.event(event.to_string());
    }
    store.events_sent = cursor;
    if !batch.is_empty() {
        store.handoff.submit(batch);
    }
}

impl Drop for Store {
    /// Stops the writer at its next wait; one in the middle of a write finishes it first,
    /// which its timeouts bound.
    fn drop(&mut self) {
        self.handoff.stop();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}
