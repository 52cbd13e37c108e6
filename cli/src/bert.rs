//! `dripdrop bert encode|decode [--hex]`: Erlang term text to a BERT frame and back.

use crate::stdio::{read_stdin, write_out};
use clap::Subcommand;
use dripdrop::bert::{self, text, DecodeLimits};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read one Erlang term from stdin and write its BERT frame to stdout
    ///
    /// The term is in Erlang syntax: atoms, quoted atoms, integers of any size, floats,
    /// <<"text">>, <<"text"/utf8>> and <<1,2>> binaries, "strings", lists, tuples, maps; a
    /// final `.` is optional.
    Encode {
        /// Write the frame as lowercase hex text and a newline instead of raw bytes
        #[arg(long)]
        hex: bool,
    },
    /// Read a BERT frame from stdin and print its term in Erlang syntax
    ///
    /// Erlang's erl_scan and erl_parse read the text back as the same term. The raw term is
    /// printed, so BERT's complex types show as they are on the wire ({bert,nil},
    /// {bert,dict,[...]}).
    Decode {
        /// Read the frame as hex text (either case, white space ignored) instead of raw bytes
        #[arg(long)]
        hex: bool,
    },
}

pub fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Encode { hex } => encode(hex),
        Command::Decode { hex } => decode(hex),
    }
}

fn encode(hex: bool) -> Result<(), String> {
    let input = String::from_utf8(read_stdin()?)
        .map_err(|e| format!("cannot read input: stdin is not UTF-8 ({e})"))?;
    let term = text::parse(&input).map_err(|e| format!("cannot parse: {e}"))?;
    let bytes = bert::encode_term(&term).map_err(|e| format!("cannot encode: {e}"))?;
    if hex {
        write_out(format!("{}\n", to_hex(&bytes)).as_bytes())
    } else {
        write_out(&bytes)
    }
}

fn decode(hex: bool) -> Result<(), String> {
    let input = read_stdin()?;
    let bytes = if hex { from_hex(&input)? } else { input };
    let term = bert::decode_term(&bytes, &DecodeLimits::DEFAULT)
        .map_err(|e| format!("cannot decode: {e}"))?;
    write_out(format!("{}\n", text::print(&term)).as_bytes())
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex text in either case; white space anywhere is ignored.
fn from_hex(text: &[u8]) -> Result<Vec<u8>, String> {
    let mut digits = Vec::with_capacity(text.len());
    for (offset, &byte) in text.iter().enumerate() {
        if byte.is_ascii_whitespace() {
            continue;
        }
        let digit = char::from(byte).to_digit(16).ok_or_else(|| {
            format!("invalid hex input: byte {byte:#04x} at offset {offset} is not a hex digit")
        })?;
        // A hex digit is below 16, so it fits in a u8.
        digits.push(digit as u8);
    }
    if digits.len() % 2 != 0 {
        return Err(format!(
            "invalid hex input: odd number of hex digits ({})",
            digits.len()
        ));
    }
    Ok(digits
        .chunks_exact(2)
        .map(|pair| pair[0] << 4 | pair[1])
        .collect())
}
