//! State changes as events: kept in a bounded log for the API, and handed to the
//! `--on-event` command (`sh -c CMD`, the event's JSON on its stdin). Commands are spawned
//! and reaped without waiting, a few at once at most: the loop never blocks on them.

use super::table::Change;
use serde_json::{json, Value as Json};
use std::collections::VecDeque;
use std::io::Write;
use std::process::{Child, Command, Stdio};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Events kept for `/api/events`; older ones are let go.
pub const MAX_KEPT: usize = 1000;
/// `--on-event` commands running at once; an event beyond them is not handed on (counted).
pub const MAX_RUNNING: usize = 4;

pub struct Events {
    kept: VecDeque<Json>,
    command: Option<String>,
    running: Vec<Child>,
    /// Events recorded since the server started (restored ones not included): a cursor for
    /// whoever hands them on, such as the Redis store.
    recorded: u64,
    /// Events not handed to the command: too many running, or it could not start.
    pub hooks_dropped: u64,
}

impl Events {
    pub fn new(command: Option<String>) -> Events {
        Events {
            kept: VecDeque::with_capacity(MAX_KEPT),
            command,
            running: Vec::new(),
            recorded: 0,
            hooks_dropped: 0,
        }
    }

    /// Records a process's change of state; returns its JSON (for the PUB route).
    pub fn record(&mut self, change: &Change) -> Json {
        self.record_json(json!({
            "id": change.id,
            "from": change.from.map(|s| s.name()),
            "to": change.to.name(),
            "alert": change.to.alerts(),
            "role": change.role,
            "host": change.host,
        }))
    }

    /// Records an event given as its fields (a node's standing, say), stamped with `at`
    /// first; returns it whole.
    pub fn record_json(&mut self, fields: Json) -> Json {
        let at = OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default();
        let mut event = serde_json::Map::new();
        event.insert("at".into(), Json::String(at));
        if let Json::Object(fields) = fields {
            event.extend(fields);
        }
        let event = Json::Object(event);
        if self.kept.len() == MAX_KEPT {
            self.kept.pop_front();
        }
        self.kept.push_back(event.clone());
        self.recorded += 1;
        self.hand_on(&event);
        event
    }

    /// The kept events, oldest first.
    pub fn kept(&self) -> impl Iterator<Item = &Json> {
        self.kept.iter()
    }

    /// The events recorded after the first `cursor` (as far as they are still kept), and the
    /// cursor past them.
    pub fn recorded_since(&self, cursor: u64) -> (impl Iterator<Item = &Json>, u64) {
        let new = usize::try_from(self.recorded.saturating_sub(cursor)).unwrap_or(usize::MAX);
        let skip = self.kept.len().saturating_sub(new);
        (self.kept.iter().skip(skip), self.recorded)
    }

    /// Puts events from before this server started (oldest first) ahead of those it
    /// recorded, as far as the log has room: they are older than any of its own.
    pub fn restore(&mut self, older: Vec<Json>) {
        let room = MAX_KEPT - self.kept.len();
        let skip = older.len().saturating_sub(room);
        for event in older.into_iter().skip(skip).rev() {
            self.kept.push_front(event);
        }
    }

    /// Reaps the commands that finished.
    pub fn reap(&mut self) {
        self.running
            .retain_mut(|child| matches!(child.try_wait(), Ok(None)));
    }

    fn hand_on(&mut self, event: &Json) {
        if self.command.is_none() {
            return;
        }
        self.reap();
        let Some(command) = &self.command else {
            return;
        };
        if self.running.len() >= MAX_RUNNING {
            self.hooks_dropped += 1;
            return;
        }
        let spawned = Command::new("sh")
            .arg("-c")
            .arg(command)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn();
        let Ok(mut child) = spawned else {
            self.hooks_dropped += 1;
            return;
        };
        // An event is a few hundred bytes, far below a pipe's buffer: this write does not
        // block. A command that exits without reading makes it fail, which is its business.
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(format!("{event}\n").as_bytes());
        }
        self.running.push(child);
    }
}

#[cfg(test)]
mod tests {
    use super::super::table::{Change, State};
    use super::*;

    fn change(id: &str) -> Change {
        Change {
            id: id.into(),
            from: None,
            to: State::Up,
            role: "r".into(),
            host: "h".into(),
        }
    }

    #[test]
    fn restored_events_come_first_and_are_not_recorded_again() {
        let mut events = Events::new(None);
        events.record(&change("new"));
        let older = (0..MAX_KEPT).map(|i| json!({ "id": i })).collect();
        events.restore(older);
        let ids: Vec<String> = events.kept().map(|e| e["id"].to_string()).collect();
        assert_eq!(ids.len(), MAX_KEPT);
        assert_eq!(ids[0], "1", "the oldest restored one let go");
        assert_eq!(ids[MAX_KEPT - 1], "\"new\"");
        let (since, cursor) = events.recorded_since(0);
        assert_eq!(since.map(|e| e["id"].clone()).collect::<Vec<_>>(), ["new"]);
        events.record(&change("newer"));
        let (since, _) = events.recorded_since(cursor);
        assert_eq!(
            since.map(|e| e["id"].clone()).collect::<Vec<_>>(),
            ["newer"]
        );
    }
}
