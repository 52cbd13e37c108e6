//! `dripdrop health FILE --max-age-ms MS`: the liveness and readiness probe of a DripDrop
//! process in a container. The core's loop sets the mtime of the file DRIPDROP_HEALTH_FILE
//! names every heartbeat; a file touched within MS passes (status 0), an older or missing
//! one fails with one line saying why (status 1), so a loop that stopped turning fails the
//! probe even while its process lives.

use clap::Args;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// Check that the loop of a process touched its health file lately
#[derive(Debug, Args)]
pub struct Command {
    /// The file the process's loop touches every heartbeat (its DRIPDROP_HEALTH_FILE)
    file: PathBuf,
    /// How old its last touch may be, in ms (three heartbeats is a stuck loop)
    #[arg(long, value_name = "MS")]
    max_age_ms: u64,
}

pub fn run(command: Command) -> Result<(), String> {
    let file = command.file.display();
    let modified = std::fs::metadata(&command.file)
        .and_then(|m| m.modified())
        .map_err(|e| format!("{file}: {e}"))?;
    // A touch later than now (a clock set back) is as fresh as it gets.
    let age = SystemTime::now()
        .duration_since(modified)
        .unwrap_or(Duration::ZERO);
    if age > Duration::from_millis(command.max_age_ms) {
        return Err(format!(
            "{file}: last touched {} ms ago, more than {} ms",
            age.as_millis(),
            command.max_age_ms
        ));
    }
    Ok(())
}
