//! Builds a DripDrop message, encodes it, shows the frame as hex and as the Erlang term on the
//! wire, and reads it back: what every route sends, in the Ruby gem's exact format.
//!
//! Run: `cargo run -p dripdrop-examples --bin message -- [NAME]`

use dripdrop::bert::{decode_term, text, DecodeLimits, Value};
use dripdrop::{Error, Message};
use std::process::ExitCode;

fn run(name: &str) -> Result<(), Error> {
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
    let name = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "stats".to_owned());
    match run(&name) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("message: {e}");
            ExitCode::FAILURE
        }
    }
}
