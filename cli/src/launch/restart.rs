//! When an instance that exited is started again: its node's `restart` policy, an
//! exponential backoff so a crashing program does not spin, and flapping detection so one that
//! can never stay up is given up on rather than restarted forever.

use super::child::Exit;
use crate::manifest::Restart;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The wait before the first restart; it doubles at each restart after that.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// The longest wait between restarts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// A process that ran this long was healthy: its next restart waits `FIRST_BACKOFF` again.
pub const STABLE_AFTER: Duration = Duration::from_secs(10);
/// An instance restarted more than this many times within `FLAP_WINDOW` is flapping: it is
/// not restarted again (the launcher says so and reports it).
pub const FLAP_RESTARTS: usize = 5;
/// See `FLAP_RESTARTS`.
pub const FLAP_WINDOW: Duration = Duration::from_secs(30);

/// What to do about an exit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Start it again after this long.
    Restart(Duration),
    /// It exited too often: leave it down.
    Flapping,
    /// Its policy does not restart it after this exit.
    Done,
}

/// One instance's restart history.
#[derive(Debug)]
pub struct Restarts {
    policy: Restart,
    /// The wait before the next restart.
    backoff: Duration,
    /// When it was restarted within the last `FLAP_WINDOW`, oldest first; never more than
    /// `FLAP_RESTARTS`.
    recent: VecDeque<Instant>,
}

impl Restarts {
    pub fn new(policy: Restart) -> Restarts {
        Restarts {
            policy,
            backoff: FIRST_BACKOFF,
            recent: VecDeque::with_capacity(FLAP_RESTARTS),
        }
    }

    /// The node's policy, as the manifest says it.
    pub fn policy(&self) -> Restart {
        self.policy
    }

    /// Decides about an exit at `now` of a process that ran for `ran`.
    pub fn after_exit(&mut self, exit: Exit, ran: Duration, now: Instant) -> Decision {
        let wanted = match self.policy {
            Restart::Always => true,
            Restart::OnFailure => !exit.success(),
            Restart::Never => false,
        };
        if !wanted {
            return Decision::Done;
        }
        if ran >= STABLE_AFTER {
            self.backoff = FIRST_BACKOFF;
        }
        while self
            .recent
            .front()
            .is_some_and(|&at| now.saturating_duration_since(at) > FLAP_WINDOW)
        {
            self.recent.pop_front();
        }
        if self.recent.len() >= FLAP_RESTARTS {
            return Decision::Flapping;
        }
        self.recent.push_back(now);
        let delay = self.backoff;
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        Decision::Restart(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAILED: Exit = Exit {
        code: Some(3),
        signal: None,
    };
    const CLEAN: Exit = Exit {
        code: Some(0),
        signal: None,
    };
    const KILLED: Exit = Exit {
        code: None,
        signal: Some(9),
    };

    #[test]
    fn policies_say_which_exits_restart() {
        let now = Instant::now();
        let quick = Duration::ZERO;
        let restarts = |policy, exit| Restarts::new(policy).after_exit(exit, quick, now);
        assert_eq!(
            restarts(Restart::Always, CLEAN),
            Decision::Restart(FIRST_BACKOFF)
        );
        assert_eq!(restarts(Restart::OnFailure, CLEAN), Decision::Done);
        assert_eq!(
            restarts(Restart::OnFailure, FAILED),
            Decision::Restart(FIRST_BACKOFF)
        );
        assert_eq!(
            restarts(Restart::OnFailure, KILLED),
            Decision::Restart(FIRST_BACKOFF)
        );
        assert_eq!(restarts(Restart::Never, FAILED), Decision::Done);
    }

    #[test]
    fn the_backoff_doubles_to_its_cap_and_starts_over_after_a_long_run() {
        let mut restarts = Restarts::new(Restart::Always);
        let mut now = Instant::now();
        let mut delays = Vec::new();
        // A minute apart: never flapping, so only the backoff shows.
        for _ in 0..8 {
            match restarts.after_exit(FAILED, Duration::ZERO, now) {
                Decision::Restart(delay) => delays.push(delay.as_millis()),
                other => panic!("{other:?}"),
            }
            now += Duration::from_secs(60);
        }
        assert_eq!(delays, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        assert_eq!(
            restarts.after_exit(FAILED, STABLE_AFTER, now),
            Decision::Restart(FIRST_BACKOFF)
        );
    }

    #[test]
    fn more_than_five_restarts_in_thirty_seconds_is_flapping() {
        let mut restarts = Restarts::new(Restart::Always);
        let start = Instant::now();
        for i in 0..FLAP_RESTARTS as u64 {
            let at = start + Duration::from_secs(i);
            assert!(matches!(
                restarts.after_exit(FAILED, Duration::ZERO, at),
                Decision::Restart(_)
            ));
        }
        assert_eq!(
            restarts.after_exit(FAILED, Duration::ZERO, start + Duration::from_secs(10)),
            Decision::Flapping
        );
        // Once the first restart is more than the window ago, there is room again.
        let later = start + FLAP_WINDOW + Duration::from_secs(1);
        assert!(matches!(
            restarts.after_exit(FAILED, Duration::ZERO, later),
            Decision::Restart(_)
        ));
    }
}
