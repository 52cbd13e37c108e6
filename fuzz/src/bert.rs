//! `bert`: any frame through the BERT decoder.
//!
//! - memory within the documented bound;
//! - the fast reading of `{bert, dict, ...}` and `{bert, nil|true|false}` agrees with the
//!   general one (a raw `Term`, then BERT's complex types): the same frames read, as the
//!   same values, within the default limits and within tight ones (both count the same
//!   depth and terms);
//! - a term built (`decode_nested`) and a term walked over (`skip_nested`, what a pool does
//!   to a result nobody waits for) end at the same byte, or both fail;
//! - whatever decodes and encodes again decodes to itself, and encodes to the same bytes.

use crate::alloc::{assert_within, peak_during};
use dripdrop::bert::{decode, decode_term, decode_with_limits, encode, DecodeLimits, Term};
use dripdrop::fuzzing::bert::{decode_nested, skip_nested};

/// Limits small enough for fuzzed inputs to run into.
pub const TIGHT: DecodeLimits = DecodeLimits {
    max_depth: 4,
    max_elements: 30,
    max_input_bytes: 64 << 20,
    max_bigint_bytes: 16,
};

pub fn check(data: &[u8]) {
    let (value, peak) = peak_during(|| decode(data));
    assert_within("decode", data.len(), DecodeLimits::DEFAULT.max_depth, peak);

    for limits in [DecodeLimits::DEFAULT, TIGHT] {
        // Both read the same frames, and the same values from them. Their errors may differ
        // for a frame that breaks two rules: the fast reading of a dict claims its list's
        // length before the depth of its tuple is checked, so a frame both too deep and with
        // too many terms is `TooManyElements` there and `TooDeep` in the general reading.
        let fast = decode_with_limits(data, &limits).ok();
        let generic = decode_term(data, &limits).map(Term::into_value).ok();
        assert_eq!(
            fast, generic,
            "fast and general readings differ ({limits:?})"
        );

        let built = decode_nested(data, 1, 0, &limits).map(|(_, end)| end);
        let walked = skip_nested(data, 1, 0, &limits);
        assert_eq!(
            built.map_err(|e| e.kind),
            walked.map_err(|e| e.kind),
            "a term built and a term walked over end apart ({limits:?})"
        );
    }

    if let Ok(value) = value {
        if let Ok(bytes) = encode(&value) {
            let again = decode(&bytes).expect("what was encoded decodes");
            assert_eq!(again, value, "a value does not survive a round trip");
            assert_eq!(encode(&again).ok(), Some(bytes), "encoding is not stable");
        }
    }
}
