//! The one place core errors become Ruby exceptions. The classes live in Ruby
//! (lib/dripdrop/error.rb) and are looked up when an error happens: errors are rare, and the
//! lookup keeps the classes where Ruby users read them.

use magnus::{prelude::*, Error, ExceptionClass, RArray, RModule, Ruby};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// `DripDrop::<name>`, an exception class defined in lib/dripdrop/error.rb.
pub fn error_class(ruby: &Ruby, name: &str) -> Result<ExceptionClass, Error> {
    let module: RModule = ruby.class_object().const_get("DripDrop")?;
    module.const_get(name)
}

/// A `DripDrop::<class>` error with `message`.
pub fn error(ruby: &Ruby, class: &str, message: impl Into<String>) -> Error {
    match error_class(ruby, class) {
        Ok(class) => Error::new(class, message.into()),
        Err(e) => e,
    }
}

/// The Ruby exception for a core error; a remote failure keeps its class, message and
/// backtrace (`DripDrop::RemoteError#remote_class` and friends).
pub fn to_rb_error(ruby: &Ruby, e: dripdrop::Error) -> Error {
    let build = || -> Result<Error, Error> {
        let class = error_class(ruby, e.class_name())?;
        let exception = match &e {
            dripdrop::Error::Remote {
                class: remote_class,
                message,
                backtrace,
            } => class.new_instance((
                e.to_string(),
                remote_class.as_str(),
                message.as_str(),
                RArray::from_iter(backtrace.iter().map(String::as_str)),
            ))?,
            _ => class.new_instance((e.to_string(),))?,
        };
        Ok(Error::from(exception))
    };
    build().unwrap_or_else(|failure| failure)
}

/// Maps a core result's error.
pub fn rb_result<T>(ruby: &Ruby, r: Result<T, dripdrop::Error>) -> Result<T, Error> {
    r.map_err(|e| to_rb_error(ruby, e))
}

/// Runs `f`, a call into the engine from a Ruby method, turning a panic into a
/// `DripDrop::Error` here: left to magnus, it would become Ruby's `fatal` and end the process.
pub fn without_panic<T>(ruby: &Ruby, f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        Err(error(
            ruby,
            "Error",
            format!(
                "internal error: {}",
                dripdrop::panic_message(payload.as_ref())
            ),
        ))
    })
}
