//! Hostile frames: each gives a typed error naming the byte offset, never a panic, an abort
//! or a large allocation. The first cases are the ones that break eetf 0.12.

use dripdrop::bert::{
    decode, decode_term, decode_with_limits, encode, DecodeErrorKind as Kind, DecodeLimits,
    HARD_MAX_DEPTH,
};
use dripdrop::{Error, Message};

fn error_of(bytes: &[u8]) -> (usize, Kind) {
    let e = decode(bytes).expect_err("hostile frame must not decode");
    (e.offset, e.kind)
}

#[test]
fn huge_list_length_in_six_bytes_is_refused_before_allocating() {
    let (offset, kind) = error_of(&[131, 108, 0xff, 0xff, 0xff, 0xff]);
    assert_eq!(offset, 1);
    assert!(
        matches!(
            kind,
            Kind::CountExceedsInput {
                what: "list",
                count: 4_294_967_295,
                remaining: 0
            }
        ),
        "{kind:?}"
    );
}

#[test]
fn huge_counts_of_every_container_are_refused() {
    for (tag, what) in [(105u8, "tuple"), (116, "map")] {
        let (offset, kind) = error_of(&[131, tag, 0xff, 0xff, 0xff, 0xff, 97, 1]);
        assert_eq!(offset, 1);
        assert!(
            matches!(kind, Kind::CountExceedsInput { what: w, .. } if w == what),
            "{kind:?}"
        );
    }
    let (_, kind) = error_of(&[131, 107, 0xff, 0xff, b'a']);
    assert!(
        matches!(kind, Kind::CountExceedsInput { what: "string", .. }),
        "{kind:?}"
    );
    let (_, kind) = error_of(&[131, 109, 0xff, 0xff, 0xff, 0xff, 0]);
    assert!(matches!(kind, Kind::UnexpectedEnd { .. }), "{kind:?}");
}

fn nested_lists(levels: usize) -> Vec<u8> {
    let mut bytes = vec![131];
    for _ in 0..levels {
        bytes.extend_from_slice(&[108, 0, 0, 0, 1]);
    }
    bytes.push(106);
    bytes.extend(std::iter::repeat_n(106, levels));
    bytes
}

#[test]
fn seven_thousand_levels_of_nesting_are_refused() {
    let (offset, kind) = error_of(&nested_lists(7000));
    assert_eq!(
        kind,
        Kind::TooDeep {
            max: DecodeLimits::DEFAULT.max_depth
        }
    );
    assert_eq!(offset, 1 + 5 * DecodeLimits::DEFAULT.max_depth);
}

#[test]
fn depth_limit_is_capped_however_it_is_configured() {
    let limits = DecodeLimits {
        max_depth: usize::MAX,
        ..DecodeLimits::DEFAULT
    };
    let frame = nested_lists(100_000);
    // A thread with a 1 MiB stack, like a Ruby thread.
    let result = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || decode_with_limits(&frame, &limits).map(|_| ()))
        .expect("spawn")
        .join()
        .expect("no stack overflow");
    assert_eq!(
        result.expect_err("too deep").kind,
        Kind::TooDeep {
            max: HARD_MAX_DEPTH
        }
    );
    // Just inside the cap decodes, and the value re-encodes and drops within the same stack.
    let ok = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            let frame = nested_lists(HARD_MAX_DEPTH);
            let value = decode_with_limits(&frame, &limits).expect("at the cap");
            encode(&value).expect("re-encodes") == frame
        })
        .expect("spawn")
        .join()
        .expect("no stack overflow");
    assert!(ok);
}

#[test]
fn erlang_only_terms_are_refused_by_name() {
    for (tag, name) in [
        (68u8, "distribution header"),
        (82, "atom cache reference"),
        (80, "compressed term"),
        (77, "bit binary"),
        (88, "pid"),
        (103, "pid"),
        (90, "reference"),
        (112, "fun"),
        (113, "export"),
        (117, "fun"),
        (89, "port"),
    ] {
        let (offset, kind) = error_of(&[131, tag, 0, 0, 0, 9]);
        assert_eq!(offset, 1);
        assert_eq!(kind, Kind::UnsupportedTag { tag, name });
    }
    assert_eq!(error_of(&[131, 200]), (1, Kind::UnknownTag(200)));
}

#[test]
fn compressed_term_with_a_lying_size_is_refused_without_inflating() {
    // COMPRESSED claims 4 GiB uncompressed; we never inflate.
    let (offset, kind) = error_of(&[131, 80, 0xff, 0xff, 0xff, 0xff, 0x78, 0x9c, 3, 0]);
    assert_eq!(
        (offset, kind),
        (
            1,
            Kind::UnsupportedTag {
                tag: 80,
                name: "compressed term"
            }
        )
    );
}

#[test]
fn framing_errors() {
    assert_eq!(error_of(&[]), (0, Kind::Empty));
    assert_eq!(error_of(&[130, 97, 1]), (0, Kind::BadVersion(130)));
    assert_eq!(
        error_of(&[131, 97, 1, 0, 0]),
        (3, Kind::TrailingBytes { count: 2 })
    );
    assert_eq!(
        error_of(&[131, 108, 0, 0, 0, 1, 97, 1, 97, 2]),
        (8, Kind::ImproperList)
    );
}

#[test]
fn every_truncation_of_a_valid_frame_is_an_error() {
    let msg = Message::new("truncate me")
        .expect("valid name")
        .with_head_entry("k", dripdrop::Value::Float(1.5))
        .with_body(dripdrop::Value::from(u64::MAX));
    let frame = msg.encode().expect("encodes");
    for cut in 0..frame.len() {
        let err = decode(&frame[..cut]).expect_err("a cut frame is incomplete");
        assert!(
            matches!(
                err.kind,
                Kind::UnexpectedEnd { .. } | Kind::CountExceedsInput { .. } | Kind::Empty
            ),
            "cut at {cut}: {err}"
        );
    }
}

#[test]
fn big_integers_beyond_the_limit_are_refused_before_reading() {
    let (offset, kind) = error_of(&[131, 111, 0xff, 0xff, 0xff, 0xff, 0]);
    assert_eq!(offset, 1);
    assert_eq!(
        kind,
        Kind::BigIntTooLarge {
            len: 0xffff_ffff,
            max: 1024
        }
    );
    assert_eq!(error_of(&[131, 110, 1, 2, 5]), (3, Kind::BadBigIntSign(2)));
}

#[test]
fn floats_must_be_finite_numbers() {
    let mut text = [0u8; 31];
    text[..3].copy_from_slice(b"nan");
    let mut frame = vec![131, 99];
    frame.extend_from_slice(&text);
    assert!(matches!(error_of(&frame).1, Kind::BadFloat(t) if t == "nan"));
    text[..3].copy_from_slice(b"inf");
    frame.truncate(2);
    frame.extend_from_slice(&text);
    assert!(matches!(error_of(&frame).1, Kind::BadFloat(_)));
    let mut frame = vec![131, 70];
    frame.extend_from_slice(&f64::NAN.to_bits().to_be_bytes());
    assert!(matches!(error_of(&frame).1, Kind::BadFloat(_)));
}

#[test]
fn utf8_atoms_must_be_valid_utf8() {
    assert_eq!(error_of(&[131, 119, 2, 0xc3, 0x28]), (1, Kind::AtomNotUtf8));
}

#[test]
fn element_and_size_budgets_are_enforced() {
    let limits = DecodeLimits {
        max_elements: 3,
        ..DecodeLimits::DEFAULT
    };
    let four = [131, 108, 0, 0, 0, 4, 97, 1, 97, 2, 97, 3, 97, 4, 106];
    let err = decode_with_limits(&four, &limits).expect_err("4 elements > 3");
    assert_eq!(err.kind, Kind::TooManyElements { max: 3 });
    let limits = DecodeLimits {
        max_input_bytes: 10,
        ..DecodeLimits::DEFAULT
    };
    let err = decode_with_limits(&four, &limits).expect_err("15 bytes > 10");
    assert_eq!(err.kind, Kind::InputTooLarge { len: 15, max: 10 });
    assert!(decode_term(&four, &DecodeLimits::DEFAULT).is_ok());
}

#[test]
fn errors_read_well() {
    let err = decode(&[131, 108, 0xff, 0xff, 0xff, 0xff]).expect_err("hostile");
    assert_eq!(
        err.to_string(),
        "at byte 1: list of 4294967295 elements exceeds the 0 bytes left in the input"
    );
    let err = Message::decode(&[131, 97, 1]).expect_err("not a message");
    assert!(matches!(err, Error::Message(_)));
    assert_eq!(
        err.to_string(),
        "invalid message: message frame holds a integer, expected a dict of name, head and body"
    );
}
