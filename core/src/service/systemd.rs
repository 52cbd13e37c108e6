//! systemd's notify protocol (sd_notify(3)) through the `sd-notify` crate: READY=1 when the
//! loop starts, WATCHDOG=1 from the loop (a unit with `WatchdogSec=` restarts a process
//! whose loop stops turning), STOPPING=1 when it stops. Only under a unit that set
//! `NOTIFY_SOCKET`; a failed send is not the app's problem (systemd will say so itself).

use std::time::Duration;

pub(super) struct Notifier {
    /// The watchdog's limit, when the unit has one for this process.
    watchdog: Option<Duration>,
    ready_sent: bool,
}

impl Notifier {
    pub(super) fn from_environment() -> Option<Notifier> {
        std::env::var_os("NOTIFY_SOCKET")?;
        let mut usec = 0;
        // `false`: the variables stay for the process's other nodes (and its children
        // would get them anyway from the unit).
        let watchdog =
            sd_notify::watchdog_enabled(false, &mut usec).then(|| Duration::from_micros(usec));
        Some(Notifier {
            watchdog,
            ready_sent: false,
        })
    }

    pub(super) fn watchdog(&self) -> Option<Duration> {
        self.watchdog
    }

    pub(super) fn ready(&mut self) {
        if !std::mem::replace(&mut self.ready_sent, true) {
            let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]);
        }
    }

    pub(super) fn watchdog_ping(&mut self) {
        if self.watchdog.is_some() {
            let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Watchdog]);
        }
    }

    pub(super) fn stopping(&mut self) {
        let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Stopping]);
    }
}
