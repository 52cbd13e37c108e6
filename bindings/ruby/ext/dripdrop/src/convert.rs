//! Ruby values to BERT `Value`s and back, as docs/design.md ("Values") maps them (and as the
//! `bert` gem does): nil, true/false, Integer (bignums too), Float, String (a binary reads
//! back UTF-8 tagged when it is valid UTF-8, else binary), Symbol, Array, DripDrop::Tuple (and
//! BERT::Tuple when that gem is loaded), Hash, Time and Regexp.

use crate::errors::error;
use crate::keys;
use crate::raw;
use dripdrop::bert::{Atom, Time, Value as Bert, HARD_MAX_DEPTH};
use magnus::{
    prelude::*,
    r_regexp::Opts,
    rb_sys::AsRawValue,
    value::{Lazy, Qfalse, Qtrue},
    Error, Fixnum, Float, Integer, RArray, RBignum, RClass, RHash, RModule, RRegexp, RString, Ruby,
    Symbol, Value,
};
use num_bigint::BigInt;

static TUPLE: Lazy<RClass> = Lazy::new(|ruby| {
    let module: RModule = ruby
        .class_object()
        .const_get("DripDrop")
        .expect("lib/dripdrop.rb defines DripDrop before loading the extension");
    module
        .const_get("Tuple")
        .expect("lib/dripdrop.rb defines DripDrop::Tuple before loading the extension")
});

/// `Regexp` option bits and the BERT options the `bert` gem writes for them (it writes
/// `multiline` for Ruby's MULTILINE, which is PCRE's dotall; we read `dotall` as it too).
const REGEXP_OPTIONS: [(i64, &str); 3] = [(1, "caseless"), (2, "extended"), (4, "multiline")];

/// A Ruby value as a BERT value.
pub fn from_ruby(ruby: &Ruby, value: Value) -> Result<Bert, Error> {
    from_ruby_at(ruby, value, 0)
}

/// Whether `array` is a tuple: a DripDrop::Tuple, or a BERT::Tuple of the `bert` gem.
fn is_tuple(ruby: &Ruby, array: RArray) -> bool {
    let class = array.class();
    // Identity, not `==`: nothing of the app's may run while a value converts.
    if class.as_raw() == ruby.class_array().as_raw() {
        return false;
    }
    if array.is_kind_of(ruby.get_inner(&TUPLE)) {
        return true;
    }
    class
        .funcall::<_, _, Option<String>>("name", ())
        .ok()
        .flatten()
        .is_some_and(|name| name == "BERT::Tuple")
}

fn from_ruby_at(ruby: &Ruby, value: Value, depth: usize) -> Result<Bert, Error> {
    if depth > HARD_MAX_DEPTH {
        return Err(error(
            ruby,
            "EncodeError",
            format!("value nested deeper than {HARD_MAX_DEPTH} levels"),
        ));
    }
    if value.is_nil() {
        return Ok(Bert::Nil);
    }
    if Qtrue::from_value(value).is_some() {
        return Ok(Bert::Bool(true));
    }
    if Qfalse::from_value(value).is_some() {
        return Ok(Bert::Bool(false));
    }
    if let Some(n) = Fixnum::from_value(value) {
        return Ok(Bert::Int(n.to_i64()));
    }
    if let Some(s) = RString::from_value(value) {
        // SAFETY: the bytes are copied before any Ruby code runs.
        return Ok(Bert::Binary(unsafe { s.as_slice() }.to_vec()));
    }
    if let Some(s) = Symbol::from_value(value) {
        return Ok(Bert::Atom(Atom::new(s.name()?.into_owned())));
    }
    if let Some(f) = Float::from_value(value) {
        let f = f.to_f64();
        if !f.is_finite() {
            return Err(error(
                ruby,
                "EncodeError",
                "BERT cannot carry NaN or infinity",
            ));
        }
        return Ok(Bert::Float(f));
    }
    if let Some(array) = RArray::from_value(value) {
        let mut items = Vec::with_capacity(array.len());
        // By index, so no Ruby value sits in a Rust heap buffer the GC cannot see.
        for i in 0..array.len() {
            let item: Value = array.entry(i as isize)?;
            items.push(from_ruby_at(ruby, item, depth + 1)?);
        }
        return Ok(if is_tuple(ruby, array) {
            Bert::Tuple(items)
        } else {
            Bert::List(items)
        });
    }
    if let Some(hash) = RHash::from_value(value) {
        let mut pairs = Vec::with_capacity(hash.len());
        hash.foreach(|k: Value, v: Value| {
            pairs.push((
                from_ruby_at(ruby, k, depth + 1)?,
                from_ruby_at(ruby, v, depth + 1)?,
            ));
            Ok(magnus::r_hash::ForEach::Continue)
        })?;
        return Ok(Bert::Dict(pairs));
    }
    if let Some(n) = RBignum::from_value(value) {
        if let Ok(small) = n.to_i64() {
            return Ok(Bert::Int(small));
        }
        let text: String = value.funcall("to_s", ())?;
        let big = text
            .parse::<BigInt>()
            .map_err(|_| error(ruby, "EncodeError", format!("integer {text} unreadable")))?;
        return Ok(Bert::from_bigint(big));
    }
    if value.is_kind_of(ruby.class_time()) {
        let seconds: i64 = value.funcall("to_i", ())?;
        let micros: i64 = value.funcall("usec", ())?;
        return Time::new(seconds, micros)
            .map(Bert::Time)
            .ok_or_else(|| error(ruby, "EncodeError", "Time out of range"));
    }
    if let Some(re) = RRegexp::from_value(value) {
        let source: String = re.funcall("source", ())?;
        let bits: i64 = re.funcall("options", ())?;
        let options = REGEXP_OPTIONS
            .iter()
            .filter(|(bit, _)| bits & bit != 0)
            .map(|(_, option)| Atom::new(*option))
            .collect();
        return Ok(Bert::regex(source, options));
    }
    Err(error(
        ruby,
        "EncodeError",
        format!("cannot send a {} as a BERT value", unsafe {
            value.classname()
        }),
    ))
}

/// A BERT value as a Ruby value.
pub fn to_ruby(ruby: &Ruby, value: &Bert) -> Result<Value, Error> {
    Ok(match value {
        Bert::Nil => ruby.qnil().as_value(),
        Bert::Bool(true) => ruby.qtrue().as_value(),
        Bert::Bool(false) => ruby.qfalse().as_value(),
        Bert::Int(n) => ruby.integer_from_i64(*n).as_value(),
        Bert::BigInt(n) => ruby
            .module_kernel()
            .funcall::<_, _, Integer>("Integer", (n.to_string(),))?
            .as_value(),
        Bert::Float(f) => ruby.float_from_f64(*f).as_value(),
        Bert::Binary(bytes) => raw::string(bytes),
        Bert::Atom(atom) => ruby.to_symbol(atom.as_str()).as_value(),
        Bert::List(items) => array(ruby, items)?.as_value(),
        Bert::Tuple(items) => {
            let tuple: Value = ruby
                .get_inner(&TUPLE)
                .new_instance((array(ruby, items)?,))?;
            tuple
        }
        Bert::Dict(pairs) => hash(ruby, pairs)?,
        Bert::Time(t) => ruby
            .class_time()
            .funcall("at", (t.seconds(), t.microseconds()))?,
        Bert::Regex(re) => {
            let mut opts = Opts::new();
            for option in &re.options {
                opts = match option.as_str() {
                    "caseless" => opts.ignorecase(),
                    "extended" => opts.extend(),
                    "multiline" | "dotall" => opts.multiline(),
                    _ => opts,
                };
            }
            ruby.reg_new(&re.source, opts)?.as_value()
        }
    })
}

/// A binary as a Ruby String: UTF-8 when it is valid UTF-8, else binary (ASCII-8BIT).
pub fn string(ruby: &Ruby, bytes: &[u8]) -> RString {
    match std::str::from_utf8(bytes) {
        Ok(text) => ruby.str_new(text),
        Err(_) => ruby.str_from_slice(bytes),
    }
}

/// Pairs as a Hash. String keys are made as the Hash would keep them (frozen, interned), and
/// keys that hash without Ruby code go in without `rb_protect`.
pub fn hash(ruby: &Ruby, pairs: &[(Bert, Bert)]) -> Result<Value, Error> {
    let hash = raw::hash_new();
    // A small Hash (Ruby keeps up to 8 entries in a flat table) of plain keys goes in with one
    // bulk insert, as Ruby fills a Hash literal: cheaper than an `[]=` for each entry.
    if pairs.len() <= raw::SMALL_HASH {
        // On the stack, where the collector's conservative scan finds them while more values
        // are made.
        let mut entries = [ruby.qnil().as_value(); 2 * raw::SMALL_HASH];
        let mut plain = true;
        for (i, (k, v)) in pairs.iter().enumerate() {
            entries[2 * i] = key(ruby, k)?;
            entries[2 * i + 1] = to_ruby(ruby, v)?;
            plain &= raw::plain_key(entries[2 * i]);
        }
        let entries = &entries[..2 * pairs.len()];
        if plain {
            raw::hash_bulk_insert(hash, entries);
            return Ok(hash);
        }
        for pair in entries.chunks(2) {
            aset(hash, pair[0], pair[1])?;
        }
        return Ok(hash);
    }
    for (k, v) in pairs {
        let key = key(ruby, k)?;
        let value = to_ruby(ruby, v)?;
        aset(hash, key, value)?;
    }
    Ok(hash)
}

/// A Hash key: a String made as the Hash keeps one (see `keys`), else any value.
fn key(ruby: &Ruby, key: &Bert) -> Result<Value, Error> {
    match key {
        Bert::Binary(bytes) => Ok(keys::key(bytes)),
        other => to_ruby(ruby, other),
    }
}

/// `hash[key] = value` for a Hash made here.
fn aset(hash: Value, key: Value, value: Value) -> Result<(), Error> {
    if raw::plain_key(key) {
        raw::hash_aset(hash, key, value);
        return Ok(());
    }
    // An Array or Tuple key hashes through Ruby: it may raise.
    RHash::from_value(hash)
        .expect("raw::hash_new makes a Hash")
        .aset(key, value)
}

fn array(ruby: &Ruby, items: &[Bert]) -> Result<RArray, Error> {
    let array = raw::array_new(items.len());
    for item in items {
        raw::array_push(array, to_ruby(ruby, item)?);
    }
    Ok(RArray::from_value(array).expect("raw::array_new makes an Array"))
}
