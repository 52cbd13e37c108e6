//! The regression check `scripts/test` runs: every target's check over every file in
//! `fuzz/corpus/<target>/` (the seeds and anything a run kept) and `fuzz/regressions/<target>/`
//! (every input that ever failed), without libFuzzer or coverage instrumentation. Prints one
//! line per target and a closing `fuzz tests: N passed, M failed` (one test per input).

use std::fs;
use std::panic;
use std::path::{Path, PathBuf};

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| Some(e.ok()?.path())).collect())
        .unwrap_or_default();
    files.retain(|path| path.is_file());
    files.sort();
    files
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (mut passed, mut failed) = (0, 0);
    for (target, check) in dripdrop_fuzz::TARGETS {
        let mut files = inputs(&root.join("corpus").join(target));
        let regressions = inputs(&root.join("regressions").join(target));
        let kept = regressions.len();
        files.extend(regressions);
        let mut target_failed = 0;
        for file in &files {
            let data = fs::read(file).expect("a readable input");
            if panic::catch_unwind(|| check(&data)).is_err() {
                eprintln!("FAILED {target}: {}", file.display());
                target_failed += 1;
            }
        }
        println!(
            "{target}: {} inputs ({kept} regressions), {target_failed} failed",
            files.len()
        );
        passed += files.len() - target_failed;
        failed += target_failed;
    }
    println!("fuzz tests: {passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}
