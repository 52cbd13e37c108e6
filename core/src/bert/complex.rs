//! BERT's complex types: which `{bert, ...}` tuples read as nil, booleans, dicts, times and
//! regexes.
//!
//! One shape test serves both directions: the decoder turns a tuple of such a shape into its
//! `Value` variant, and the encoder refuses a `Value::Tuple` of such a shape, since it would not
//! come back as a tuple. Tuples of any other shape, `{bert, ...}` or not, stay tuples both ways,
//! so `decode(encode(v)) == v` for every value the encoder accepts.

use super::value::{Atom, Regex, Time, Value};

enum Complex {
    Nil,
    Bool(bool),
    Dict,
    Time(Time),
    Regex,
}

fn classify(items: &[Value]) -> Option<Complex> {
    let (Some(Value::Atom(first)), Some(Value::Atom(kind))) = (items.first(), items.get(1)) else {
        return None;
    };
    if first.as_str() != "bert" {
        return None;
    }
    match (kind.as_str(), &items[2..]) {
        ("nil", []) => Some(Complex::Nil),
        ("true", []) => Some(Complex::Bool(true)),
        ("false", []) => Some(Complex::Bool(false)),
        ("dict", [Value::List(entries)]) if entries.iter().all(is_dict_entry) => {
            Some(Complex::Dict)
        }
        ("time", [Value::Int(mega), Value::Int(sec), Value::Int(micro)]) => {
            Time::from_bert_parts(*mega, *sec, *micro).map(Complex::Time)
        }
        ("regex", [Value::Binary(source), Value::List(options)])
            if std::str::from_utf8(source).is_ok()
                && options.iter().all(|o| matches!(o, Value::Atom(_))) =>
        {
            Some(Complex::Regex)
        }
        _ => None,
    }
}

/// A dict entry on the wire is a 2-tuple; `{bert, nil}`, `{bert, true}` and `{bert, false}`
/// are 2-tuples too (key `bert`), already read as `Nil` or `Bool` by the time the dict is seen.
fn is_dict_entry(entry: &Value) -> bool {
    match entry {
        Value::Tuple(pair) => pair.len() == 2,
        Value::Nil | Value::Bool(_) => true,
        _ => false,
    }
}

fn into_dict_entry(entry: Value) -> (Value, Value) {
    let bert_pair = |second: &str| (Value::atom("bert"), Value::atom(second));
    match entry {
        Value::Tuple(pair) => {
            let mut pair = pair.into_iter();
            match (pair.next(), pair.next()) {
                (Some(k), Some(v)) => (k, v),
                // classify() admitted only 2-tuples.
                _ => unreachable!("dict entry checked to be a 2-tuple"),
            }
        }
        Value::Nil => bert_pair("nil"),
        Value::Bool(b) => bert_pair(if b { "true" } else { "false" }),
        _ => unreachable!("dict entry checked by is_dict_entry"),
    }
}

/// The name of the BERT type a tuple of these elements would be read back as, if any.
pub(crate) fn reserved_kind(items: &[Value]) -> Option<&str> {
    classify(items).and(match items.get(1) {
        Some(Value::Atom(kind)) => Some(kind.as_str()),
        _ => None,
    })
}

/// Reads a decoded tuple as BERT: a complex type becomes its variant, anything else a tuple.
pub(crate) fn tuple_to_value(items: Vec<Value>) -> Value {
    let Some(complex) = classify(&items) else {
        return Value::Tuple(items);
    };
    let mut rest = items.into_iter().skip(2);
    match complex {
        Complex::Nil => Value::Nil,
        Complex::Bool(b) => Value::Bool(b),
        Complex::Time(t) => Value::Time(t),
        Complex::Dict => match rest.next() {
            Some(Value::List(entries)) => {
                Value::Dict(entries.into_iter().map(into_dict_entry).collect())
            }
            _ => unreachable!("dict shape checked by classify"),
        },
        Complex::Regex => match (rest.next(), rest.next()) {
            (Some(Value::Binary(source)), Some(Value::List(options))) => {
                Value::Regex(Box::new(Regex {
                    // classify() checked the source is UTF-8 and the options atoms.
                    source: String::from_utf8(source).unwrap_or_default(),
                    options: options
                        .into_iter()
                        .filter_map(|o| match o {
                            Value::Atom(a) => Some(a),
                            _ => None,
                        })
                        .collect::<Vec<Atom>>(),
                }))
            }
            _ => unreachable!("regex shape checked by classify"),
        },
    }
}
