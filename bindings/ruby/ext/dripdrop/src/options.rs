//! Options given by name: a Ruby Hash (symbol or string keys) becomes the `(name, value)` pairs
//! core reads (`RouteOptions::from_named` and kin), so names, units, defaults and errors are
//! core's, the same as in every other language.

use crate::convert::from_ruby;
use crate::errors::error;
use dripdrop::bert::{Atom, Value as Bert, HARD_MAX_DEPTH};
use magnus::{prelude::*, Error, RHash, RRegexp, RString, Ruby, Symbol, Value};
use std::time::Duration;

/// Seconds as a Duration; negative or not finite is an error.
pub fn seconds(ruby: &Ruby, s: f64) -> Result<Duration, Error> {
    Duration::try_from_secs_f64(s)
        .map_err(|_| error(ruby, "InvalidArgument", format!("bad duration {s}")))
}

/// The hash's entries as named values, for core to read.
pub fn named(ruby: &Ruby, options: Option<RHash>) -> Result<Vec<(String, Bert)>, Error> {
    let mut out = Vec::new();
    let Some(options) = options else {
        return Ok(out);
    };
    options.foreach(|key: Value, value: Value| {
        out.push((key_name(ruby, key)?, option_value(ruby, value, 0)?));
        Ok(magnus::r_hash::ForEach::Continue)
    })?;
    Ok(out)
}

fn key_name(ruby: &Ruby, key: Value) -> Result<String, Error> {
    if let Some(symbol) = Symbol::from_value(key) {
        return Ok(symbol.name()?.into_owned());
    }
    match RString::from_value(key) {
        Some(text) => Ok(text.to_string()?),
        None => Err(error(
            ruby,
            "InvalidArgument",
            format!(
                "an option's name must be a Symbol or a String, not {}",
                unsafe { key.classname() }
            ),
        )),
    }
}

/// An option's value. A Regexp (a topic filter) keeps Ruby's meaning: its `^` and `$` always
/// match at line breaks (Erlang's `multiline`) and its `m` flag lets `.` match one (Erlang's
/// `dotall`). The wire's mapping of Regexp options (what the bert gem writes, in `convert`)
/// says `multiline` for Ruby's `m`, which a filter would read as something else. Files and
/// directories (`static_dir`, the `curve` option's certificates) are often Pathnames, which
/// are no BERT value: anything with `to_path`, here or in a Hash of options, is its path.
fn option_value(ruby: &Ruby, value: Value, depth: usize) -> Result<Bert, Error> {
    if let Some(hash) = RHash::from_value(value) {
        if depth > HARD_MAX_DEPTH {
            return Err(error(
                ruby,
                "EncodeError",
                format!("an option nested deeper than {HARD_MAX_DEPTH} levels"),
            ));
        }
        let mut pairs = Vec::with_capacity(hash.len());
        hash.foreach(|key: Value, value: Value| {
            pairs.push((from_ruby(ruby, key)?, option_value(ruby, value, depth + 1)?));
            Ok(magnus::r_hash::ForEach::Continue)
        })?;
        return Ok(Bert::Dict(pairs));
    }
    if RString::from_value(value).is_none() && value.respond_to("to_path", false)? {
        let path: RString = value.funcall("to_path", ())?;
        return from_ruby(ruby, path.as_value());
    }
    let Some(regexp) = RRegexp::from_value(value) else {
        return from_ruby(ruby, value);
    };
    let source: String = regexp.funcall("source", ())?;
    let flags: i64 = regexp.funcall("options", ())?;
    let mut options = vec![Atom::new("multiline")];
    for (bit, option) in [(1, "caseless"), (2, "extended"), (4, "dotall")] {
        if flags & bit != 0 {
            options.push(Atom::new(option));
        }
    }
    Ok(Bert::regex(source, options))
}
