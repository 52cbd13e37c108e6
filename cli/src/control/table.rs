//! The process table: one row per backchannel identity (the ROUTER's frame, never a body's
//! `id`, so a process cannot speak for another) and the state machine of docs/control.md.

use super::latency::{self, Percentiles};
use super::wire::{Beat, Hello, PoolCounters, RouteCounters, RouteInfo};
use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

/// A process's state, as the server derives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Up,
    Stuck,
    Unreachable,
    Down,
    Gone,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Up => "up",
            State::Stuck => "stuck",
            State::Unreachable => "unreachable",
            State::Down => "down",
            State::Gone => "gone",
        }
    }

    /// Whether coming to this state is an alert (an operator should look): stuck,
    /// unreachable or down; not up, nor gone (a clean stop).
    pub fn alerts(self) -> bool {
        matches!(self, State::Stuck | State::Unreachable | State::Down)
    }

    /// Whether the process is still expected to report (its state comes from its signals).
    fn reporting(self) -> bool {
        matches!(self, State::Up | State::Stuck | State::Unreachable)
    }
}

/// A change of state, for the event log.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub id: String,
    /// `None` for a process seen for the first time.
    pub from: Option<State>,
    pub to: State,
    pub role: String,
    pub host: String,
}

/// A route of a process: what its hello said, its last counters and the rates since the
/// beat before.
#[derive(Clone, Debug, Default)]
pub struct RouteRow {
    pub info: RouteInfo,
    pub counters: RouteCounters,
    pub rate_in: f64,
    pub rate_out: f64,
}

/// A pool of a process: its last counters, and what they changed since the beat before.
#[derive(Clone, Debug, Default)]
pub struct PoolRow {
    pub counters: PoolCounters,
    /// Tasks completed per second.
    pub rate_completed: f64,
    /// Latency of the tasks answered since the beat before (`None` if none was).
    pub latency: Option<Percentiles>,
}

/// One process.
#[derive(Clone, Debug)]
pub struct Process {
    pub id: String,
    pub hello: Hello,
    pub state: State,
    pub last_beat: Instant,
    pub last_alive: Instant,
    /// When it went `down` or `gone`, for expiry.
    pub left_at: Option<Instant>,
    pub routes: Vec<RouteRow>,
    pub pools: Vec<PoolRow>,
    /// The `seq` of the first beat this server saw from it (`None` before one): 0 means its
    /// counters were seen from the process's start, so none of them went uncounted.
    pub first_seq: Option<u64>,
}

/// How the table is bounded and timed.
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_processes: usize,
    /// Heartbeats missed before a process is `stuck` or `unreachable`.
    pub missed: u32,
    /// How long a row that left (or went silent) stays before it is removed.
    pub expire_after: Duration,
}

/// Counters of what the table refused or ignored.
#[derive(Clone, Copy, Debug, Default)]
pub struct Refusals {
    /// Hellos from new identities beyond `max_processes`.
    pub refused: u64,
    /// Beats, alives and goodbyes from identities that never said hello.
    pub unknown: u64,
}

pub struct Table {
    rows: BTreeMap<Vec<u8>, Process>,
    /// Identities whose connection is open, to tell a connect notification (the first for an
    /// identity) from a disconnect (the next); bounded like the rows.
    connected: HashSet<Vec<u8>>,
    limits: Limits,
    pub refusals: Refusals,
}

impl Table {
    pub fn new(limits: Limits) -> Table {
        Table {
            rows: BTreeMap::new(),
            connected: HashSet::new(),
            limits,
            refusals: Refusals::default(),
        }
    }

    pub fn processes(&self) -> impl Iterator<Item = &Process> {
        self.rows.values()
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// A hello registers a new identity, `up`; a repeated one refreshes the description and
    /// counts as an alive signal. A new identity beyond the bound is refused (`None`,
    /// counted).
    pub fn hello(&mut self, identity: &[u8], hello: Hello, now: Instant) -> Option<Change> {
        if !self.rows.contains_key(identity) && self.rows.len() >= self.limits.max_processes {
            self.refusals.refused += 1;
            return None;
        }
        let new = !self.rows.contains_key(identity);
        let row = self
            .rows
            .entry(identity.to_vec())
            .or_insert_with(|| Process {
                id: super::wire::text_of(&String::from_utf8_lossy(identity)),
                hello: Hello::default(),
                state: State::Up,
                last_beat: now,
                last_alive: now,
                left_at: None,
                routes: Vec::new(),
                pools: Vec::new(),
                first_seq: None,
            });
        // A process says hello again every few heartbeats (so a restarted server learns of
        // it): the routes and pools it names keep the counters they had.
        let routes = hello
            .routes
            .iter()
            .map(|info| {
                let known = row.routes.iter().find(|r| r.info.name == info.name);
                RouteRow {
                    info: info.clone(),
                    counters: known.map_or_else(
                        || RouteCounters {
                            name: info.name.clone(),
                            ..Default::default()
                        },
                        |r| r.counters.clone(),
                    ),
                    ..Default::default()
                }
            })
            .collect();
        let pools = hello
            .pools
            .iter()
            .map(|name| {
                row.pools
                    .iter()
                    .find(|p| &p.counters.name == name)
                    .cloned()
                    .unwrap_or_else(|| PoolRow {
                        counters: PoolCounters {
                            name: name.clone(),
                            ..Default::default()
                        },
                        ..Default::default()
                    })
            })
            .collect();
        row.hello = hello;
        row.routes = routes;
        row.pools = pools;
        // The reporting thread says hello, not the loop: a repeated hello shows the process
        // lives, not that its loop turns (a stuck process stays stuck).
        row.last_alive = now;
        if new {
            row.last_beat = now;
            return Some(change(row, None));
        }
        None
    }

    /// A beat: the counters (rates from the beat before) and `up` again.
    pub fn beat(&mut self, identity: &[u8], beat: Beat, now: Instant) -> Option<Change> {
        let row = self.known(identity)?;
        row.first_seq.get_or_insert(beat.seq);
        let seconds = now.duration_since(row.last_beat).as_secs_f64();
        let rate = |new: u64, old: u64| match seconds > 0.0 {
            true => new.saturating_sub(old) as f64 / seconds,
            false => 0.0,
        };
        for counters in beat.routes {
            let Some(route) = row.routes.iter_mut().find(|r| r.info.name == counters.name) else {
                continue; // a route the hello did not name: not kept, so bounded by it
            };
            route.rate_in = rate(counters.messages_in, route.counters.messages_in);
            route.rate_out = rate(counters.messages_out, route.counters.messages_out);
            route.counters = counters;
        }
        for counters in beat.pools {
            if let Some(pool) = row
                .pools
                .iter_mut()
                .find(|p| p.counters.name == counters.name)
            {
                pool.rate_completed = rate(counters.completed, pool.counters.completed);
                pool.latency = latency::between(&pool.counters.latency_us, &counters.latency_us);
                pool.counters = counters;
            }
        }
        row.last_beat = now;
        row.last_alive = row.last_alive.max(now);
        transition(row, State::Up)
    }

    /// An alive signal: the process is there, whether its loop turns or not.
    pub fn alive(&mut self, identity: &[u8], now: Instant) {
        if let Some(row) = self.known(identity) {
            row.last_alive = now;
        }
    }

    /// A goodbye: `gone`. Only the identity's own row changes.
    pub fn goodbye(&mut self, identity: &[u8], now: Instant) -> Option<Change> {
        let row = self.known(identity)?;
        row.left_at = Some(now);
        transition(row, State::Gone)
    }

    /// A connect or disconnect notification (both are `[identity, ""]`): the first for an
    /// identity is its connect, the next its disconnect, which makes a reporting process
    /// `down`.
    pub fn notified(&mut self, identity: &[u8], now: Instant) -> Option<Change> {
        if !self.connected.remove(identity) {
            if self.connected.len() < 2 * self.limits.max_processes {
                self.connected.insert(identity.to_vec());
            }
            return None;
        }
        let row = self.rows.get_mut(identity)?;
        if !row.state.reporting() {
            return None;
        }
        row.left_at = Some(now);
        transition(row, State::Down)
    }

    /// A launcher saw the process `pid` of `host` end: confirmed dead, so `down` (the
    /// process's own reports, if any still come, cannot bring a dead pid back; a restarted
    /// process is a new identity).
    pub fn exited(&mut self, host: &str, pid: u64, now: Instant) -> Vec<Change> {
        let mut changes = Vec::new();
        for row in self.rows.values_mut() {
            if row.hello.host == host && row.hello.pid == pid && row.state.reporting() {
                row.left_at = Some(now);
                changes.extend(transition(row, State::Down));
            }
        }
        changes
    }

    /// Derives `up`, `stuck` and `unreachable` from the last beat and alive signal, and
    /// removes rows that left (or went silent) longer than `expire_after` ago.
    pub fn tick(&mut self, now: Instant) -> Vec<Change> {
        let expire = self.limits.expire_after;
        self.rows.retain(|_, row| {
            let since = row.left_at.unwrap_or(row.last_alive.max(row.last_beat));
            row.state == State::Up || now.duration_since(since) < expire
        });
        let missed = self.limits.missed;
        let mut changes = Vec::new();
        for row in self.rows.values_mut() {
            if !row.state.reporting() {
                continue;
            }
            let limit = Duration::from_millis(row.hello.heartbeat_ms) * missed;
            let beating = now.duration_since(row.last_beat) < limit;
            let alive = now.duration_since(row.last_alive) < limit;
            let to = match (beating, alive) {
                (true, _) => State::Up,
                (false, true) => State::Stuck,
                (false, false) => State::Unreachable,
            };
            changes.extend(transition(row, to));
        }
        changes
    }

    fn known(&mut self, identity: &[u8]) -> Option<&mut Process> {
        let row = self.rows.get_mut(identity);
        if row.is_none() {
            self.refusals.unknown += 1;
        }
        row
    }
}

/// Moves `row` to `to`; the change, if it is one.
fn transition(row: &mut Process, to: State) -> Option<Change> {
    let from = row.state;
    if from == to {
        return None;
    }
    row.state = to;
    if to.reporting() {
        row.left_at = None;
    }
    Some(change(row, Some(from)))
}

fn change(row: &Process, from: Option<State>) -> Change {
    Change {
        id: row.id.clone(),
        from,
        to: row.state,
        role: row.hello.role.clone(),
        host: row.hello.host.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table::new(Limits {
            max_processes: 2,
            missed: 3,
            expire_after: Duration::from_secs(600),
        })
    }

    fn hello() -> Hello {
        Hello {
            heartbeat_ms: 1000,
            role: "worker".into(),
            routes: vec![RouteInfo {
                name: "out".into(),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn beat(out: u64) -> Beat {
        Beat {
            routes: vec![RouteCounters {
                name: "out".into(),
                messages_out: out,
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    fn state(t: &Table, id: &[u8]) -> State {
        t.rows[id].state
    }

    #[test]
    fn the_states_follow_beats_and_alives() {
        let mut t = table();
        let start = Instant::now();
        let s = |n: u64| start + Duration::from_millis(n);
        let first = t.hello(b"a", hello(), s(0)).unwrap();
        assert_eq!((first.from, first.to), (None, State::Up));
        t.beat(b"a", beat(10), s(1000));
        assert_eq!(t.rows[&b"a"[..]].routes[0].rate_out, 10.0);
        t.alive(b"a", s(3500));
        let changes = t.tick(s(4100));
        assert_eq!(changes[0].to, State::Stuck);
        assert_eq!(t.beat(b"a", beat(20), s(4200)).unwrap().to, State::Up);
        assert_eq!(t.tick(s(7300))[0].to, State::Unreachable);
        let back = t.beat(b"a", beat(20), s(7400)).unwrap();
        assert_eq!(back.from, Some(State::Unreachable));
    }

    #[test]
    fn a_launchers_exit_report_makes_its_process_down() {
        let mut t = table();
        let now = Instant::now();
        let mut with_pid = hello();
        (with_pid.host, with_pid.pid) = ("h1".into(), 42);
        t.hello(b"a", with_pid.clone(), now);
        assert!(t.exited("h2", 42, now).is_empty(), "another host's pid 42");
        let changes = t.exited("h1", 42, now);
        assert_eq!(changes.len(), 1);
        assert_eq!(
            (changes[0].from, changes[0].to),
            (Some(State::Up), State::Down)
        );
        assert!(t.exited("h1", 42, now).is_empty(), "already down");
    }

    #[test]
    fn leaving_and_bounds() {
        let mut t = table();
        let now = Instant::now();
        t.hello(b"a", hello(), now);
        t.hello(b"b", hello(), now);
        assert!(t.hello(b"c", hello(), now).is_none(), "beyond the bound");
        assert_eq!(t.refusals.refused, 1);
        assert!(t.notified(b"a", now).is_none(), "the connect");
        assert_eq!(t.notified(b"a", now).unwrap().to, State::Down);
        assert_eq!(t.goodbye(b"b", now).unwrap().to, State::Gone);
        assert!(t.goodbye(b"zz", now).is_none());
        assert_eq!(t.refusals.unknown, 1);
        assert_eq!(
            (state(&t, b"a"), state(&t, b"b")),
            (State::Down, State::Gone)
        );
        assert!(t.tick(now + Duration::from_secs(601)).is_empty());
        assert_eq!(t.len(), 0, "expired");
    }
}
