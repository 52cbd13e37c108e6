//! What one flush hands to the writer, and how flushes fold into one while the writer is
//! busy or Redis is away: the latest row per process, every removal, the events in order,
//! and minute totals summed. Each part is bounded; what does not fit is counted in `lost`.

use super::keys::MAX_EVENTS;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Most (route name, minute) totals waiting: an hour of 64 route names would take 3,840.
pub const MAX_MINUTES: usize = 10_000;
/// Most removals waiting: beyond them the writer's sweep of the set cleans up (a removed
/// id's hash has expired, so the sweep finds it stale).
pub const MAX_REMOVED: usize = 10_000;

/// Messages in, messages out, bytes in, bytes out (`keys::TOTAL_FIELDS`).
pub type Totals = [u64; 4];

/// A process's hash and its routes' hashes, as of one flush.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub id: String,
    /// The fields of `dripdrop:process:<id>`.
    pub fields: Vec<(&'static str, String)>,
    /// Each route's name and the fields of `dripdrop:route:<id>:<name>`.
    pub routes: Vec<(String, Vec<(&'static str, u64)>)>,
    /// When its hashes expire, in Unix seconds: an absolute time, so a row written late
    /// (after an outage) does not live longer than it should.
    pub expire_at: u64,
}

#[derive(Debug, Default)]
pub struct Batch {
    /// The latest row of each process.
    pub rows: BTreeMap<String, Row>,
    /// Ids to take out of the set: their hashes expired, or the table dropped them.
    pub removed: BTreeSet<String>,
    /// Events as JSON text, oldest first.
    pub events: VecDeque<String>,
    /// Increments of each (route name, Unix minute)'s totals.
    pub minutes: BTreeMap<(String, u64), Totals>,
    /// Events and minute totals that did not fit and are not written.
    pub lost: u64,
}

impl Batch {
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
            && self.removed.is_empty()
            && self.events.is_empty()
            && self.minutes.is_empty()
    }

    pub fn row(&mut self, row: Row) {
        self.removed.remove(&row.id);
        self.rows.insert(row.id.clone(), row);
    }

    pub fn remove(&mut self, id: String) {
        self.rows.remove(&id);
        if self.removed.len() < MAX_REMOVED {
            self.removed.insert(id);
        }
    }

    /// An event; past [`MAX_EVENTS`] the oldest goes, as it would from the capped list.
    pub fn event(&mut self, json: String) {
        if self.events.len() == MAX_EVENTS {
            self.events.pop_front();
            self.lost += 1;
        }
        self.events.push_back(json);
    }

    pub fn add_minute(&mut self, route: &str, minute: u64, increment: Totals) {
        let key = (route.to_owned(), minute);
        if !self.minutes.contains_key(&key) && self.minutes.len() >= MAX_MINUTES {
            self.lost += 1;
            return;
        }
        let totals = self.minutes.entry(key).or_default();
        for (total, more) in totals.iter_mut().zip(increment) {
            *total = total.saturating_add(more);
        }
    }

    /// Folds `newer` (a later flush) into this one.
    pub fn merge(&mut self, newer: Batch) {
        self.lost += newer.lost;
        for id in newer.removed {
            self.remove(id);
        }
        for row in newer.rows.into_values() {
            self.row(row);
        }
        for event in newer.events {
            self.event(event);
        }
        for ((route, minute), increment) in newer.minutes {
            self.add_minute(&route, minute, increment);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, expire_at: u64) -> Row {
        Row {
            id: id.into(),
            fields: Vec::new(),
            routes: Vec::new(),
            expire_at,
        }
    }

    #[test]
    fn a_later_flush_wins_for_rows_and_adds_up_for_minutes() {
        let mut pending = Batch::default();
        pending.row(row("a", 1));
        pending.row(row("b", 1));
        pending.add_minute("out", 7, [1, 2, 3, 4]);
        pending.event("1".into());
        let mut newer = Batch::default();
        newer.row(row("a", 2));
        newer.remove("b".into());
        newer.add_minute("out", 7, [1, 1, 1, 1]);
        newer.event("2".into());
        pending.merge(newer);
        assert_eq!(pending.rows.values().collect::<Vec<_>>(), [&row("a", 2)]);
        assert!(pending.removed.contains("b"));
        assert_eq!(pending.minutes[&("out".to_owned(), 7)], [2, 3, 4, 5]);
        assert_eq!(pending.events, ["1", "2"]);
        // A process that came back after its removal is written again, not removed.
        let mut back = Batch::default();
        back.row(row("b", 3));
        pending.merge(back);
        assert!(pending.removed.is_empty() && pending.rows.len() == 2);
    }

    #[test]
    fn what_does_not_fit_is_counted() {
        let mut batch = Batch::default();
        for i in 0..MAX_EVENTS + 5 {
            batch.event(i.to_string());
        }
        for minute in 0..(MAX_MINUTES + 3) as u64 {
            batch.add_minute("out", minute, [1, 0, 0, 0]);
        }
        assert_eq!(batch.events.len(), MAX_EVENTS);
        assert_eq!(batch.events[0], "5", "the oldest went");
        assert_eq!(batch.minutes.len(), MAX_MINUTES);
        assert_eq!(batch.lost, 8);
    }
}
