//! The tool's stdin and stdout: all of stdin at once, whole writes to stdout, and failures as
//! the text of the one line the user sees.

use std::io::{self, Read, Write};

pub fn read_stdin() -> Result<Vec<u8>, String> {
    let mut input = Vec::new();
    io::stdin()
        .lock()
        .read_to_end(&mut input)
        .map_err(|e| format!("cannot read input: {e}"))?;
    Ok(input)
}

pub fn write_out(bytes: &[u8]) -> Result<(), String> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write output: {e}"))
}
