//! `Atom`: an Erlang atom or Ruby symbol, held by value.

use std::borrow::Cow;
use std::fmt;

/// An atom (Erlang) or symbol (Ruby).
///
/// Atoms read from peers are never interned into a global table, so a hostile peer cannot
/// grow one. The few names BERT itself uses on every frame (`bert`, `dict`, `name`, ...) come
/// from a fixed static list instead of a fresh allocation.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Atom(Cow<'static, str>);

impl Atom {
    /// Makes an atom with the given name.
    pub fn new(name: impl Into<String>) -> Self {
        Atom(Cow::Owned(name.into()))
    }

    /// An atom whose name is known at compile time; never allocates.
    pub const fn from_static(name: &'static str) -> Self {
        Atom(Cow::Borrowed(name))
    }

    /// The atom for a name BERT itself writes on every frame (its tags, the message fields),
    /// without allocating; `None` for any other name.
    pub(crate) fn common(name: &[u8]) -> Option<Self> {
        let name = match name {
            b"bert" => "bert",
            b"dict" => "dict",
            b"nil" => "nil",
            b"true" => "true",
            b"false" => "false",
            b"time" => "time",
            b"regex" => "regex",
            b"name" => "name",
            b"head" => "head",
            b"body" => "body",
            b"ok" => "ok",
            b"error" => "error",
            _ => return None,
        };
        Some(Atom(Cow::Borrowed(name)))
    }

    /// The atom's name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Atom {
    fn from(name: &str) -> Self {
        Atom::new(name)
    }
}

impl From<String> for Atom {
    fn from(name: String) -> Self {
        Atom::new(name)
    }
}

impl PartialEq<str> for Atom {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Atom {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_atoms_equal_built_ones_whatever_their_storage() {
        let bert = Atom::common(b"bert").expect("a common name");
        assert!(matches!(bert.0, Cow::Borrowed(_)));
        assert_eq!(bert, Atom::new("bert"));
        assert_eq!(Atom::common(b"other"), None);
        assert_eq!(Atom::new("other"), Atom::from_static("other"));
    }
}
