//! The `DRIPDROP_CURVE_DIR` layout: one directory that gives every socket of an app its
//! keys, so that one environment variable secures the app with no change to its code.
//!
//! ```text
//! DIR/server.key_secret   the certificate of every binding socket of the app
//! DIR/server.key          its public key, which connecting sockets check the server by
//!                         (if absent: taken from server.key_secret)
//! DIR/client.key_secret   this process's certificate as a client (if absent: the
//!                         server's certificate is used)
//! DIR/allowed/            the client certificates binding sockets admit (with the app's
//!                         own server key always admitted); if absent, every client that
//!                         completes the handshake
//! ```
//!
//! A machine that only connects needs no server secret: `server.key` and its own
//! `client.key_secret` do.

use super::allowed::AllowedKeys;
use super::certificate::Certificate;
use super::curve::Side;
use crate::error::Error;
use crate::route::Mode;
use std::path::Path;

/// The environment variable naming the directory.
pub const CURVE_DIR_ENV: &str = "DRIPDROP_CURVE_DIR";
/// The binding sockets' certificate, in the directory.
pub const SERVER_SECRET: &str = "server.key_secret";
/// The server's public certificate, in the directory.
pub const SERVER_PUBLIC: &str = "server.key";
/// This process's client certificate, in the directory.
pub const CLIENT_SECRET: &str = "client.key_secret";
/// The directory of admitted client certificates, in the directory.
pub const ALLOWED: &str = "allowed";

/// The keys a socket of `mode` gets from `dir`; `source` (the variable or the option) is
/// named in errors.
pub(crate) fn side(dir: &Path, mode: Mode, source: &str) -> Result<Side, Error> {
    if !dir.is_dir() {
        return Err(Error::Certificate {
            path: dir.display().to_string(),
            why: format!("not a directory ({source} names it as the CURVE keys' directory)"),
        });
    }
    let missing = |name: &str, what: &str| Error::Certificate {
        path: dir.join(name).display().to_string(),
        why: format!("no such file: {what} ({source} names {})", dir.display()),
    };
    let server_secret = dir.join(SERVER_SECRET);
    match mode {
        Mode::Bind => {
            if !server_secret.exists() {
                return Err(missing(SERVER_SECRET, "a binding socket's certificate"));
            }
            let certificate = Certificate::load(&server_secret)?;
            let secret = *certificate.require_secret("a binding socket (a CURVE server)")?;
            let public = *certificate.public_key();
            let allowed = dir.join(ALLOWED);
            let allowed = match allowed.exists() {
                true => Some(AllowedKeys::open(&allowed, vec![public])?),
                false => None,
            };
            Ok(Side::Server {
                public,
                secret,
                allowed,
            })
        }
        Mode::Connect => {
            let client = dir.join(CLIENT_SECRET);
            let certificate = match (client.exists(), server_secret.exists()) {
                (true, _) => Certificate::load(&client)?,
                (false, true) => Certificate::load(&server_secret)?,
                (false, false) => {
                    return Err(missing(CLIENT_SECRET, "a connecting socket's certificate"))
                }
            };
            let secret = *certificate.require_secret("a connecting socket (a CURVE client)")?;
            let server_public = dir.join(SERVER_PUBLIC);
            let server_key = match (server_public.exists(), server_secret.exists()) {
                (true, _) => *Certificate::load(&server_public)?.public_key(),
                (false, true) => *Certificate::load(&server_secret)?.public_key(),
                (false, false) => {
                    return Err(missing(SERVER_PUBLIC, "the server's public key"));
                }
            };
            Ok(Side::Client {
                public: *certificate.public_key(),
                secret,
                server_key,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_side_finds_its_keys() {
        let dir = std::env::temp_dir().join(format!("dripdrop-curvedir-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let e = side(&dir, Mode::Bind, CURVE_DIR_ENV).unwrap_err();
        assert!(e.to_string().contains(SERVER_SECRET), "{e}");
        let e = side(&dir, Mode::Connect, CURVE_DIR_ENV).unwrap_err();
        assert!(e.to_string().contains(CLIENT_SECRET), "{e}");
        let server = Certificate::generate().unwrap();
        server.save(dir.join("server"), false).unwrap();
        let Side::Server {
            allowed, public, ..
        } = side(&dir, Mode::Bind, "x").unwrap()
        else {
            panic!("a server")
        };
        assert!(allowed.is_none());
        assert_eq!(&public, server.public_key());
        // No client certificate: the server's is used.
        let Side::Client {
            public, server_key, ..
        } = side(&dir, Mode::Connect, "x").unwrap()
        else {
            panic!("a client")
        };
        assert_eq!(
            (&public, &server_key),
            (server.public_key(), server.public_key())
        );
        let client = Certificate::generate().unwrap();
        client.save(dir.join("client"), false).unwrap();
        std::fs::create_dir(dir.join(ALLOWED)).unwrap();
        let Side::Client { public, .. } = side(&dir, Mode::Connect, "x").unwrap() else {
            panic!("a client")
        };
        assert_eq!(&public, client.public_key());
        let Side::Server { allowed, .. } = side(&dir, Mode::Bind, "x").unwrap() else {
            panic!("a server")
        };
        let mut allowed = allowed.expect("allowed/ read");
        let now = std::time::Instant::now();
        assert!(allowed.admits(server.public_key(), now));
        assert!(!allowed.admits(client.public_key(), now));
        // A machine that only connects has no server secret.
        std::fs::remove_file(dir.join(SERVER_SECRET)).unwrap();
        assert!(side(&dir, Mode::Connect, "x").is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
