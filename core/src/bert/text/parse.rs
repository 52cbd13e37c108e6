//! Reading one Erlang term written in Erlang syntax, as `erl_parse:parse_term` would.

use super::print::print;
use super::scalar::{code_points, is_atom_start, starts_number};
use crate::bert::{Term, HARD_MAX_DEPTH};
use std::collections::hash_map::{Entry, HashMap};

/// Erlang refuses longer atoms, so a text naming one is not an Erlang term.
pub(super) const MAX_ATOM_CHARS: usize = 255;

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
        /// What the grammar allows there (`a term`, `',' or '}'`...).
        expected: &'static str,
        /// What is there instead.
        found: String,
    },
    /// More nested lists, tuples and maps than [`HARD_MAX_DEPTH`].
    #[error("nesting deeper than {max}")]
    TooDeep {
        /// The limit, [`HARD_MAX_DEPTH`].
        max: usize,
    },
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

pub(super) type Result<T> = std::result::Result<T, ParseError>;

/// A position in the text, kept to report an error where its construct began.
#[derive(Clone, Copy)]
pub(super) struct Mark {
    pub(super) line: usize,
    pub(super) column: usize,
}

impl Mark {
    pub(super) fn error(self, kind: ParseErrorKind) -> ParseError {
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

pub(super) struct Parser<'a> {
    pub(super) rest: &'a str,
    pub(super) line: usize,
    pub(super) column: usize,
}

impl<'a> Parser<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        Parser {
            rest: text,
            line: 1,
            column: 1,
        }
    }

    // ---- cursor ----

    pub(super) fn mark(&self) -> Mark {
        Mark {
            line: self.line,
            column: self.column,
        }
    }

    pub(super) fn peek(&self) -> Option<char> {
        self.rest.chars().next()
    }

    pub(super) fn peek_nth(&self, n: usize) -> Option<char> {
        self.rest.chars().nth(n)
    }

    pub(super) fn bump(&mut self) -> Option<char> {
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

    pub(super) fn eat(&mut self, c: char) -> bool {
        let found = self.peek() == Some(c);
        if found {
            self.bump();
        }
        found
    }

    pub(super) fn eat_str(&mut self, s: &str) -> bool {
        let found = self.rest.starts_with(s);
        if found {
            for _ in s.chars() {
                self.bump();
            }
        }
        found
    }

    pub(super) fn take_while(&mut self, keep: impl Fn(char) -> bool) -> String {
        let mut out = String::new();
        while let Some(c) = self.peek().filter(|&c| keep(c)) {
            out.push(c);
            self.bump();
        }
        out
    }

    /// Skips white space (as erl_scan counts it: control characters, space, and Latin-1's
    /// 0x80 to 0xA0) and `%` comments.
    pub(super) fn skip_blank(&mut self) {
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

    pub(super) fn unexpected(&self, expected: &'static str) -> ParseError {
        self.mark().error(ParseErrorKind::Unexpected {
            expected,
            found: self.found(),
        })
    }

    /// What is at the cursor, for an error message: a whole word, or one character.
    pub(super) fn found(&self) -> String {
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

    pub(super) fn expect(&mut self, c: char, expected: &'static str) -> Result<()> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    pub(super) fn end(&self, expected: &'static str) -> Result<()> {
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
