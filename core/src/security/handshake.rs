//! A CURVE socket's account of its peers' handshakes: refusals and failures counted (the
//! `auth_refused` and `handshake_failed` counters), and told to the owner's error handler at
//! most once per [`REPORT_EVERY`], so a log says that plain-text or unknown peers are being
//! turned away without being flooded by them.

use super::zap::DomainGuard;
use crate::error::Error;
use crate::monitor::{
    MonitorEvent, HANDSHAKE_FAILED_AUTH, HANDSHAKE_FAILED_NO_DETAIL, HANDSHAKE_FAILED_PROTOCOL,
};
use std::time::{Duration, Instant};

/// The shortest time between two reports of one socket.
pub(crate) const REPORT_EVERY: Duration = Duration::from_secs(1);

/// The monitor events a CURVE socket asks for.
pub(crate) const EVENTS: u16 =
    HANDSHAKE_FAILED_NO_DETAIL | HANDSHAKE_FAILED_PROTOCOL | HANDSHAKE_FAILED_AUTH;

/// One CURVE socket's handshakes.
pub(crate) struct Secured {
    /// What the socket is, for reports (`route jobs`, `pool render`).
    who: String,
    /// A server's domain at the authenticator, registered while the socket lives; it
    /// counts the refusals. `None` on a client.
    domain: Option<DomainGuard>,
    /// Refusals a client was told of by its server.
    refused_here: u64,
    failed: u64,
    unreported_refused: u64,
    unreported_failed: u64,
    /// When the oldest unreported handshake was counted.
    unreported_since: Option<Instant>,
    last_report: Option<Instant>,
}

impl Secured {
    pub(crate) fn new(who: &str, domain: Option<DomainGuard>) -> Secured {
        Secured {
            who: who.to_owned(),
            domain,
            refused_here: 0,
            failed: 0,
            unreported_refused: 0,
            unreported_failed: 0,
            unreported_since: None,
            last_report: None,
        }
    }

    /// Whether this is the server side (it binds).
    pub(crate) fn is_server(&self) -> bool {
        self.domain.is_some()
    }

    /// Handshakes refused: by this server's authenticator (a client key not allowed), or,
    /// on a client, by the server.
    pub(crate) fn auth_refused(&self) -> u64 {
        self.refused_here + self.domain.as_ref().map_or(0, |d| d.domain().refused())
    }

    /// Handshakes that failed otherwise: a plain-text peer, a wrong server key, garbage.
    pub(crate) fn handshake_failed(&self) -> u64 {
        self.failed
    }

    /// Takes one monitor event; other events are not this type's business.
    pub(crate) fn on_event(&mut self, event: MonitorEvent) {
        if matches!(
            event.event,
            HANDSHAKE_FAILED_NO_DETAIL | HANDSHAKE_FAILED_PROTOCOL | HANDSHAKE_FAILED_AUTH
        ) {
            self.unreported_since.get_or_insert_with(Instant::now);
        }
        match event.event {
            HANDSHAKE_FAILED_NO_DETAIL | HANDSHAKE_FAILED_PROTOCOL => {
                self.failed += 1;
                self.unreported_failed += 1;
            }
            HANDSHAKE_FAILED_AUTH => {
                // A server's refusals are counted by its authenticator as it refuses.
                if !self.is_server() {
                    self.refused_here += 1;
                }
                self.unreported_refused += 1;
            }
            _ => {}
        }
    }

    /// When the next report is due, if there is anything to report: as soon as something
    /// happened, but not within [`REPORT_EVERY`] of the last report.
    pub(crate) fn due(&self) -> Option<Instant> {
        let since = self.unreported_since?;
        Some(match self.last_report {
            Some(last) => since.max(last + REPORT_EVERY),
            None => since,
        })
    }

    /// The report of what happened since the last one, if it is due.
    pub(crate) fn report(&mut self, now: Instant) -> Option<Error> {
        if self.due().is_none_or(|due| due > now) {
            return None;
        }
        let (refused, failed) = (self.unreported_refused, self.unreported_failed);
        self.unreported_refused = 0;
        self.unreported_failed = 0;
        self.unreported_since = None;
        self.last_report = Some(now);
        let mut parts = Vec::new();
        if refused > 0 {
            parts.push(match self.is_server() {
                true => {
                    format!("{refused} refused by the authenticator (a client key not allowed)")
                }
                false => format!(
                    "{refused} refused by the server (this client's key is not allowed there)"
                ),
            });
        }
        if failed > 0 {
            parts.push(format!(
                "{failed} failed (a peer speaking plain text, or with the wrong keys)"
            ));
        }
        // `who` says "route NAME" for a route; the error's text says "route" itself.
        let route = self.who.strip_prefix("route ").unwrap_or(&self.who);
        Some(Error::Connection {
            route: route.to_owned(),
            message: format!(
                "CURVE handshakes: {} (counted in auth_refused and handshake_failed)",
                parts.join(", ")
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(event: u16) -> MonitorEvent {
        MonitorEvent { event, value: 0 }
    }

    #[test]
    fn reports_at_most_once_a_second() {
        let mut secured = Secured::new("route in", None);
        assert_eq!(secured.due(), None);
        secured.on_event(event(HANDSHAKE_FAILED_PROTOCOL));
        secured.on_event(event(HANDSHAKE_FAILED_AUTH));
        let now = secured.due().expect("something to report");
        let first = secured.report(now).expect("a report");
        assert_eq!(first.class_name(), "ConnectionError");
        assert!(first.to_string().contains("1 refused"), "{first}");
        assert_eq!((secured.auth_refused(), secured.handshake_failed()), (1, 1));
        secured.on_event(event(HANDSHAKE_FAILED_NO_DETAIL));
        assert!(secured.report(now + REPORT_EVERY / 2).is_none());
        assert_eq!(secured.due(), Some(now + REPORT_EVERY));
        let second = secured.report(now + REPORT_EVERY).expect("due");
        assert!(second.to_string().contains("1 failed"), "{second}");
        assert_eq!(secured.due(), None);
        assert_eq!(secured.handshake_failed(), 2);
    }
}
