//! What a socket is told about CURVE: keys given in code ([`Curve`]), a directory of the
//! `DRIPDROP_CURVE_DIR` layout, plain text, or whatever the environment says
//! ([`CurveOption`]); and that choice resolved for one socket's side ([`Side`]).
//!
//! The side comes from the socket's mode: a socket that binds is a CURVE server (its own
//! certificate's secret key; clients are checked by the authenticator), one that connects
//! is a client (its own key pair and the server's public key).

use super::allowed::AllowedKeys;
use super::certificate::{Certificate, KEY_BYTES};
use super::env;
use crate::error::Error;
use crate::route::Mode;
use std::path::PathBuf;

/// CURVE keys given in code.
///
/// ```
/// use dripdrop::{Certificate, Curve};
///
/// let server = Certificate::generate()?;
/// let client = Certificate::generate()?;
/// // The binding side: its certificate, and (optionally) the clients it admits.
/// let bind = Curve::server(server.clone()).with_allowed("keys/allowed");
/// // The connecting side: its own certificate and the server's public key.
/// let connect = Curve::client(client, *server.public_key());
/// # let _ = (bind, connect);
/// # Ok::<(), dripdrop::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Curve {
    /// This socket's own certificate, with its secret key.
    pub certificate: Certificate,
    /// For a connecting socket: the public key of the server it connects to.
    pub server_key: Option<[u8; KEY_BYTES]>,
    /// For a binding socket: a directory of the client certificates it admits (read again
    /// when it changes). `None` admits every client that completes the handshake: the
    /// traffic is encrypted, but anyone may connect.
    pub allowed: Option<PathBuf>,
}

impl Curve {
    /// The keys of a binding socket (a CURVE server) admitting every client.
    pub fn server(certificate: Certificate) -> Curve {
        Curve {
            certificate,
            server_key: None,
            allowed: None,
        }
    }

    /// The keys of a connecting socket (a CURVE client) of the server whose public key is
    /// `server_key`.
    pub fn client(certificate: Certificate, server_key: [u8; KEY_BYTES]) -> Curve {
        Curve {
            certificate,
            server_key: Some(server_key),
            allowed: None,
        }
    }

    /// Admits only the clients whose certificates are in `dir`.
    pub fn with_allowed(mut self, dir: impl Into<PathBuf>) -> Curve {
        self.allowed = Some(dir.into());
        self
    }
}

/// Whether a socket speaks CURVE, and with which keys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum CurveOption {
    /// The keys of the directory `DRIPDROP_CURVE_DIR` names, when the environment names one;
    /// plain text otherwise. The default: one variable secures a whole app.
    #[default]
    FromEnvironment,
    /// Plain text (ZeroMQ's NULL mechanism), whatever the environment says.
    Off,
    /// CURVE with these keys.
    On(Curve),
    /// CURVE with the keys of a directory of the `DRIPDROP_CURVE_DIR` layout
    /// (docs/security.md).
    Dir(PathBuf),
}

impl From<Curve> for CurveOption {
    fn from(curve: Curve) -> CurveOption {
        CurveOption::On(curve)
    }
}

impl CurveOption {
    /// Whether the code asked for CURVE itself (keys or a directory), rather than leaving it
    /// to the environment or turning it off.
    pub fn is_given(&self) -> bool {
        matches!(self, CurveOption::On(_) | CurveOption::Dir(_))
    }

    /// What a socket of this mode gets: `None` for plain text. `who` names the socket in
    /// errors (`route jobs`).
    pub(crate) fn resolve(&self, mode: Mode, who: &str) -> Result<Option<Side>, Error> {
        self.resolve_with(mode, who, |name| std::env::var_os(name))
    }

    /// As [`CurveOption::resolve`], with the environment given.
    pub(crate) fn resolve_with(
        &self,
        mode: Mode,
        who: &str,
        env: impl Fn(&str) -> Option<std::ffi::OsString>,
    ) -> Result<Option<Side>, Error> {
        match self {
            CurveOption::Off => Ok(None),
            CurveOption::On(curve) => side_of(curve, mode, who).map(Some),
            CurveOption::Dir(dir) => env::side(dir, mode, "the curve option").map(Some),
            CurveOption::FromEnvironment => match env(env::CURVE_DIR_ENV) {
                Some(dir) if !dir.is_empty() => {
                    env::side(&PathBuf::from(dir), mode, env::CURVE_DIR_ENV).map(Some)
                }
                _ => Ok(None),
            },
        }
    }
}

/// One socket's CURVE, resolved.
#[derive(Debug)]
pub(crate) enum Side {
    /// A binding socket: its key pair, and whom it admits (`None`: everyone).
    Server {
        public: [u8; KEY_BYTES],
        secret: [u8; KEY_BYTES],
        allowed: Option<AllowedKeys>,
    },
    /// A connecting socket: its key pair and the server's public key.
    Client {
        public: [u8; KEY_BYTES],
        secret: [u8; KEY_BYTES],
        server_key: [u8; KEY_BYTES],
    },
}

/// The side of keys given in code.
fn side_of(curve: &Curve, mode: Mode, who: &str) -> Result<Side, Error> {
    let role = match mode {
        Mode::Bind => format!("{who} binds, so it is a CURVE server: it"),
        Mode::Connect => format!("{who} connects, so it is a CURVE client: it"),
    };
    let secret = *curve.certificate.require_secret(&role)?;
    let public = *curve.certificate.public_key();
    match mode {
        Mode::Bind => Ok(Side::Server {
            public,
            secret,
            allowed: match &curve.allowed {
                Some(dir) => Some(AllowedKeys::open(dir, Vec::new())?),
                None => None,
            },
        }),
        Mode::Connect => {
            let server_key = curve.server_key.ok_or_else(|| Error::Certificate {
                path: curve.certificate.describe(),
                why: format!(
                    "{role} needs the server's public key (server_key), and none was given"
                ),
            })?;
            Ok(Side::Client {
                public,
                secret,
                server_key,
            })
        }
    }
}
