//! Builds a DripDrop message, encodes it, shows the frame as hex and as the Erlang term on the
//! wire, and reads it back: what every route sends, in the Ruby gem's exact format.
//!
//! Run: `cargo run -p dripdrop-examples --bin message -- [NAME]`

use clap::Parser;
use dripdrop::bert::{decode_term, text, DecodeLimits, Value};
use dripdrop::Message;
use dripdrop_examples::{exit_code, Fallible};
use std::process::ExitCode;

/// Builds a DripDrop message, shows its frame in hex and as the Erlang term on the wire, and
/// reads it back.
#[derive(Debug, Parser)]
#[command(name = "message")]
struct Args {
    /// The message's name
    #[arg(default_value = "stats")]
    name: String,
}

fn run(name: &str) -> Fallible<()> {
    let msg = Message::new(name)?
        .with_head_entry("reply_to", "collector")
        .with_body(Value::Dict(vec![
            (Value::from("cpu"), Value::Float(0.25)),
            (
                Value::from("tags"),
                Value::List(vec![Value::atom("web"), Value::atom("eu")]),
            ),
            (Value::from("seen"), Value::Nil),
        ]));
    let frame = msg.encode()?;
    let hex: String = frame.iter().map(|b| format!("{b:02x}")).collect();
    println!("frame ({} bytes): {hex}", frame.len());
    let term = decode_term(&frame, &DecodeLimits::DEFAULT)?;
    println!("on the wire: {}", text::print(&term));
    let back = Message::decode(&frame)?;
    println!("name: {}", back.name());
    println!(
        "reply_to: {}",
        back.head_get("reply_to")
            .and_then(Value::as_str)
            .unwrap_or("?")
    );
    println!("round trip equal: {}", back == msg);
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    exit_code("message", run(&args.name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_name_and_its_default() {
        Args::command().debug_assert();
        assert_eq!(Args::parse_from(["message"]).name, "stats");
        assert_eq!(Args::parse_from(["message", "ping"]).name, "ping");
    }
}
