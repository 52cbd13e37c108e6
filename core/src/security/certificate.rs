//! A CURVE certificate: a public key and, when this side owns it, the secret key, kept in
//! the ZeroMQ certificate files czmq's `zcert` and pyzmq's `zmq.auth` read and write:
//! `NAME.key` (the public key, to hand out) and `NAME.key_secret` (both keys, mode 0600).

use super::zpl;
use crate::error::Error;
use std::path::{Path, PathBuf};

/// The length of a CURVE key, in bytes (Z85 text: 40 characters).
pub const KEY_BYTES: usize = 32;
/// The largest certificate file read: a certificate is a few hundred bytes, and this bound
/// keeps a stray large file (or a hostile one in a directory of allowed keys) from being
/// read whole.
pub const MAX_FILE_BYTES: u64 = 16 * 1024;
/// The suffix of a certificate's public file, as pyzmq names it.
pub const PUBLIC_SUFFIX: &str = ".key";
/// The suffix of its secret file (czmq appends `_secret` to the public file's name).
pub const SECRET_SUFFIX: &str = ".key_secret";

/// A CURVE key pair, or only its public half. Loaded from a certificate file, it remembers
/// the file, so that errors about it name the file.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate {
    public: [u8; KEY_BYTES],
    secret: Option<[u8; KEY_BYTES]>,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for Certificate {
    /// Shows the public key and where the certificate came from, never the secret key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("public", &self.public_z85())
            .field("secret", &self.secret.map(|_| "<secret>"))
            .field("path", &self.path)
            .finish()
    }
}

impl Certificate {
    /// A new key pair (libzmq's `zmq_curve_keypair`, from libsodium's random source).
    pub fn generate() -> Result<Certificate, Error> {
        let pair = zmq::CurveKeyPair::new().map_err(|e| Error::zmq("curve keypair", e))?;
        Ok(Certificate {
            public: pair.public_key,
            secret: Some(pair.secret_key),
            path: None,
        })
    }

    /// The certificate of a secret key, its public key derived from it.
    pub fn from_secret(secret: [u8; KEY_BYTES]) -> Result<Certificate, Error> {
        Ok(Certificate {
            public: public_of(&secret)?,
            secret: Some(secret),
            path: None,
        })
    }

    /// A public key alone (a peer's certificate).
    pub fn from_public(public: [u8; KEY_BYTES]) -> Certificate {
        Certificate {
            public,
            secret: None,
            path: None,
        }
    }

    /// Reads a certificate file: a public file gives the public key, a secret file both. The
    /// file is read within [`MAX_FILE_BYTES`]; a key that is not 40 characters of Z85, or a
    /// secret key whose public key is not the one in the file, is `Error::Certificate`
    /// naming the file.
    pub fn load(path: impl AsRef<Path>) -> Result<Certificate, Error> {
        let path = path.as_ref();
        let text = read_bounded(path)?;
        let properties = zpl::parse(&text);
        let bad = |why: String| Error::Certificate {
            path: path.display().to_string(),
            why,
        };
        let key = |name: &str| -> Result<Option<[u8; KEY_BYTES]>, Error> {
            match zpl::get(&properties, &format!("curve/{name}")) {
                None => Ok(None),
                Some(text) => decode_key(text)
                    .map(Some)
                    .map_err(|why| bad(format!("{name}: {why}"))),
            }
        };
        let public = key("public-key")?;
        let secret = key("secret-key")?;
        let public = match (public, secret) {
            (Some(public), Some(secret)) => {
                if public_of(&secret)? != public {
                    return Err(bad(
                        "its public-key is not the public key of its secret-key".into(),
                    ));
                }
                public
            }
            (Some(public), None) => public,
            (None, Some(secret)) => public_of(&secret)?,
            (None, None) => {
                return Err(bad(
                    "no curve public-key in it (not a ZeroMQ certificate file)".into(),
                ))
            }
        };
        Ok(Certificate {
            public,
            secret,
            path: Some(path.to_owned()),
        })
    }

    /// Writes `BASE.key` (the public key) and, if this certificate has its secret,
    /// `BASE.key_secret` (both keys, readable by its owner alone: mode 0600), in the format
    /// czmq and pyzmq write. An existing file is kept and the call fails, unless `overwrite`.
    /// Returns the paths written.
    pub fn save(&self, base: impl AsRef<Path>, overwrite: bool) -> Result<Vec<PathBuf>, Error> {
        let base = base.as_ref();
        let public_path = with_suffix(base, PUBLIC_SUFFIX);
        let secret_path = with_suffix(base, SECRET_SUFFIX);
        let mut files = vec![(public_path, self.text(false), 0o644)];
        if self.secret.is_some() {
            files.push((secret_path, self.text(true), 0o600));
        }
        if !overwrite {
            if let Some((path, _, _)) = files.iter().find(|(path, _, _)| path.exists()) {
                return Err(Error::Certificate {
                    path: path.display().to_string(),
                    why: "it exists already, and is kept".into(),
                });
            }
        }
        for (path, text, mode) in &files {
            write_file(path, text, *mode)?;
        }
        Ok(files.into_iter().map(|(path, _, _)| path).collect())
    }

    /// The certificate file's text: czmq's comments and sections, `secret-key` only in the
    /// secret file.
    fn text(&self, secret: bool) -> String {
        let when = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let header = format!("   ****  Generated on {when} by DripDrop  ****");
        let comments: Vec<&str> = match secret {
            true => vec![
                &header,
                "   ZeroMQ CURVE **Secret** Certificate",
                "   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.",
            ],
            false => vec![
                &header,
                "   ZeroMQ CURVE Public Certificate",
                "   Exchange securely, or use a secure mechanism to verify the contents",
                "   of this file after exchange. Store public certificates in your home",
                "   directory, in the .curve subdirectory.",
            ],
        };
        let mut keys = vec![("public-key".to_owned(), self.public_z85())];
        if let (true, Some(secret)) = (secret, &self.secret) {
            keys.push(("secret-key".to_owned(), z85(secret)));
        }
        zpl::write(&comments, &[("metadata", Vec::new()), ("curve", keys)])
    }

    /// The public key.
    pub fn public_key(&self) -> &[u8; KEY_BYTES] {
        &self.public
    }

    /// The public key as Z85 text (40 characters), as certificate files and pyzmq show it.
    pub fn public_z85(&self) -> String {
        z85(&self.public)
    }

    /// The secret key, if this certificate has it.
    pub fn secret_key(&self) -> Option<&[u8; KEY_BYTES]> {
        self.secret.as_ref()
    }

    /// The file it was read from, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The secret key, or `Error::Certificate` naming the file that lacked it: a socket
    /// needs its own secret key to speak CURVE.
    pub(crate) fn require_secret(&self, role: &str) -> Result<&[u8; KEY_BYTES], Error> {
        self.secret.as_ref().ok_or_else(|| Error::Certificate {
            path: self.describe(),
            why: format!(
                "{role} needs a secret key, and this certificate has only its public key \
                 (give the {SECRET_SUFFIX} file)"
            ),
        })
    }

    /// The file, or what the certificate is when it came from no file, for errors.
    pub(crate) fn describe(&self) -> String {
        match &self.path {
            Some(path) => path.display().to_string(),
            None => format!("(the certificate of public key {})", self.public_z85()),
        }
    }
}

/// `base` with `suffix` appended to its file name (`keys/server` + `.key`).
fn with_suffix(base: &Path, suffix: &str) -> PathBuf {
    let mut name = base.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Reads a text file within [`MAX_FILE_BYTES`].
pub(crate) fn read_bounded(path: &Path) -> Result<String, Error> {
    use std::io::Read;
    let bad = |why: String| Error::Certificate {
        path: path.display().to_string(),
        why,
    };
    let file = std::fs::File::open(path).map_err(|e| bad(format!("cannot read it: {e}")))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| bad(format!("cannot read it: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(bad(format!(
            "larger than {MAX_FILE_BYTES} bytes: not a certificate"
        )));
    }
    String::from_utf8(bytes).map_err(|_| bad("not text".into()))
}

/// Writes `text` to a new file of this mode (the mode is set as it is made, so a secret key
/// is never readable by others, even for a moment).
fn write_file(path: &Path, text: &str, mode: u32) -> Result<(), Error> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let bad = |e: std::io::Error| Error::Certificate {
        path: path.display().to_string(),
        why: format!("cannot write it: {e}"),
    };
    // An existing file keeps its old mode through O_TRUNC: removed first, so the new one
    // gets this mode.
    if path.exists() {
        std::fs::remove_file(path).map_err(bad)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(bad)?;
    file.write_all(text.as_bytes()).map_err(bad)?;
    file.sync_all().map_err(bad)
}

/// A key as Z85 text.
pub(crate) fn z85(key: &[u8; KEY_BYTES]) -> String {
    // 32 bytes is a multiple of 4, the one thing Z85 encoding requires.
    zmq::z85_encode(key).unwrap_or_default()
}

/// A key from Z85 text: 40 characters of the Z85 alphabet.
pub(crate) fn decode_key(text: &str) -> Result<[u8; KEY_BYTES], String> {
    const ALPHABET: &str =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
    if text.len() != 40 || !text.chars().all(|c| ALPHABET.contains(c)) {
        return Err(format!(
            "{:?} is not a key (40 characters of Z85)",
            text.chars().take(48).collect::<String>()
        ));
    }
    // Not `zmq::z85_decode`: zmq 0.10 hands libzmq the text with `CString::into_raw` and
    // never takes it back, leaking 41 bytes a key (every certificate loaded, every file of
    // an allowed directory at each reading).
    let text = std::ffi::CString::new(text).map_err(|_| "not Z85: a NUL byte".to_owned())?;
    let mut key = [0u8; KEY_BYTES];
    // SAFETY: the text is 40 characters (checked above) and NUL-terminated, so libzmq reads
    // it and writes 32 bytes, the size of `key`.
    let decoded = unsafe { zmq_sys::zmq_z85_decode(key.as_mut_ptr(), text.as_ptr()) };
    if decoded.is_null() {
        return Err("not Z85".to_owned());
    }
    Ok(key)
}

// libzmq has it since 4.2; zmq-sys declares it but does not export it.
extern "C" {
    fn zmq_curve_public(
        z85_public_key: *mut std::ffi::c_char,
        z85_secret_key: *const std::ffi::c_char,
    ) -> std::ffi::c_int;
}

/// The public key of a secret key (libzmq's `zmq_curve_public`).
fn public_of(secret: &[u8; KEY_BYTES]) -> Result<[u8; KEY_BYTES], Error> {
    let secret_text = std::ffi::CString::new(z85(secret)).unwrap_or_default();
    let mut public_text = [0 as std::ffi::c_char; 41];
    // SAFETY: libzmq writes 40 characters and a NUL into the 41-byte buffer, reading the
    // 40-character, NUL-terminated secret key.
    let rc = unsafe { zmq_curve_public(public_text.as_mut_ptr(), secret_text.as_ptr()) };
    if rc != 0 {
        return Err(Error::zmq_errno(
            "curve public key (is libzmq built with CURVE?)",
            // SAFETY: reads the calling thread's libzmq error number.
            unsafe { zmq_sys::zmq_errno() },
        ));
    }
    // SAFETY: libzmq NUL-terminated the buffer on success.
    let text = unsafe { std::ffi::CStr::from_ptr(public_text.as_ptr()) };
    decode_key(&text.to_string_lossy()).map_err(|why| Error::zmq_errno(why, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "dripdrop-cert-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn saved_certificates_load_back() {
        let dir = scratch("roundtrip");
        let cert = Certificate::generate().unwrap();
        let written = cert.save(dir.join("alice"), false).unwrap();
        assert_eq!(
            written,
            [dir.join("alice.key"), dir.join("alice.key_secret")]
        );
        let secret = Certificate::load(dir.join("alice.key_secret")).unwrap();
        assert_eq!(secret.public_key(), cert.public_key());
        assert_eq!(secret.secret_key(), cert.secret_key());
        let public = Certificate::load(dir.join("alice.key")).unwrap();
        assert_eq!(public.public_key(), cert.public_key());
        assert_eq!(public.secret_key(), None);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("alice.key_secret"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let again = cert.save(dir.join("alice"), false).unwrap_err();
        assert_eq!(again.class_name(), "CertificateError");
        assert!(again.to_string().contains("alice.key"), "{again}");
        cert.save(dir.join("alice"), true).unwrap();
        let error = public.require_secret("a binding socket").unwrap_err();
        assert!(error.to_string().contains("alice.key"), "{error}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn bad_files_are_named() {
        let dir = scratch("bad");
        let path = dir.join("x.key");
        std::fs::write(&path, "curve\n    public-key = \"short\"\n").unwrap();
        let e = Certificate::load(&path).unwrap_err();
        assert!(
            e.to_string().contains("x.key") && e.to_string().contains("Z85"),
            "{e}"
        );
        std::fs::write(&path, "metadata\n").unwrap();
        assert!(Certificate::load(&path).is_err());
        std::fs::write(&path, vec![b'#'; MAX_FILE_BYTES as usize + 1]).unwrap();
        assert!(Certificate::load(&path)
            .unwrap_err()
            .to_string()
            .contains("larger"));
        let missing = Certificate::load(dir.join("nope.key")).unwrap_err();
        assert!(missing.to_string().contains("nope.key"), "{missing}");
        let a = Certificate::generate().unwrap();
        let b = Certificate::generate().unwrap();
        let mixed = format!(
            "curve\n    public-key = \"{}\"\n    secret-key = \"{}\"\n",
            a.public_z85(),
            z85(b.secret_key().unwrap())
        );
        std::fs::write(&path, mixed).unwrap();
        assert!(Certificate::load(&path).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_secret_key_gives_its_public_key() {
        let cert = Certificate::generate().unwrap();
        let again = Certificate::from_secret(*cert.secret_key().unwrap()).unwrap();
        assert_eq!(again.public_key(), cert.public_key());
        assert!(!format!("{cert:?}").contains(&z85(cert.secret_key().unwrap())));
    }
}
