//! A small YAML writer for the Compose and Kubernetes exports.
//!
//! Hand-written rather than a crate: `serde_yaml` is deprecated and its forks are young, and
//! the hard part of writing YAML is not the nesting but the scalars (`no`, `on`, `1e3`,
//! `0755`, `~`, a leading `*`, `: ` inside, which YAML 1.1 readers such as Compose's and
//! Kubernetes' turn into booleans, numbers, nulls or errors). Here every string value is
//! written double-quoted, as a JSON string is: a JSON string is a valid YAML double-quoted
//! scalar, which every YAML reader takes as that string and nothing else. The only plain
//! (unquoted) text is numbers this program produced and keys that cannot be misread.

use std::fmt::Write;

/// A YAML value: only what the exports write.
#[derive(Clone, Debug, PartialEq)]
pub enum Yaml {
    Str(String),
    Int(u64),
    List(Vec<Yaml>),
    /// Entries in the order written.
    Map(Vec<(String, Yaml)>),
}

impl Yaml {
    pub fn str(text: impl Into<String>) -> Yaml {
        Yaml::Str(text.into())
    }

    /// A map from `(key, value)` pairs.
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Yaml)>) -> Yaml {
        Yaml::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A list of strings.
    pub fn strs<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Yaml {
        Yaml::List(items.into_iter().map(|s| Yaml::Str(s.into())).collect())
    }
}

/// `value` as one YAML document's text (block style, two-space indents), ending in a
/// newline.
pub fn document(value: &Yaml) -> String {
    let mut out = String::new();
    match value {
        Yaml::Map(entries) if !entries.is_empty() => map(entries, 0, &mut out),
        Yaml::List(items) if !items.is_empty() => list(items, 0, &mut out),
        scalar => {
            out.push_str(&inline(scalar));
            out.push('\n');
        }
    }
    out
}

/// Several documents in one stream, each after a `---` line.
pub fn documents(values: &[Yaml]) -> String {
    values
        .iter()
        .map(|value| format!("---\n{}", document(value)))
        .collect()
}

fn map(entries: &[(String, Yaml)], indent: usize, out: &mut String) {
    for (key, value) in entries {
        out.push_str(&" ".repeat(indent));
        out.push_str(&key_text(key));
        out.push(':');
        match value {
            Yaml::Map(inner) if !inner.is_empty() => {
                out.push('\n');
                map(inner, indent + 2, out);
            }
            Yaml::List(items) if !items.is_empty() => {
                out.push('\n');
                list(items, indent + 2, out);
            }
            scalar => {
                out.push(' ');
                out.push_str(&inline(scalar));
                out.push('\n');
            }
        }
    }
}

fn list(items: &[Yaml], indent: usize, out: &mut String) {
    for item in items {
        match item {
            // A collection in a list: written as if one level deeper, then its first line's
            // indent becomes the dash ("- key: ..." with the other keys under "key").
            Yaml::Map(inner) if !inner.is_empty() => {
                let mut nested = String::new();
                map(inner, indent + 2, &mut nested);
                out.push_str(&" ".repeat(indent));
                out.push_str("- ");
                out.push_str(&nested[indent + 2..]);
            }
            Yaml::List(inner) if !inner.is_empty() => {
                let mut nested = String::new();
                list(inner, indent + 2, &mut nested);
                out.push_str(&" ".repeat(indent));
                out.push_str("- ");
                out.push_str(&nested[indent + 2..]);
            }
            scalar => {
                out.push_str(&" ".repeat(indent));
                out.push_str("- ");
                out.push_str(&inline(scalar));
                out.push('\n');
            }
        }
    }
}

/// A scalar, or an empty collection, on one line.
fn inline(value: &Yaml) -> String {
    match value {
        Yaml::Str(text) => quote(text),
        Yaml::Int(n) => n.to_string(),
        Yaml::List(_) => "[]".into(),
        Yaml::Map(_) => "{}".into(),
    }
}

/// Words that YAML 1.1 reads as a boolean or null when plain, whatever their case (`Yes`,
/// `OFF`, `y`, ...).
const SPECIAL_WORDS: [&str; 9] = ["y", "n", "yes", "no", "on", "off", "true", "false", "null"];

/// A key plain when it starts with a letter and holds only letters, digits, `_`, `.`, `/`
/// and `-` (`image`, `app.kubernetes.io/name`, `http-load-target`): such text is never a
/// number, date, alias, tag or indicator; the words YAML 1.1 reads as booleans or null are
/// the only ones left, and they are quoted. Any other key is quoted as a value is.
pub fn key_text(key: &str) -> String {
    let plain = key.starts_with(|c: char| c.is_ascii_alphabetic())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-'))
        && !SPECIAL_WORDS.contains(&key.to_ascii_lowercase().as_str());
    match plain {
        true => key.to_owned(),
        false => quote(key),
    }
}

/// `text` as a double-quoted scalar that is also a JSON string: `"` and `\` escaped, and
/// every character YAML does not allow as it is (C0 and C1 controls, DEL, the BOM,
/// U+FFFE/U+FFFF) or that YAML 1.1 takes for a line break (NEL, U+2028, U+2029) written as a
/// `\uXXXX` escape, which YAML and JSON read alike. Everything else, any Unicode, is written
/// as it is.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn needs_escape(c: char) -> bool {
    matches!(c as u32, 0..=0x1f | 0x7f..=0x9f | 0x2028 | 0x2029 | 0xfeff | 0xfffe | 0xffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_json_strings() {
        for text in [
            "",
            "plain",
            "no",
            "say \"hi\"",
            "back\\slash",
            "a: b # c",
            "tab\tnew\nline\r",
            "\u{1}\u{7f}\u{85}\u{9f}\u{2028}\u{2029}\u{feff}\u{fffe}",
            "ünïcødé ✓ 🦀",
        ] {
            let quoted = quote(text);
            let back: String = serde_json::from_str(&quoted).expect("a JSON string");
            assert_eq!(back, text, "{quoted}");
        }
        assert_eq!(quote("\u{85}"), r#""\u0085""#);
        assert_eq!(quote("é"), "\"é\"");
    }

    #[test]
    fn keys_are_plain_only_when_unambiguous() {
        assert_eq!(key_text("image"), "image");
        assert_eq!(key_text("app.kubernetes.io/name"), "app.kubernetes.io/name");
        assert_eq!(key_text("http-load-target"), "http-load-target");
        assert_eq!(key_text("RUST_LOG"), "RUST_LOG");
        for key in ["no", "Yes", "OFF", "y", "N", "null", "True"] {
            assert_eq!(key_text(key), format!("\"{key}\""));
        }
        for key in ["", "1x", "_x", "a b", "a:b", "~", "-x", "é", "<<"] {
            assert_eq!(key_text(key), quote(key));
        }
    }

    #[test]
    fn nesting() {
        let value = Yaml::map([
            ("name", Yaml::str("x")),
            ("n", Yaml::Int(3)),
            ("empty", Yaml::List(vec![])),
            ("none", Yaml::Map(vec![])),
            ("args", Yaml::strs(["a", "b"])),
            (
                "items",
                Yaml::List(vec![
                    Yaml::map([("k", Yaml::str("v")), ("l", Yaml::strs(["1"]))]),
                    Yaml::List(vec![Yaml::str("inner")]),
                ]),
            ),
            (
                "sub",
                Yaml::map([("deep", Yaml::map([("z", Yaml::Int(0))]))]),
            ),
        ]);
        let expected = "\
name: \"x\"
\"n\": 3
empty: []
none: {}
args:
  - \"a\"
  - \"b\"
items:
  - k: \"v\"
    l:
      - \"1\"
  - - \"inner\"
sub:
  deep:
    z: 0
";
        assert_eq!(document(&value), expected);
        assert_eq!(
            documents(&[Yaml::str("a"), Yaml::Int(1)]),
            "---\n\"a\"\n---\n1\n"
        );
    }
}
