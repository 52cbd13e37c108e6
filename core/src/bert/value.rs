//! The `Value` model: what every DripDrop message is made of, and what every skin converts to.

pub use super::atom::Atom;
use num_bigint::BigInt;
use num_traits::ToPrimitive;

/// A point in time, as BERT's `{bert, time, Mega, Sec, Micro}` carries it.
///
/// Kept normalised (`microseconds < 1_000_000`) so that equal instants compare equal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Time {
    seconds: i64,
    microseconds: u32,
}

impl Time {
    /// A time `seconds` and `microseconds` after the Unix epoch; microseconds past a second
    /// carry into the seconds. `None` when the result does not fit in an `i64` of seconds.
    pub fn new(seconds: i64, microseconds: i64) -> Option<Self> {
        let carry = microseconds.div_euclid(1_000_000);
        let micros = microseconds.rem_euclid(1_000_000);
        Some(Time {
            seconds: seconds.checked_add(carry)?,
            microseconds: micros as u32,
        })
    }

    /// Whole seconds since the Unix epoch (negative before it).
    pub fn seconds(&self) -> i64 {
        self.seconds
    }

    /// Microseconds past `seconds`, always below 1,000,000.
    pub fn microseconds(&self) -> u32 {
        self.microseconds
    }

    /// BERT's (megaseconds, seconds, microseconds) split.
    pub(crate) fn to_bert_parts(self) -> (i64, i64, i64) {
        (
            self.seconds.div_euclid(1_000_000),
            self.seconds.rem_euclid(1_000_000),
            i64::from(self.microseconds),
        )
    }

    pub(crate) fn from_bert_parts(mega: i64, sec: i64, micro: i64) -> Option<Self> {
        let seconds = mega.checked_mul(1_000_000)?.checked_add(sec)?;
        Time::new(seconds, micro)
    }
}

/// A regular expression as BERT carries it: the source text and option atoms
/// (`caseless`, `extended`, `multiline`, ... as PCRE names them).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Regex {
    /// The pattern, as written.
    pub source: String,
    /// The option atoms, in order.
    pub options: Vec<Atom>,
}

/// A BERT value.
///
/// Integers are `Int` whenever they fit in an `i64` and `BigInt` only outside that range; the
/// decoder and [`Value::from_bigint`] keep that rule, so equal numbers compare equal.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `{bert, nil}`: Ruby's `nil`, Python's `None`.
    Nil,
    /// `{bert, true}` / `{bert, false}`.
    Bool(bool),
    /// An integer that fits in an `i64`.
    Int(i64),
    /// An integer outside the `i64` range (boxed to keep `Value` small).
    BigInt(Box<BigInt>),
    /// A finite float (Erlang has no NaN or infinity).
    Float(f64),
    /// Bytes: a string in Ruby, `str` or `bytes` in Python.
    Binary(Vec<u8>),
    /// An atom: a Ruby Symbol, a `dripdrop.Atom` in Python.
    Atom(Atom),
    /// A list: a Ruby Array, a Python list.
    List(Vec<Value>),
    /// A tuple: a `DripDrop::Tuple` in Ruby, a Python tuple. One shaped like a BERT complex
    /// type (`{bert, nil}`...) cannot be encoded, as it would be read back as that type.
    Tuple(Vec<Value>),
    /// `{bert, dict, [{K, V}...]}`: ordered pairs, duplicates kept as sent.
    Dict(Vec<(Value, Value)>),
    /// `{bert, time, Mega, Sec, Micro}`: a Ruby Time, a Python datetime.
    Time(Time),
    /// `{bert, regex, Source, Options}`: a Ruby Regexp, a Python compiled pattern (boxed to
    /// keep `Value` small).
    Regex(Box<Regex>),
}

impl Value {
    /// An integer, as `Int` when it fits in an `i64`.
    pub fn from_bigint(n: BigInt) -> Value {
        match n.to_i64() {
            Some(small) => Value::Int(small),
            None => Value::BigInt(Box::new(n)),
        }
    }

    /// A binary holding the given bytes.
    pub fn binary(bytes: impl Into<Vec<u8>>) -> Value {
        Value::Binary(bytes.into())
    }

    /// An atom with the given name.
    pub fn atom(name: impl Into<String>) -> Value {
        Value::Atom(Atom::new(name))
    }

    /// A regular expression.
    pub fn regex(source: impl Into<String>, options: Vec<Atom>) -> Value {
        Value::Regex(Box::new(Regex {
            source: source.into(),
            options,
        }))
    }

    /// The text of a binary that holds valid UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Binary(bytes) => std::str::from_utf8(bytes).ok(),
            _ => None,
        }
    }

    /// The name of an atom.
    pub fn as_atom(&self) -> Option<&str> {
        match self {
            Value::Atom(atom) => Some(atom.as_str()),
            _ => None,
        }
    }

    /// The value under `key` in a dict whose keys are binaries or atoms, the first if repeated.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Dict(pairs) => dict_get(pairs, key),
            _ => None,
        }
    }
}

/// Looks `key` up among dict pairs whose keys are binaries or atoms.
pub(crate) fn dict_get<'a>(pairs: &'a [(Value, Value)], key: &str) -> Option<&'a Value> {
    pairs.iter().find_map(|(k, v)| match k {
        Value::Binary(b) if b == key.as_bytes() => Some(v),
        Value::Atom(a) if a.as_str() == key => Some(v),
        _ => None,
    })
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Self {
        Value::Int(n)
    }
}

impl From<i32> for Value {
    fn from(n: i32) -> Self {
        Value::Int(n.into())
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Self {
        Value::from_bigint(n.into())
    }
}

impl From<BigInt> for Value {
    fn from(n: BigInt) -> Self {
        Value::from_bigint(n)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Binary(s.as_bytes().to_vec())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Binary(s.into_bytes())
    }
}

impl From<Vec<u8>> for Value {
    fn from(bytes: Vec<u8>) -> Self {
        Value::Binary(bytes)
    }
}

impl From<Atom> for Value {
    fn from(a: Atom) -> Self {
        Value::Atom(a)
    }
}

impl From<Time> for Value {
    fn from(t: Time) -> Self {
        Value::Time(t)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Self {
        Value::List(items)
    }
}

impl From<Vec<(Value, Value)>> for Value {
    fn from(pairs: Vec<(Value, Value)>) -> Self {
        Value::Dict(pairs)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Nil, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_stays_small() {
        assert!(std::mem::size_of::<Value>() <= 32);
    }

    #[test]
    fn bigint_normalises_to_int() {
        assert_eq!(Value::from_bigint(BigInt::from(-5)), Value::Int(-5));
        let big = BigInt::from(i64::MAX) + 1;
        assert!(matches!(Value::from_bigint(big), Value::BigInt(_)));
    }

    #[test]
    fn time_carries_microseconds() {
        let t = Time::new(10, 1_500_000).unwrap();
        assert_eq!((t.seconds(), t.microseconds()), (11, 500_000));
        let t = Time::new(10, -1).unwrap();
        assert_eq!((t.seconds(), t.microseconds()), (9, 999_999));
        assert_eq!(Time::from_bert_parts(i64::MAX, 0, 0), None);
        let t = Time::new(1_234_567_890, 42).unwrap();
        let (m, s, u) = t.to_bert_parts();
        assert_eq!((m, s, u), (1234, 567_890, 42));
        assert_eq!(Time::from_bert_parts(m, s, u), Some(t));
    }
}
