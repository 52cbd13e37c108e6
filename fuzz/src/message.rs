//! `message`: any frame read as a `Message`, as every route reads one.
//!
//! - memory within the documented bound;
//! - the fast reading of the usual layout agrees with the general one (decode the dict, then
//!   take its fields), errors included, within the default limits and tight ones;
//! - a message read encodes and reads back as itself, and so does its JSON form (unless the
//!   JSON nests deeper than the JSON reader's 128 levels: a tuple is two levels in JSON).

use crate::alloc::{assert_within, peak_during};
use crate::bert::TIGHT;
use dripdrop::bert::{decode_with_limits, HARD_MAX_DEPTH};
use dripdrop::{DecodeLimits, Message};

/// The widest limits JSON can be read back within.
pub const WIDE: DecodeLimits = DecodeLimits {
    max_depth: HARD_MAX_DEPTH,
    max_input_bytes: usize::MAX,
    max_elements: usize::MAX,
    max_bigint_bytes: usize::MAX,
};

pub fn check(data: &[u8]) {
    let (message, peak) = peak_during(|| Message::decode(data));
    assert_within(
        "Message::decode",
        data.len(),
        DecodeLimits::DEFAULT.max_depth,
        peak,
    );

    for limits in [DecodeLimits::DEFAULT, TIGHT] {
        let fast = Message::decode_with_limits(data, &limits).map_err(|e| e.to_string());
        let generic = decode_with_limits(data, &limits)
            .map_err(dripdrop::Error::from)
            .and_then(Message::from_value)
            .map_err(|e| e.to_string());
        assert_eq!(
            fast, generic,
            "fast and general readings differ ({limits:?})"
        );
    }

    let Ok(message) = message else { return };
    round_trips(&message);
}

/// A message goes through BERT and JSON and comes back as itself.
pub fn round_trips(message: &Message) {
    if let Ok(bytes) = message.encode() {
        let again = Message::decode(&bytes).expect("what was encoded decodes");
        assert_eq!(&again, message, "a message does not survive BERT");
    }
    if let Ok(json) = message.to_json() {
        match Message::from_json(&json, &WIDE) {
            Ok(again) => assert_eq!(&again, message, "a message does not survive JSON"),
            Err(e) => assert!(
                e.to_string().contains("recursion limit"),
                "the JSON of a message does not read back: {e}"
            ),
        }
    }
}
