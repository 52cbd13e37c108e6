//! `Term`: a raw Erlang term, before BERT's complex types are read into a [`Value`].
//!
//! The `dripdrop bert` tool works at this level so that what it prints is exactly the Erlang
//! term on the wire (`{bert,nil}` stays a tuple, a map stays a map).
//!
//! [`Value`]: super::Value

use super::complex;
use super::value::{Atom, Value};
use num_bigint::BigInt;

/// An Erlang term of the kinds DripDrop reads.
#[derive(Clone, Debug, PartialEq)]
pub enum Term {
    /// An atom, whichever of the four atom tags it was read from.
    Atom(Atom),
    /// An integer that fits in an `i64`.
    Int(i64),
    /// An integer outside the `i64` range.
    BigInt(Box<BigInt>),
    /// A float; the encoder refuses NaN and infinities.
    Float(f64),
    /// A binary: bytes.
    Binary(Vec<u8>),
    /// A proper list; Erlang strings (`STRING_EXT`) are lists of integers.
    List(Vec<Term>),
    /// A tuple; `{bert, ...}` tuples stay tuples at this level.
    Tuple(Vec<Term>),
    /// A map (MAP_EXT): its key-value pairs, in order.
    Map(Vec<(Term, Term)>),
}

impl Term {
    /// An integer, as `Int` when it fits in an `i64`.
    pub fn from_bigint(n: BigInt) -> Term {
        match i64::try_from(&n) {
            Ok(small) => Term::Int(small),
            Err(_) => Term::BigInt(Box::new(n)),
        }
    }

    /// An atom with the given name.
    pub fn atom(name: impl Into<String>) -> Term {
        Term::Atom(Atom::new(name))
    }
}

impl Term {
    /// Reads the term as BERT: `{bert, ...}` tuples of a known shape become their `Value`
    /// variants and maps become dicts, exactly as [`decode`](super::decode) reads the same bytes.
    /// Recurses once per level of nesting.
    pub fn into_value(self) -> Value {
        match self {
            Term::Atom(a) => Value::Atom(a),
            Term::Int(n) => Value::Int(n),
            Term::BigInt(n) => Value::BigInt(n),
            Term::Float(f) => Value::Float(f),
            Term::Binary(b) => Value::Binary(b),
            Term::List(items) => Value::List(items.into_iter().map(Term::into_value).collect()),
            Term::Tuple(items) => {
                complex::tuple_to_value(items.into_iter().map(Term::into_value).collect())
            }
            Term::Map(pairs) => Value::Dict(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k.into_value(), v.into_value()))
                    .collect(),
            ),
        }
    }
}
