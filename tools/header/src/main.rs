//! Writes `include/dripdrop.h` from `ffi/` with cbindgen (the version pinned in Cargo.lock),
//! or, with `--check`, fails if the committed header is not what the code generates.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let check = std::env::args().skip(1).any(|a| a == "--check");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let ffi = root.join("ffi");
    let config = match cbindgen::Config::from_file(ffi.join("cbindgen.toml")) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("dripdrop-header: ffi/cbindgen.toml: {e}");
            return ExitCode::FAILURE;
        }
    };
    let bindings = match cbindgen::Builder::new()
        .with_crate(&ffi)
        .with_config(config)
        .generate()
    {
        Ok(bindings) => bindings,
        Err(e) => {
            eprintln!("dripdrop-header: cbindgen: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let path = root.join("include/dripdrop.h");
    if check {
        let committed = std::fs::read(&path).unwrap_or_default();
        if committed != generated {
            eprintln!(
                "dripdrop-header: include/dripdrop.h is stale; regenerate it with \
                 `cargo run -p dripdrop-header` and commit it"
            );
            return ExitCode::FAILURE;
        }
        return ExitCode::SUCCESS;
    }
    if let Err(e) = std::fs::create_dir_all(root.join("include"))
        .and_then(|()| std::fs::write(&path, &generated))
    {
        eprintln!("dripdrop-header: write {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
