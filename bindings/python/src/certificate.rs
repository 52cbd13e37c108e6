//! `dripdrop.Certificate`: a CURVE key pair (or a public key) and its files, core's
//! `Certificate` as is. Sockets are given keys through the `curve` option (paths or keys);
//! this class makes and reads the files those options name.

use crate::errors::{catching, py_result};
use dripdrop::Certificate;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::path::PathBuf;

/// A CURVE certificate: a public key and, when this side owns it, the secret key, kept in
/// the files czmq and pyzmq's ``zmq.auth`` read and write (``NAME.key``, the public key, and
/// ``NAME.key_secret``, both keys, mode 0600).
///
/// ``Certificate.generate()`` makes a new key pair; ``Certificate.load(path)`` reads either
/// file; ``save(base, overwrite=False)`` writes ``base.key`` and ``base.key_secret``.
/// ``public_key`` (32 bytes), ``public_z85`` (its 40 characters of Z85), ``secret_key``
/// (32 bytes, or None for a public certificate) and ``path`` (the file it was read from) say
/// what it holds. Its repr never shows the secret key.
#[pyclass(module = "dripdrop._native", name = "Certificate", frozen)]
pub struct PyCertificate {
    inner: Certificate,
}

#[pymethods]
impl PyCertificate {
    /// A new key pair.
    #[staticmethod]
    fn generate(py: Python<'_>) -> PyResult<Self> {
        catching(py, "Certificate.generate", || {
            let inner = py_result(py, Certificate::generate())?;
            Ok(PyCertificate { inner })
        })
    }

    /// Reads a certificate file (a str or a path): a public file gives the public key, a
    /// secret file both. A file that cannot be read or is not a certificate is
    /// `CertificateError` naming it.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        catching(py, "Certificate.load", || {
            let inner = py_result(py, Certificate::load(&path))?;
            Ok(PyCertificate { inner })
        })
    }

    /// Writes ``base.key`` and, with the secret key, ``base.key_secret`` (mode 0600); an
    /// existing file is kept and `CertificateError` raised unless ``overwrite``. Returns the
    /// paths written.
    #[pyo3(signature = (base, overwrite=false))]
    fn save(&self, py: Python<'_>, base: PathBuf, overwrite: bool) -> PyResult<Vec<String>> {
        catching(py, "Certificate.save", || {
            let written = py_result(py, self.inner.save(&base, overwrite))?;
            Ok(written
                .iter()
                .map(|path| path.display().to_string())
                .collect())
        })
    }

    /// The public key (32 bytes).
    #[getter]
    fn public_key<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.inner.public_key())
    }

    /// The public key as Z85 text (40 characters), as certificate files and pyzmq show it.
    #[getter]
    fn public_z85(&self) -> String {
        self.inner.public_z85()
    }

    /// The secret key (32 bytes), or None for a public certificate.
    #[getter]
    fn secret_key<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        self.inner
            .secret_key()
            .map(|secret| PyBytes::new(py, secret))
    }

    /// The file it was read from, or None.
    #[getter]
    fn path(&self) -> Option<String> {
        self.inner.path().map(|path| path.display().to_string())
    }

    fn __repr__(&self) -> String {
        let kind = match self.inner.secret_key() {
            Some(_) => "with its secret key",
            None => "public",
        };
        match self.inner.path() {
            Some(path) => format!(
                "<Certificate {} {kind} from {}>",
                self.inner.public_z85(),
                path.display()
            ),
            None => format!("<Certificate {} {kind}>", self.inner.public_z85()),
        }
    }
}
