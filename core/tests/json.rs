//! Messages as JSON (the HTTP and WebSocket routes' text): every value's form, random values
//! reading back as themselves, and JSON from peers bounded and refused clearly.

mod support;

use dripdrop::bert::{Atom, Time, Value};
use dripdrop::{DecodeLimits, Error, Message};
use proptest::prelude::*;
use support::strategies;

fn message(body: Value) -> Message {
    Message::new("m").unwrap().with_body(body)
}

fn body_json(body: Value) -> String {
    let text = String::from_utf8(message(body).to_json().unwrap()).unwrap();
    let inner = text
        .strip_prefix(r#"{"name":"m","head":{},"body":"#)
        .and_then(|t| t.strip_suffix('}'))
        .unwrap_or_else(|| panic!("unexpected shape: {text}"));
    inner.to_owned()
}

fn read(text: &str) -> Result<Message, Error> {
    Message::from_json(text.as_bytes(), &DecodeLimits::DEFAULT)
}

#[test]
fn each_kind_of_value_has_its_documented_form_and_reads_back() {
    let big = Value::from_bigint("123456789012345678901234567890".parse().unwrap());
    let cases = vec![
        (Value::Nil, "null"),
        (Value::Bool(true), "true"),
        (Value::Int(-7), "-7"),
        (big, "123456789012345678901234567890"),
        (Value::Float(1.0), "1.0"),
        (Value::Float(2.5e-300), "2.5e-300"),
        (Value::from("héllo"), r#""héllo""#),
        (Value::Binary(vec![0xff, 0]), r#"{"$binary":"/wA="}"#),
        (Value::atom("ok"), r#"{"$atom":"ok"}"#),
        (
            Value::List(vec![Value::Int(1), Value::from("a")]),
            r#"[1,"a"]"#,
        ),
        (
            Value::Tuple(vec![Value::atom("ok"), Value::Int(1)]),
            r#"{"$tuple":[{"$atom":"ok"},1]}"#,
        ),
        (
            Value::Dict(vec![
                (Value::from("z"), Value::Int(1)),
                (Value::from("a"), Value::Int(2)),
            ]),
            r#"{"z":1,"a":2}"#,
        ),
        (
            Value::Dict(vec![(Value::Int(1), Value::from("one"))]),
            r#"{"$dict":[[1,"one"]]}"#,
        ),
        (
            Value::Time(Time::new(1_764_442_800, 123_456).unwrap()),
            r#"{"$time":"2025-11-29T19:00:00.123456Z"}"#,
        ),
        (
            Value::regex("^a.b$", vec![Atom::new("caseless")]),
            r#"{"$regex":{"source":"^a.b$","options":["caseless"]}}"#,
        ),
    ];
    for (value, json) in cases {
        assert_eq!(body_json(value.clone()), json, "{value:?}");
        let back = read(&format!(r#"{{"name":"m","body":{json}}}"#)).unwrap();
        assert_eq!(back.body(), &value, "{json}");
    }
}

#[test]
fn a_dict_that_looks_like_a_tagged_value_or_repeats_a_key_keeps_its_meaning() {
    for dict in [
        Value::Dict(vec![(Value::from("$atom"), Value::from("not an atom"))]),
        Value::Dict(vec![
            (Value::from("k"), Value::Int(1)),
            (Value::from("k"), Value::Int(2)),
        ]),
    ] {
        let json = body_json(dict.clone());
        assert!(json.starts_with(r#"{"$dict":"#), "{json}");
        let back = read(&format!(r#"{{"name":"m","body":{json}}}"#)).unwrap();
        assert_eq!(back.body(), &dict);
    }
}

#[test]
fn a_browsers_message_needs_only_a_name() {
    let m = read(r#"{"name":"chat","body":{"text":"hi","n":[1,2.5,null]}}"#).unwrap();
    assert_eq!(m.name(), "chat");
    assert!(m.head().is_empty());
    assert_eq!(m.body().get("text"), Some(&Value::from("hi")));
    let head = read(r#"{"name":"x","head":{"user":"ann"}}"#).unwrap();
    assert_eq!(head.head_get("user"), Some(&Value::from("ann")));
    assert_eq!(head.body(), &Value::Nil);
}

#[test]
fn json_that_is_not_a_message_is_refused_with_the_reason() {
    for (text, reason) in [
        ("not json", "expected"),
        ("[1,2]", "a message is a JSON object"),
        (r#"{"body":1}"#, "no name"),
        (r#"{"name":7}"#, "name is not a string"),
        (r#"{"name":""}"#, "empty"),
        (r#"{"name":"m","head":[1]}"#, "head is not an object"),
        (
            r#"{"name":"m","body":{"$binary":"%%%"}}"#,
            "$binary holds text that is not base64",
        ),
        (r#"{"name":"m","body":{"$time":"yesterday"}}"#, "RFC 3339"),
        (
            r#"{"name":"m","body":{"$tuple":1}}"#,
            "$tuple holds the wrong kind",
        ),
        (
            r#"{"name":"m","body":{"$dict":[[1]]}}"#,
            "[key, value] pair",
        ),
    ] {
        let e = read(text).unwrap_err();
        assert_eq!(
            e.class_name(),
            if reason == "empty" {
                "MessageError"
            } else {
                "DecodeError"
            }
        );
        assert!(e.to_string().contains(reason), "{text}: {e}");
    }
}

#[test]
fn json_from_a_peer_is_bounded() {
    let small = DecodeLimits {
        max_elements: 100,
        max_depth: 5,
        max_input_bytes: 10_000,
        max_bigint_bytes: 4,
    };
    let many = format!(r#"{{"name":"m","body":[{}]}}"#, vec!["1"; 200].join(","));
    let deep = format!(
        r#"{{"name":"m","body":{}{}}}"#,
        "[".repeat(10),
        "]".repeat(10)
    );
    let long = format!(r#"{{"name":"m","body":"{}"}}"#, "x".repeat(20_000));
    let digits = format!(r#"{{"name":"m","body":{}}}"#, "9".repeat(30));
    for (text, reason) in [
        (many, "more values"),
        (deep, "deeper"),
        (long, "over the limit"),
        (digits, "digits"),
    ] {
        let e = Message::from_json(text.as_bytes(), &small).unwrap_err();
        assert!(e.to_string().contains(reason), "{e}");
    }
    // serde_json's own recursion limit holds whatever the limits say.
    let very_deep = format!(r#"{{"name":"m","body":{}}}"#, "[".repeat(100_000));
    assert!(read(&very_deep).is_err());
}

/// Found by fuzzing (fuzz/regressions/json/): JSON took an integer of up to three digits per
/// byte of `max_bigint_bytes`, so a message read from a browser could carry an integer its
/// own BERT frame's readers refuse. JSON now takes exactly the integers BERT takes.
#[test]
fn json_takes_the_integers_bert_takes() {
    let limits = DecodeLimits::DEFAULT;
    let max = limits.max_bigint_bytes;
    let largest = num_bigint::BigUint::from(1u8) << (8 * max);
    for (n, fits) in [(largest.clone() - 1u8, true), (largest, false)] {
        for sign in ["", "-"] {
            let text = format!(r#"{{"name":"m","body":{sign}{n}}}"#);
            match Message::from_json(text.as_bytes(), &limits) {
                Ok(message) => {
                    assert!(fits, "{} digits taken", n.to_string().len());
                    let frame = message.encode().unwrap();
                    assert_eq!(Message::decode(&frame).unwrap(), message);
                }
                Err(e) => {
                    assert!(!fits, "{e}");
                    assert!(e.to_string().contains("over the limit"), "{e}");
                }
            }
        }
    }
}

#[test]
fn a_time_beyond_year_9999_has_no_json_form() {
    let far = Value::Time(Time::new(400_000_000_000, 0).unwrap());
    let e = message(far).to_json().unwrap_err();
    assert!(e.to_string().contains("RFC 3339"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn random_values_read_back_as_themselves(
        head in proptest::collection::vec((".{1,6}", strategies::value()), 0..4),
        body in strategies::value(),
    ) {
        let head = Value::Dict(head.into_iter().map(|(k, v)| (Value::from(k), v)).collect());
        let m = Message::new("m").unwrap().with_head(head).unwrap().with_body(body);
        match m.to_json() {
            Ok(bytes) => {
                let back = Message::from_json(&bytes, &DecodeLimits::DEFAULT).unwrap();
                prop_assert_eq!(&back, &m);
                prop_assert_eq!(back.to_json().unwrap(), bytes);
            }
            // Only a time outside RFC 3339's years has no form.
            Err(e) => prop_assert!(e.to_string().contains("RFC 3339"), "{}", e),
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = Message::from_json(&bytes, &DecodeLimits::DEFAULT);
    }
}
