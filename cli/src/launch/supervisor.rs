//! The launcher's loop: starts every instance, reaps each exit (on SIGCHLD), restarts per the
//! node's policy after a backoff, gives up on a flapping instance, and on SIGTERM or SIGINT
//! stops them all (SIGTERM, then SIGKILL past each node's grace). One thread waits on one
//! channel of signal events, with a timeout for the next restart or kill; nothing spins.

use super::child::{Exit, Program, Running};
use super::logs::{self, say, Readers};
use super::report::Reporter;
use super::restart::{Decision, Restarts, FLAP_RESTARTS, FLAP_WINDOW};
use super::signals::{Event, SignalEvents};
use crate::manifest::Restart;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

/// How long, after the last process ended, the launcher waits for the log readers to print
/// what is left in the pipes.
const READERS_BOUND: Duration = Duration::from_secs(1);
/// While processes run, reap at least this often even without a SIGCHLD: a safety net that
/// costs one `waitpid` per process per second.
const POLL: Duration = Duration::from_secs(1);

/// One instance of a node and where it is in its life.
pub struct Instance {
    program: Program,
    stop_grace: Duration,
    restarts: Restarts,
    state: State,
}

enum State {
    /// Not started yet.
    New,
    Running(Running),
    /// Waiting out its backoff until then, to start again.
    Waiting(Instant),
    /// Ended, and will not be started again; `failed` when its last exit was not code 0.
    Ended {
        failed: bool,
    },
    /// Given up on: it kept exiting.
    Flapping,
}

impl Instance {
    pub fn new(program: Program, policy: Restart, stop_grace: Duration) -> Instance {
        Instance {
            program,
            stop_grace,
            restarts: Restarts::new(policy),
            state: State::New,
        }
    }

    fn is_over(&self) -> bool {
        matches!(self.state, State::Ended { .. } | State::Flapping)
    }
}

/// How the launcher's run ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every process ended by itself and none is to be restarted: the names of those whose
    /// last exit failed, and of those given up on as flapping.
    Finished {
        failed: Vec<String>,
        flapping: Vec<String>,
    },
    /// Stopped by a signal: the names of those SIGKILLed after their stop grace.
    Stopped { killed: Vec<String> },
}

pub struct Supervisor {
    instances: Vec<Instance>,
    reporter: Option<Reporter>,
    readers: Readers,
    signals: SignalEvents,
    /// When the stop began (the first SIGTERM or SIGINT).
    stopping: Option<Instant>,
    killed: Vec<String>,
}

impl Supervisor {
    /// `signals` must be listening already: a child that ends at once is then reaped.
    pub fn new(
        instances: Vec<Instance>,
        reporter: Option<Reporter>,
        signals: SignalEvents,
    ) -> Supervisor {
        Supervisor {
            instances,
            reporter,
            readers: Readers::new(),
            signals,
            stopping: None,
            killed: Vec::new(),
        }
    }

    /// Runs until every instance is over: ended by itself and not to be restarted, given up
    /// on, or stopped.
    pub fn run(mut self) -> Outcome {
        for index in 0..self.instances.len() {
            self.start(index);
        }
        while !self.instances.iter().all(Instance::is_over) {
            let now = Instant::now();
            let wait = self.next_deadline(now).saturating_duration_since(now);
            match self.signals.events.recv_timeout(wait) {
                Ok(Event::Stop(signal)) => self.stop(signal),
                Ok(Event::ChildEnded) | Err(RecvTimeoutError::Timeout) => {}
                // The signal thread cannot end before the supervisor; were it to, the poll
                // still reaps, at its pace.
                Err(RecvTimeoutError::Disconnected) => std::thread::sleep(wait),
            }
            self.reap();
            self.on_time();
        }
        let outcome = self.outcome();
        let Supervisor {
            readers, reporter, ..
        } = self;
        readers.finish(READERS_BOUND);
        if let Some(reporter) = reporter {
            if reporter.dropped() > 0 {
                say(&format!(
                    "{} of {} reports to {} were dropped (no control server there, or a \
                     slow one)",
                    reporter.dropped(),
                    reporter.dropped() + reporter.sent(),
                    reporter.endpoint()
                ));
            }
            // Dropping it lets the last reports out, for at most its linger.
        }
        outcome
    }

    fn outcome(&self) -> Outcome {
        if self.stopping.is_some() {
            return Outcome::Stopped {
                killed: self.killed.clone(),
            };
        }
        let names = |pick: fn(&State) -> bool| {
            self.instances
                .iter()
                .filter(|i| pick(&i.state))
                .map(|i| i.program.name.clone())
                .collect()
        };
        Outcome::Finished {
            failed: names(|s| matches!(s, State::Ended { failed: true })),
            flapping: names(|s| matches!(s, State::Flapping)),
        }
    }

    /// The next moment something is due: a restart, a SIGKILL, or the safety poll.
    fn next_deadline(&self, now: Instant) -> Instant {
        let mut next = now + POLL;
        for instance in &self.instances {
            let due = match (&instance.state, self.stopping) {
                (State::Waiting(at), None) => *at,
                (State::Running(running), Some(since)) if !running.killed => {
                    since + instance.stop_grace
                }
                _ => continue,
            };
            next = next.min(due);
        }
        next
    }

    fn start(&mut self, index: usize) {
        let instance = &mut self.instances[index];
        match instance.program.spawn(&self.readers) {
            Ok(running) => {
                say(&format!(
                    "{} started (pid {})",
                    instance.program.name, running.pid
                ));
                if let Some(reporter) = &mut self.reporter {
                    reporter.started(&instance.program, running.pid);
                }
                instance.state = State::Running(running);
            }
            Err(e) => {
                say(&format!(
                    "{} cannot start {}: {e}",
                    instance.program.name,
                    instance.program.path.display()
                ));
                // As a process that failed at once: restarted (or given up on) the same way.
                let failed = Exit {
                    code: None,
                    signal: None,
                };
                self.after_exit(index, failed, Duration::ZERO, None);
            }
        }
    }

    /// Reaps every instance that has ended.
    fn reap(&mut self) {
        for index in 0..self.instances.len() {
            let State::Running(running) = &mut self.instances[index].state else {
                continue;
            };
            let (pid, ran) = (running.pid, running.ran());
            let exit = match running.try_wait() {
                Ok(Some(exit)) => exit,
                Ok(None) => continue,
                Err(e) => {
                    // Not expected (it is our child, not reaped yet); giving it up beats
                    // asking again forever.
                    say(&format!(
                        "{}: cannot read its exit: {e}",
                        self.instances[index].program.name
                    ));
                    Exit {
                        code: None,
                        signal: None,
                    }
                }
            };
            self.after_exit(index, exit, ran, Some(pid));
        }
    }

    /// Decides what follows an exit (or a failed start: no pid), says it, and reports it.
    fn after_exit(&mut self, index: usize, exit: Exit, ran: Duration, pid: Option<u32>) {
        let instance = &mut self.instances[index];
        let name = &instance.program.name;
        let how = match pid {
            Some(pid) => format!("{name} (pid {pid}) {}", exit.describe()),
            None => format!("{name} did not start"),
        };
        let (restarting, flapping) = if self.stopping.is_some() {
            say(&how);
            instance.state = State::Ended { failed: false };
            (false, false)
        } else {
            match instance.restarts.after_exit(exit, ran, Instant::now()) {
                Decision::Restart(delay) => {
                    say(&format!("{how}; restarting in {} ms", delay.as_millis()));
                    instance.state = State::Waiting(Instant::now() + delay);
                    (true, false)
                }
                Decision::Flapping => {
                    say(&format!(
                        "{how}; {name} is flapping (restarted {FLAP_RESTARTS} times within \
                         {} s): not restarting it",
                        FLAP_WINDOW.as_secs()
                    ));
                    instance.state = State::Flapping;
                    (false, true)
                }
                Decision::Done => {
                    say(&format!(
                        "{how}; not restarted (restart = \"{}\")",
                        instance.restarts.policy().name()
                    ));
                    instance.state = State::Ended {
                        failed: !exit.success(),
                    };
                    (false, false)
                }
            }
        };
        if let (Some(pid), Some(reporter)) = (pid, &mut self.reporter) {
            reporter.exited(&instance.program, pid, exit, restarting, flapping);
        }
    }

    /// Starts the instances whose backoff is over, and SIGKILLs those past their grace.
    fn on_time(&mut self) {
        let now = Instant::now();
        for index in 0..self.instances.len() {
            let instance = &mut self.instances[index];
            match (&mut instance.state, self.stopping) {
                (State::Waiting(at), None) if *at <= now => self.start(index),
                (State::Running(running), Some(since))
                    if !running.killed && now >= since + instance.stop_grace =>
                {
                    say(&format!(
                        "{} (pid {}) did not stop within {} ms: SIGKILL",
                        instance.program.name,
                        running.pid,
                        instance.stop_grace.as_millis()
                    ));
                    running.kill();
                    self.killed.push(instance.program.name.clone());
                }
                _ => {}
            }
        }
    }

    /// SIGTERM (or SIGINT) to the launcher: SIGTERM to every process, no more restarts; a
    /// second one: SIGKILL to every process still there.
    fn stop(&mut self, signal: i32) {
        let name = if signal == libc::SIGINT {
            "SIGINT"
        } else {
            "SIGTERM"
        };
        if self.stopping.is_some() {
            say(&format!("{name} again: SIGKILL to every process left"));
            for instance in &mut self.instances {
                if let State::Running(running) = &mut instance.state {
                    if !running.killed {
                        running.kill();
                        self.killed.push(instance.program.name.clone());
                    }
                }
            }
            return;
        }
        self.stopping = Some(Instant::now());
        let running = self
            .instances
            .iter()
            .filter(|i| matches!(i.state, State::Running(_)))
            .count();
        say(&format!(
            "{name}: stopping {} (SIGTERM, then SIGKILL after each node's stop grace)",
            logs::processes(running)
        ));
        for instance in &mut self.instances {
            match &instance.state {
                State::Running(running) => running.signal(libc::SIGTERM),
                State::Waiting(_) | State::New => instance.state = State::Ended { failed: false },
                State::Ended { .. } | State::Flapping => {}
            }
        }
    }
}
