//! What the example programs share: reading `--flag value` arguments and the `main` wrapper
//! that turns an error into one line on stderr and exit status 1.

pub mod http_load;

use dripdrop::Node;
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Display;
use std::process::ExitCode;
use std::rc::Rc;
use std::str::FromStr;

/// Any error an example reports: a DripDrop error, a bad flag, a failed thread.
pub type Fallible<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The flags of one command line: `--name value` pairs, `--switch`es and positional words.
#[derive(Debug, Default)]
pub struct Flags {
    values: HashMap<String, String>,
    switches: Vec<String>,
    positional: Vec<String>,
}

impl Flags {
    /// Reads `args` (without the program name). `valued` are the flags that take a value,
    /// `switches` those that do not; anything else starting with `--` is an error. A value
    /// may also be given as `--name=value`.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        valued: &[&str],
        switches: &[&str],
    ) -> Fallible<Flags> {
        let mut flags = Flags::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let Some(flag) = arg.strip_prefix("--") else {
                flags.positional.push(arg);
                continue;
            };
            let (name, inline) = match flag.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (flag, None),
            };
            if valued.contains(&name) {
                let value = match inline {
                    Some(value) => value,
                    None => args
                        .next()
                        .ok_or_else(|| format!("--{name} needs a value"))?,
                };
                flags.values.insert(name.to_owned(), value);
            } else if switches.contains(&name) && inline.is_none() {
                flags.switches.push(name.to_owned());
            } else {
                return Err(format!("unknown option --{name} (try --help)").into());
            }
        }
        Ok(flags)
    }

    /// The value of `--name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The value of `--name`, or `default`.
    pub fn get_or<'a>(&'a self, name: &str, default: &'a str) -> &'a str {
        self.get(name).unwrap_or(default)
    }

    /// The value of `--name` read as a number (or anything `FromStr`), or `default`.
    pub fn number<T>(&self, name: &str, default: T) -> Fallible<T>
    where
        T: FromStr,
        T::Err: Display,
    {
        Ok(self.optional_number(name)?.unwrap_or(default))
    }

    /// The value of `--name` read as a number, if given.
    pub fn optional_number<T>(&self, name: &str) -> Fallible<Option<T>>
    where
        T: FromStr,
        T::Err: Display,
    {
        match self.get(name) {
            None => Ok(None),
            Some(text) => text
                .parse()
                .map(Some)
                .map_err(|e| format!("--{name} {text:?}: {e}").into()),
        }
    }

    /// Whether `--name` was given.
    pub fn has(&self, name: &str) -> bool {
        self.switches.iter().any(|s| s == name)
    }

    /// The words that are not flags, in order.
    pub fn positional(&self) -> &[String] {
        &self.positional
    }
}

/// Runs an example's body with its arguments: `--help` (or `-h`) prints `usage`; an error
/// becomes one line, `program: error`, on stderr and exit status 1.
pub fn main_with(
    program: &str,
    usage: &str,
    run: impl FnOnce(Vec<String>) -> Fallible<()>,
) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        print!("{usage}");
        return ExitCode::SUCCESS;
    }
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, whatever the error's text holds.
            let text = e.to_string().replace('\n', " ");
            eprintln!("{program}: {text}");
            ExitCode::FAILURE
        }
    }
}

/// The first error met on a node's thread. Recording one stops the node, and the program
/// reports it when `run` returns: an example ends at its first error, with status 1.
#[derive(Clone, Debug, Default)]
pub struct FirstError(Rc<RefCell<Option<String>>>);

impl FirstError {
    /// A slot that also takes the errors the node reports itself (a callback that panicked,
    /// a frame that does not decode), instead of printing them and going on.
    pub fn watch(node: &mut Node) -> FirstError {
        let first = FirstError::default();
        let slot = first.clone();
        node.on_error(move |node, error| slot.set(node, error));
        first
    }

    /// Keeps `error` unless one came earlier, and stops the node.
    pub fn set(&self, node: &mut Node, error: impl Display) {
        self.0.borrow_mut().get_or_insert_with(|| error.to_string());
        node.stop();
    }

    /// `Err` with the first error, if there was one.
    pub fn check(&self) -> Fallible<()> {
        match self.0.borrow().as_ref() {
            Some(error) => Err(error.clone().into()),
            None => Ok(()),
        }
    }
}

/// The median of some measurements (the mean of the middle two for an even count); `NaN`
/// for none.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn flags_values_switches_and_words() {
        let flags = Flags::parse(
            args(&["pushpull", "--count", "3", "--addr=tcp://x:1", "--quick"]),
            &["count", "addr"],
            &["quick"],
        )
        .expect("valid");
        assert_eq!(flags.number("count", 0u32).expect("a number"), 3);
        assert_eq!(flags.get("addr"), Some("tcp://x:1"));
        assert_eq!(flags.get_or("other", "d"), "d");
        assert!(flags.has("quick"));
        assert_eq!(flags.positional(), ["pushpull"]);
    }

    #[test]
    fn bad_flags_are_errors() {
        let unknown = Flags::parse(args(&["--nope"]), &[], &[]).unwrap_err();
        assert_eq!(unknown.to_string(), "unknown option --nope (try --help)");
        let missing = Flags::parse(args(&["--count"]), &["count"], &[]).unwrap_err();
        assert_eq!(missing.to_string(), "--count needs a value");
        let flags = Flags::parse(args(&["--count", "x"]), &["count"], &[]).expect("parses");
        let bad = flags.number("count", 0u32).unwrap_err();
        assert_eq!(
            bad.to_string(),
            "--count \"x\": invalid digit found in string"
        );
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }
}
