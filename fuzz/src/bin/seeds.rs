//! Writes the seed corpus: `cargo run -p dripdrop-fuzz --bin seeds [-- DIR]` (DIR defaults
//! to fuzz/corpus). Needs erl, ruby with the bert gem, and curl, as scripts/test installs.

use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let root = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus"));
    let written = dripdrop_fuzz::seeds::write(&root)?;
    println!("{written} seeds in {}", root.display());
    Ok(())
}
