//! Which file under an http_server's `static_dir` a request path names, if any: never one
//! outside it (no `..`, and no link out of it).

use std::path::{Path, PathBuf};

/// The file `url_path` names under `dir` (canonical), `index.html` for a folder; `None` when
/// it names no file there (it then goes to the handler).
pub(crate) fn resolve(dir: &Path, url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url_path)?;
    let mut path = dir.to_path_buf();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => {}
            ".." => return None,
            s if s.contains('\\') || s.contains('\0') => return None,
            s => path.push(s),
        }
    }
    if decoded.ends_with('/') || path.is_dir() {
        path.push("index.html");
    }
    // The real path (links followed) must still be under the folder.
    let real = path.canonicalize().ok()?;
    (real.starts_with(dir) && real.is_file()).then_some(real)
}

/// `%XX` escapes decoded; `None` for a bad escape or bytes that are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_under_the_folder_are_named() {
        let root = std::env::temp_dir().join(format!("dd-static-{}", std::process::id()));
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("index.html"), "i").unwrap();
        std::fs::write(root.join("sub/a b.txt"), "a").unwrap();
        let dir = root.canonicalize().unwrap();
        assert_eq!(resolve(&dir, "/"), Some(dir.join("index.html")));
        assert_eq!(
            resolve(&dir, "/sub/a%20b.txt"),
            Some(dir.join("sub/a b.txt"))
        );
        for outside in [
            "/../etc/passwd",
            "/sub/../../x",
            "/%2e%2e/x",
            "/nothing",
            "/sub",
        ] {
            assert_eq!(resolve(&dir, outside), None, "{outside}");
        }
        std::fs::remove_dir_all(&root).unwrap();
    }
}
