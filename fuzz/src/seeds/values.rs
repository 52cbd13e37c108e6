//! Seeds made by DripDrop's own codec: BERT frames of every kind of value, message frames,
//! their JSON forms, and Erlang term text.

use super::Seed;
use dripdrop::bert::text::print;
use dripdrop::bert::{decode_term, encode, encode_term, Atom, DecodeLimits, Term, Time, Value};
use dripdrop::Message;

/// One value of every kind, nested a little.
fn every_kind() -> Value {
    let time = Time::new(1_700_000_000, 123_456).expect("a time in range");
    Value::Dict(vec![
        (Value::atom("nil"), Value::Nil),
        (
            Value::from("flags"),
            Value::List(vec![true.into(), false.into()]),
        ),
        (
            Value::from("ints"),
            Value::List(vec![0.into(), 255.into(), (-1).into(), i64::MAX.into()]),
        ),
        (Value::from("big"), Value::from(u64::MAX)),
        (
            Value::from("floats"),
            Value::List(vec![1.5.into(), (-0.0).into(), 1e300.into()]),
        ),
        (Value::from("text"), Value::from("héllo")),
        (Value::from("bytes"), Value::binary(vec![0, 159, 255])),
        (Value::from("atom"), Value::atom("ok")),
        (Value::from("latin1 atom"), Value::atom("é")),
        (
            Value::from("tuple"),
            Value::Tuple(vec![Value::atom("reply"), 7.into()]),
        ),
        (Value::from("empty"), Value::List(vec![])),
        (Value::from("time"), Value::Time(time)),
        (
            Value::from("regex"),
            Value::regex("^a.c$", vec![Atom::new("caseless")]),
        ),
        (Value::Int(1), Value::Dict(vec![])),
    ])
}

/// Lists nested `depth` deep around an atom.
fn nested(depth: usize) -> Value {
    (0..depth).fold(Value::atom("core"), |inner, _| Value::List(vec![inner]))
}

fn messages() -> Vec<(&'static str, Message)> {
    let message = |name: &str| Message::new(name).expect("a valid name");
    vec![
        ("bare", message("ping")),
        (
            "binary-body",
            message("jobs.render")
                .with_head_entry("reply_to", "pong")
                .with_body(Value::binary(b"{\"w\":640}".to_vec())),
        ),
        (
            "every-kind",
            message("report")
                .with_head_entry("id", Value::Int(42))
                .with_head_entry(
                    "trace",
                    Value::List(vec![Value::from("a"), Value::from("b")]),
                )
                .with_body(every_kind()),
        ),
        ("deep", message("deep").with_body(nested(40))),
    ]
}

pub fn bert_frames() -> Vec<Seed> {
    let mut seeds: Vec<Seed> = [
        ("every-kind", every_kind()),
        ("nested", nested(100)),
        ("int", Value::Int(-123_456)),
        ("nil", Value::Nil),
        (
            "tuple",
            Value::Tuple(vec![Value::atom("a"), Value::from(2.5)]),
        ),
    ]
    .into_iter()
    .map(|(label, value)| (label.to_owned(), encode(&value).expect("encodable")))
    .collect();
    // Raw terms beyond BERT 1.0: a map and an atom only UTF-8 holds.
    let term = Term::Tuple(vec![
        Term::atom("日本"),
        Term::Map(vec![(Term::atom("n"), Term::Int(-3))]),
    ]);
    seeds.push((
        "term-map-utf8".into(),
        encode_term(&term).expect("encodable"),
    ));
    seeds
}

pub fn message_frames() -> Vec<Seed> {
    messages()
        .into_iter()
        .map(|(label, m)| (label.to_owned(), m.encode().expect("encodable")))
        .collect()
}

pub fn json_texts() -> Vec<Seed> {
    messages()
        .into_iter()
        .map(|(label, m)| (label.to_owned(), m.to_json().expect("JSON holds it")))
        .collect()
}

/// Erlang text as a person writes it, and as `dripdrop bert decode` prints the BERT seeds.
pub fn erlang_texts() -> Vec<Seed> {
    let written = [
        ("docs", "{reply, <<\"ok\">>, [1, 2.5, #{n => -3}]}."),
        ("bases", "[16#ff, 2#1010, 36#zz, -8#17, 1_000_000]."),
        ("chars", "[$a, $\\n, $\\x{1F600}, $\\\\, $ ]."),
        (
            "strings",
            "{\"plain\", \"esc\\t\\\"q\\\"\", 'quoted atom', 'case'}.",
        ),
        ("binaries", "<<\"é\"/utf8, 1, 2, 255, \"raw\">>."),
        ("floats", "[1.0, -1.5e-10, 2.0e300, 0.1]."),
        ("bigint", "-123456789012345678901234567890123456789."),
        ("comment", "% a comment\n{a, {b, {c, []}}} % and another\n."),
        (
            "map",
            "#{<<\"k\">> => [{x, 1.0}], 'end' => true, k => v, k => w}.",
        ),
        ("tail", "[a, b | [c]]."),
    ];
    let mut seeds: Vec<Seed> = written
        .into_iter()
        .map(|(label, text)| (label.to_owned(), text.as_bytes().to_vec()))
        .collect();
    for (label, frame) in bert_frames() {
        let term = decode_term(&frame, &DecodeLimits::DEFAULT).expect("our frames decode");
        seeds.push((format!("printed-{label}"), print(&term).into_bytes()));
    }
    seeds
}
