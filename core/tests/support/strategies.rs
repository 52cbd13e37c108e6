//! proptest strategies for random `Value`s and `Term`s.

use dripdrop::bert::{Atom, Term, Time, Value};
use num_bigint::{BigInt, Sign};
use proptest::prelude::*;

/// Atoms the encoder accepts: Latin-1, at most 255 characters.
pub fn latin1_atom() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_ @'\u{a0}-\u{ff}]{0,12}"
}

pub fn bigint() -> impl Strategy<Value = BigInt> {
    (any::<bool>(), proptest::collection::vec(any::<u8>(), 0..40)).prop_map(|(neg, bytes)| {
        let sign = if neg { Sign::Minus } else { Sign::Plus };
        BigInt::from_bytes_le(sign, &bytes)
    })
}

pub fn finite_float() -> impl Strategy<Value = f64> {
    any::<f64>().prop_filter("finite", |f| f.is_finite())
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Nil),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::Int),
        (0i64..300).prop_map(Value::Int),
        bigint().prop_map(Value::from_bigint),
        finite_float().prop_map(Value::Float),
        proptest::collection::vec(any::<u8>(), 0..24).prop_map(Value::Binary),
        ".{0,8}".prop_map(Value::from),
        latin1_atom().prop_map(Value::atom),
        (any::<i64>(), 0i64..1_000_000)
            .prop_filter_map("time fits", |(s, u)| Time::new(s, u).map(Value::Time)),
        (".{0,8}", proptest::collection::vec("[a-z]{1,9}", 0..3)).prop_map(|(src, opts)| {
            Value::regex(src, opts.into_iter().map(Atom::new).collect())
        }),
    ]
}

/// Random values up to a few levels deep, every variant included.
pub fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::List),
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Tuple),
            proptest::collection::vec((inner.clone(), inner), 0..5).prop_map(Value::Dict),
        ]
    })
}

fn term_leaf() -> impl Strategy<Value = Term> {
    prop_oneof![
        any::<i64>().prop_map(Term::Int),
        bigint().prop_map(Term::from_bigint),
        proptest::collection::vec(any::<u8>(), 0..24).prop_map(Term::Binary),
        "\\PC{0,8}".prop_map(Term::atom),
    ]
}

/// Random raw terms of the kinds both this codec and eetf handle.
pub fn term() -> impl Strategy<Value = Term> {
    nest(prop_oneof![
        term_leaf(),
        finite_float().prop_map(Term::Float)
    ])
}

/// Random raw terms without floats (eetf reads FLOAT_EXT as f32).
pub fn term_without_floats() -> impl Strategy<Value = Term> {
    nest(term_leaf())
}

fn nest(leaf: impl Strategy<Value = Term> + 'static) -> impl Strategy<Value = Term> {
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Term::List),
            proptest::collection::vec(inner, 0..6).prop_map(Term::Tuple),
        ]
    })
}
