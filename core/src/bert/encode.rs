//! The encoder: `Value` (and raw `Term`) to BERT bytes, writing only BERT 1.0 tags for values.

use super::complex;
use super::error::{EncodeError, EncodeErrorKind, PathSegment};
use super::limits::HARD_MAX_DEPTH;
use super::tag;
use super::term::Term;
use super::value::Value;
use super::writer;

type Result<T = ()> = std::result::Result<T, EncodeError>;

/// Encodes a value as one BERT frame (version byte included).
pub fn encode(value: &Value) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(64);
    encode_into(value, &mut out)?;
    Ok(out)
}

/// Appends one BERT frame to `out`; on error `out` may hold a partial frame.
pub fn encode_into(value: &Value, out: &mut Vec<u8>) -> Result {
    out.push(tag::VERSION);
    write_value(out, value, 0)
}

/// Encodes a raw Erlang term. Atoms that Latin-1 cannot hold are written as ATOM_UTF8 and maps
/// as MAP, which BERT 1.0 readers (the Ruby `bert` gem) cannot read; Erlang can.
pub fn encode_term(term: &Term) -> Result<Vec<u8>> {
    let mut out = vec![tag::VERSION];
    write_term(&mut out, term, 0)?;
    Ok(out)
}

fn at<T>(result: std::result::Result<T, EncodeErrorKind>) -> Result<T> {
    result.map_err(EncodeError::new)
}

fn deeper(depth: usize) -> Result<usize> {
    if depth >= HARD_MAX_DEPTH {
        return Err(EncodeError::new(EncodeErrorKind::TooDeep {
            max: HARD_MAX_DEPTH,
        }));
    }
    Ok(depth + 1)
}

/// The path segment for a dict entry: `.key` for a text key, `[n]` otherwise.
fn entry_segment(key: &Value, index: usize) -> PathSegment {
    let text = match key {
        Value::Atom(a) => Some(a.as_str()),
        Value::Binary(_) => key.as_str(),
        _ => None,
    };
    match text {
        Some(name) => PathSegment::Field(name.to_owned()),
        None => PathSegment::Index(index),
    }
}

/// Writes the `{bert, Kind, ...}` header. The tuple is a level of nesting on the wire, so the
/// decoder's depth limit sees it: it is checked here too.
fn write_bert_tag(out: &mut Vec<u8>, arity: u8, kind: &'static str, depth: usize) -> Result<usize> {
    let inside = deeper(depth)?;
    writer::bert_tag(out, arity, kind);
    Ok(inside)
}

/// Writes a value nested `depth` containers deep on the wire. Depth counts wire containers
/// exactly as the decoder does (an empty list is a leaf, a dict is three levels), so whatever
/// encodes also decodes under `HARD_MAX_DEPTH`.
///
/// Only containers recurse, and each recursion goes through small functions: the leaf cases
/// live in `write_leaf`, out of line, so a deep value costs little stack per level even in an
/// unoptimised build (a 1 MiB host thread must hold `HARD_MAX_DEPTH` levels).
pub(crate) fn write_value(out: &mut Vec<u8>, value: &Value, depth: usize) -> Result {
    match value {
        Value::List(items) => write_list(out, items, depth),
        Value::Tuple(items) => write_tuple(out, items, depth),
        Value::Dict(pairs) => write_dict(out, pairs, depth),
        leaf => write_leaf(out, leaf, depth),
    }
}

fn write_list(out: &mut Vec<u8>, items: &[Value], depth: usize) -> Result {
    let inside = if items.is_empty() {
        depth
    } else {
        deeper(depth)?
    };
    at(writer::list_header(out, items.len()))?;
    write_items(out, items, inside)?;
    writer::list_end(out, items.len());
    Ok(())
}

fn write_tuple(out: &mut Vec<u8>, items: &[Value], depth: usize) -> Result {
    if let Some(kind) = complex::reserved_kind(items) {
        let kind = EncodeErrorKind::ReservedTuple(kind.to_owned());
        return Err(EncodeError::new(kind));
    }
    let inside = deeper(depth)?;
    at(writer::tuple_header(out, items.len()))?;
    write_items(out, items, inside)
}

#[inline(never)]
fn write_leaf(out: &mut Vec<u8>, value: &Value, depth: usize) -> Result {
    match value {
        Value::Int(n) => writer::int(out, *n),
        Value::Binary(bytes) => at(writer::binary(out, bytes))?,
        Value::Atom(a) => at(writer::atom(out, a.as_str()))?,
        Value::Float(f) => at(writer::float(out, *f))?,
        Value::BigInt(n) => at(writer::bigint(out, n))?,
        Value::Nil => {
            write_bert_tag(out, 2, "nil", depth)?;
        }
        Value::Bool(b) => {
            write_bert_tag(out, 2, if *b { "true" } else { "false" }, depth)?;
        }
        Value::Time(t) => {
            let (mega, sec, micro) = t.to_bert_parts();
            write_bert_tag(out, 5, "time", depth)?;
            writer::int(out, mega);
            writer::int(out, sec);
            writer::int(out, micro);
        }
        Value::Regex(re) => {
            let inside = write_bert_tag(out, 4, "regex", depth)?;
            at(writer::binary(out, re.source.as_bytes()))?;
            if !re.options.is_empty() {
                deeper(inside)?;
            }
            at(writer::list_header(out, re.options.len()))?;
            for (i, option) in re.options.iter().enumerate() {
                at(writer::atom(out, option.as_str()))
                    .map_err(|e| e.within(PathSegment::Index(i)))?;
            }
            writer::list_end(out, re.options.len());
        }
        Value::List(_) | Value::Tuple(_) | Value::Dict(_) => {
            unreachable!("containers are written by write_value")
        }
    }
    Ok(())
}

fn write_items(out: &mut Vec<u8>, items: &[Value], depth: usize) -> Result {
    for (i, item) in items.iter().enumerate() {
        write_value(out, item, depth).map_err(|e| e.within(PathSegment::Index(i)))?;
    }
    Ok(())
}

/// `{bert, dict, [{K, V}...]}`, as the Ruby `bert` gem writes a Hash.
pub(crate) fn write_dict(out: &mut Vec<u8>, pairs: &[(Value, Value)], depth: usize) -> Result {
    let in_tuple = write_bert_tag(out, 3, "dict", depth)?;
    at(writer::list_header(out, pairs.len()))?;
    if !pairs.is_empty() {
        // The list, then each entry's tuple.
        let in_pair = deeper(deeper(in_tuple)?)?;
        for (i, (key, value)) in pairs.iter().enumerate() {
            at(writer::tuple_header(out, 2))?;
            write_value(out, key, in_pair).map_err(|e| e.within(PathSegment::KeyOf(i)))?;
            write_value(out, value, in_pair).map_err(|e| e.within(entry_segment(key, i)))?;
        }
    }
    writer::list_end(out, pairs.len());
    Ok(())
}

fn write_term(out: &mut Vec<u8>, term: &Term, depth: usize) -> Result {
    match term {
        Term::Int(n) => writer::int(out, *n),
        Term::BigInt(n) => at(writer::bigint(out, n))?,
        Term::Float(f) => at(writer::float(out, *f))?,
        Term::Binary(bytes) => at(writer::binary(out, bytes))?,
        Term::Atom(a) => {
            if a.as_str().chars().all(|c| u32::from(c) <= 0xFF) {
                at(writer::atom(out, a.as_str()))?;
            } else {
                at(writer::atom_utf8(out, a.as_str()))?;
            }
        }
        Term::List(items) => {
            let depth = if items.is_empty() {
                depth
            } else {
                deeper(depth)?
            };
            at(writer::list_header(out, items.len()))?;
            write_terms(out, items, depth)?;
            writer::list_end(out, items.len());
        }
        Term::Tuple(items) => {
            let depth = deeper(depth)?;
            at(writer::tuple_header(out, items.len()))?;
            write_terms(out, items, depth)?;
        }
        Term::Map(pairs) => {
            let depth = deeper(depth)?;
            at(writer::map_header(out, pairs.len()))?;
            for (i, (key, value)) in pairs.iter().enumerate() {
                write_term(out, key, depth).map_err(|e| e.within(PathSegment::KeyOf(i)))?;
                write_term(out, value, depth).map_err(|e| e.within(PathSegment::Index(i)))?;
            }
        }
    }
    Ok(())
}

fn write_terms(out: &mut Vec<u8>, items: &[Term], depth: usize) -> Result {
    for (i, item) in items.iter().enumerate() {
        write_term(out, item, depth).map_err(|e| e.within(PathSegment::Index(i)))?;
    }
    Ok(())
}
