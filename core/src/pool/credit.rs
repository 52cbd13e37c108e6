//! How many tasks a worker may hold at once: its concurrency plus a prefetch, either fixed by
//! the pool's `prefetch` option or, by default, adapted to the worker's tasks.
//!
//! A fixed prefetch is a guess the user has to make: too small and short tasks go in lockstep
//! with the round trip (the worker idles while its next task travels), too large and long
//! tasks pile up at one worker while another has nothing. The adaptive prefetch starts at one
//! task and follows what it sees, after each answer a worker sends:
//! - the worker ran dry (it holds fewer tasks than it runs at once) while tasks it could run
//!   wait in the pool: its tasks are shorter than the round trip, so the prefetch doubles
//!   (plus one), up to what `max_worker_credit` allows;
//! - its tasks run long (averaged, past [`LONG_RUN`]): the prefetch halves, down to none, so
//!   long tasks are not queued behind each other at one worker;
//! - it holds nothing and nothing waits for it: the next tasks may be of another kind, so the
//!   prefetch halves (not below its start; growing back takes a round trip a doubling) and
//!   how long its tasks ran is forgotten.

use std::time::Duration;

/// The prefetch an adaptive credit starts with (and the least an idle worker falls back to):
/// one task waiting behind the ones running, as the fixed default always had.
const START: usize = 1;

/// Tasks that run longer than this (averaged) are long: prefetching them gains little (a
/// round trip of a millisecond is a tenth of one at most) and queues them behind each other
/// at one worker while another may have nothing.
pub(crate) const LONG_RUN: Duration = Duration::from_millis(10);

/// Weight of the newest sample in an average run time: 1/8, so one odd task moves it little.
const RUN_WEIGHT_SHIFT: u32 = 3;

/// How long tasks run, as an exponential average of what the pool can see of it (see
/// `Scheduler::complete`); none until a task was answered.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RunTime {
    average_us: Option<u64>,
}

impl RunTime {
    pub(crate) fn add(&mut self, took: Duration) {
        let sample = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.average_us = Some(match self.average_us {
            None => sample,
            // In integers: average += (sample - average) / 8.
            Some(average) => {
                let step = sample.abs_diff(average) >> RUN_WEIGHT_SHIFT;
                if sample >= average {
                    average.saturating_add(step)
                } else {
                    average - step
                }
            }
        });
    }

    /// The average is past [`LONG_RUN`].
    pub(crate) fn is_long(&self) -> bool {
        self.average_us
            .is_some_and(|us| us > LONG_RUN.as_micros() as u64)
    }

    /// Measured, and not past [`LONG_RUN`] (nothing measured yet is neither long nor short).
    pub(crate) fn is_short(&self) -> bool {
        self.average_us
            .is_some_and(|us| us <= LONG_RUN.as_micros() as u64)
    }

    fn forget(&mut self) {
        self.average_us = None;
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Credit {
    /// Tasks the worker runs at once (at least 1).
    concurrency: usize,
    prefetch: usize,
    /// Most tasks the worker may hold, whatever the prefetch (at least 1).
    ceiling: usize,
    adaptive: bool,
    /// How long its tasks run.
    runs: RunTime,
}

impl Credit {
    /// `concurrency + prefetch` tasks, never more than `ceiling`.
    pub(crate) fn fixed(concurrency: usize, prefetch: usize, ceiling: usize) -> Self {
        Credit {
            concurrency: concurrency.max(1),
            prefetch,
            ceiling: ceiling.max(1),
            adaptive: false,
            runs: RunTime::default(),
        }
    }

    /// A prefetch adapted to the worker's tasks (see the module's doc), within `ceiling`.
    pub(crate) fn adaptive(concurrency: usize, ceiling: usize) -> Self {
        Credit {
            adaptive: true,
            ..Credit::fixed(concurrency, START, ceiling)
        }
    }

    /// The options' prefetch: a number is fixed, none adapts.
    pub(crate) fn from_option(prefetch: Option<usize>, concurrency: usize, ceiling: usize) -> Self {
        match prefetch {
            Some(prefetch) => Credit::fixed(concurrency, prefetch, ceiling),
            None => Credit::adaptive(concurrency, ceiling),
        }
    }

    /// Most tasks the worker may hold now.
    pub(crate) fn capacity(&self) -> usize {
        self.concurrency
            .saturating_add(self.prefetch)
            .min(self.ceiling)
    }

    /// Tasks the worker runs at once.
    pub(crate) fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// Tasks sent beyond what the worker runs at once, now.
    #[cfg(test)]
    pub(crate) fn prefetch(&self) -> usize {
        self.prefetch
    }

    /// One of the worker's tasks ran for about `took`.
    pub(crate) fn answered(&mut self, took: Duration) {
        self.runs.add(took);
    }

    /// After the worker's answers: it still holds `holding` tasks, and `work_waiting` says
    /// whether the pool has tasks it could run.
    pub(crate) fn adapt(&mut self, holding: usize, work_waiting: bool) {
        if !self.adaptive {
            return;
        }
        if holding == 0 && !work_waiting {
            // Halved, not dropped to the start: a stream of short tasks with pauses between
            // (a `map` after another) gets going again in one round trip.
            if self.prefetch > START {
                self.prefetch = (self.prefetch / 2).max(START);
            }
            // What comes next may be of another kind: judge it afresh.
            self.runs.forget();
        } else if self.runs.is_long() {
            self.prefetch /= 2;
        } else if holding < self.concurrency && work_waiting {
            let most = self.ceiling.saturating_sub(self.concurrency);
            self.prefetch = self.prefetch.saturating_mul(2).saturating_add(1).min(most);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHORT: Duration = Duration::from_micros(200);
    const LONG: Duration = Duration::from_millis(500);

    #[test]
    fn a_fixed_credit_never_moves_and_stays_under_its_ceiling() {
        let mut credit = Credit::fixed(2, 5, 1024);
        for _ in 0..10 {
            credit.answered(SHORT);
            credit.adapt(0, true);
        }
        assert_eq!(credit.capacity(), 7);
        assert_eq!(Credit::fixed(2, 5, 4).capacity(), 4);
        // A worker announcing no concurrency still gets a task.
        assert_eq!(Credit::fixed(0, 0, 1024).capacity(), 1);
    }

    #[test]
    fn a_worker_that_runs_dry_with_work_waiting_gets_more_up_to_the_ceiling() {
        let mut credit = Credit::adaptive(1, 1024);
        assert_eq!(credit.capacity(), 2);
        let mut seen = vec![credit.prefetch()];
        for _ in 0..12 {
            credit.answered(SHORT);
            credit.adapt(0, true);
            seen.push(credit.prefetch());
        }
        assert_eq!(&seen[..6], &[1, 3, 7, 15, 31, 63]);
        assert_eq!(credit.prefetch(), 1023);
        assert_eq!(credit.capacity(), 1024);
    }

    #[test]
    fn no_growth_while_the_worker_is_busy_or_nothing_waits() {
        let mut credit = Credit::adaptive(4, 1024);
        credit.answered(SHORT);
        // Still running as many as it can: it is not short of work.
        credit.adapt(4, true);
        assert_eq!(credit.prefetch(), 1);
        // Short of work, but there is none to give.
        credit.adapt(2, false);
        assert_eq!(credit.prefetch(), 1);
        credit.adapt(2, true);
        assert_eq!(credit.prefetch(), 3);
    }

    #[test]
    fn long_tasks_shrink_the_prefetch_to_none() {
        let mut credit = Credit::adaptive(1, 1024);
        for _ in 0..10 {
            credit.answered(SHORT);
            credit.adapt(0, true);
        }
        assert_eq!(credit.prefetch(), 1023);
        let mut steps = 0;
        while credit.prefetch() > 0 {
            credit.answered(LONG);
            // Even short of work: long tasks are not worth queueing at one worker.
            credit.adapt(0, true);
            steps += 1;
            assert!(steps < 40, "never shrank: {credit:?}");
        }
        assert_eq!(credit.capacity(), 1);
    }

    #[test]
    fn an_idle_worker_starts_over_and_forgets_how_long_its_tasks_were() {
        let mut credit = Credit::adaptive(1, 1024);
        for _ in 0..10 {
            credit.answered(LONG);
            credit.adapt(1, true);
        }
        assert_eq!(credit.prefetch(), 0);
        credit.adapt(0, false);
        assert_eq!(credit.prefetch(), 0, "never raised by the fall-back");
        // The next kind of task is short: it grows again at once.
        credit.answered(SHORT);
        credit.adapt(0, true);
        assert_eq!(credit.prefetch(), 1);

        let mut grown = Credit::adaptive(1, 1024);
        for _ in 0..5 {
            grown.answered(SHORT);
            grown.adapt(0, true);
        }
        assert_eq!(grown.prefetch(), 63);
        grown.adapt(0, false);
        assert_eq!(grown.prefetch(), 31);
        for _ in 0..10 {
            grown.adapt(0, false);
        }
        assert_eq!(grown.prefetch(), START);
    }

    #[test]
    fn the_average_run_time_follows_the_samples() {
        let mut runs = RunTime::default();
        assert!(!runs.is_long());
        runs.add(Duration::from_micros(800));
        for _ in 0..100 {
            runs.add(Duration::from_micros(100));
        }
        let us = runs.average_us.unwrap();
        assert!((100..120).contains(&us), "{us}");
        runs.add(Duration::MAX);
        assert!(runs.average_us.unwrap() > us);
        assert!(runs.is_long());
        // One long sample among short ones does not make them long.
        let mut runs = RunTime::default();
        runs.add(Duration::from_micros(100));
        runs.add(Duration::from_millis(40));
        assert!(!runs.is_long());
    }
}
