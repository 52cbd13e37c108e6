//! What the benchmarks that drive outside programs share: a child process that ends with
//! its owner, finding a program, and running wrk.

use dripdrop_examples::Fallible;
use std::path::PathBuf;
use std::process::{Child, Command};

/// A child process killed and reaped when dropped.
pub struct Killed(pub Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Where `program` is on the PATH, else `fallback` if that exists; `why` names the benchmark
/// and the package that has it, for the error.
pub fn require(program: &str, fallback: Option<&str>, why: &str) -> Fallible<PathBuf> {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(program))
                .find(|path| path.is_file())
        })
        .or_else(|| fallback.map(PathBuf::from).filter(|p| p.exists()))
        .ok_or_else(|| format!("{why}: {program} not found").into())
}

/// Runs `wrk -t1 -cCONNECTIONS` against `url` for `seconds` (at least 1) and reads its
/// requests/s; with `clean`, an answer that is not a 2xx or a failed socket is an error.
pub fn wrk(url: &str, connections: u64, seconds: u64, clean: bool) -> Fallible<f64> {
    let output = Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{connections}"),
            &format!("-d{}s", seconds.max(1)),
            url,
        ])
        .output()?;
    let text = String::from_utf8_lossy(&output.stdout);
    if clean && (text.contains("Non-2xx") || text.contains("Socket errors")) {
        return Err(format!("wrk saw errors from {url}:\n{text}").into());
    }
    text.lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| format!("cannot read wrk's output:\n{text}").into())
}
