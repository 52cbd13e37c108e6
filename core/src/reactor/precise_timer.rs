//! Ends a wait at a deadline to the microsecond. zmq_poll's timeout is in whole milliseconds,
//! rounded up so no timer fires early, so on its own a timer due in 300 µs waited a whole
//! millisecond and a timer repeating every 0.5 ms fired ~860 times a second, not 2,000. On
//! Linux a timerfd in the poll set expires at the deadline itself; elsewhere the wait keeps
//! the millisecond rounding.

use std::os::fd::RawFd;
use std::time::Instant;

/// A timerfd the reactor polls beside its sources, armed for the wait's deadline.
pub(crate) struct PreciseTimer {
    #[cfg(target_os = "linux")]
    fd: Option<std::os::fd::OwnedFd>,
    /// The deadline it is armed for, so a wait for the same deadline makes no system call.
    #[cfg(target_os = "linux")]
    armed_for: Option<Instant>,
}

#[cfg(target_os = "linux")]
impl PreciseTimer {
    /// A disarmed timer. Without a timerfd (the process is out of descriptors) waits keep
    /// the millisecond rounding: a timer is late by under a millisecond, never early, so this
    /// loses precision, not correctness, and the sockets the process opens next report the
    /// shortage as errors.
    pub(crate) fn new() -> Self {
        use std::os::fd::FromRawFd;
        // SAFETY: plain system call; a descriptor it returns is ours alone.
        let fd = unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        };
        PreciseTimer {
            // SAFETY: a fresh descriptor, owned from here on.
            fd: (fd >= 0).then(|| unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) }),
            armed_for: None,
        }
    }

    /// What to poll for the expiry; -1 (skipped by poll) without a timerfd.
    pub(crate) fn fd(&self) -> RawFd {
        use std::os::fd::AsRawFd;
        self.fd.as_ref().map_or(-1, AsRawFd::as_raw_fd)
    }

    /// Arms the timer to expire at `at` (`now` is the caller's clock reading), unless it is
    /// armed for that already. One armed for a deadline that has since gone (its timer was
    /// cancelled) may still expire: a wait that ends with nothing ready, then [`clear`].
    ///
    /// [`clear`]: PreciseTimer::clear
    pub(crate) fn arm(&mut self, at: Instant, now: Instant) {
        use std::os::fd::AsRawFd;
        let Some(fd) = &self.fd else { return };
        if self.armed_for == Some(at) {
            return;
        }
        let wait = at.saturating_duration_since(now);
        if wait.is_zero() {
            // Due already: the wait does not block, and an all-zero value would disarm.
            return;
        }
        let spec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: libc::timespec {
                tv_sec: wait.as_secs().try_into().unwrap_or(libc::time_t::MAX),
                tv_nsec: wait.subsec_nanos().into(),
            },
        };
        // SAFETY: a timerfd of ours and a valid itimerspec; the old value is not asked for.
        let rc = unsafe { libc::timerfd_settime(fd.as_raw_fd(), 0, &spec, std::ptr::null_mut()) };
        // Should it fail, the poll's own (rounded-up) timeout still ends the wait.
        self.armed_for = (rc == 0).then_some(at);
    }

    /// Takes in an expiry the wait reported, so the next wait does not see it again.
    pub(crate) fn clear(&mut self) {
        use std::os::fd::AsRawFd;
        if let Some(fd) = &self.fd {
            let mut expirations = [0u8; 8];
            // SAFETY: reads at most 8 bytes into a buffer of 8. Non-blocking: EAGAIN when a
            // re-arm already reset the count is fine.
            unsafe { libc::read(fd.as_raw_fd(), expirations.as_mut_ptr().cast(), 8) };
        }
        self.armed_for = None;
    }
}

#[cfg(not(target_os = "linux"))]
impl PreciseTimer {
    pub(crate) fn new() -> Self {
        PreciseTimer {}
    }

    pub(crate) fn fd(&self) -> RawFd {
        -1
    }

    pub(crate) fn arm(&mut self, _at: Instant, _now: Instant) {}

    pub(crate) fn clear(&mut self) {}
}
