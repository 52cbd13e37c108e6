//! ZPL, the ZeroMQ Property Language (rfc.zeromq.org/spec/4): the text of certificate files
//! as czmq's `zcert` and pyzmq's `zmq.auth` write them. No crate reads ZPL, so this is a
//! small hand-written reader and writer of just what certificates use.
//!
//! A ZPL file is lines: `#` comments, blank lines, and entries `name` or `name = value`,
//! nested by indentation (four spaces a level), so that `curve` followed by an indented
//! `public-key = "..."` is the property `curve/public-key`. The reader is tolerant of what
//! the two writers and people produce: single or double quotes or none, tabs, indentation
//! that is not a multiple of four, comments after a value, and sections (`metadata`) whose
//! entries it has no use for. It never fails on a line it does not understand: it skips it,
//! and the certificate reader then says which key was not found.

/// One property: its path (`curve/public-key`) and its value (empty for a bare name).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Property {
    pub(crate) path: String,
    pub(crate) value: String,
}

/// Most nesting levels kept; deeper lines are read as children of the deepest kept level.
const MAX_DEPTH: usize = 16;

/// Reads the properties of a ZPL text, in order.
pub(crate) fn parse(text: &str) -> Vec<Property> {
    // The names of the open sections, each with the indentation of its line.
    let mut open: Vec<(usize, String)> = Vec::new();
    let mut properties = Vec::new();
    for line in text.lines() {
        let indent = indentation(line);
        let content = line.trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let (name, value) = match content.split_once('=') {
            Some((name, value)) => (name.trim(), unquote(value)),
            None => (content, String::new()),
        };
        if name.is_empty() || name.contains(char::is_whitespace) {
            continue;
        }
        // Close every section that is not an ancestor of this line.
        while open.last().is_some_and(|(level, _)| *level >= indent) {
            open.pop();
        }
        let mut path: String = open.iter().map(|(_, n)| format!("{n}/")).collect();
        path.push_str(name);
        properties.push(Property {
            path,
            value: value.clone(),
        });
        if open.len() < MAX_DEPTH {
            open.push((indent, name.to_owned()));
        }
    }
    properties
}

/// The width of a line's leading white space, a tab counting as four spaces.
fn indentation(line: &str) -> usize {
    line.chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .map(|c| if c == '\t' { 4 } else { 1 })
        .sum()
}

/// A value as written after `=`: quoted (single or double; the quote ends it, and what
/// follows is a comment) or bare (up to white space or a `#`).
fn unquote(raw: &str) -> String {
    let raw = raw.trim();
    let mut chars = raw.chars();
    match chars.next() {
        Some(quote @ ('"' | '\'')) => chars.take_while(|c| *c != quote).collect(),
        _ => raw
            .split(|c: char| c == '#' || c.is_whitespace())
            .next()
            .unwrap_or_default()
            .to_owned(),
    }
}

/// The value of the property at `path`, if the text has it.
pub(crate) fn get<'a>(properties: &'a [Property], path: &str) -> Option<&'a str> {
    properties
        .iter()
        .find(|p| p.path == path)
        .map(|p| p.value.as_str())
}

/// Writes a ZPL text: the comment lines, then each section and its `name = "value"`
/// entries, indented four spaces, as czmq writes certificates. Values are quoted with
/// double quotes, so they must not hold one (callers write keys and metadata they check).
pub(crate) fn write(comments: &[&str], sections: &[(&str, Vec<(String, String)>)]) -> String {
    let mut out = String::new();
    for comment in comments {
        out.push('#');
        out.push_str(comment);
        out.push('\n');
    }
    out.push('\n');
    for (section, entries) in sections {
        out.push_str(section);
        out.push('\n');
        for (name, value) in entries {
            out.push_str(&format!("    {name} = \"{value}\"\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CZMQ: &str = "#   ****  Generated on 2024-01-01 10:00:00 by CZMQ  ****\n\
        #   ZeroMQ CURVE **Secret** Certificate\n\
        #   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.\n\
        \n\
        metadata\n\
        \x20   name = \"alice\"\n\
        curve\n\
        \x20   public-key = \"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\"\n\
        \x20   secret-key = \"JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6\"\n";

    #[test]
    fn reads_what_czmq_writes() {
        let p = parse(CZMQ);
        assert_eq!(get(&p, "metadata/name"), Some("alice"));
        assert_eq!(
            get(&p, "curve/public-key"),
            Some("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7")
        );
        assert_eq!(
            get(&p, "curve/secret-key"),
            Some("JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6")
        );
        assert_eq!(get(&p, "curve"), Some(""));
        assert_eq!(get(&p, "public-key"), None);
    }

    #[test]
    fn tolerates_what_people_and_pyzmq_write() {
        // pyzmq writes metadata unquoted; people indent with tabs and add comments.
        let text = "metadata\n    owner = bob smith\ncurve\n\tpublic-key = 'abc' # the key\n\
                    \n  # an indented comment\n  secret-key=xyz\n= stray\nnot a name = 1\n";
        let p = parse(text);
        assert_eq!(get(&p, "metadata/owner"), Some("bob"));
        assert_eq!(get(&p, "curve/public-key"), Some("abc"));
        assert_eq!(get(&p, "curve/secret-key"), Some("xyz"));
        assert_eq!(p.len(), 5, "{p:?}");
    }

    #[test]
    fn a_dedent_closes_sections() {
        let p = parse("a\n    b\n        c = 1\n    d = 2\ne = 3\n");
        let paths: Vec<&str> = p.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["a", "a/b", "a/b/c", "a/d", "e"]);
    }

    #[test]
    fn writes_what_it_reads() {
        let text = write(
            &["   a comment"],
            &[
                ("metadata", vec![]),
                ("curve", vec![("public-key".into(), "k".into())]),
            ],
        );
        assert_eq!(
            text,
            "#   a comment\n\nmetadata\ncurve\n    public-key = \"k\"\n"
        );
        assert_eq!(get(&parse(&text), "curve/public-key"), Some("k"));
    }
}
