//! `erlang_text`: any text given to `dripdrop bert encode`, read by the Erlang-syntax
//! parser.
//!
//! - a term read prints as text that reads back as the same term, and prints the same again;
//! - a term read encodes to a frame that decodes to the same term.

use dripdrop::bert::text::{parse, print};
use dripdrop::bert::{decode_term, encode_term};

use crate::message::WIDE;

pub fn check(data: &[u8]) {
    // The tool refuses input that is not UTF-8 before parsing it.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(term) = parse(text) else { return };
    let printed = print(&term);
    let again = parse(&printed)
        .unwrap_or_else(|e| panic!("printed text does not read back: {e}\n{printed}"));
    assert_eq!(again, term, "a term does not survive printing");
    assert_eq!(print(&again), printed, "printing is not stable");
    if let Ok(frame) = encode_term(&term) {
        let decoded = decode_term(&frame, &WIDE).expect("what was encoded decodes");
        assert_eq!(decoded, term, "a term does not survive encoding");
    }
}
