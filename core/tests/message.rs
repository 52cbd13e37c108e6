//! Message validation, head/body access, and encode errors that name the failing path.

use dripdrop::bert::{decode, encode, EncodeErrorKind};
use dripdrop::{Error, Message, MessageError, Value};

#[test]
fn names_must_be_non_empty_and_nul_free() {
    assert_eq!(
        Message::new(""),
        Err(Error::Message(MessageError::EmptyName))
    );
    assert_eq!(
        Message::new("a\0b"),
        Err(Error::Message(MessageError::NameHasNul))
    );
    assert_eq!(
        Message::new("caf\u{e9}").map(|m| m.name().to_owned()),
        Ok("caf\u{e9}".into())
    );
}

#[test]
fn head_must_be_a_dict() {
    let err = Message::new("m").and_then(|m| m.with_head(Value::List(vec![])));
    assert_eq!(err, Err(Error::Message(MessageError::HeadNotDict("list"))));
    let msg = Message::new("m")
        .and_then(|m| m.with_head(Value::Dict(vec![(Value::atom("k"), Value::Int(1))])))
        .expect("a dict head");
    assert_eq!(msg.head_get("k"), Some(&Value::Int(1)));
    assert_eq!(msg.head_get("missing"), None);
}

#[test]
fn decoding_validates_the_frame() {
    let frame = |v: Value| encode(&v).expect("encodes");
    let dict = |pairs: Vec<(&str, Value)>| {
        Value::Dict(
            pairs
                .into_iter()
                .map(|(k, v)| (Value::atom(k), v))
                .collect(),
        )
    };
    let cases = [
        (
            dict(vec![("head", Value::Dict(vec![]))]),
            MessageError::MissingName,
        ),
        (
            dict(vec![("name", Value::from(""))]),
            MessageError::EmptyName,
        ),
        (
            dict(vec![("name", Value::Int(3))]),
            MessageError::NameNotText("integer"),
        ),
        (
            dict(vec![("name", Value::binary(vec![0xff]))]),
            MessageError::NameNotUtf8,
        ),
        (
            dict(vec![("name", Value::from("n")), ("head", Value::Int(1))]),
            MessageError::HeadNotDict("integer"),
        ),
        (Value::List(vec![]), MessageError::NotADict("list")),
    ];
    for (value, want) in cases {
        assert_eq!(Message::decode(&frame(value)), Err(Error::Message(want)));
    }
}

#[test]
fn decoding_is_liberal_about_keys_and_missing_parts() {
    // Binary keys (the original gem's to_hash), an atom name, no head, no body.
    let value = Value::Dict(vec![(Value::from("name"), Value::atom("tick"))]);
    let msg = Message::decode(&encode(&value).expect("encodes")).expect("decodes");
    assert_eq!(msg.name(), "tick");
    assert!(msg.head().is_empty());
    assert_eq!(msg.body(), &Value::Nil);
    // An Erlang map decodes like a dict: 131 116 <2> {name => <<"x">>, body => 7}.
    let mut map = vec![131, 116, 0, 0, 0, 2, 100, 0, 4];
    map.extend_from_slice(b"name");
    map.extend_from_slice(&[109, 0, 0, 0, 1, b'x', 100, 0, 4]);
    map.extend_from_slice(b"body");
    map.extend_from_slice(&[97, 7]);
    let msg = Message::decode(&map).expect("a map frame decodes");
    assert_eq!((msg.name(), msg.body()), ("x", &Value::Int(7)));
}

#[test]
fn frame_is_the_bert_dict_of_name_head_and_body() {
    let msg = Message::new("n").expect("valid").with_body(Value::Int(1));
    let value = decode(&msg.encode().expect("encodes")).expect("decodes");
    assert_eq!(value, msg.to_value());
    assert_eq!(Message::from_value(value), Ok(msg));
}

#[test]
fn encode_errors_name_the_path() {
    let body = Value::Dict(vec![(
        Value::from("items"),
        Value::List(vec![
            Value::Int(0),
            Value::Int(1),
            Value::Int(2),
            Value::Float(f64::NAN),
        ]),
    )]);
    let err = Message::new("m")
        .expect("valid")
        .with_body(body)
        .encode()
        .expect_err("NaN");
    let Error::Encode(e) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(e.path(), "body.items[3]");
    assert!(matches!(e.kind, EncodeErrorKind::NonFiniteFloat(_)));
    assert_eq!(
        err.to_string(),
        "encode error: cannot encode body.items[3]: float NaN is not finite (Erlang has no NaN or infinity)"
    );

    let head = Value::Dict(vec![(Value::Int(5), Value::atom("\u{65e5}"))]);
    let err = Message::new("m")
        .and_then(|m| m.with_head(head))
        .expect("dict")
        .encode();
    let Err(Error::Encode(e)) = err else {
        panic!("{err:?}")
    };
    assert_eq!(e.path(), "head[0]");
    assert!(matches!(e.kind, EncodeErrorKind::AtomNotLatin1(_)));

    let reserved = Value::Tuple(vec![Value::atom("bert"), Value::atom("nil")]);
    let e = encode(&Value::List(vec![reserved])).expect_err("reserved shape");
    assert_eq!(e.path(), "[0]");
    assert_eq!(e.kind, EncodeErrorKind::ReservedTuple("nil".into()));
}

#[test]
fn encode_refuses_nesting_beyond_the_hard_limit() {
    let mut deep = Value::Int(0);
    for _ in 0..2000 {
        deep = Value::List(vec![deep]);
    }
    let e = encode(&deep).expect_err("too deep");
    assert!(matches!(e.kind, EncodeErrorKind::TooDeep { .. }));
}
