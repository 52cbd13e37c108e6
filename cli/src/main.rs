//! `dripdrop`: the DripDrop command-line tool. For now `dripdrop bert encode|decode [--hex]`,
//! so that a person can write a BERT frame in Erlang syntax or read a captured one, and
//! `dripdrop completions SHELL`, `dripdrop control`, the control server, and `dripdrop top`,
//! its picture of the processes in a terminal; `dripdrop check` and `dripdrop export` read an
//! app's manifest, `dripdrop launch` runs a machine's part of one, and `dripdrop health` is
//! its containers' probe; `dripdrop keygen` writes CURVE certificates.
//!
//! Two kinds of failure, told apart by the exit status: a failure of the work (bad input, a
//! closed pipe) is one line on stderr, `dripdrop: ...`, and status 1; a wrong command line is
//! clap's usage error (what was wrong, the usage line, a hint) and status 2, as with other
//! clap, argparse and optparse programs (the Python and Ruby http_load among them).

mod bert;
mod check;
mod completions;
mod control;
mod export;
mod health;
mod keygen;
mod launch;
mod manifest;
mod stdio;
mod top;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

const EXAMPLES: &str = "\
Examples:
  echo '{hello, 42}' | dripdrop bert encode --hex
  echo '{reply, <<\"ok\">>, [1, 2.5]}.' | dripdrop bert encode | dripdrop bert decode";

/// The DripDrop command-line tool: reads and writes BERT frames (the Erlang External Term
/// Format every DripDrop message is) so a person can see what is on the wire.
#[derive(Debug, Parser)]
#[command(name = "dripdrop", version, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Convert between Erlang term text and BERT frames
    #[command(subcommand)]
    Bert(bert::Command),
    /// Check a manifest (dripdrop.toml) and show what each role runs
    Check(check::Command),
    /// Run the control server: processes report to it, it tells their states
    Control(control::Command),
    /// Write a manifest's app as systemd units, a Compose file or Kubernetes objects
    Export(export::Command),
    /// Check that a process's loop touched its health file lately (a container probe)
    Health(health::Command),
    /// Write a new CURVE certificate (NAME.key, NAME.key_secret)
    Keygen(keygen::Command),
    /// Start this machine's roles of a manifest and keep them running
    Launch(launch::Command),
    /// Show the processes a control server knows, refreshing (or --once)
    Top(top::Command),
    /// Print the completion script for a shell
    Completions {
        /// The shell to complete for
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    // A safety net: the code should not panic, but if it does the user still gets one line.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("dripdrop: internal error: {}", one_line(&info.to_string()));
        std::process::exit(1);
    }));
    // Help and version go to stdout with status 0; a usage error to stderr with status 2.
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Bert(command) => bert::run(command),
        Command::Check(command) => check::run(command),
        Command::Completions { shell } => completions::run(shell),
        Command::Control(command) => control::run(command),
        Command::Export(command) => export::run(command),
        Command::Health(command) => health::run(command),
        Command::Keygen(command) => keygen::run(command),
        Command::Launch(command) => launch::run(command),
        Command::Top(command) => top::run(command),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("dripdrop: {}", one_line(&message));
            ExitCode::FAILURE
        }
    }
}

/// Keeps a message to one line, whatever text it quotes.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
