//! CURVE from C: `dd_curve_options`, the `curve` option of routes, pools and workers (and a
//! node's `control_curve`) as a struct whose fields have the names the option's keys have in
//! every language, read into core's `CurveOption` by core's own reader; and
//! `dd_certificate_generate`, what `dripdrop keygen` does, for programs that make their keys.

use crate::bytes::{dd_bytes, put_bytes};
use crate::guard::{guard, invalid, text, Result};
use crate::status::dd_status;
use dripdrop::{Certificate, Curve, CurveOption, Value};
use std::ffi::{c_char, CStr};

/// CURVE (docs/security.md) for one socket: a route's (`dd_route_options.curve`, ZeroMQ
/// kinds only), a pool's, a worker's, or a node's backchannel to its control server
/// (`dd_node_options.control_curve`). The fields are the keys of the `curve` option in every
/// language. Left as the `dd_*_options_default` calls set it (`off` false, every path NULL),
/// it takes the environment: the keys of the directory `DRIPDROP_CURVE_DIR` names, else plain
/// text. Files are read when the options are (`dd_node_route`, `dd_node_worker_pool`,
/// `dd_worker_new`, `dd_node_new`): one that cannot be read or is not a certificate, or a
/// socket missing a key it needs, is `DD_ERR_CERTIFICATE` with a message naming the file.
#[repr(C)]
pub struct dd_curve_options {
    /// Plain text, whatever the environment says. Not with any field below
    /// (`DD_ERR_INVALID_ARGUMENT`).
    pub off: bool,
    /// A directory of the `DRIPDROP_CURVE_DIR` layout (`server.key_secret`, `server.key`,
    /// `client.key_secret`, `allowed/`), or NULL. Not with the keys below.
    pub dir: *const c_char,
    /// This socket's own certificate: the path of its `.key_secret` file; or NULL and
    /// `secret_key`.
    pub certificate: *const c_char,
    /// This socket's own secret key as Z85 text (40 characters), instead of `certificate`.
    pub secret_key: *const c_char,
    /// A connecting socket's server: the path of its certificate file (the public `.key`
    /// will do); or NULL and `server_key`.
    pub server_certificate: *const c_char,
    /// A connecting socket's server: its public key as Z85 text (40 characters), instead of
    /// `server_certificate`.
    pub server_key: *const c_char,
    /// A binding socket: a directory of the client certificates it admits (read again when
    /// it changes); NULL admits every client that completes the handshake.
    pub allowed: *const c_char,
}

impl dd_curve_options {
    /// Core's default (`CurveOption::FromEnvironment`): nothing set.
    pub(crate) fn unset() -> dd_curve_options {
        dd_curve_options {
            off: false,
            dir: std::ptr::null(),
            certificate: std::ptr::null(),
            secret_key: std::ptr::null(),
            server_certificate: std::ptr::null(),
            server_key: std::ptr::null(),
            allowed: std::ptr::null(),
        }
    }
}

/// Core's `CurveOption` from C's, `option` naming it in errors (`curve`, `control_curve`).
/// The keys go through core's `Curve::from_named`, the reader of the Ruby and Python
/// option's Hash and dict, so every language gets the same checks and the same errors.
pub(crate) fn curve_option(o: &dd_curve_options, option: &str) -> Result<CurveOption> {
    let field = |pointer: *const c_char, name: &str| -> Result<Option<String>> {
        if pointer.is_null() {
            return Ok(None);
        }
        // SAFETY: non-NULL, and the caller promises a NUL-terminated string.
        let bytes = unsafe { CStr::from_ptr(pointer) };
        bytes
            .to_str()
            .map(|text| Some(text.to_owned()))
            .map_err(|_| invalid(format!("{option}.{name} is not UTF-8")))
    };
    let dir = field(o.dir, "dir")?;
    let mut keys = Vec::new();
    for (name, pointer) in [
        ("certificate", o.certificate),
        ("secret_key", o.secret_key),
        ("server_certificate", o.server_certificate),
        ("server_key", o.server_key),
        ("allowed", o.allowed),
    ] {
        if let Some(text) = field(pointer, name)? {
            keys.push((format!("{option}.{name}"), Value::from(text.as_str())));
        }
    }
    match (o.off, dir, keys.is_empty()) {
        (false, None, true) => Ok(CurveOption::FromEnvironment),
        (true, None, true) => Ok(CurveOption::Off),
        (true, _, _) => Err(invalid(format!(
            "{option}.off is set, and so are keys or a directory: plain text or CURVE?"
        ))),
        (false, Some(_), false) => Err(invalid(format!(
            "{option}.dir is set, and so are keys: a directory of the DRIPDROP_CURVE_DIR \
             layout or keys, not both"
        ))),
        (false, Some(dir), true) => Ok(CurveOption::Dir(dir.into())),
        (false, None, false) => Ok(CurveOption::On(Curve::from_named(keys)?)),
    }
}

/// Writes a new CURVE key pair as the certificate files czmq, pyzmq's `zmq.auth` and
/// `dripdrop keygen` write: `base.key` (the public key, to hand to peers or put in a
/// server's allowed directory) and `base.key_secret` (both keys, mode 0600). An existing
/// file is kept and the call fails with `DD_ERR_CERTIFICATE` naming it, unless `overwrite`.
/// `public_key_out` (may be NULL) gets the public key as Z85 text (40 characters,
/// NUL-terminated; free it).
#[no_mangle]
pub extern "C" fn dd_certificate_generate(
    base: *const c_char,
    overwrite: bool,
    public_key_out: *mut *mut dd_bytes,
) -> dd_status {
    guard(|| {
        let base = text(base, "base")?;
        let certificate = Certificate::generate()?;
        certificate.save(base, overwrite)?;
        if !public_key_out.is_null() {
            put_bytes(public_key_out, certificate.public_z85().into_bytes())?;
        }
        Ok(())
    })
}
