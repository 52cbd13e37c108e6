//! CURVE on DripDrop's ZeroMQ sockets: certificates an operator manages as files, the keys
//! each socket is given, and the authenticator that decides which clients a server admits
//! (docs/security.md, "CURVE").
//!
//! - `zpl.rs`: the ZeroMQ Property Language certificate files are written in;
//! - [`Certificate`]: a key pair (or a public key) and its files;
//! - [`Curve`], [`CurveOption`]: what code tells a socket, resolved to a side by its mode;
//! - `env.rs`: the `DRIPDROP_CURVE_DIR` layout;
//! - `allowed.rs`: a directory of admitted client keys, read again when it changes;
//! - `zap.rs`: the process's ZAP handler, one domain per server socket;
//! - `handshake.rs`: a socket's refused and failed handshakes, counted and reported.

mod allowed;
mod certificate;
mod curve;
mod env;
mod handshake;
mod zap;
mod zpl;

pub(crate) use certificate::decode_key as decode_z85_key;
pub use certificate::{Certificate, KEY_BYTES, MAX_FILE_BYTES, PUBLIC_SUFFIX, SECRET_SUFFIX};
pub use curve::{Curve, CurveOption};
pub use env::{ALLOWED, CLIENT_SECRET, CURVE_DIR_ENV, SERVER_PUBLIC, SERVER_SECRET};
pub(crate) use handshake::{Secured, EVENTS};
pub(crate) use zap::Zap;

use crate::error::Error;
use crate::route::Mode;
use curve::Side;

/// Gives `socket` (not yet bound or connected) its CURVE keys as `option` says for a socket
/// of `mode`; `None` when it speaks plain text. A server's domain is registered with the
/// context's authenticator (started at the first one), and stays registered as long as the
/// returned [`Secured`] lives: keep it as long as the socket. `who` names the socket in
/// errors and reports (`route jobs`).
pub(crate) fn secure(
    socket: &zmq::Socket,
    context: &zmq::Context,
    option: &CurveOption,
    mode: Mode,
    who: &str,
) -> Result<Option<Secured>, Error> {
    let Some(side) = option.resolve(mode, who)? else {
        return Ok(None);
    };
    let fail = |e: zmq::Error| Error::zmq(format!("{who}: CURVE"), e);
    match side {
        Side::Server {
            public,
            secret,
            allowed,
        } => {
            let zap = crate::context::zap(context)?;
            let domain = zap.register(allowed);
            socket.set_curve_server(true).map_err(fail)?;
            socket.set_curve_publickey(&public).map_err(fail)?;
            socket.set_curve_secretkey(&secret).map_err(fail)?;
            // Every server asks the authenticator, whatever its domain says: the handler
            // refuses a domain it does not know, so a socket outliving its registration
            // admits nobody.
            socket.set_zap_domain(domain.name()).map_err(fail)?;
            Ok(Some(Secured::new(who, Some(domain))))
        }
        Side::Client {
            public,
            secret,
            server_key,
        } => {
            socket.set_curve_serverkey(&server_key).map_err(fail)?;
            socket.set_curve_publickey(&public).map_err(fail)?;
            socket.set_curve_secretkey(&secret).map_err(fail)?;
            Ok(Some(Secured::new(who, None)))
        }
    }
}
