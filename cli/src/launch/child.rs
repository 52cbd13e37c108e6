//! One process the launcher starts: how it is started (program, arguments, environment,
//! directory, its own process group, its output piped to the log readers), how it is
//! signalled, and how its end is read.

use super::logs::Readers;
use std::io;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Everything needed to start one instance of a node, again and again.
#[derive(Clone, Debug)]
pub struct Program {
    /// `node.instance`, as its log lines are prefixed.
    pub name: String,
    pub node: String,
    /// From 1.
    pub instance: u32,
    pub role: String,
    /// The program, resolved and absolute (so the working directory does not change it).
    pub path: PathBuf,
    /// The program as the manifest names it: what the process sees as its `argv[0]`.
    pub arg0: String,
    pub args: Vec<String>,
    /// Set on top of the launcher's own environment.
    pub env: Vec<(String, String)>,
    /// Not passed on from the launcher's environment: the `DRIPDROP_*` variables the
    /// manifest gives this process none of.
    pub unset: Vec<String>,
    /// The manifest's directory.
    pub cwd: PathBuf,
}

impl Program {
    /// Starts it, its stdout and stderr followed by `readers`.
    pub fn spawn(&self, readers: &Readers) -> io::Result<Running> {
        let mut command = Command::new(&self.path);
        for name in &self.unset {
            command.env_remove(name);
        }
        command
            .arg0(&self.arg0)
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(&self.cwd)
            // Nothing to read: a child in a background process group that read the terminal
            // would be stopped (SIGTTIN).
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group: a Ctrl-C at the terminal reaches the launcher only, which
            // stops each child once, and a signal to the group reaches what the child started
            // too (the `sleep` of a shell loop), so nothing is left holding its pipes.
            .process_group(0);
        let mut child = command.spawn()?;
        let pid = child.id();
        if let Some(out) = child.stdout.take() {
            readers.follow(&self.name, out);
        }
        if let Some(err) = child.stderr.take() {
            readers.follow(&self.name, err);
        }
        Ok(Running {
            child,
            pid,
            since: Instant::now(),
            killed: false,
        })
    }
}

/// A started process, not yet reaped. While it is not reaped its pid (and so its process
/// group's id) cannot be reused, so signalling the group is safe.
#[derive(Debug)]
pub struct Running {
    child: Child,
    pub pid: u32,
    pub since: Instant,
    /// Whether it was sent SIGKILL (so it is sent once).
    pub killed: bool,
}

impl Running {
    /// Sends `signal` to its process group, or to the process alone if it left the group it
    /// was started in. A process that is already gone is not an error: its exit will be
    /// reaped.
    pub fn signal(&self, signal: libc::c_int) {
        let Ok(pid) = libc::pid_t::try_from(self.pid) else {
            return;
        };
        // SAFETY: kill(2) takes plain integers and touches no memory of ours.
        unsafe {
            if libc::kill(-pid, signal) != 0 {
                libc::kill(pid, signal);
            }
        }
    }

    /// SIGKILL to its group, once.
    pub fn kill(&mut self) {
        if !self.killed {
            self.signal(libc::SIGKILL);
            self.killed = true;
        }
    }

    /// Its exit, if it has ended (reaping it).
    pub fn try_wait(&mut self) -> io::Result<Option<Exit>> {
        Ok(self.child.try_wait()?.map(Exit::from))
    }

    pub fn ran(&self) -> Duration {
        self.since.elapsed()
    }
}

/// How a process ended: its exit code, or the signal that ended it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exit {
    pub code: Option<i32>,
    pub signal: Option<i32>,
}

impl Exit {
    /// Exit code 0.
    pub fn success(self) -> bool {
        self.code == Some(0)
    }

    /// What a person reads: `exited with code 3`, `killed by signal 9 (SIGKILL)`.
    pub fn describe(self) -> String {
        match (self.code, self.signal) {
            (Some(code), _) => format!("exited with code {code}"),
            (None, Some(signal)) => match signal_name(signal) {
                Some(name) => format!("killed by signal {signal} ({name})"),
                None => format!("killed by signal {signal}"),
            },
            (None, None) => "ended".to_owned(),
        }
    }
}

impl From<ExitStatus> for Exit {
    fn from(status: ExitStatus) -> Exit {
        Exit {
            code: status.code(),
            signal: status.signal(),
        }
    }
}

/// The usual signals' names, for log lines.
fn signal_name(signal: i32) -> Option<&'static str> {
    Some(match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGTERM => "SIGTERM",
        _ => return None,
    })
}
