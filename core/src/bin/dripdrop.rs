//! `dripdrop`: the DripDrop command-line tool. For now `dripdrop bert encode|decode [--hex]`,
//! so that a person can write a BERT frame in Erlang syntax, or read a captured one.
//!
//! Every failure is one line on stderr and exit status 1.

use dripdrop::bert::{self, text, DecodeLimits};
use std::io::{self, Read, Write};
use std::process::ExitCode;

const USAGE: &str = "\
Usage: dripdrop <command>

Commands:
  bert encode [--hex]   read one Erlang term (Erlang syntax) from stdin, write its BERT bytes
                        to stdout (with --hex: as lowercase hex and a newline)
  bert decode [--hex]   read BERT bytes from stdin (with --hex: hex text, white space
                        ignored) and print the term in Erlang syntax
  help, -h, --help      print this help
  -V, --version         print the version

Example:
  echo '{reply, <<\"ok\">>, [1, 2.5]}.' | dripdrop bert encode | dripdrop bert decode
";

enum Command {
    Help,
    Version,
    Encode { hex: bool },
    Decode { hex: bool },
}

fn main() -> ExitCode {
    // A safety net: the code should not panic, but if it does the user still gets one line.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("dripdrop: internal error: {}", one_line(&info.to_string()));
        std::process::exit(1);
    }));
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    match parse_args(&args).and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("dripdrop: {}", one_line(&message));
            ExitCode::FAILURE
        }
    }
}

fn parse_args(args: &[String]) -> Result<Command, String> {
    if args.iter().any(|arg| arg == "--help" || arg == "-h") {
        return Ok(Command::Help);
    }
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        ["help"] => Ok(Command::Help),
        ["--version" | "-V"] => Ok(Command::Version),
        ["bert", "encode", flags @ ..] => Ok(Command::Encode {
            hex: hex_flag("bert encode", flags)?,
        }),
        ["bert", "decode", flags @ ..] => Ok(Command::Decode {
            hex: hex_flag("bert decode", flags)?,
        }),
        ["bert"] => Err("missing subcommand: 'bert encode' or 'bert decode'".to_owned()),
        ["bert", other, ..] => Err(format!(
            "unknown subcommand 'bert {other}' (try 'dripdrop --help')"
        )),
        [] => Err("missing command (try 'dripdrop --help')".to_owned()),
        [other, ..] => Err(format!("unknown command '{other}' (try 'dripdrop --help')")),
    }
}

/// The only flag the bert commands take.
fn hex_flag(command: &str, flags: &[&str]) -> Result<bool, String> {
    let mut hex = false;
    for flag in flags {
        match *flag {
            "--hex" => hex = true,
            other => return Err(format!("unknown option '{other}' for '{command}'")),
        }
    }
    Ok(hex)
}

fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Help => write_out(USAGE.as_bytes()),
        Command::Version => {
            write_out(format!("dripdrop {}\n", env!("CARGO_PKG_VERSION")).as_bytes())
        }
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

fn read_stdin() -> Result<Vec<u8>, String> {
    let mut input = Vec::new();
    io::stdin()
        .lock()
        .read_to_end(&mut input)
        .map_err(|e| format!("cannot read input: {e}"))?;
    Ok(input)
}

fn write_out(bytes: &[u8]) -> Result<(), String> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write output: {e}"))
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

/// Keeps a message to one line, whatever text it quotes.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
