//! `dripdrop completions SHELL`: the shell's completion script for this command line, made
//! by clap_complete from the same definitions clap parses with, so it cannot drift.

use crate::{stdio, Cli};
use clap::CommandFactory;
use clap_complete::Shell;

pub fn run(shell: Shell) -> Result<(), String> {
    // Made in memory first: clap_complete panics on a failed write (a closed pipe), and a
    // failed write here is an ordinary one-line error.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "dripdrop", &mut script);
    stdio::write_out(&script)
}
