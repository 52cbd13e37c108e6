//! `DripDrop::Certificate`: a CURVE key pair (or a public key) and its files, core's
//! `Certificate` as is (lib/dripdrop/certificate.rb adds the Ruby spellings: paths as
//! Pathnames too, `save`'s `overwrite:` keyword, `inspect`). Sockets are given keys through
//! the `curve` option; this class makes and reads the files that option names.

use crate::convert::string;
use crate::errors::{rb_result, without_panic};
use dripdrop::Certificate;
use magnus::{function, method, prelude::*, Error, RModule, RString, Ruby};

#[magnus::wrap(class = "DripDrop::Certificate", free_immediately, size)]
pub struct RbCertificate {
    inner: Certificate,
}

impl RbCertificate {
    /// A new key pair.
    fn generate(ruby: &Ruby) -> Result<Self, Error> {
        without_panic(ruby, || {
            let inner = rb_result(ruby, Certificate::generate())?;
            Ok(RbCertificate { inner })
        })
    }

    /// Reads a certificate file: a public file gives the public key, a secret file both.
    fn load_file(ruby: &Ruby, path: String) -> Result<Self, Error> {
        without_panic(ruby, || {
            let inner = rb_result(ruby, Certificate::load(path))?;
            Ok(RbCertificate { inner })
        })
    }

    /// Writes `base.key` and, with the secret key, `base.key_secret`; the paths written.
    fn save_files(
        ruby: &Ruby,
        rb_self: &Self,
        base: String,
        overwrite: bool,
    ) -> Result<Vec<String>, Error> {
        without_panic(ruby, || {
            let written = rb_result(ruby, rb_self.inner.save(base, overwrite))?;
            Ok(written
                .iter()
                .map(|path| path.display().to_string())
                .collect())
        })
    }

    /// The public key: 32 bytes, a binary String.
    fn public_key(ruby: &Ruby, rb_self: &Self) -> RString {
        ruby.str_from_slice(rb_self.inner.public_key())
    }

    /// The public key as Z85 text (40 characters), as certificate files show it.
    fn public_z85(ruby: &Ruby, rb_self: &Self) -> RString {
        string(ruby, rb_self.inner.public_z85().as_bytes())
    }

    /// The secret key (32 bytes, a binary String), or nil for a public certificate.
    fn secret_key(ruby: &Ruby, rb_self: &Self) -> Option<RString> {
        rb_self
            .inner
            .secret_key()
            .map(|secret| ruby.str_from_slice(secret))
    }

    /// The file it was read from, or nil.
    fn path(&self) -> Option<String> {
        self.inner.path().map(|path| path.display().to_string())
    }
}

pub fn define(ruby: &Ruby, dripdrop: &RModule) -> Result<(), Error> {
    let class = dripdrop.define_class("Certificate", ruby.class_object())?;
    class.undef_default_alloc_func();
    class.define_singleton_method("generate", function!(RbCertificate::generate, 0))?;
    class.define_singleton_method("load_file", function!(RbCertificate::load_file, 1))?;
    class.define_method("save_files", method!(RbCertificate::save_files, 2))?;
    class.define_method("public_key", method!(RbCertificate::public_key, 0))?;
    class.define_method("public_z85", method!(RbCertificate::public_z85, 0))?;
    class.define_method("secret_key", method!(RbCertificate::secret_key, 0))?;
    class.define_method("path", method!(RbCertificate::path, 0))?;
    Ok(())
}
