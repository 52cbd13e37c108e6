//! The live progress of a run, on stderr: a bar when the run has a number of requests, a
//! spinner when it has a duration. indicatif draws it only when stderr is a terminal, so a
//! pipe, a file or a test sees nothing of it, not even a control character.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::time::Duration;

const BAR: &str = "[{bar:30}] {pos}/{len} requests, {per_sec:0}, {elapsed}";
const SPINNER: &str = "{spinner} {pos} requests, {per_sec:0}, {elapsed}";

/// A run's progress, shared by whoever learns of finished requests.
#[derive(Clone, Debug)]
pub struct Progress(ProgressBar);

impl Progress {
    /// Progress towards `total` requests, or (none) through a timed run.
    pub fn new(total: Option<u64>) -> Progress {
        let template = if total.is_some() { BAR } else { SPINNER };
        let style = ProgressStyle::with_template(template)
            .expect("a valid template")
            .progress_chars("=> ");
        let bar =
            ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr()).with_style(style);
        if !bar.is_hidden() {
            // Between two batches' results the spinner still turns and the time still runs.
            // (Only when drawn: the ticker is a thread.)
            bar.enable_steady_tick(Duration::from_millis(200));
        }
        Progress(bar)
    }

    /// `done` requests have finished, answered or failed.
    pub fn set(&self, done: u64) {
        self.0.set_position(done);
    }

    /// Takes the bar off the terminal, so the report starts on a clean line.
    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_styles_are_valid_and_hidden_off_a_terminal() {
        for template in [BAR, SPINNER] {
            ProgressStyle::with_template(template).expect(template);
        }
        // A test's stderr is not a terminal (cargo captures it).
        for total in [Some(10), None] {
            let progress = Progress::new(total);
            progress.set(5);
            progress.finish();
        }
    }
}
