//! Writing a term in Erlang syntax that Erlang reads back as exactly the same term.

use super::is_reserved_word;
use crate::bert::Term;

/// Writes `term` in Erlang syntax (without a final `.`), in ASCII only, such that
/// `erl_scan:string` + `erl_parse:parse_term` (and [`parse`](super::parse)) read back exactly
/// the same term: floats with the shortest digits that round-trip (`-0.0` keeps its sign),
/// binaries as `<<"text">>`, `<<"text"/utf8>>` or `<<1,2,3>>`, lists always as lists of
/// elements (never as "strings"), atoms quoted only when they must be.
///
/// Non-finite floats, which no Erlang term holds and no decoder yields, are written as
/// `1.0e999`, `-1.0e999` and `0.0/0.0`: text that both Erlang and `parse` refuse.
/// A map holding a key twice, which Erlang never makes, prints both entries; reading the
/// text back keeps the last, as Erlang would.
///
/// ```
/// use dripdrop::bert::{text::print, Term};
///
/// let term = Term::Tuple(vec![Term::atom("case"), Term::Float(1e300), Term::Binary(vec![0, 255])]);
/// assert_eq!(print(&term), "{'case',1.0e300,<<0,255>>}");
/// ```
pub fn print(term: &Term) -> String {
    // An explicit stack rather than recursion: a term built in Rust may nest without limit.
    let mut out = String::new();
    let mut stack = vec![Step::Term(term)];
    while let Some(step) = stack.pop() {
        match step {
            Step::Text(text) => out.push_str(text),
            Step::Term(term) => write_term(&mut out, term, &mut stack),
        }
    }
    out
}

/// Work left to do, popped last-pushed first.
enum Step<'a> {
    Term(&'a Term),
    Text(&'static str),
}

/// Writes a scalar, or the opening of a container with the rest pushed onto `stack`.
fn write_term<'a>(out: &mut String, term: &'a Term, stack: &mut Vec<Step<'a>>) {
    match term {
        Term::Atom(atom) => write_atom(out, atom.as_str()),
        Term::Int(n) => out.push_str(&n.to_string()),
        Term::BigInt(n) => out.push_str(&n.to_string()),
        Term::Float(f) => write_float(out, *f),
        Term::Binary(bytes) => write_binary(out, bytes),
        Term::List(items) => open_sequence(out, ("[", "]"), items, stack),
        Term::Tuple(items) => open_sequence(out, ("{", "}"), items, stack),
        Term::Map(pairs) => {
            out.push_str("#{");
            stack.push(Step::Text("}"));
            for (i, (key, value)) in pairs.iter().enumerate().rev() {
                stack.extend([Step::Term(value), Step::Text(" => "), Step::Term(key)]);
                if i > 0 {
                    stack.push(Step::Text(","));
                }
            }
        }
    }
}

fn open_sequence<'a>(
    out: &mut String,
    (open, close): (&'static str, &'static str),
    items: &'a [Term],
    stack: &mut Vec<Step<'a>>,
) {
    out.push_str(open);
    stack.push(Step::Text(close));
    for (i, item) in items.iter().enumerate().rev() {
        stack.push(Step::Term(item));
        if i > 0 {
            stack.push(Step::Text(","));
        }
    }
}

fn write_atom(out: &mut String, name: &str) {
    if is_bare_atom(name) {
        out.push_str(name);
    } else {
        out.push('\'');
        write_escaped(out, name.chars(), '\'');
        out.push('\'');
    }
}

/// Whether Erlang reads `name` unquoted as this atom. Latin-1 letters would qualify too, but
/// the output stays ASCII.
fn is_bare_atom(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '@')
        && !is_reserved_word(name)
}

/// The inside of a quoted atom or string: printable ASCII as is, the rest escaped.
fn write_escaped(out: &mut String, chars: impl Iterator<Item = char>, quote: char) {
    for c in chars {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            c => out.push_str(&format!("\\x{{{:X}}}", u32::from(c))),
        }
    }
}

/// Shortest digits that read back as the same float, in Erlang's syntax, which wants digits
/// on both sides of the dot: `1.0e300`, not Rust's `1e300`.
fn write_float(out: &mut String, f: f64) {
    if !f.is_finite() {
        out.push_str(if f.is_nan() {
            "0.0/0.0"
        } else if f > 0.0 {
            "1.0e999"
        } else {
            "-1.0e999"
        });
        return;
    }
    let magnitude = f.abs();
    let text = if magnitude == 0.0 || (1e-4..1e16).contains(&magnitude) {
        f.to_string()
    } else {
        format!("{f:e}")
    };
    let (mantissa, exponent) = match text.split_once('e') {
        Some((mantissa, exponent)) => (mantissa, Some(exponent)),
        None => (text.as_str(), None),
    };
    out.push_str(mantissa);
    if !mantissa.contains('.') {
        out.push_str(".0");
    }
    if let Some(exponent) = exponent {
        out.push('e');
        out.push_str(exponent);
    }
}

fn write_binary(out: &mut String, bytes: &[u8]) {
    let is_text = |c: char| matches!(c, ' '..='~' | '\n' | '\t' | '\r');
    if bytes.iter().all(|&b| is_text(char::from(b))) {
        // Also `<<>>` for an empty binary: no string at all.
        out.push_str("<<");
        if !bytes.is_empty() {
            out.push('"');
            write_escaped(out, bytes.iter().map(|&b| char::from(b)), '"');
            out.push('"');
        }
        out.push_str(">>");
        return;
    }
    match std::str::from_utf8(bytes) {
        Ok(text) if text.chars().all(|c| is_text(c) || !c.is_control()) => {
            out.push_str("<<\"");
            write_escaped(out, text.chars(), '"');
            out.push_str("\"/utf8>>");
        }
        _ => {
            out.push_str("<<");
            let numbers: Vec<String> = bytes.iter().map(u8::to_string).collect();
            out.push_str(&numbers.join(","));
            out.push_str(">>");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;
    use num_bigint::BigInt;
    use proptest::prelude::*;

    fn atom(name: &str) -> Term {
        Term::atom(name)
    }

    fn bin(bytes: &[u8]) -> Term {
        Term::Binary(bytes.to_vec())
    }

    #[track_caller]
    fn prints(term: Term, text: &str) {
        assert_eq!(print(&term), text);
        assert_eq!(parse(text).as_ref(), Ok(&term), "{text}");
    }

    #[test]
    fn atoms_are_quoted_only_when_they_must_be() {
        prints(atom("ok"), "ok");
        prints(atom("aB_@9"), "aB_@9");
        prints(atom(""), "''");
        prints(atom("Ok"), "'Ok'");
        prints(atom("_x"), "'_x'");
        prints(atom("9a"), "'9a'");
        prints(atom("a b"), "'a b'");
        prints(atom("case"), "'case'");
        prints(atom("maybe"), "'maybe'");
        prints(atom("it's"), r"'it\'s'");
        prints(atom("a\\\"b"), r#"'a\\"b'"#);
        prints(atom("é"), r"'\x{E9}'");
        prints(atom("😀\n\u{0}"), r"'\x{1F600}\n\x{0}'");
    }

    #[test]
    fn integers_in_decimal() {
        prints(Term::Int(0), "0");
        prints(Term::Int(-1), "-1");
        prints(Term::Int(i64::MIN), "-9223372036854775808");
        let big = BigInt::from(u64::MAX) * BigInt::from(1000);
        prints(Term::from_bigint(-big), "-18446744073709551615000");
    }

    #[test]
    fn floats_in_erlang_syntax_with_shortest_digits() {
        prints(Term::Float(0.0), "0.0");
        prints(Term::Float(1.0), "1.0");
        prints(Term::Float(0.1), "0.1");
        prints(Term::Float(-2.5e-3), "-0.0025");
        prints(Term::Float(123.456), "123.456");
        prints(Term::Float(1e15), "1000000000000000.0");
        prints(Term::Float(1e16), "1.0e16");
        prints(Term::Float(1e-5), "1.0e-5");
        prints(Term::Float(1e300), "1.0e300");
        prints(Term::Float(-1.5e300), "-1.5e300");
        prints(Term::Float(5e-324), "5.0e-324");
        prints(Term::Float(f64::MAX), "1.7976931348623157e308");
        assert_eq!(print(&Term::Float(-0.0)), "-0.0");
        let Ok(Term::Float(zero)) = parse("-0.0") else {
            panic!("-0.0 is not a float")
        };
        assert!(zero.is_sign_negative());
    }

    #[test]
    fn non_finite_floats_print_as_text_nobody_accepts() {
        for f in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
            assert!(parse(&print(&Term::Float(f))).is_err());
        }
    }

    #[test]
    fn binaries_as_text_when_they_are_text() {
        prints(bin(b""), "<<>>");
        prints(bin(b"hello, world"), r#"<<"hello, world">>"#);
        prints(bin(b"say \"hi\"\\\n\t\r"), r#"<<"say \"hi\"\\\n\t\r">>"#);
        prints(bin("é😀".as_bytes()), r#"<<"\x{E9}\x{1F600}"/utf8>>"#);
        prints(bin(&[0xE9]), "<<233>>");
        prints(bin(&[0, 1, 255]), "<<0,1,255>>");
        prints(bin(b"a\0b"), "<<97,0,98>>");
        prints(bin("é\u{0}".as_bytes()), "<<195,169,0>>");
    }

    #[test]
    fn containers() {
        prints(Term::List(vec![]), "[]");
        prints(Term::Tuple(vec![]), "{}");
        prints(Term::Map(vec![]), "#{}");
        let hi = Term::List(vec![Term::Int(104), Term::Int(105)]);
        prints(hi.clone(), "[104,105]");
        prints(Term::Tuple(vec![atom("a"), hi]), "{a,[104,105]}");
        let map = Term::Map(vec![
            (atom("a"), Term::Int(-1)),
            (Term::Tuple(vec![]), Term::Map(vec![])),
        ]);
        prints(map, "#{a => -1,{} => #{}}");
    }

    #[test]
    fn deep_terms_print_without_recursion() {
        let depth = 5 * crate::bert::HARD_MAX_DEPTH;
        let mut term = Term::Int(1);
        for _ in 0..depth {
            term = Term::Tuple(vec![term]);
        }
        let text = print(&term);
        assert_eq!(text.len(), 2 * depth + 1);
        assert!(parse(&text).is_err());
        // Unnest by hand: dropping a deep term recursively would itself strain the stack.
        while let Term::Tuple(mut items) = term {
            term = items.pop().unwrap_or(Term::Int(0));
        }
    }

    /// Any term `parse` can return: atoms Erlang accepts (at most 255 characters), finite
    /// floats, and maps without repeated keys (the parser would merge them).
    fn any_term() -> impl Strategy<Value = Term> {
        let leaf = prop_oneof![
            "\\PC{0,12}".prop_map(Term::atom),
            "[a-z][a-z_@]{0,6}".prop_map(Term::atom),
            any::<i64>().prop_map(Term::Int),
            any::<i128>()
                .prop_map(|n| Term::from_bigint(BigInt::from(n) * BigInt::from(1_000_003))),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Term::Float),
            proptest::collection::vec(any::<u8>(), 0..12).prop_map(Term::Binary),
            "\\PC{0,8}".prop_map(|s| Term::Binary(s.into_bytes())),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Term::List),
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Term::Tuple),
                proptest::collection::vec((inner.clone(), inner), 0..4).prop_map(|pairs| {
                    let mut distinct: Vec<(Term, Term)> = Vec::new();
                    for (key, value) in pairs {
                        if !distinct.iter().any(|(k, _)| print(k) == print(&key)) {
                            distinct.push((key, value));
                        }
                    }
                    Term::Map(distinct)
                }),
            ]
        })
    }

    proptest! {
        #[test]
        fn parse_reads_back_what_print_writes(term in any_term()) {
            let text = print(&term);
            prop_assert!(text.is_ascii(), "{}", text);
            let back = parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
            // Compare printed forms: they are equal exactly when the terms are, -0.0 included.
            prop_assert_eq!(print(&back), text);
            prop_assert_eq!(back, term);
        }
    }
}
