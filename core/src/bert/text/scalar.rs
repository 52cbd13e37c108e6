//! The leaves of a term: atoms, strings, characters, numbers and binaries.

use super::is_reserved_word;
use super::parse::{Mark, ParseError, ParseErrorKind, Parser, Result, MAX_ATOM_CHARS};
use crate::bert::{Atom, Term};
use num_bigint::BigInt;

impl Parser<'_> {
    // ---- atoms, strings and characters ----

    pub(super) fn bare_atom(&mut self) -> Result<Term> {
        let start = self.mark();
        let name = self.take_while(is_name_char);
        if is_reserved_word(&name) {
            return Err(start.error(ParseErrorKind::ReservedWord(name)));
        }
        atom(start, name)
    }

    pub(super) fn quoted_atom(&mut self) -> Result<Term> {
        let start = self.mark();
        let name = self.quoted('\'', "quoted atom")?;
        atom(start, name.into_iter().collect())
    }

    /// A string literal, with the adjacent ones Erlang joins to it (`"ab" "c"` is `"abc"`).
    pub(super) fn string(&mut self) -> Result<Vec<char>> {
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
    pub(super) fn quoted(&mut self, quote: char, what: &'static str) -> Result<Vec<char>> {
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
    pub(super) fn char_literal(&mut self) -> Result<char> {
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
    pub(super) fn escape(&mut self, from: &str) -> Result<char> {
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

    pub(super) fn octal_escape(&mut self, first: char) -> Option<u32> {
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
    pub(super) fn hex_escape(&mut self) -> Option<u32> {
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
    pub(super) fn number(&mut self) -> Result<Term> {
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

    pub(super) fn unsigned_number(&mut self, negative: bool) -> Result<Term> {
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
    pub(super) fn digits(&mut self, radix: u32) -> String {
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

    pub(super) fn based_integer(
        &mut self,
        start: Mark,
        base: &str,
        negative: bool,
    ) -> Result<Term> {
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
    pub(super) fn float(&mut self, start: Mark, int: String, negative: bool) -> Result<Term> {
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

    pub(super) fn binary(&mut self) -> Result<Term> {
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
    pub(super) fn segment(&mut self, out: &mut Vec<u8>) -> Result<()> {
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
    pub(super) fn utf8_suffix(&mut self) -> Result<bool> {
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
pub(super) fn starts_number(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '-' | '+' | '$')
}

pub(super) fn code_points(chars: Vec<char>) -> Term {
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
pub(super) fn is_atom_start(c: char) -> bool {
    c.is_ascii_lowercase() || (('\u{DF}'..='\u{FF}').contains(&c) && c != '\u{F7}')
}

pub(super) fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || c == '_'
        || c == '@'
        || (('\u{C0}'..='\u{FF}').contains(&c) && c != '\u{D7}' && c != '\u{F7}')
}
