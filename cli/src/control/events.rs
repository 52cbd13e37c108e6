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
    /// Events not handed to the command: too many running, or it could not start.
    pub hooks_dropped: u64,
}

impl Events {
    pub fn new(command: Option<String>) -> Events {
        Events {
            kept: VecDeque::with_capacity(MAX_KEPT),
            command,
            running: Vec::new(),
            hooks_dropped: 0,
        }
    }

    /// Records a change; returns its JSON (for the PUB route).
    pub fn record(&mut self, change: &Change) -> Json {
        let at = OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default();
        let event = json!({
            "at": at,
            "id": change.id,
            "from": change.from.map(|s| s.name()),
            "to": change.to.name(),
            "alert": change.to.alerts(),
            "role": change.role,
            "host": change.host,
        });
        if self.kept.len() == MAX_KEPT {
            self.kept.pop_front();
        }
        self.kept.push_back(event.clone());
        self.hand_on(&event);
        event
    }

    /// The kept events, oldest first.
    pub fn kept(&self) -> impl Iterator<Item = &Json> {
        self.kept.iter()
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
