//! Byte-level writers for the BERT 1.0 tags, shared by the `Value` and `Term` encoders.

use super::error::EncodeErrorKind;
use super::tag;
use num_bigint::{BigInt, Sign};

pub(crate) type WriteResult = Result<(), EncodeErrorKind>;

fn len_u32(what: &'static str, len: usize) -> Result<u32, EncodeErrorKind> {
    u32::try_from(len).map_err(|_| EncodeErrorKind::TooLong { what, len })
}

/// ATOM_EXT (100): Latin-1 text, as every BERT reader expects.
pub(crate) fn atom(out: &mut Vec<u8>, name: &str) -> WriteResult {
    if name.len() <= 255 && name.is_ascii() {
        out.extend_from_slice(&[tag::ATOM, 0, name.len() as u8]);
        out.extend_from_slice(name.as_bytes());
        return Ok(());
    }
    let chars = name.chars().count();
    if chars > 255 {
        return Err(EncodeErrorKind::AtomTooLong(chars));
    }
    out.push(tag::ATOM);
    if name.chars().any(|c| u32::from(c) > 0xFF) {
        return Err(EncodeErrorKind::AtomNotLatin1(name.to_owned()));
    }
    out.extend_from_slice(&(chars as u16).to_be_bytes());
    out.extend(name.chars().map(|c| c as u8));
    Ok(())
}

/// The `{bert, Kind, ` head of a BERT complex type of `arity` elements; `kind` is one of
/// BERT's short ASCII tags.
pub(crate) fn bert_tag(out: &mut Vec<u8>, arity: u8, kind: &'static str) {
    out.extend_from_slice(&[tag::SMALL_TUPLE, arity]);
    out.extend_from_slice(&tag::BERT_ATOM);
    out.extend_from_slice(&[tag::ATOM, 0, kind.len() as u8]);
    out.extend_from_slice(kind.as_bytes());
}

/// ATOM_UTF8_EXT (118): only for raw terms whose atoms Latin-1 cannot hold.
pub(crate) fn atom_utf8(out: &mut Vec<u8>, name: &str) -> WriteResult {
    let chars = name.chars().count();
    if chars > 255 {
        return Err(EncodeErrorKind::AtomTooLong(chars));
    }
    out.push(tag::ATOM_UTF8);
    out.extend_from_slice(&(name.len() as u16).to_be_bytes());
    out.extend_from_slice(name.as_bytes());
    Ok(())
}

/// SMALL_INTEGER, INTEGER, or SMALL_BIG for an `i64` outside the 32-bit range.
pub(crate) fn int(out: &mut Vec<u8>, n: i64) {
    if (0..=255).contains(&n) {
        out.extend_from_slice(&[tag::SMALL_INTEGER, n as u8]);
    } else if let Ok(n32) = i32::try_from(n) {
        out.push(tag::INTEGER);
        out.extend_from_slice(&n32.to_be_bytes());
    } else {
        let magnitude = n.unsigned_abs().to_le_bytes();
        let len = 8 - magnitude.iter().rev().take_while(|&&b| b == 0).count();
        out.extend_from_slice(&[tag::SMALL_BIG, len as u8, u8::from(n < 0)]);
        out.extend_from_slice(&magnitude[..len]);
    }
}

/// SMALL_BIG or LARGE_BIG (an `i64`-sized value goes through [`int`]).
pub(crate) fn bigint(out: &mut Vec<u8>, n: &BigInt) -> WriteResult {
    if let Ok(small) = i64::try_from(n) {
        int(out, small);
        return Ok(());
    }
    let (sign, magnitude) = n.to_bytes_le();
    let sign = u8::from(sign == Sign::Minus);
    if let Ok(len) = u8::try_from(magnitude.len()) {
        out.extend_from_slice(&[tag::SMALL_BIG, len, sign]);
    } else {
        let len = len_u32("big integer", magnitude.len())?;
        out.push(tag::LARGE_BIG);
        out.extend_from_slice(&len.to_be_bytes());
        out.push(sign);
    }
    out.extend_from_slice(&magnitude);
    Ok(())
}

/// FLOAT_EXT (99): 31 bytes of `"%.20e"`-shaped text, NUL-padded, as C, Erlang and Ruby read
/// it. The digits are the shortest that read back as exactly this double, zero-padded to 20
/// decimals: C's `printf` would print the exact binary expansion in those places instead
/// (0.1 as `1.00000000000000005551e-01`), which reads back to the same double but costs ten
/// times as much to produce.
pub(crate) fn float(out: &mut Vec<u8>, f: f64) -> WriteResult {
    if !f.is_finite() {
        return Err(EncodeErrorKind::NonFiniteFloat(f.to_string()));
    }
    let mut buffer = zmij::Buffer::new();
    let (negative, digits, exponent) = scientific(buffer.format_finite(f).as_bytes());
    let mut field = [0u8; 31];
    let mut at = 0;
    let mut put = |byte: u8| {
        field[at] = byte;
        at += 1;
    };
    if negative {
        put(b'-');
    }
    let (digits, count) = digits;
    let mut digits = digits[..count].iter().copied();
    put(digits.next().unwrap_or(b'0'));
    put(b'.');
    for _ in 0..20 {
        put(digits.next().unwrap_or(b'0'));
    }
    put(b'e');
    put(if exponent < 0 { b'-' } else { b'+' });
    let magnitude = exponent.unsigned_abs();
    if magnitude >= 100 {
        put(b'0' + (magnitude / 100) as u8);
    }
    put(b'0' + (magnitude / 10 % 10) as u8);
    put(b'0' + (magnitude % 10) as u8);
    out.push(tag::FLOAT);
    out.extend_from_slice(&field);
    Ok(())
}

/// Splits a shortest decimal ("-12.5", "0.001", "1e300", "1.5e-7") into its sign, significant
/// digits (at most 17, no leading or trailing zeros; "0" for zero) and the power of ten of the
/// first digit.
fn scientific(text: &[u8]) -> (bool, ([u8; 17], usize), i32) {
    let (negative, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let e = text.iter().position(|&b| b == b'e' || b == b'E');
    let (number, mut exponent) = match e {
        Some(e) => {
            let exp = std::str::from_utf8(&text[e + 1..]).ok();
            (
                &text[..e],
                exp.and_then(|t| t.parse::<i32>().ok()).unwrap_or(0),
            )
        }
        None => (text, 0),
    };
    let point = number
        .iter()
        .position(|&b| b == b'.')
        .unwrap_or(number.len());
    let mut digits = [0u8; 17];
    let mut count = 0;
    let mut first = None;
    for (i, &d) in number
        .iter()
        .enumerate()
        .filter(|(_, d)| d.is_ascii_digit())
    {
        if first.is_none() && d == b'0' {
            continue;
        }
        // The power of ten of digit i: positions left of the point count down to 0.
        let power = if i < point {
            (point - i - 1) as i32
        } else {
            point as i32 - i as i32
        };
        first.get_or_insert(power);
        if count < digits.len() {
            digits[count] = d;
            count += 1;
        }
    }
    while count > 1 && digits[count - 1] == b'0' {
        count -= 1;
    }
    match first {
        Some(power) => exponent += power,
        None => {
            digits[0] = b'0';
            count = 1;
            exponent = 0;
        }
    }
    (negative, (digits, count), exponent)
}

/// BINARY_EXT (109).
pub(crate) fn binary(out: &mut Vec<u8>, bytes: &[u8]) -> WriteResult {
    let len = len_u32("binary", bytes.len())?;
    out.push(tag::BINARY);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}

/// SMALL_TUPLE or LARGE_TUPLE header; the elements follow.
pub(crate) fn tuple_header(out: &mut Vec<u8>, arity: usize) -> WriteResult {
    if let Ok(small) = u8::try_from(arity) {
        out.extend_from_slice(&[tag::SMALL_TUPLE, small]);
    } else {
        let arity = len_u32("tuple", arity)?;
        out.push(tag::LARGE_TUPLE);
        out.extend_from_slice(&arity.to_be_bytes());
    }
    Ok(())
}

/// NIL for an empty list, else a LIST header; after the elements call [`list_end`].
pub(crate) fn list_header(out: &mut Vec<u8>, len: usize) -> WriteResult {
    if len == 0 {
        out.push(tag::NIL);
    } else {
        let len = len_u32("list", len)?;
        out.push(tag::LIST);
        out.extend_from_slice(&len.to_be_bytes());
    }
    Ok(())
}

/// The `[]` tail that closes a non-empty list.
pub(crate) fn list_end(out: &mut Vec<u8>, len: usize) {
    if len != 0 {
        out.push(tag::NIL);
    }
}

/// MAP_EXT (116) header; only raw terms use it, never a `Value`.
pub(crate) fn map_header(out: &mut Vec<u8>, arity: usize) -> WriteResult {
    let arity = len_u32("map", arity)?;
    out.push(tag::MAP);
    out.extend_from_slice(&arity.to_be_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float_text(f: f64) -> String {
        let mut out = Vec::new();
        float(&mut out, f).unwrap();
        assert_eq!(out.len(), 32);
        String::from_utf8(out[1..].to_vec())
            .unwrap()
            .trim_end_matches('\0')
            .to_owned()
    }

    #[test]
    fn float_text_has_printf_shape_and_exact_value() {
        assert_eq!(float_text(0.1), "1.00000000000000000000e-01");
        assert_eq!(float_text(1e300), "1.00000000000000000000e+300");
        assert_eq!(float_text(-0.0), "-0.00000000000000000000e+00");
        assert_eq!(float_text(-1.5), "-1.50000000000000000000e+00");
        assert_eq!(float_text(123.456), "1.23456000000000000000e+02");
        assert_eq!(float_text(f64::MIN), "-1.79769313486231570000e+308");
        assert_eq!(float_text(5e-324), "5.00000000000000000000e-324");
        for f in [
            0.1,
            1.0 / 3.0,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            -2.5e-3,
            1e22,
            123456789.0,
        ] {
            assert_eq!(
                float_text(f).parse::<f64>().unwrap().to_bits(),
                f.to_bits(),
                "{f}"
            );
        }
    }

    /// The text Rust's own shortest formatting gives, laid out as "%.20e": the oracle.
    fn float_text_via_fmt(f: f64) -> String {
        let shortest = format!("{f:e}");
        let (mantissa, exponent) = shortest.split_once('e').expect("{:e} has an exponent");
        let negative = mantissa.starts_with('-');
        let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
        let exponent: i32 = exponent.parse().expect("integer exponent");
        let padded = format!("{digits:0<21}");
        format!(
            "{}{}.{}e{}{:02}",
            if negative { "-" } else { "" },
            &padded[..1],
            &padded[1..],
            if exponent < 0 { '-' } else { '+' },
            exponent.unsigned_abs()
        )
    }

    proptest::proptest! {
        #[test]
        fn float_text_matches_the_fmt_oracle(bits in proptest::prelude::any::<u64>()) {
            let f = f64::from_bits(bits);
            if f.is_finite() {
                let text = float_text(f);
                let oracle = float_text_via_fmt(f);
                // When a double sits exactly between two shortest decimals (74597026884319.125
                // reads back from ...912 and ...913 alike), zmij and Rust's formatter may pick
                // different ones: the layout and the digit count must agree, the last digit
                // need not. The value must come back exactly either way.
                let significant = |t: &str| {
                    let mantissa = t.split('e').next().unwrap_or("");
                    mantissa.trim_end_matches('0').len()
                };
                proptest::prop_assert_eq!(text.len(), oracle.len());
                proptest::prop_assert_eq!(&text[text.find('e').unwrap_or(0)..], &oracle[oracle.find('e').unwrap_or(0)..]);
                proptest::prop_assert_eq!(significant(&text), significant(&oracle));
                proptest::prop_assert_eq!(text.parse::<f64>().map(f64::to_bits), Ok(bits));
            }
        }
    }

    /// 74597026884319.125 lies exactly between two shortest decimals (found by the property
    /// above on CI); either reads back as the same double.
    #[test]
    fn a_tie_between_shortest_decimals_still_reads_back_exactly() {
        let f = f64::from_bits(4_814_618_611_752_286_152);
        assert_eq!(
            float_text(f).parse::<f64>().map(f64::to_bits),
            Ok(f.to_bits())
        );
        assert_eq!(float_text(f), "7.45970268843191200000e+13");
    }

    #[test]
    fn ints_pick_the_smallest_tag() {
        let enc = |n| {
            let mut out = Vec::new();
            int(&mut out, n);
            out
        };
        assert_eq!(enc(255), [97, 255]);
        assert_eq!(enc(-1), [98, 255, 255, 255, 255]);
        assert_eq!(enc(1 << 31), [110, 4, 0, 0, 0, 0, 128]);
        assert_eq!(enc(i64::MIN), [110, 8, 1, 0, 0, 0, 0, 0, 0, 0, 128]);
    }
}
