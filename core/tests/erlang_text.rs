//! Erlang term syntax: what `dripdrop bert encode` reads (`text::parse`), including its errors.

use dripdrop::bert::text::{parse, ParseError, ParseErrorKind};
use dripdrop::bert::{Term, HARD_MAX_DEPTH};

fn ok(text: &str) -> Term {
    parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn err(text: &str) -> ParseError {
    match parse(text) {
        Ok(term) => panic!("{text:?} parsed as {term:?}"),
        Err(e) => e,
    }
}

fn message(text: &str) -> String {
    err(text).to_string()
}

fn int(n: i64) -> Term {
    Term::Int(n)
}

fn big(text: &str) -> Term {
    Term::from_bigint(text.parse().expect("test big integer"))
}

fn ints(values: &[i64]) -> Term {
    Term::List(values.iter().map(|&n| Term::Int(n)).collect())
}

fn bin(bytes: &[u8]) -> Term {
    Term::Binary(bytes.to_vec())
}

#[test]
fn atoms_bare_and_quoted() {
    assert_eq!(ok("abc"), Term::atom("abc"));
    assert_eq!(ok("aB_@9"), Term::atom("aB_@9"));
    assert_eq!(ok("ärlig"), Term::atom("ärlig"));
    assert_eq!(ok("''"), Term::atom(""));
    assert_eq!(ok("'Hello world'"), Term::atom("Hello world"));
    assert_eq!(ok("'case'"), Term::atom("case"));
    assert_eq!(ok(r"'it\'s'"), Term::atom("it's"));
    assert_eq!(
        ok(r"'\x{1F600}\xe9\101\^a\s\d'"),
        Term::atom("😀éA\u{1} \u{7f}")
    );
    assert_eq!(
        ok(r#"'\b\e\f\n\r\t\v\\\"\z'"#),
        Term::atom("\u{8}\u{1b}\u{c}\n\r\t\u{b}\\\"z")
    );
    assert_eq!(ok(&"a".repeat(255)), Term::atom("a".repeat(255)));
}

#[test]
fn atom_errors() {
    assert_eq!(
        err("case").kind,
        ParseErrorKind::ReservedWord("case".into())
    );
    assert_eq!(
        message("{ok, end}"),
        "line 1, column 6: 'end' is a reserved word; write the atom quoted, as 'end'"
    );
    assert_eq!(err(&"a".repeat(256)).kind, ParseErrorKind::AtomTooLong(256));
    assert_eq!(
        err(&format!("'{}'", "é".repeat(300))).kind,
        ParseErrorKind::AtomTooLong(300)
    );
    assert_eq!(
        message("'abc"),
        "line 1, column 1: unterminated quoted atom"
    );
    assert_eq!(
        message("Foo"),
        "line 1, column 1: expected a term but found 'Foo'"
    );
    assert_eq!(
        message("_"),
        "line 1, column 1: expected a term but found '_'"
    );
}

#[test]
fn bad_escapes_are_quoted_as_written() {
    let cases = [
        (r"'\x{110000}'", r"\x{110000}"),
        (r#""ab\x{D800}""#, r"\x{D800}"),
        (r"'\xZZ'", r"\x"),
        (r"'\x{12'", r"\x{12"),
        (r"'\x{}'", r"\x{}"),
        (r"'\x{FFFFFFFFFFFFFFFFFFFF}'", r"\x{FFFFFFFFFFFFFFFFFFFF}"),
    ];
    for (text, escape) in cases {
        assert_eq!(
            err(text).kind,
            ParseErrorKind::BadEscape(escape.into()),
            "{text}"
        );
    }
    assert_eq!(
        message(r#"["ok", "a\x{110000}"]"#),
        r"line 1, column 10: invalid escape sequence \x{110000}"
    );
    assert!(parse("'\\").is_err());
    assert!(parse("$\\").is_err());
    assert!(parse("$").is_err());
}

#[test]
fn integers() {
    assert_eq!(ok("0"), int(0));
    assert_eq!(ok("-1"), int(-1));
    assert_eq!(ok("+7"), int(7));
    assert_eq!(ok("- 5"), int(-5));
    assert_eq!(ok("1_000_000"), int(1_000_000));
    assert_eq!(ok("16#FF"), int(255));
    assert_eq!(ok("16#ff_ff"), int(0xffff));
    assert_eq!(ok("-2#1010"), int(-10));
    assert_eq!(ok("36#zZ"), int(35 * 36 + 35));
    assert_eq!(ok("$a"), int(97));
    assert_eq!(ok("$\\n"), int(10));
    assert_eq!(ok("$ "), int(32));
    assert_eq!(ok("$😀"), int(0x1F600));
    assert_eq!(ok("-$a"), int(-97));
    assert_eq!(ok("-9223372036854775808"), int(i64::MIN));
    assert_eq!(ok("9223372036854775807"), int(i64::MAX));
    assert_eq!(ok("9223372036854775808"), big("9223372036854775808"));
    assert_eq!(
        ok("-1_0000000000_0000000000_0000000000_0000000000"),
        big(&format!("-1{}", "0".repeat(40)))
    );
    assert_eq!(ok("16#1_0000_0000_0000_0000"), big("18446744073709551616"));
}

#[test]
fn integer_errors() {
    assert_eq!(
        message("37#1"),
        "line 1, column 1: invalid number 37#: the base must be 2 to 36"
    );
    assert!(matches!(err("1#1").kind, ParseErrorKind::BadNumber(_)));
    assert_eq!(
        message("[16#]"),
        "line 1, column 2: invalid number 16#: no base-16 digits"
    );
    assert_eq!(
        message("2#102"),
        "line 1, column 5: expected '.' or end of input but found '2'"
    );
    assert!(parse("1__0").is_err());
    assert!(parse("1_").is_err());
    assert!(parse("_1").is_err());
    assert!(parse("1e5").is_err());
    assert_eq!(
        message("-"),
        "line 1, column 2: expected a number after the sign but found end of input"
    );
    assert!(parse("- a").is_err());
}

#[test]
fn floats() {
    assert_eq!(ok("1.0"), Term::Float(1.0));
    assert_eq!(ok("-2.5e-3"), Term::Float(-2.5e-3));
    assert_eq!(ok("1.0e300"), Term::Float(1e300));
    assert_eq!(ok("1.5E+2"), Term::Float(150.0));
    assert_eq!(ok("1_0.2_5"), Term::Float(10.25));
    assert_eq!(ok("4.9406564584124654e-324"), Term::Float(5e-324));
    let Term::Float(zero) = ok("-0.0") else {
        panic!("not a float")
    };
    assert!(zero == 0.0 && zero.is_sign_negative());
    assert_eq!(ok("1."), int(1));
    assert!(parse("1.0e").is_err());
    assert!(parse("1.0e+").is_err());
}

#[test]
fn float_errors() {
    assert_eq!(
        err("1.0e400").kind,
        ParseErrorKind::FloatOutOfRange("1.0e400".into())
    );
    assert_eq!(
        err("-1.0e400").kind,
        ParseErrorKind::FloatOutOfRange("-1.0e400".into())
    );
    assert!(parse("1.e5").is_err());
    assert!(parse(".5").is_err());
}

#[test]
fn binaries() {
    assert_eq!(ok("<<>>"), bin(b""));
    assert_eq!(ok("<< >>"), bin(b""));
    assert_eq!(ok(r#"<<"abc">>"#), bin(b"abc"));
    assert_eq!(ok(r#"<<"é€">>"#), bin(&[0xE9, 0xAC]));
    assert_eq!(ok(r#"<<"é"/utf8>>"#), bin("é".as_bytes()));
    assert_eq!(ok(r#"<< "\x{E9}" / utf8 >>"#), bin("é".as_bytes()));
    assert_eq!(ok("<<1,2,255>>"), bin(&[1, 2, 255]));
    assert_eq!(
        ok("<<256, -1, 16#1FF, 18446744073709551617>>"),
        bin(&[0, 255, 255, 1])
    );
    assert_eq!(ok("<<-18446744073709551617>>"), bin(&[255]));
    assert_eq!(ok(r#"<<"ab",0,"c"/utf8>>"#), bin(b"ab\0c"));
    assert_eq!(
        ok(r#"<<"a" "b", $c, $é/utf8, 1024/utf8>>"#),
        bin("abcéЀ".as_bytes())
    );
    assert_eq!(ok(r#"<<"">>"#), bin(b""));
}

#[test]
fn binary_errors() {
    assert!(matches!(err("<<1.0>>").kind, ParseErrorKind::BadSegment(_)));
    assert!(matches!(
        err("<<55296/utf8>>").kind,
        ParseErrorKind::BadSegment(_)
    ));
    assert!(matches!(
        err("<<-1/utf8>>").kind,
        ParseErrorKind::BadSegment(_)
    ));
    assert_eq!(
        message(r#"<<"a"/utf16>>"#),
        "line 1, column 7: expected 'utf8' (the only segment type supported) but found 'utf16'"
    );
    assert_eq!(
        message("<<1:8>>"),
        "line 1, column 4: expected ',' or '>>' but found ':'"
    );
    assert_eq!(
        message("<<a>>"),
        "line 1, column 3: expected an integer or a string but found 'a'"
    );
    assert!(parse("<<1,>>").is_err());
    assert!(parse("<1>").is_err());
    assert!(parse("<<1").is_err());
}

#[test]
fn strings_are_code_point_lists() {
    assert_eq!(ok(r#""""#), Term::List(vec![]));
    assert_eq!(ok(r#""hi""#), ints(&[104, 105]));
    assert_eq!(
        ok(r#""a" "b"  % comment
                    "c""#),
        ints(&[97, 98, 99])
    );
    assert_eq!(ok(r#""é\x{1F600}\n""#), ints(&[0xE9, 0x1F600, 10]));
    assert_eq!(message("\"abc"), "line 1, column 1: unterminated string");
}

#[test]
fn containers() {
    let a = Term::atom("a");
    let b = Term::atom("b");
    assert_eq!(ok("[]"), Term::List(vec![]));
    assert_eq!(ok("{}"), Term::Tuple(vec![]));
    assert_eq!(ok("#{}"), Term::Map(vec![]));
    assert_eq!(ok("[a, b]"), Term::List(vec![a.clone(), b.clone()]));
    assert_eq!(ok("{ a ,b }"), Term::Tuple(vec![a.clone(), b.clone()]));
    assert_eq!(ok("[a|[b]]"), Term::List(vec![a.clone(), b.clone()]));
    assert_eq!(ok("[1 | \"ab\"]"), ints(&[1, 97, 98]));
    assert_eq!(
        ok("#{a => 1, b => [2]}"),
        Term::Map(vec![(a.clone(), int(1)), (b.clone(), ints(&[2]))])
    );
    assert_eq!(
        ok("#{a => 1, b => 2, a => 3}"),
        Term::Map(vec![(a.clone(), int(3)), (b, int(2))])
    );
    assert_eq!(
        ok("#{0.0 => 1, -0.0 => 2}"),
        Term::Map(vec![
            (Term::Float(0.0), int(1)),
            (Term::Float(-0.0), int(2))
        ])
    );
    assert_eq!(
        ok("\n  % leading comment\n{a, % inner\n []}. % end"),
        Term::Tuple(vec![a, Term::List(vec![])])
    );
}

#[test]
fn container_errors_say_what_was_expected() {
    assert_eq!(
        message("{a, b]"),
        "line 1, column 6: expected ',' or '}' but found ']'"
    );
    assert_eq!(
        message("{a,\n  b]"),
        "line 2, column 4: expected ',' or '}' but found ']'"
    );
    assert_eq!(
        message("[a, b}"),
        "line 1, column 6: expected ',', '|' or ']' but found '}'"
    );
    assert_eq!(
        message("[a,]"),
        "line 1, column 4: expected a term but found ']'"
    );
    assert_eq!(
        message("[a|b]"),
        "line 1, column 4: improper list: the tail after '|' must be a list"
    );
    assert_eq!(
        message("[a|[b] c]"),
        "line 1, column 8: expected ']' but found 'c'"
    );
    assert_eq!(
        message("#{a, b}"),
        "line 1, column 4: expected '=>' but found ','"
    );
    assert_eq!(
        message("#{a := b}"),
        "line 1, column 5: expected '=>' but found ':'"
    );
    assert_eq!(
        message("#[a]"),
        "line 1, column 2: expected '{' after '#' but found '['"
    );
    assert_eq!(
        message(""),
        "line 1, column 1: expected a term but found end of input"
    );
    assert_eq!(
        message("  % only a comment"),
        "line 1, column 19: expected a term but found end of input"
    );
    assert_eq!(
        message("a b"),
        "line 1, column 3: expected '.' or end of input but found 'b'"
    );
    assert_eq!(
        message("a. b"),
        "line 1, column 4: expected end of input but found 'b'"
    );
    assert_eq!(
        message("a.."),
        "line 1, column 3: expected end of input but found '.'"
    );
    assert_eq!(
        message("{\u{0}"),
        "line 1, column 3: expected a term but found end of input"
    );
    assert_eq!(
        message("{\u{7}"),
        "line 1, column 3: expected a term but found end of input"
    );
    assert_eq!(
        message("{!"),
        "line 1, column 2: expected a term but found '!'"
    );
}

#[test]
fn nesting_is_limited() {
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    let mut term = ok(&deep(HARD_MAX_DEPTH));
    let mut levels = 0;
    while let Term::List(mut items) = term {
        levels += 1;
        term = items.pop().unwrap_or(Term::Int(0));
    }
    assert_eq!(levels, HARD_MAX_DEPTH);
    let too_deep = err(&deep(HARD_MAX_DEPTH + 1));
    assert_eq!(
        too_deep.kind,
        ParseErrorKind::TooDeep {
            max: HARD_MAX_DEPTH
        }
    );
    assert_eq!(too_deep.column, HARD_MAX_DEPTH + 1);
    // Far past the limit the parser stops early instead of overflowing the stack.
    assert!(parse(&"{#{[".repeat(100_000)).is_err());
}

proptest::proptest! {
    #[test]
    fn odd_input_never_panics(text in "[\\[\\]{}#<>\"'$\\\\,.|=a-zA-Z0-9_ %\n/+:-é😀\u{0}]{0,40}") {
        let _ = parse(&text);
    }
}
