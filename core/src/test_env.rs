//! For unit tests of code that reads the environment through a lookup function (so tests
//! need not set process-wide variables): a lookup over fixed pairs.

/// Looks `name` up in `pairs`.
pub(crate) fn fixed<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    }
}
