//! Running an example program as a child process from a test: its stdout read line by line
//! as it comes, every wait bounded by a deadline, and the process killed when the test is
//! done with it, whether the test passed or failed.

#![allow(dead_code)] // each test file uses part of this

pub mod pool;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long a test waits for a line or an exit before failing. Generous: the machine may be
/// busy with other tests.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// A running example program.
pub struct Program {
    name: String,
    child: Child,
    lines: Receiver<String>,
    /// Every stdout line read so far.
    seen: Vec<String>,
    stderr: Option<JoinHandle<String>>,
}

/// How a program ended.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: Vec<String>,
    pub stderr: String,
}

impl Finished {
    /// Panics with the program's output unless it exited 0 with nothing on stderr.
    pub fn assert_clean(&self, name: &str) {
        assert!(
            self.status.success() && self.stderr.is_empty(),
            "{name} exited with {}\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.stdout.join("\n"),
            self.stderr
        );
    }

    /// The stdout lines starting with `prefix`, with the prefix removed.
    pub fn lines_after<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.stdout
            .iter()
            .filter_map(move |l| l.strip_prefix(prefix))
    }
}

impl Program {
    /// Starts `path` with `args`, its stdout and stderr captured.
    pub fn start(path: &str, args: &[&str]) -> Program {
        Program::start_with_env(path, args, &[])
    }

    /// Starts `path` with `args` and the environment variables `env` besides this process's.
    pub fn start_with_env(path: &str, args: &[&str], env: &[(&str, &str)]) -> Program {
        let mut child = Command::new(path)
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("start {path}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let mut stderr = child.stderr.take().expect("piped stderr");
        let stderr = thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let name = std::path::Path::new(path)
            .file_name()
            .map_or_else(|| path.to_owned(), |n| n.to_string_lossy().into_owned());
        Program {
            name: format!("{name} {}", args.join(" ")),
            child,
            lines,
            seen: Vec::new(),
            stderr: Some(stderr),
        }
    }

    /// Reads stdout until a line starts with `prefix` and returns the rest of that line.
    /// Panics, showing what was read, if the program ends or `PATIENCE` passes first.
    pub fn wait_for_line(&mut self, prefix: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let rest = line.strip_prefix(prefix).map(str::to_owned);
                    self.seen.push(line);
                    if let Some(rest) = rest {
                        return rest;
                    }
                }
                Err(e) => {
                    let why = match e {
                        RecvTimeoutError::Timeout => "timed out",
                        RecvTimeoutError::Disconnected => "ended",
                    };
                    self.fail(&format!("{why} before printing {prefix:?}"));
                }
            }
        }
    }

    /// Waits (at most `PATIENCE`) for the program to end by itself and returns what it did.
    pub fn finish(mut self) -> Finished {
        let deadline = Instant::now() + PATIENCE;
        // Read stdout to its end: the program closes it when it exits.
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
                    self.fail(&format!("did not end within {PATIENCE:?}"))
                }
            }
        }
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < deadline => {
                    // Its stdout is closed, so it is on its way out; give it a moment.
                    thread::sleep(Duration::from_millis(5));
                }
                Ok(None) => panic!("{} closed its stdout but did not exit", self.name),
                Err(e) => panic!("wait for {}: {e}", self.name),
            }
        };
        let stderr = self.read_stderr();
        Finished {
            status,
            stdout: std::mem::take(&mut self.seen),
            stderr,
        }
    }

    /// The program's process id (to signal it).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The stdout lines read so far.
    pub fn seen(&self) -> &[String] {
        &self.seen
    }

    /// Kills the program and returns what it had read so far too.
    pub fn kill(mut self) -> Vec<String> {
        let stderr = self.kill_and_read_stderr();
        // The reader ends at the closed pipe's end, after the lines still in it.
        while let Ok(line) = self.lines.recv_timeout(PATIENCE) {
            self.seen.push(line);
        }
        assert!(
            stderr.is_empty(),
            "{} wrote to stderr:\n{stderr}",
            self.name
        );
        std::mem::take(&mut self.seen)
    }

    /// Kills the program and panics with `why` and everything it printed.
    fn fail(&mut self, why: &str) -> ! {
        let stderr = self.kill_and_read_stderr();
        panic!(
            "{} {why}\nstdout:\n{}\nstderr:\n{stderr}",
            self.name,
            self.seen.join("\n")
        );
    }

    fn kill_and_read_stderr(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.read_stderr()
    }

    fn read_stderr(&mut self) -> String {
        self.stderr
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Program {
    /// A program still running when its test ends (passed or failed) is killed.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Runs a program to its end and returns what it did.
pub fn run(path: &str, args: &[&str]) -> Finished {
    Program::start(path, args).finish()
}
