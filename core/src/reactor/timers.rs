//! Timers of the reactor: `every`, `after` and `next_tick`, each cancellable by its id.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::{Duration, Instant};

/// Identifies a timer for [`cancel`](crate::Node::cancel_timer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimerId(u64);

impl TimerId {
    /// The id as a number, for skins that hand it to their host language.
    pub fn to_raw(self) -> u64 {
        self.0
    }

    /// An id from `to_raw`; one that names no timer only makes `cancel_timer` return false.
    pub fn from_raw(raw: u64) -> TimerId {
        TimerId(raw)
    }
}

/// What a timer holds; `C` is the payload its owner stores (a node's callback...).
struct Timer<C> {
    callback: C,
    period: Option<Duration>,
}

/// `delay` after `now`; a delay past what an `Instant` can hold is as good as never.
pub(crate) fn later(now: Instant, delay: Duration) -> Instant {
    const NEVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    now.checked_add(delay.min(NEVER)).unwrap_or(now)
}

/// A timer taken off the heap because it is due.
pub(crate) struct Due<C> {
    pub(crate) id: TimerId,
    pub(crate) callback: C,
    /// Set for a repeating timer, which goes back with [`Timers::finish`].
    pub(crate) period: Option<Duration>,
}

/// Pending timers ordered by due time, then by creation, so timers due together fire in the
/// order they were made (`next_tick` callbacks run first-in, first-out).
pub(crate) struct Timers<C> {
    due: BinaryHeap<Reverse<(Instant, TimerId)>>,
    timers: HashMap<TimerId, Timer<C>>,
    next_id: u64,
    /// The repeating timer whose callback is running, and whether it was cancelled meanwhile.
    running: Option<(TimerId, bool)>,
}

impl<C> Timers<C> {
    pub(crate) fn new() -> Self {
        Timers {
            due: BinaryHeap::new(),
            timers: HashMap::new(),
            next_id: 0,
            running: None,
        }
    }

    /// Adds a timer due after `delay`, repeating every `period` if given.
    pub(crate) fn add(
        &mut self,
        delay: Duration,
        period: Option<Duration>,
        callback: C,
    ) -> TimerId {
        self.add_at(later(Instant::now(), delay), period, callback)
    }

    /// Adds a timer due at `at`, repeating every `period` after it if given.
    pub(crate) fn add_at(&mut self, at: Instant, period: Option<Duration>, callback: C) -> TimerId {
        let id = TimerId(self.next_id);
        self.next_id += 1;
        self.timers.insert(id, Timer { callback, period });
        self.due.push(Reverse((at, id)));
        id
    }

    /// Removes a timer; false if it already fired (and does not repeat) or was cancelled.
    pub(crate) fn cancel(&mut self, id: TimerId) -> bool {
        if let Some((running, cancelled)) = &mut self.running {
            if *running == id && !*cancelled {
                *cancelled = true;
                return true;
            }
        }
        self.timers.remove(&id).is_some()
    }

    pub(crate) fn len(&self) -> usize {
        self.timers.len()
    }

    /// When the next live timer is due.
    pub(crate) fn next_due(&mut self) -> Option<Instant> {
        while let Some(Reverse((at, id))) = self.due.peek() {
            if self.timers.contains_key(id) {
                return Some(*at);
            }
            self.due.pop();
        }
        None
    }

    /// Takes the next timer due at or before `now`. A repeating timer must be handed back
    /// with [`Timers::finish`] once its callback ran.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<Due<C>> {
        while let Some(Reverse((at, id))) = self.due.peek().copied() {
            if at > now {
                return None;
            }
            self.due.pop();
            if let Some(timer) = self.timers.remove(&id) {
                if timer.period.is_some() {
                    self.running = Some((id, false));
                }
                return Some(Due {
                    id,
                    callback: timer.callback,
                    period: timer.period,
                });
            }
        }
        None
    }

    /// Puts a repeating timer back, due one period from now, unless its callback cancelled it.
    pub(crate) fn finish(&mut self, id: TimerId, callback: C, period: Duration) {
        let cancelled = matches!(self.running.take(), Some((running, true)) if running == id);
        if cancelled {
            return;
        }
        self.timers.insert(
            id,
            Timer {
                callback,
                period: Some(period),
            },
        );
        self.due.push(Reverse((later(Instant::now(), period), id)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A repeating "tick" every second, taken off the heap at once: its id and what comes due.
    fn running_tick(timers: &mut Timers<&'static str>) -> (TimerId, Due<&'static str>) {
        let id = timers.add(Duration::ZERO, Some(Duration::from_secs(1)), "tick");
        (id, timers.pop_due(Instant::now()).expect("due"))
    }

    fn hand_back(timers: &mut Timers<&'static str>, due: Due<&'static str>) {
        timers.finish(due.id, due.callback, due.period.expect("repeats"));
    }

    #[test]
    fn due_timers_come_out_in_time_then_creation_order() {
        let mut timers = Timers::new();
        let late = timers.add(Duration::from_secs(60), None, "late");
        let a = timers.add(Duration::ZERO, None, "a");
        let b = timers.add(Duration::ZERO, None, "b");
        let now = Instant::now();
        let mut next = || timers.pop_due(now).map(|t| (t.id, t.callback));
        assert_eq!(next(), Some((a, "a")));
        assert_eq!(next(), Some((b, "b")));
        assert_eq!(next(), None);
        assert!(timers.cancel(late));
        assert!(!timers.cancel(late));
        assert_eq!(timers.next_due(), None);
    }

    #[test]
    fn a_repeating_timer_cancelled_by_its_own_callback_stays_cancelled() {
        let mut timers = Timers::new();
        let (id, due) = running_tick(&mut timers);
        assert!(timers.cancel(due.id));
        hand_back(&mut timers, due);
        assert_eq!(timers.len(), 0);
        assert!(!timers.cancel(id));
    }

    #[test]
    fn a_repeating_timer_comes_back() {
        let mut timers = Timers::new();
        let (id, due) = running_tick(&mut timers);
        hand_back(&mut timers, due);
        assert_eq!(timers.len(), 1);
        assert!(timers.next_due().expect("re-armed") > Instant::now());
        assert!(timers.cancel(id));
    }
}
