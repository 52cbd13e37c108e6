//! What a node does for whoever started it as a service (docs/deploy.md, "What each process
//! is given" and "Engines"): it takes its run_list and heartbeat from the launch environment
//! (`DRIPDROP_RUN_LIST`, `DRIPDROP_HEARTBEAT_MS`), tells systemd it is ready and, from its
//! own loop, that it is alive (`sd_notify`: READY=1, WATCHDOG=1, STOPPING=1), touches a
//! health file from its loop for a Kubernetes probe (`DRIPDROP_HEALTH_FILE`), and, started
//! for a node of a manifest (`DRIPDROP_NODE`), stops cleanly on SIGTERM.
//!
//! Each part has its own file: [`environment`] (the variables), [`systemd`] (notify and the
//! watchdog), [`health`] (the file), [`sigterm`] (the signal). The beats are made by a timer
//! of the node's loop, so a loop stuck in a callback stops them and is restarted by systemd
//! or Kubernetes, as it is reported `stuck` to the control server.

mod environment;
mod health;
mod sigterm;
mod systemd;

pub(crate) use environment::apply_launch_environment;
pub(crate) use sigterm::Registration as SigtermRegistration;

/// While the registration is held, SIGTERM calls `stop` (when the process was launched for
/// a node); a worker serving a pool holds one while it runs.
pub(crate) fn stop_on_sigterm(
    stop: impl Fn() + Send + Sync + 'static,
) -> Option<SigtermRegistration> {
    sigterm::register_if_launched(Box::new(stop))
}

use std::path::PathBuf;
use std::time::Duration;

/// The node's service duties, read from the environment when the node is made.
pub(crate) struct Service {
    systemd: Option<systemd::Notifier>,
    health: Option<PathBuf>,
    /// Held for the node's life: while it is, SIGTERM stops the node.
    _sigterm: Option<SigtermRegistration>,
    /// How often the loop says it is alive.
    period: Duration,
}

impl Service {
    /// The duties the environment asks of a node with this heartbeat; `stop` stops the node
    /// (from the signal thread) when SIGTERM comes, if the process was launched for a node.
    pub(crate) fn from_environment(
        heartbeat: Duration,
        stop: impl Fn() + Send + Sync + 'static,
    ) -> Service {
        let systemd = systemd::Notifier::from_environment();
        // systemd wants a watchdog ping at least every WATCHDOG_USEC; twice as often leaves
        // room for a late turn of the loop.
        let period = systemd
            .as_ref()
            .and_then(systemd::Notifier::watchdog)
            .map_or(heartbeat, |limit| heartbeat.min(limit / 2));
        Service {
            systemd,
            health: health::file_from_environment(),
            _sigterm: stop_on_sigterm(stop),
            period,
        }
    }

    /// Whether the loop has anything to say periodically.
    pub(crate) fn beats(&self) -> Option<Duration> {
        let watchdog = self
            .systemd
            .as_ref()
            .is_some_and(|s| s.watchdog().is_some());
        (watchdog || self.health.is_some()).then_some(self.period)
    }

    /// The loop is about to run its first turn.
    pub(crate) fn ready(&mut self) {
        if let Some(systemd) = &mut self.systemd {
            systemd.ready();
        }
    }

    /// One beat of the loop: the watchdog is fed and the health file touched.
    pub(crate) fn beat(&mut self) {
        if let Some(systemd) = &mut self.systemd {
            systemd.watchdog_ping();
        }
        if let Some(path) = &self.health {
            health::touch(path);
        }
    }

    /// The loop stops.
    pub(crate) fn stopping(&mut self) {
        if let Some(systemd) = &mut self.systemd {
            systemd.stopping();
        }
    }
}
