//! `dripdrop keygen NAME [--force]`: a new CURVE key pair as the certificate files czmq's
//! `zcert` and pyzmq's `zmq.auth` read, `NAME.key` (the public key, to hand to peers or put
//! in a server's allowed directory) and `NAME.key_secret` (both keys, mode 0600). Existing
//! files are kept unless `--force`. Prints the paths and the public key.

use clap::Args;
use dripdrop::Certificate;
use std::path::PathBuf;

/// Write a new CURVE certificate: NAME.key (public) and NAME.key_secret (secret, mode 0600)
#[derive(Debug, Args)]
pub struct Command {
    /// The files' path without suffix (`keys/server` writes keys/server.key and
    /// keys/server.key_secret)
    name: PathBuf,
    /// Overwrite files that exist
    #[arg(long)]
    force: bool,
}

pub fn run(command: Command) -> Result<(), String> {
    let certificate = Certificate::generate().map_err(|e| e.to_string())?;
    let written = certificate
        .save(&command.name, command.force)
        .map_err(|e| match e {
            dripdrop::Error::Certificate { path, why } if why.contains("exists") => {
                format!("{path} exists (--force overwrites it)")
            }
            other => other.to_string(),
        })?;
    for path in written {
        println!("wrote {}", path.display());
    }
    println!("public key {}", certificate.public_z85());
    Ok(())
}
