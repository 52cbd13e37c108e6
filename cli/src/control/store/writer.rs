//! The writer thread, the only one that talks to Redis, so a Redis that is slow or gone holds
//! up nothing but this thread. It writes each batch as pipelines, reads the event log back at
//! its first connection, sweeps ids without a hash out of the set, and after a failure waits
//! (1 s, doubling up to 5 s) before it tries again, saying so on stderr once per outage.

use super::batch::{Batch, Row};
use super::handoff::Handoff;
use super::keys::{self, EVENTS, MAX_EVENTS, MINUTE_TTL, PROCESSES, TOTAL_FIELDS};
use redis::{Client, Connection, Pipeline, RedisError, Value};
use serde_json::Value as Json;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a connection (its handshake included) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(200);
/// How long one read or write on the connection may block: a stalled Redis is a failure
/// after this (each pipeline gives up at its first answer that fails: see [`send`]). Longer
/// than the connect timeout because a pipeline of rows takes Redis a while to answer; the
/// loop never waits on it either way.
const IO_TIMEOUT: Duration = Duration::from_millis(500);
/// The wait after a failure, doubled after each further one up to the most.
const BACKOFF_FIRST: Duration = Duration::from_secs(1);
const BACKOFF_MOST: Duration = Duration::from_secs(5);
/// Rows per pipeline: each answer is read well within [`IO_TIMEOUT`] even when every
/// process has 64 routes.
const ROWS_PER_PIPELINE: usize = 100;
/// How often the set is swept of ids whose hash has expired (besides at each connection).
const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// The longest event read back from Redis: ours are far smaller; another's is skipped.
const MAX_EVENT_BYTES: usize = 16 * 1024;

pub struct Writer {
    client: Client,
    /// `host:port`, for messages: never the URL, which may hold a password.
    label: String,
    handoff: Arc<Handoff>,
    connection: Option<Connection>,
    /// Whether the event log has been read back (once, at the first connection).
    restored: bool,
    backoff: Duration,
    retry_at: Option<Instant>,
    outage_since: Option<Instant>,
    swept_at: Option<Instant>,
}

impl Writer {
    pub fn new(client: Client, handoff: Arc<Handoff>) -> Writer {
        Writer {
            label: client.get_connection_info().addr().to_string(),
            client,
            handoff,
            connection: None,
            restored: false,
            backoff: BACKOFF_FIRST,
            retry_at: None,
            outage_since: None,
            swept_at: None,
        }
    }

    /// Writes what the loop hands over until the store closes. It connects at once, to read
    /// the event log back, and from then on only when there is something to write.
    pub fn run(mut self) {
        while self.handoff.wait(self.retry_at, !self.restored) {
            match self.step() {
                Ok(()) => self.succeeded(),
                Err(error) => self.failed(&error),
            }
        }
    }

    fn step(&mut self) -> Result<(), RedisError> {
        if self.connection.is_none() {
            let connection = self.connect()?;
            self.connection = Some(connection);
        }
        let Some(connection) = self.connection.as_mut() else {
            return Ok(());
        };
        if self.swept_at.is_none_or(|at| at.elapsed() >= SWEEP_EVERY) {
            sweep(connection)?;
            self.swept_at = Some(Instant::now());
        }
        let mut batch = self.handoff.take();
        let counters = &self.handoff.counters;
        counters
            .dropped
            .fetch_add(std::mem::take(&mut batch.lost), Ordering::Relaxed);
        if batch.is_empty() {
            return Ok(());
        }
        if let Err(failed) = write(connection, &batch) {
            // The batch goes back ahead of what waits, to be written when Redis is back:
            // rows and removals can be written twice harmlessly; events and increments
            // only if their transaction never left.
            if failed.maybe_applied {
                let lost = batch.events.len() + batch.minutes.len();
                counters.dropped.fetch_add(lost as u64, Ordering::Relaxed);
                batch.events.clear();
                batch.minutes.clear();
            }
            self.handoff.put_back(batch);
            return Err(failed.error);
        }
        counters.writes.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// A new connection, bounded in time; the event log read back if it has not been yet.
    /// The loop is asked for every row again: a Redis that restarted has none of them.
    fn connect(&mut self) -> Result<Connection, RedisError> {
        let mut connection = self.client.get_connection_with_timeout(CONNECT_TIMEOUT)?;
        connection.set_read_timeout(Some(IO_TIMEOUT))?;
        connection.set_write_timeout(Some(IO_TIMEOUT))?;
        if !self.restored {
            self.handoff.put_restored(restore(&mut connection)?);
            self.restored = true;
        }
        self.swept_at = None;
        self.handoff.ask_resync();
        Ok(connection)
    }

    fn succeeded(&mut self) {
        self.handoff.counters.up.store(true, Ordering::Relaxed);
        self.backoff = BACKOFF_FIRST;
        self.retry_at = None;
        if let Some(since) = self.outage_since.take() {
            eprintln!(
                "dripdrop control: redis at {}: back after {:.1} s; writing every process again",
                self.label,
                since.elapsed().as_secs_f64()
            );
        }
    }

    fn failed(&mut self, error: &RedisError) {
        self.connection = None;
        let counters = &self.handoff.counters;
        counters.up.store(false, Ordering::Relaxed);
        counters.failures.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        if self.outage_since.is_none() {
            self.outage_since = Some(now);
            eprintln!(
                "dripdrop control: redis at {}: {}; the server goes on, and tries again \
                 every {} to {} s",
                self.label,
                describe(error),
                BACKOFF_FIRST.as_secs(),
                BACKOFF_MOST.as_secs()
            );
        }
        self.retry_at = Some(now + self.backoff);
        self.backoff = (self.backoff * 2).min(BACKOFF_MOST);
    }
}

/// An error as an operator reads it: a timeout says which, not "resource temporarily
/// unavailable".
fn describe(error: &RedisError) -> String {
    match error.is_timeout() {
        true => format!(
            "no answer within {} ms (connecting: {} ms)",
            IO_TIMEOUT.as_millis(),
            CONNECT_TIMEOUT.as_millis()
        ),
        false => error.to_string(),
    }
}

/// A write that failed, and whether its transaction may have been applied: it was sent but
/// not answered (a Redis that hung or died just then may have run it).
struct Failed {
    error: RedisError,
    maybe_applied: bool,
}

/// Writes a batch: the rows (their hashes, TTLs and set membership) in pipelines of
/// [`ROWS_PER_PIPELINE`], each of which may be written again harmlessly; then removals,
/// events and minute totals in one MULTI/EXEC, all or nothing. Redis drops a transaction
/// whose EXEC it never got, so one that could not be sent was not applied.
fn write(connection: &mut Connection, batch: &Batch) -> Result<(), Failed> {
    let unsent = |error| Failed {
        error,
        maybe_applied: false,
    };
    let rows: Vec<&Row> = batch.rows.values().collect();
    for chunk in rows.chunks(ROWS_PER_PIPELINE) {
        let mut pipe = redis::pipe();
        for row in chunk {
            let key = keys::process(&row.id);
            pipe.cmd("HSET").arg(&key);
            for (field, value) in &row.fields {
                pipe.arg(*field).arg(value);
            }
            pipe.ignore();
            pipe.cmd("EXPIREAT").arg(&key).arg(row.expire_at).ignore();
            pipe.cmd("SADD").arg(PROCESSES).arg(&row.id).ignore();
            for (route, counters) in &row.routes {
                let key = keys::route(&row.id, route);
                pipe.cmd("HSET").arg(&key);
                for (field, value) in counters {
                    pipe.arg(*field).arg(*value);
                }
                pipe.ignore();
                pipe.cmd("EXPIREAT").arg(&key).arg(row.expire_at).ignore();
            }
        }
        send(connection, &pipe).map_err(unsent)?;
    }
    let mut pipe = redis::pipe();
    pipe.atomic();
    if !batch.removed.is_empty() {
        pipe.cmd("SREM").arg(PROCESSES).arg(&batch.removed).ignore();
    }
    if !batch.events.is_empty() {
        // Oldest first: each goes to the head, so the newest ends up first.
        pipe.cmd("LPUSH").arg(EVENTS);
        for event in &batch.events {
            pipe.arg(event);
        }
        pipe.ignore();
        pipe.cmd("LTRIM")
            .arg(EVENTS)
            .arg(0)
            .arg(MAX_EVENTS - 1)
            .ignore();
    }
    for ((route, minute), totals) in &batch.minutes {
        let key = keys::minute(route, *minute);
        for (field, increment) in TOTAL_FIELDS.iter().zip(totals) {
            pipe.cmd("HINCRBY")
                .arg(&key)
                .arg(*field)
                .arg(*increment)
                .ignore();
        }
        // The minute's end plus the history kept: the same whenever it is written.
        let expire_at = (minute + 1) * 60 + MINUTE_TTL.as_secs();
        pipe.cmd("EXPIREAT").arg(&key).arg(expire_at).ignore();
    }
    if pipe.is_empty() {
        return Ok(());
    }
    connection
        .send_packed_command(&pipe.get_packed_pipeline())
        .map_err(unsent)?;
    answers(connection, &pipe).map_err(|error| Failed {
        error,
        maybe_applied: true,
    })?;
    Ok(())
}

/// Sends a pipeline and reads its answers, giving up at the first that fails: the crate's own
/// `exec` and `query` read every answer even after one timed out, so a stalled Redis would
/// hold the writer for one [`IO_TIMEOUT`] per command. An error inside a transaction's
/// answer (a command that failed at run time) is a failure too.
fn send(connection: &mut Connection, pipe: &Pipeline) -> Result<Vec<Value>, RedisError> {
    connection.send_packed_command(&pipe.get_packed_pipeline())?;
    answers(connection, pipe)
}

/// The answers to a pipeline just sent.
fn answers(connection: &mut Connection, pipe: &Pipeline) -> Result<Vec<Value>, RedisError> {
    // A transaction is answered with MULTI's OK, a QUEUED per command, then EXEC's list.
    let atomic = pipe.is_transaction();
    let count = pipe.len() + if atomic { 2 } else { 0 };
    let mut answers = Vec::with_capacity(count);
    for _ in 0..count {
        let answer = connection.recv_response()?;
        let failed = match &answer {
            Value::ServerError(error) => Some(error.clone()),
            Value::Array(items) if atomic => items.iter().find_map(|item| match item {
                Value::ServerError(error) => Some(error.clone()),
                _ => None,
            }),
            _ => None,
        };
        if let Some(error) = failed {
            return Err(error.into());
        }
        answers.push(answer);
    }
    Ok(answers)
}

/// The event log as Redis has it, oldest first; entries that are not JSON objects (or are
/// far larger than ours) are skipped.
fn restore(connection: &mut Connection) -> Result<Vec<Json>, RedisError> {
    let texts: Vec<Vec<u8>> = redis::cmd("LRANGE")
        .arg(EVENTS)
        .arg(0)
        .arg(MAX_EVENTS - 1)
        .query(connection)?;
    Ok(texts
        .iter()
        .rev()
        .filter(|text| text.len() <= MAX_EVENT_BYTES)
        .filter_map(|text| serde_json::from_slice::<Json>(text).ok())
        .filter(Json::is_object)
        .collect())
}

/// Takes out of the set the ids whose hash is gone: processes whose hashes expired while no
/// server was there to remove them (a server that died, or this one before a restart).
fn sweep(connection: &mut Connection) -> Result<(), RedisError> {
    let ids: Vec<Vec<u8>> = redis::cmd("SMEMBERS").arg(PROCESSES).query(connection)?;
    if ids.is_empty() {
        return Ok(());
    }
    let prefix = keys::process("");
    let mut pipe = redis::pipe();
    for id in &ids {
        pipe.cmd("EXISTS").arg([prefix.as_bytes(), id].concat());
    }
    let exists = send(connection, &pipe)?
        .into_iter()
        .map(|answer| answer != Value::Int(0));
    let stale: Vec<&Vec<u8>> = ids
        .iter()
        .zip(exists)
        .filter(|(_, exists)| !exists)
        .map(|(id, _)| id)
        .collect();
    if stale.is_empty() {
        return Ok(());
    }
    redis::cmd("SREM")
        .arg(PROCESSES)
        .arg(stale)
        .exec(connection)
}
