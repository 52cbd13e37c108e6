//! Reading one Erlang term written in Erlang syntax, as `erl_parse:parse_term` would.

use super::is_reserved_word;
use super::print::print;
use crate::bert::{Atom, Term, HARD_MAX_DEPTH};
use num_bigint::BigInt;
use std::collections::hash_map::{Entry, HashMap};

/// Erlang refuses longer atoms, so a text naming one is not an Erlang term.
const MAX_ATOM_CHARS: usize = 255;

/// A text that is not one Erlang term: where (1-based, columns counted in characters) and
/// what was wrong there.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {kind}")]
pub struct ParseError {
    /// Line of the error, from 1.
    pub line: usize,
    /// Column of the error, from 1, in characters (not bytes).
    pub column: usize,
    /// What was wrong.
    pub kind: ParseErrorKind,
}

/// What was wrong with a text given to [`parse`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    /// Something other than what the grammar allows here; `found` quotes it, or says
    /// "end of input".
    #[error("expected {expected} but found {found}")]
    Unexpected {
        expected: &'static str,
        found: String,
    },
    /// More nested lists, tuples and maps than [`HARD_MAX_DEPTH`].
    #[error("nesting deeper than {max}")]
    TooDeep { max: usize },
    /// A quoted atom or string without its closing quote; reported at the opening quote.
    #[error("unterminated {0}")]
    Unterminated(&'static str),
    /// A reserved word (`case`, `end`...) written bare where an atom was wanted.
    #[error("'{0}' is a reserved word; write the atom quoted, as '{0}'")]
    ReservedWord(String),
    /// An atom longer than Erlang allows.
    #[error("atom of {0} characters exceeds Erlang's limit of 255")]
    AtomTooLong(usize),
    /// An escape that is malformed or names no Unicode character, as written.
    #[error("invalid escape sequence {0}")]
    BadEscape(String),
    /// An integer with a bad base (`37#1`) or no digits after `Base#`.
    #[error("invalid number {0}")]
    BadNumber(String),
    /// A float too large for an `f64`, which Erlang refuses too.
    #[error("float {0} is out of range")]
    FloatOutOfRange(String),
    /// `[a | b]`: a list whose tail is not a list, which a [`Term`] cannot hold.
    #[error("improper list: the tail after '|' must be a list")]
    ImproperList,
    /// A binary segment Erlang would refuse: a float without a size, or `/utf8` on an
    /// integer that is no Unicode code point.
    #[error("invalid binary segment: {0}")]
    BadSegment(String),
}

/// Reads one Erlang term in Erlang syntax: atoms, integers of any size (`16#ff`, `1_000`,
/// `$a`), floats, binaries (`<<"text">>`, `<<"text"/utf8>>`, `<<1,2,255>>`), strings (lists
/// of code points), lists, tuples and maps. Whitespace, `%` comments and one final `.` may
/// surround it; anything else after it is an error.
///
/// A map that names a key twice keeps the last value, as Erlang does.
///
/// ```
/// use dripdrop::bert::{text::parse, Term};
///
/// assert_eq!(parse("{ok, 16#10}.").unwrap(), Term::Tuple(vec![Term::atom("ok"), Term::Int(16)]));
/// let error = parse("{a, b]").unwrap_err();
/// assert_eq!(error.to_string(), "line 1, column 6: expected ',' or '}' but found ']'");
/// ```
pub fn parse(text: &str) -> std::result::Result<Term, ParseError> {
    let mut parser = Parser::new(text);
    parser.skip_blank();
    let term = parser.term()?;
    parser.skip_blank();
    if parser.eat('.') {
        parser.skip_blank();
        parser.end("end of input")?;
    } else {
        parser.end("'.' or end of input")?;
    }
    Ok(term)
}

type Result<T> = std::result::Result<T, ParseError>;

/// A position in the text, kept to report an error where its construct began.
#[derive(Clone, Copy)]
struct Mark {
    line: usize,
    column: usize,
}

impl Mark {
    fn error(self, kind: ParseErrorKind) -> ParseError {
        ParseError {
            line: self.line,
            column: self.column,
            kind,
        }
    }
}

/// A container whose closing bracket has not been read yet, with what it holds so far.
enum Open {
    List(Vec<Term>),
    /// After `|`: the tail, which must be a list, comes next; the mark is where it starts.
    ListTail(Vec<Term>, Mark),
    Tuple(Vec<Term>),
    /// Awaiting a key (the next element read is one).
    MapKey(Vec<(Term, Term)>),
    /// A key read, awaiting its value.
    MapValue(Vec<(Term, Term)>, Term),
}

impl Open {
    /// The term for a container closed right after it was opened.
    fn into_empty(self) -> Term {
        match self {
            Open::List(_) | Open::ListTail(..) => Term::List(Vec::new()),
            Open::Tuple(_) => Term::Tuple(Vec::new()),
            Open::MapKey(_) | Open::MapValue(..) => Term::Map(Vec::new()),
        }
    }
}

/// What adding an element left: the container still open, or the finished term.
enum Added {
    Open(Open),
    Closed(Term),
}

struct Parser<'a> {
    rest: &'a str,
    line: usize,
    column: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            rest: text,
            line: 1,
            column: 1,
        }
    }

    // ---- cursor ----

    fn mark(&self) -> Mark {
        Mark {
            line: self.line,
            column: self.column,
        }
    }

    fn peek(&self) -> Option<char> {
        self.rest.chars().next()
    }

    fn peek_nth(&self, n: usize) -> Option<char> {
        self.rest.chars().nth(n)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.rest = &self.rest[c.len_utf8()..];
        if c == '\n' {
            self.line += 1;
            self.column = 1;
        } else {
            self.column += 1;
        }
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        let found = self.peek() == Some(c);
        if found {
            self.bump();
        }
        found
    }

    fn eat_str(&mut self, s: &str) -> bool {
        let found = self.rest.starts_with(s);
        if found {
            for _ in s.chars() {
                self.bump();
            }
        }
        found
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> String {
        let mut out = String::new();
        while let Some(c) = self.peek().filter(|&c| keep(c)) {
            out.push(c);
            self.bump();
        }
        out
    }

    /// Skips white space (as erl_scan counts it: control characters, space, and Latin-1's
    /// 0x80 to 0xA0) and `%` comments.
    fn skip_blank(&mut self) {
        while let Some(c) = self.peek() {
            if c == '%' {
                while self.bump().is_some_and(|c| c != '\n') {}
            } else if c <= ' ' || ('\u{80}'..='\u{A0}').contains(&c) {
                self.bump();
            } else {
                return;
            }
        }
    }

    fn unexpected(&self, expected: &'static str) -> ParseError {
        self.mark().error(ParseErrorKind::Unexpected {
            expected,
            found: self.found(),
        })
    }

    /// What is at the cursor, for an error message: a whole word, or one character.
    fn found(&self) -> String {
        let word = |c: char| c.is_alphanumeric() || c == '_' || c == '@';
        match self.peek() {
            None => "end of input".to_owned(),
            Some(c) if word(c) => {
                let text: String = self
                    .rest
                    .chars()
                    .take_while(|&c| word(c))
                    .take(40)
                    .collect();
                format!("'{text}'")
            }
            Some(c) => format!("{c:?}"),
        }
    }

    fn expect(&mut self, c: char, expected: &'static str) -> Result<()> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    fn end(&self, expected: &'static str) -> Result<()> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(self.unexpected(expected)),
        }
    }

    // ---- terms ----

    /// One term. Containers are tracked on an explicit stack rather than by recursion, so
    /// that nesting up to [`HARD_MAX_DEPTH`] fits any thread's stack, debug builds included.
    fn term(&mut self) -> Result<Term> {
        let mut open: Vec<Open> = Vec::new();
        loop {
            let Some(mut done) = self.scalar_or_open(&mut open)? else {
                continue;
            };
            // Hand each finished term to the container around it, closing those that end.
            loop {
                let Some(container) = open.pop() else {
                    return Ok(done);
                };
                match self.add(container, done)? {
                    Added::Open(container) => {
                        open.push(container);
                        break;
                    }
                    Added::Closed(term) => done = term,
                }
            }
        }
    }

    /// Reads a scalar, or an opening bracket: an empty container is complete at once, any
    /// other is pushed onto `open` to receive its elements (then `None`).
    fn scalar_or_open(&mut self, open: &mut Vec<Open>) -> Result<Option<Term>> {
        let (container, close) = match self.peek() {
            Some('[') => (Open::List(Vec::new()), ']'),
            Some('{') => (Open::Tuple(Vec::new()), '}'),
            Some('#') => (Open::MapKey(Vec::new()), '}'),
            _ => return self.scalar().map(Some),
        };
        if open.len() >= HARD_MAX_DEPTH {
            let max = HARD_MAX_DEPTH;
            return Err(self.mark().error(ParseErrorKind::TooDeep { max }));
        }
        if self.bump() == Some('#') {
            self.expect('{', "'{' after '#'")?;
        }
        self.skip_blank();
        if self.eat(close) {
            return Ok(Some(container.into_empty()));
        }
        open.push(container);
        Ok(None)
    }

    /// Adds a finished element to its container and reads what follows it: a separator
    /// (the container stays open) or the closing bracket.
    fn add(&mut self, container: Open, element: Term) -> Result<Added> {
        self.skip_blank();
        let added = match container {
            Open::List(mut items) => {
                items.push(element);
                if self.eat('|') {
                    self.skip_blank();
                    Added::Open(Open::ListTail(items, self.mark()))
                } else if self.closes(']', "',', '|' or ']'")? {
                    Added::Closed(Term::List(items))
                } else {
                    Added::Open(Open::List(items))
                }
            }
            Open::ListTail(mut items, start) => {
                let Term::List(tail) = element else {
                    return Err(start.error(ParseErrorKind::ImproperList));
                };
                items.extend(tail);
                self.expect(']', "']'")?;
                Added::Closed(Term::List(items))
            }
            Open::Tuple(mut items) => {
                items.push(element);
                if self.closes('}', "',' or '}'")? {
                    Added::Closed(Term::Tuple(items))
                } else {
                    Added::Open(Open::Tuple(items))
                }
            }
            Open::MapKey(pairs) => {
                if !self.eat_str("=>") {
                    return Err(self.unexpected("'=>'"));
                }
                self.skip_blank();
                Added::Open(Open::MapValue(pairs, element))
            }
            Open::MapValue(mut pairs, key) => {
                pairs.push((key, element));
                if self.closes('}', "',' or '}'")? {
                    Added::Closed(Term::Map(last_value_wins(pairs)))
                } else {
                    Added::Open(Open::MapKey(pairs))
                }
            }
        };
        Ok(added)
    }

    /// After an element: `,` means another follows (false), `close` ends the container (true).
    fn closes(&mut self, close: char, expected: &'static str) -> Result<bool> {
        if self.eat(',') {
            self.skip_blank();
            return Ok(false);
        }
        self.expect(close, expected)?;
        Ok(true)
    }

    fn scalar(&mut self) -> Result<Term> {
        match self.peek() {
            Some('<') if self.rest.starts_with("<<") => self.binary(),
            Some('"') => Ok(code_points(self.string()?)),
            Some('\'') => self.quoted_atom(),
            Some(c) if starts_number(c) => self.number(),
            Some(c) if is_atom_start(c) => self.bare_atom(),
            _ => Err(self.unexpected("a term")),
        }
    }

    // ---- atoms, strings and characters ----

    fn bare_atom(&mut self) -> Result<Term> {
        let start = self.mark();
        let name = self.take_while(is_name_char);
        if is_reserved_word(&name) {
            return Err(start.error(ParseErrorKind::ReservedWord(name)));
        }
        atom(start, name)
    }

    fn quoted_atom(&mut self) -> Result<Term> {
        let start = self.mark();
        let name = self.quoted('\'', "quoted atom")?;
        atom(start, name.into_iter().collect())
    }

    /// A string literal, with the adjacent ones Erlang joins to it (`"ab" "c"` is `"abc"`).
    fn string(&mut self) -> Result<Vec<char>> {
        let mut chars = self.quoted('"', "string")?;
        loop {
            self.skip_blank();
            if self.peek() != Some('"') {
                return Ok(chars);
            }
            chars.extend(self.quoted('"', "string")?);
        }
    }

    /// The characters between two `quote`s, escapes resolved; the cursor is on the opening one.
    fn quoted(&mut self, quote: char, what: &'static str) -> Result<Vec<char>> {
        let start = self.mark();
        self.bump();
        let mut chars = Vec::new();
        loop {
            let here = self.rest;
            match self.bump() {
                None => return Err(start.error(ParseErrorKind::Unterminated(what))),
                Some(c) if c == quote => return Ok(chars),
                Some('\\') => chars.push(self.escape(here)?),
                Some(c) => chars.push(c),
            }
        }
    }

    /// `$c` or `$\n`: a character's code point.
    fn char_literal(&mut self) -> Result<char> {
        self.bump();
        let here = self.rest;
        match self.bump() {
            None => Err(self.unexpected("a character after '$'")),
            Some('\\') => self.escape(here),
            Some(c) => Ok(c),
        }
    }

    /// The character an escape stands for; the backslash has just been read and `from` is the
    /// text starting at it, to quote the escape in an error.
    fn escape(&mut self, from: &str) -> Result<char> {
        let start = Mark {
            line: self.line,
            column: self.column - 1,
        };
        let code = match self.bump() {
            None => return Err(self.unexpected("an escape sequence")),
            Some('b') => Some(8),
            Some('d') => Some(127),
            Some('e') => Some(27),
            Some('f') => Some(12),
            Some('n') => Some(10),
            Some('r') => Some(13),
            Some('s') => Some(32),
            Some('t') => Some(9),
            Some('v') => Some(11),
            Some(c @ '0'..='7') => self.octal_escape(c),
            Some('x') => self.hex_escape(),
            Some('^') => self.bump().map(|c| u32::from(c) & 31),
            Some(c) => return Ok(c),
        };
        code.and_then(char::from_u32).ok_or_else(|| {
            let text = &from[..from.len() - self.rest.len()];
            start.error(ParseErrorKind::BadEscape(text.to_owned()))
        })
    }

    fn octal_escape(&mut self, first: char) -> Option<u32> {
        let mut code = first.to_digit(8)?;
        for _ in 0..2 {
            match self.peek().and_then(|c| c.to_digit(8)) {
                Some(digit) => {
                    code = code * 8 + digit;
                    self.bump();
                }
                None => break,
            }
        }
        Some(code)
    }

    /// `\xHH` (exactly two digits) or `\x{H...}`; `None` when malformed or too large.
    fn hex_escape(&mut self) -> Option<u32> {
        let braced = self.eat('{');
        let digits = if braced {
            self.take_while(|c| c.is_ascii_hexdigit())
        } else {
            let mut two = String::new();
            for _ in 0..2 {
                two.push(self.peek().filter(char::is_ascii_hexdigit)?);
                self.bump();
            }
            two
        };
        if braced && !self.eat('}') {
            return None;
        }
        // Empty or too large for a u32 is an error, and so no code point.
        u32::from_str_radix(&digits, 16).ok()
    }

    // ---- numbers ----

    /// An integer or float, with an optional sign (which Erlang allows to stand apart).
    fn number(&mut self) -> Result<Term> {
        let negative = self.peek() == Some('-');
        if matches!(self.peek(), Some('-' | '+')) {
            self.bump();
            self.skip_blank();
        }
        match self.peek() {
            Some(c) if c.is_ascii_digit() => self.unsigned_number(negative),
            Some('$') => {
                let code = i64::from(u32::from(self.char_literal()?));
                Ok(Term::Int(if negative { -code } else { code }))
            }
            _ => Err(self.unexpected("a number after the sign")),
        }
    }

    fn unsigned_number(&mut self, negative: bool) -> Result<Term> {
        let start = self.mark();
        let digits = self.digits(10);
        match self.peek() {
            Some('#') => self.based_integer(start, &digits, negative),
            Some('.') if self.peek_nth(1).is_some_and(|c| c.is_ascii_digit()) => {
                self.float(start, digits, negative)
            }
            _ => integer(start, &digits, 10, negative),
        }
    }

    /// Digits of `radix` (2 to 36), with single `_` separators between digits as OTP allows;
    /// returned without the separators.
    fn digits(&mut self, radix: u32) -> String {
        let mut out = String::new();
        loop {
            match self.peek() {
                Some(c) if c.is_digit(radix) => out.push(c),
                Some('_')
                    if !out.is_empty() && self.peek_nth(1).is_some_and(|c| c.is_digit(radix)) => {}
                _ => return out,
            }
            self.bump();
        }
    }

    fn based_integer(&mut self, start: Mark, base: &str, negative: bool) -> Result<Term> {
        self.bump();
        let radix = match base.parse::<u32>() {
            Ok(radix @ 2..=36) => radix,
            _ => {
                let text = format!("{base}#: the base must be 2 to 36");
                return Err(start.error(ParseErrorKind::BadNumber(text)));
            }
        };
        let digits = self.digits(radix);
        if digits.is_empty() {
            let text = format!("{base}#: no base-{radix} digits");
            return Err(start.error(ParseErrorKind::BadNumber(text)));
        }
        integer(start, &digits, radix, negative)
    }

    /// The rest of a float after its integer digits: `.digits`, then maybe `e[+-]digits`.
    fn float(&mut self, start: Mark, int: String, negative: bool) -> Result<Term> {
        self.bump();
        let mut text = if negative {
            format!("-{int}.")
        } else {
            format!("{int}.")
        };
        text.push_str(&self.digits(10));
        let exponent_follows = match (self.peek_nth(1), self.peek_nth(2)) {
            (Some('+' | '-'), Some(c)) | (Some(c), _) => c.is_ascii_digit(),
            _ => false,
        };
        if matches!(self.peek(), Some('e' | 'E')) && exponent_follows {
            self.bump();
            text.push('e');
            if let Some(sign @ ('+' | '-')) = self.peek() {
                text.push(sign);
                self.bump();
            }
            text.push_str(&self.digits(10));
        }
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Term::Float(f)),
            _ => Err(start.error(ParseErrorKind::FloatOutOfRange(text))),
        }
    }

    // ---- binaries ----

    fn binary(&mut self) -> Result<Term> {
        self.eat_str("<<");
        let mut bytes = Vec::new();
        self.skip_blank();
        if self.eat_str(">>") {
            return Ok(Term::Binary(bytes));
        }
        loop {
            self.segment(&mut bytes)?;
            self.skip_blank();
            if self.eat_str(">>") {
                return Ok(Term::Binary(bytes));
            }
            self.expect(',', "',' or '>>'")?;
            self.skip_blank();
        }
    }

    /// One segment: a string or an integer, each optionally `/utf8`. Without it, as in
    /// Erlang, every character or integer is one byte, its value modulo 256.
    fn segment(&mut self, out: &mut Vec<u8>) -> Result<()> {
        if self.peek() == Some('"') {
            let chars = self.string()?;
            if self.utf8_suffix()? {
                chars.iter().for_each(|c| push_utf8(out, *c));
            } else {
                out.extend(chars.iter().map(|&c| u32::from(c) as u8));
            }
            return Ok(());
        }
        let start = self.mark();
        let value = match self.peek() {
            Some(c) if starts_number(c) => self.number()?,
            _ => return Err(self.unexpected("an integer or a string")),
        };
        let utf8 = self.utf8_suffix()?;
        // Without `/utf8` Erlang keeps the low 8 bits, so truncating is the point.
        match (value, utf8) {
            (Term::Int(n), false) => out.push(n as u8),
            (Term::BigInt(n), false) => out.push(n.to_signed_bytes_le().first().map_or(0, |b| *b)),
            (Term::Int(n), true) => match u32::try_from(n).ok().and_then(char::from_u32) {
                Some(c) => push_utf8(out, c),
                None => {
                    return Err(bad_segment(
                        start,
                        format!("{n} is not a Unicode code point"),
                    ))
                }
            },
            (Term::BigInt(n), true) => {
                return Err(bad_segment(
                    start,
                    format!("{n} is not a Unicode code point"),
                ))
            }
            _ => return Err(bad_segment(start, "a float needs a size".to_owned())),
        }
        Ok(())
    }

    /// Reads an optional `/utf8` type after a segment; other types are not supported.
    fn utf8_suffix(&mut self) -> Result<bool> {
        self.skip_blank();
        if !self.eat('/') {
            return Ok(false);
        }
        self.skip_blank();
        if self.eat_str("utf8") && !self.peek().is_some_and(is_name_char) {
            return Ok(true);
        }
        Err(self.unexpected("'utf8' (the only segment type supported)"))
    }
}

fn atom(start: Mark, name: String) -> Result<Term> {
    let chars = name.chars().count();
    if chars > MAX_ATOM_CHARS {
        return Err(start.error(ParseErrorKind::AtomTooLong(chars)));
    }
    Ok(Term::Atom(Atom::new(name)))
}

fn integer(start: Mark, digits: &str, radix: u32, negative: bool) -> Result<Term> {
    let signed = if negative {
        format!("-{digits}")
    } else {
        digits.to_owned()
    };
    if let Ok(n) = i64::from_str_radix(&signed, radix) {
        return Ok(Term::Int(n));
    }
    match BigInt::parse_bytes(signed.as_bytes(), radix) {
        Some(n) => Ok(Term::from_bigint(n)),
        None => Err(start.error(ParseErrorKind::BadNumber(signed))),
    }
}

/// An integer's first character, counting a sign and `$`.
fn starts_number(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '-' | '+' | '$')
}

fn code_points(chars: Vec<char>) -> Term {
    Term::List(
        chars
            .into_iter()
            .map(|c| Term::Int(i64::from(u32::from(c))))
            .collect(),
    )
}

fn push_utf8(out: &mut Vec<u8>, c: char) {
    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
}

fn bad_segment(start: Mark, why: String) -> ParseError {
    start.error(ParseErrorKind::BadSegment(why))
}

/// Erlang's first characters of an unquoted atom: a lowercase letter, Latin-1's included.
fn is_atom_start(c: char) -> bool {
    c.is_ascii_lowercase() || (('\u{DF}'..='\u{FF}').contains(&c) && c != '\u{F7}')
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || c == '_'
        || c == '@'
        || (('\u{C0}'..='\u{FF}').contains(&c) && c != '\u{D7}' && c != '\u{F7}')
}

/// Erlang builds a map literal key by key, so a repeated key keeps its last value. Keys are
/// compared by their printed form, which is exact (`print` round-trips) and hashable.
fn last_value_wins(pairs: Vec<(Term, Term)>) -> Vec<(Term, Term)> {
    if pairs.len() < 2 {
        return pairs;
    }
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(pairs.len());
    let mut out: Vec<(Term, Term)> = Vec::with_capacity(pairs.len());
    for (key, value) in pairs {
        match seen.entry(print(&key)) {
            Entry::Occupied(slot) => out[*slot.get()].1 = value,
            Entry::Vacant(slot) => {
                slot.insert(out.len());
                out.push((key, value));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
