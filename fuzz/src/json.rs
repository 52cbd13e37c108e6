//! `json`: any text read as a message's JSON form (`Message::from_json`), as the HTTP and
//! WebSocket routes read what browsers send.
//!
//! - memory within the same bound as a BERT frame of the same size;
//! - a message read goes through BERT and JSON and comes back as itself, and its JSON form
//!   is stable (written, read and written again, the same text).

use crate::alloc::{assert_within, peak_during};
use crate::message::{round_trips, WIDE};
use dripdrop::{DecodeLimits, Message};

pub fn check(data: &[u8]) {
    let limits = DecodeLimits::DEFAULT;
    let (message, peak) = peak_during(|| Message::from_json(data, &limits));
    assert_within("Message::from_json", data.len(), limits.max_depth, peak);
    let Ok(message) = message else { return };
    round_trips(&message);
    if let Ok(json) = message.to_json() {
        if let Ok(again) = Message::from_json(&json, &WIDE) {
            assert_eq!(again.to_json().ok(), Some(json), "JSON form is not stable");
        }
    }
}
