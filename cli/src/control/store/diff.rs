//! What changed in the table since the last flush, as a batch: the rows of processes that
//! beat or changed state (every row when Redis must be written anew), the ids whose hashes
//! expired or whose rows the table dropped, and each route's increments for the minute
//! totals. It remembers, per process, what it last handed on.

use super::batch::{Batch, Row, Totals};
use super::keys::{PROCESS_TTL, TTL_HEARTBEATS};
use crate::control::table::{Process, State, Table};
use crate::control::wire::RouteCounters;
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// What was last handed on for a process.
struct Mark {
    last_beat: Instant,
    state: State,
    /// Its hashes expired (and its id was removed): not written again unless it beats.
    expired: bool,
    /// Each route's counters as last counted into the minute totals; `None` until the
    /// process has beaten, as until then it is unknown where its counters started.
    counted: Option<Vec<(String, Totals)>>,
}

/// The loop's clock and the wall clock, read once per flush.
#[derive(Clone, Copy)]
pub struct Clock {
    pub now: Instant,
    pub wall: SystemTime,
}

impl Clock {
    /// The wall-clock time of `at`, an instant of the loop in the past or future.
    fn wall_at(&self, at: Instant) -> SystemTime {
        match at.checked_duration_since(self.now) {
            Some(ahead) => self.wall + ahead,
            None => self.wall - self.now.duration_since(at),
        }
    }

    fn unix_seconds(&self, at: Instant) -> u64 {
        let since = self.wall_at(at).duration_since(UNIX_EPOCH);
        since.map_or(0, |since| since.as_secs())
    }
}

#[derive(Default)]
pub struct Diff {
    marks: HashMap<String, Mark>,
}

impl Diff {
    /// The batch for this flush; `full` writes every live row, changed or not.
    pub fn collect(&mut self, table: &Table, full: bool, clock: Clock) -> Batch {
        let mut batch = Batch::default();
        let minute = clock.unix_seconds(clock.now) / 60;
        let mut present = HashSet::with_capacity(table.len());
        for process in table.processes() {
            present.insert(process.id.as_str());
            let known = self.marks.contains_key(&process.id);
            let mark = self.marks.entry(process.id.clone()).or_insert(Mark {
                last_beat: process.last_beat,
                state: process.state,
                expired: false,
                counted: None,
            });
            let beaten = !known || mark.last_beat != process.last_beat;
            let changed = full || beaten || mark.state != process.state;
            mark.last_beat = process.last_beat;
            mark.state = process.state;
            count(process, mark, minute, &mut batch);
            let expire_at = process.last_beat + ttl(process);
            if clock.now >= expire_at {
                if !mark.expired {
                    mark.expired = true;
                    batch.remove(process.id.clone());
                }
                continue;
            }
            mark.expired = false;
            if changed {
                batch.row(row(process, clock, clock.unix_seconds(expire_at)));
            }
        }
        self.marks.retain(|id, mark| {
            let kept = present.contains(id.as_str());
            if !kept && !mark.expired {
                batch.remove(id.clone());
            }
            kept
        });
        batch
    }
}

/// How long a process's hashes live after its last beat.
fn ttl(process: &Process) -> Duration {
    PROCESS_TTL.max(Duration::from_millis(process.hello.heartbeat_ms) * TTL_HEARTBEATS)
}

/// Adds what each route did since it was last counted to this minute's totals. A process
/// whose first beat this server saw was its very first (`seq` 0) is counted from zero; one
/// met mid-life (the server restarted) from its counters when it was first seen here, so
/// nothing a previous server counted is counted again. Counters only grow within a process,
/// and a restarted process is a new one: no increment is ever negative.
fn count(process: &Process, mark: &mut Mark, minute: u64, batch: &mut Batch) {
    let Some(first_seq) = process.first_seq else {
        return;
    };
    let counted = mark.counted.get_or_insert_with(|| match first_seq {
        0 => Vec::new(),
        _ => process
            .routes
            .iter()
            .map(|r| (r.info.name.clone(), totals(&r.counters)))
            .collect(),
    });
    let mut now_counted = Vec::with_capacity(process.routes.len());
    for route in &process.routes {
        let name = &route.info.name;
        let now = totals(&route.counters);
        // A route not counted before is new to the process (a hello names all it has), so
        // it started from zero.
        let before = counted
            .iter()
            .find(|(n, _)| n == name)
            .map_or([0; 4], |(_, t)| *t);
        let increment: Totals = std::array::from_fn(|i| now[i].saturating_sub(before[i]));
        if increment != [0; 4] {
            batch.add_minute(name, minute, increment);
        }
        now_counted.push((name.clone(), now));
    }
    *counted = now_counted;
}

fn totals(counters: &RouteCounters) -> Totals {
    [
        counters.messages_in,
        counters.messages_out,
        counters.bytes_in,
        counters.bytes_out,
    ]
}

fn row(process: &Process, clock: Clock, expire_at: u64) -> Row {
    let hello = &process.hello;
    let started_at = hello
        .started_at
        .and_then(|seconds| OffsetDateTime::from_unix_timestamp(seconds).ok())
        .map_or_else(String::new, rfc3339);
    let last_beat = rfc3339(OffsetDateTime::from(clock.wall_at(process.last_beat)));
    let routes = process
        .routes
        .iter()
        .map(|route| {
            let c = &route.counters;
            let fields = vec![
                ("msgs_in", c.messages_in),
                ("msgs_out", c.messages_out),
                ("bytes_in", c.bytes_in),
                ("bytes_out", c.bytes_out),
                ("errors", c.errors),
                ("dropped", c.dropped),
                ("backpressure", c.backpressure),
                ("queue_depth", c.queue_depth),
            ];
            (route.info.name.clone(), fields)
        })
        .collect();
    Row {
        id: process.id.clone(),
        fields: vec![
            ("host", hello.host.clone()),
            ("pid", hello.pid.to_string()),
            ("role", hello.role.clone()),
            ("language", hello.language.clone()),
            ("version", hello.version.clone()),
            ("heartbeat_ms", hello.heartbeat_ms.to_string()),
            ("state", process.state.name().to_owned()),
            ("started_at", started_at),
            ("last_beat", last_beat),
        ],
        routes,
        expire_at,
    }
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::table::Limits;
    use crate::control::wire::{Beat, Hello, RouteInfo};

    fn table() -> Table {
        Table::new(Limits {
            max_processes: 10,
            missed: 3,
            expire_after: Duration::from_secs(600),
        })
    }

    fn hello() -> Hello {
        Hello {
            heartbeat_ms: 1000,
            routes: vec![RouteInfo {
                name: "out".into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn beat(seq: u64, out: u64) -> Beat {
        Beat {
            seq,
            routes: vec![RouteCounters {
                name: "out".into(),
                messages_out: out,
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn clock(at: Instant) -> Clock {
        Clock {
            now: at,
            wall: UNIX_EPOCH + Duration::from_secs(600),
        }
    }

    fn out(batch: &Batch) -> u64 {
        batch.minutes.values().map(|t| t[1]).sum()
    }

    #[test]
    fn increments_come_from_deltas_and_a_process_met_mid_life_is_not_counted_twice() {
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let mut t = table();
        let mut diff = Diff::default();
        t.hello(b"new", hello(), at(0));
        t.hello(b"old", hello(), at(0));
        let first = diff.collect(&t, false, clock(at(0)));
        assert_eq!(first.rows.len(), 2);
        assert!(first.minutes.is_empty(), "no beat yet");
        t.beat(b"new", beat(0, 10), at(500));
        t.beat(b"new", beat(1, 25), at(1000));
        t.beat(b"old", beat(57, 5000), at(1000));
        let second = diff.collect(&t, false, clock(at(1000)));
        assert_eq!(
            out(&second),
            25,
            "all of the new one's, none of the old one's"
        );
        assert_eq!(second.rows["new"].routes[0].1[1], ("msgs_out", 25));
        t.beat(b"old", beat(58, 5100), at(2000));
        let third = diff.collect(&t, false, clock(at(2000)));
        assert_eq!(out(&third), 100);
        assert_eq!(
            third.rows.keys().collect::<Vec<_>>(),
            ["old"],
            "only what beat"
        );
        assert_eq!(diff.collect(&t, true, clock(at(2100))).rows.len(), 2);
    }

    #[test]
    fn a_silent_process_is_written_when_its_state_changes_then_removed_when_it_expires() {
        let start = Instant::now();
        let at = |s: u64| start + Duration::from_secs(s);
        let mut t = table();
        let mut diff = Diff::default();
        t.hello(b"a", hello(), at(0));
        let written = diff.collect(&t, false, clock(at(0)));
        assert_eq!(written.rows["a"].expire_at, 600 + 60);
        assert!(diff.collect(&t, false, clock(at(1))).is_empty());
        t.tick(at(4));
        let unreachable = diff.collect(&t, false, clock(at(4)));
        let state = &unreachable.rows["a"].fields[6];
        assert_eq!(state, &("state", "unreachable".to_owned()));
        let expired = diff.collect(&t, false, clock(at(60)));
        assert!(expired.rows.is_empty() && expired.removed.contains("a"));
        assert!(
            diff.collect(&t, true, clock(at(61))).is_empty(),
            "not again"
        );
        t.tick(at(700));
        assert_eq!(t.len(), 0);
        assert!(diff.collect(&t, false, clock(at(700))).is_empty());
    }
}
