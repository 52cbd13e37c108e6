//! The byte cursor under the decoder: bounds-checked reads, the element budget, and the
//! readers of leaf terms (atoms, floats, big integers).

use super::super::error::{DecodeError, DecodeErrorKind as Kind};
use super::super::limits::DecodeLimits;
use super::super::tag;
use super::super::value::Atom;
use super::Build;
use num_bigint::{BigInt, Sign};

pub(super) struct Decoder<'a> {
    input: &'a [u8],
    pub(super) pos: usize,
    pub(super) max_depth: usize,
    max_bigint_bytes: usize,
    max_input_bytes: usize,
    elements_left: usize,
    max_elements: usize,
}

pub(super) type Result<T> = std::result::Result<T, DecodeError>;

impl<'a> Decoder<'a> {
    pub(super) fn new(input: &'a [u8], limits: &DecodeLimits) -> Self {
        Decoder {
            input,
            pos: 0,
            max_depth: limits.effective_depth(),
            max_bigint_bytes: limits.max_bigint_bytes,
            max_input_bytes: limits.max_input_bytes,
            elements_left: limits.max_elements,
            max_elements: limits.max_elements,
        }
    }

    pub(super) fn fail<T>(&self, offset: usize, kind: Kind) -> Result<T> {
        Err(DecodeError { offset, kind })
    }

    pub(super) fn frame<B: Build>(mut self) -> Result<B> {
        if self.input.len() > self.max_input_bytes {
            let (len, max) = (self.input.len(), self.max_input_bytes);
            return self.fail(0, Kind::InputTooLarge { len, max });
        }
        match self.input.first() {
            None => return self.fail(0, Kind::Empty),
            Some(&tag::VERSION) => self.pos = 1,
            Some(&other) => return self.fail(0, Kind::BadVersion(other)),
        }
        let term = self.term()?;
        if self.pos != self.input.len() {
            let count = self.input.len() - self.pos;
            return self.fail(self.pos, Kind::TrailingBytes { count });
        }
        Ok(term)
    }

    /// The input not yet read.
    pub(super) fn input_rest(&self) -> &'a [u8] {
        &self.input[self.pos..]
    }

    pub(super) fn remaining(&self) -> usize {
        self.input.len() - self.pos
    }

    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if n > self.remaining() {
            let needed = n - self.remaining();
            return self.fail(self.input.len(), Kind::UnexpectedEnd { needed });
        }
        let bytes = &self.input[self.pos..self.pos + n];
        self.pos += n;
        Ok(bytes)
    }

    pub(super) fn take_array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let bytes = self.take(N)?;
        let mut array = [0u8; N];
        array.copy_from_slice(bytes);
        Ok(array)
    }

    pub(super) fn u8(&mut self) -> Result<u8> {
        Ok(self.take_array::<1>()?[0])
    }

    pub(super) fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(self.take_array()?))
    }

    pub(super) fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_be_bytes(self.take_array()?))
    }

    /// Where the decoder stands (position and element budget), for a fast path that gives
    /// up to go back to.
    pub(super) fn mark(&self) -> (usize, usize) {
        (self.pos, self.elements_left)
    }

    /// Goes back to a `mark`.
    pub(super) fn rewind(&mut self, (pos, elements_left): (usize, usize)) {
        self.pos = pos;
        self.elements_left = elements_left;
    }

    /// Checks a declared element count before allocating for it: each element takes at least
    /// `min_bytes` of the input, and each counts against the frame's element budget.
    pub(super) fn claim(
        &mut self,
        what: &'static str,
        count: u64,
        min_bytes: u64,
        at: usize,
    ) -> Result<usize> {
        let remaining = self.remaining();
        if count.saturating_mul(min_bytes) > remaining as u64 {
            return self.fail(
                at,
                Kind::CountExceedsInput {
                    what,
                    count,
                    remaining,
                },
            );
        }
        // Bounded by the input length just above, so it fits in usize.
        let count = count as usize;
        if count > self.elements_left {
            let max = self.max_elements;
            return self.fail(at, Kind::TooManyElements { max });
        }
        self.elements_left -= count;
        Ok(count)
    }

    pub(super) fn atom(&mut self, tag: u8, at: usize) -> Result<Atom> {
        let len = match tag {
            tag::ATOM | tag::ATOM_UTF8 => usize::from(self.u16()?),
            _ => usize::from(self.u8()?),
        };
        let bytes = self.take(len)?;
        if let Some(common) = Atom::common(bytes) {
            return Ok(common);
        }
        let utf8 = matches!(tag, tag::ATOM_UTF8 | tag::SMALL_ATOM_UTF8);
        match std::str::from_utf8(bytes) {
            // ASCII reads the same in Latin-1 and UTF-8.
            Ok(text) if utf8 || bytes.is_ascii() => Ok(Atom::new(text)),
            Err(_) if utf8 => self.fail(at, Kind::AtomNotUtf8),
            // ATOM_EXT and SMALL_ATOM_EXT hold Latin-1, whose bytes are the first 256 code points.
            _ => Ok(Atom::new(
                bytes.iter().map(|&b| char::from(b)).collect::<String>(),
            )),
        }
    }

    pub(super) fn float_text(&mut self, at: usize) -> Result<f64> {
        let raw = self.take(31)?;
        let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
        match parse_float_text(&raw[..end]) {
            Some(f) => Ok(f),
            None => {
                let shown = String::from_utf8_lossy(&raw[..end]).into_owned();
                self.fail(at, Kind::BadFloat(shown))
            }
        }
    }

    pub(super) fn bigint(&mut self, len: usize, at: usize) -> Result<BigInt> {
        if len > self.max_bigint_bytes {
            let max = self.max_bigint_bytes;
            return self.fail(at, Kind::BigIntTooLarge { len, max });
        }
        let sign_at = self.pos;
        let sign = match self.u8()? {
            0 => Sign::Plus,
            1 => Sign::Minus,
            other => return self.fail(sign_at, Kind::BadBigIntSign(other)),
        };
        let magnitude = self.take(len)?;
        Ok(BigInt::from_bytes_le(sign, magnitude))
    }
}

/// Reads FLOAT_EXT text ("1.50000000000000000000e+00", or Ruby's shorter "%15.15e"). Trailing
/// zeros of the mantissa are dropped first: more than 19 digits sends Rust's parser down a
/// slower path, and zeros change nothing.
fn parse_float_text(text: &[u8]) -> Option<f64> {
    let text = text.trim_ascii();
    let mut exponent_at = text.len();
    let mut has_point = false;
    for (i, &b) in text.iter().enumerate() {
        match b {
            b'0'..=b'9' | b'+' | b'-' => {}
            b'.' => has_point = true,
            b'e' | b'E' => exponent_at = i,
            // Rust's parser also takes "inf" and "NaN", which no Erlang peer writes.
            _ => return None,
        }
    }
    let mut kept = exponent_at;
    while has_point && kept > 0 && text[kept - 1] == b'0' {
        kept -= 1;
    }
    let mut short = [0u8; 40];
    let exponent = &text[exponent_at..];
    if text.is_empty() || kept + exponent.len() > short.len() {
        return None;
    }
    short[..kept].copy_from_slice(&text[..kept]);
    short[kept..kept + exponent.len()].copy_from_slice(exponent);
    let short = &short[..kept + exponent.len()];
    // Only ASCII bytes were let through above.
    let f: f64 = std::str::from_utf8(short).ok()?.parse().ok()?;
    f.is_finite().then_some(f)
}
