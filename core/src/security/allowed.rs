//! The client keys a CURVE server admits: the public keys of the certificates in a
//! directory (czmq's zauth `CURVE_ALLOW` with a location is the model), read again when the
//! directory changes, so keys are added and removed without a restart.
//!
//! Each handshake costs one `stat` of the directory. The directory is read again (at most
//! [`MAX_CERTIFICATES`] files, each at most `MAX_FILE_BYTES`) when its modification time
//! changed since it was last read (adding, removing or renaming a file changes it: an
//! operator's doing, which no client can cause), and, at most every [`LOOK_EVERY`], while
//! the last reading was too close to a change to be trusted (a file still being written as
//! it was read: its later writes do not change the directory's time). So a flood of
//! handshakes costs a `stat` each, and at most one reading per interval.

use super::certificate::{Certificate, KEY_BYTES, MAX_FILE_BYTES};
use crate::error::Error;
use rustc_hash::FxHashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// Most files of the directory looked at in one reading; the rest are ignored.
pub(crate) const MAX_CERTIFICATES: usize = 10_000;
/// How often an unsettled directory is read again, at most.
pub(crate) const LOOK_EVERY: Duration = Duration::from_millis(500);
/// A reading within this long of a change to the directory or one of its files is read
/// again at the next look: the file may still have been being written.
const SETTLE: Duration = Duration::from_secs(2);

/// The keys of one directory of certificates.
#[derive(Debug)]
pub(crate) struct AllowedKeys {
    dir: PathBuf,
    /// Keys admitted whatever the directory holds (a `DRIPDROP_CURVE_DIR` app's own server
    /// key: whoever holds the app's secret is the app).
    always: Vec<[u8; KEY_BYTES]>,
    keys: FxHashSet<[u8; KEY_BYTES]>,
    /// The directory's modification time when it was last read.
    read_at_mtime: Option<SystemTime>,
    /// The last reading may have missed a file still being written.
    unsettled: bool,
    last_read: Instant,
}

impl AllowedKeys {
    /// The keys of `dir`, read now; a directory that cannot be read is an error naming it.
    pub(crate) fn open(dir: &Path, always: Vec<[u8; KEY_BYTES]>) -> Result<AllowedKeys, Error> {
        if !dir.is_dir() {
            return Err(Error::Certificate {
                path: dir.display().to_string(),
                why: "not a directory (the allowed clients' certificates)".into(),
            });
        }
        let mut keys = AllowedKeys {
            dir: dir.to_owned(),
            always,
            keys: FxHashSet::default(),
            read_at_mtime: None,
            unsettled: true,
            last_read: Instant::now(),
        };
        keys.read(Instant::now());
        Ok(keys)
    }

    /// Whether `key` is admitted, the directory looked at again first if it is time.
    pub(crate) fn admits(&mut self, key: &[u8; KEY_BYTES], now: Instant) -> bool {
        self.look(now);
        self.always.contains(key) || self.keys.contains(key)
    }

    /// How many keys the directory gave at its last reading.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    fn look(&mut self, now: Instant) {
        let changed = modified(&self.dir) != self.read_at_mtime;
        let recheck = self.unsettled && now.saturating_duration_since(self.last_read) >= LOOK_EVERY;
        if changed || recheck {
            self.read(now);
        }
    }

    /// Reads every certificate of the directory (a file that is not one is skipped; a
    /// directory that cannot be read admits nobody until it can).
    fn read(&mut self, now: Instant) {
        self.last_read = now;
        let started = SystemTime::now();
        let recent = |time: Option<SystemTime>| {
            time.is_none_or(|t| started.duration_since(t).map_or(true, |age| age < SETTLE))
        };
        let mtime = modified(&self.dir);
        let mut unsettled = recent(mtime);
        let mut keys = FxHashSet::default();
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for entry in entries.flatten().take(MAX_CERTIFICATES) {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                // Hidden files (an editor's) and secret files (which do not belong here:
                // pyzmq reads only `*.key`, czmq every file) are skipped.
                if name.starts_with('.') || name.ends_with("_secret") {
                    continue;
                }
                let Ok(meta) = entry.metadata() else { continue };
                if !meta.is_file() || meta.len() > MAX_FILE_BYTES {
                    continue;
                }
                match Certificate::load(entry.path()) {
                    Ok(certificate) => {
                        keys.insert(*certificate.public_key());
                    }
                    Err(_) => unsettled |= recent(meta.modified().ok()),
                }
            }
        }
        self.keys = keys;
        self.read_at_mtime = mtime;
        self.unsettled = unsettled;
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_and_go_with_their_files() {
        let dir = std::env::temp_dir().join(format!("dripdrop-allowed-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let alice = Certificate::generate().unwrap();
        let bob = Certificate::generate().unwrap();
        alice.save(dir.join("alice"), false).unwrap();
        std::fs::write(dir.join("README"), "not a certificate").unwrap();
        let mut allowed = AllowedKeys::open(&dir, Vec::new()).unwrap();
        let t0 = Instant::now();
        assert!(allowed.admits(alice.public_key(), t0));
        assert!(!allowed.admits(bob.public_key(), t0));
        // The secret file is skipped, the public one read.
        assert_eq!(allowed.len(), 1);
        bob.save(dir.join("bob"), false).unwrap();
        std::fs::remove_file(dir.join("alice.key")).unwrap();
        // A change is seen at the next handshake.
        assert!(allowed.admits(bob.public_key(), t0));
        assert!(!allowed.admits(alice.public_key(), t0));
        let missing = AllowedKeys::open(&dir.join("none"), Vec::new()).unwrap_err();
        assert_eq!(missing.class_name(), "CertificateError");
        let always = AllowedKeys::open(&dir, vec![*alice.public_key()]).unwrap();
        assert!(always.always.contains(alice.public_key()));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
