//! Who a reporting process is: `host:pid:nonce`, the DEALER's identity and the `id` of every
//! report. The nonce is new at every node start, so a restarted process is a new
//! incarnation to the server, even with a pid the system reused.

use crate::bert::{Time, Value};
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{SystemTime, UNIX_EPOCH};

/// ZeroMQ refuses identities longer than 255 bytes; a host name is cut to this, leaving room
/// for the pid and the nonce.
const MAX_HOST: usize = 200;

/// The process as it introduces itself.
#[derive(Clone, Debug)]
pub(crate) struct Identity {
    /// `host:pid:nonce`.
    pub(crate) id: String,
    pub(crate) host: String,
    pub(crate) pid: u32,
    pub(crate) started_at: Value,
}

impl Identity {
    /// A fresh identity for a node starting now.
    pub(crate) fn new() -> Identity {
        let host = host_name();
        let pid = std::process::id();
        let id = format!("{host}:{pid}:{:016x}", nonce());
        Identity {
            id,
            host,
            pid,
            started_at: now(),
        }
    }
}

/// The host name a process reports (the `host` of its hello and of its id): the kernel's
/// host name, else `$HOSTNAME`, else `localhost`; a `:` (which would make the id ambiguous)
/// becomes `_`, and a name too long for an identity is cut. A launcher reporting its
/// children's exits names their host the same way.
pub fn host_name() -> String {
    let mut host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().replace(':', "_"))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned());
    if host.len() > MAX_HOST {
        let cut = (0..=MAX_HOST).rev().find(|&i| host.is_char_boundary(i));
        host.truncate(cut.unwrap_or(0));
    }
    host
}

/// 64 random bits: SipHash under a key std draws from the OS, over the time and the pid
/// (no random-number crate needed for an id that only has to differ between starts).
fn nonce() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    hasher.write_u128(since.as_nanos());
    hasher.write_u32(std::process::id());
    hasher.finish()
}

/// Now, as a BERT time (the epoch if the clock is before it).
fn now() -> Value {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let seconds = i64::try_from(since.as_secs()).unwrap_or(i64::MAX);
    Time::new(seconds, i64::from(since.subsec_micros())).map_or(Value::Nil, Value::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_host_pid_nonce_and_new_at_each_start() {
        let a = Identity::new();
        let b = Identity::new();
        let parts: Vec<&str> = a.id.rsplitn(3, ':').collect();
        assert_eq!(parts.len(), 3, "{}", a.id);
        assert_eq!(
            (parts[2], parts[1]),
            (a.host.as_str(), a.pid.to_string().as_str())
        );
        assert_eq!(parts[0].len(), 16);
        assert_ne!(a.id, b.id);
        assert!(a.id.len() <= 255);
        assert!(matches!(a.started_at, Value::Time(_)));
    }
}
