//! `Term`: a raw Erlang term, before BERT's complex types are read into a [`Value`].
//!
//! The `dripdrop bert` tool works at this level so that what it prints is exactly the Erlang
//! term on the wire (`{bert,nil}` stays a tuple, a map stays a map).
//!
//! [`Value`]: super::Value

use super::value::Atom;
use num_bigint::BigInt;

/// An Erlang term of the kinds DripDrop reads.
#[derive(Clone, Debug, PartialEq)]
pub enum Term {
    Atom(Atom),
    Int(i64),
    /// An integer outside the `i64` range.
    BigInt(Box<BigInt>),
    Float(f64),
    Binary(Vec<u8>),
    /// A proper list; Erlang strings (`STRING_EXT`) are lists of integers.
    List(Vec<Term>),
    Tuple(Vec<Term>),
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
