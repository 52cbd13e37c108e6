//! The health file: the loop sets its modification time every beat, so a probe that reads
//! it (`dripdrop health FILE --max-age-ms MS`, Kubernetes' exec probe) tells a turning loop
//! from a stuck or dead one without a port.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The file to touch.
pub const HEALTH_FILE_ENV: &str = "DRIPDROP_HEALTH_FILE";

pub(super) fn file_from_environment() -> Option<PathBuf> {
    std::env::var_os(HEALTH_FILE_ENV)
        .filter(|path| !path.is_empty())
        .map(PathBuf::from)
}

/// Sets the file's modification time to now, making it if need be. A failure (a read-only
/// directory) leaves the file stale, which the probe reports; the loop goes on.
pub(super) fn touch(path: &Path) {
    let touched = File::options()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|file| file.set_modified(SystemTime::now()));
    drop(touched);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn touching_makes_the_file_and_freshens_it() {
        let path = std::env::temp_dir().join(format!("dripdrop-health-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        touch(&path);
        let old = SystemTime::now() - Duration::from_secs(3600);
        File::options()
            .append(true)
            .open(&path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        touch(&path);
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        assert!(modified > old + Duration::from_secs(3000));
        std::fs::remove_file(&path).unwrap();
    }
}
