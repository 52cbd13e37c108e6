//! Erlang term syntax for raw [`Term`]s: what `dripdrop bert encode` reads and
//! `dripdrop bert decode` prints.
//!
//! [`Term`]: super::Term
//!
//! ```
//! use dripdrop::bert::text::{parse, print};
//!
//! let term = parse("{reply, <<\"ok\">>, [1, 2.5, #{n => -3}]}.").unwrap();
//! assert_eq!(print(&term), "{reply,<<\"ok\">>,[1,2.5,#{n => -3}]}");
//! assert_eq!(parse(&print(&term)).unwrap(), term);
//! ```

mod parse;
mod print;
mod scalar;

pub use parse::{parse, ParseError, ParseErrorKind};
pub use print::print;

/// Erlang's reserved words: written bare they are keywords, so as atoms they must be quoted.
const RESERVED_WORDS: &[&str] = &[
    "after", "and", "andalso", "band", "begin", "bnot", "bor", "bsl", "bsr", "bxor", "case",
    "catch", "cond", "div", "else", "end", "fun", "if", "let", "maybe", "not", "of", "or",
    "orelse", "receive", "rem", "try", "when", "xor",
];

fn is_reserved_word(name: &str) -> bool {
    RESERVED_WORDS.contains(&name)
}
