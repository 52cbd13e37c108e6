//! What the example programs share: the end of `main` that turns an error into one line on
//! stderr and exit status 1, the first error of a node, medians, and http_load's pieces.

pub mod http_load;

use dripdrop::Node;
use std::cell::RefCell;
use std::fmt::Display;
use std::process::ExitCode;
use std::rc::Rc;

/// Any error an example reports: a DripDrop error, a failed I/O call, a failed thread.
pub type Fallible<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// How a program ends: status 0, or its error as one line on stderr, `program: error`, and
/// status 1. (A wrong command line never gets here: clap reports it, with status 2.)
pub fn exit_code(program: &str, outcome: Fallible<()>) -> ExitCode {
    match outcome {
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

/// One name of a `--run-list` among the `known` nodelets; white space around it does not
/// count.
pub fn nodelet_named(name: &str, known: &[&str]) -> Result<String, String> {
    let name = name.trim();
    if known.contains(&name) {
        Ok(name.to_owned())
    } else {
        Err(format!("unknown nodelet (known: {})", known.join(", ")))
    }
}

/// The address a connecting nodelet uses: the endpoint of `route` if its nodelet runs in
/// this process, else the address given by `--flag`, which must then name a real port (not
/// `*` or 0, which only a binding side can pick).
pub fn peer_address(
    node: &Node,
    route: &str,
    given: &str,
    flag: &str,
    whose: &str,
) -> Fallible<String> {
    if let Ok(route) = node.get_route(route) {
        return Ok(route.endpoint().to_owned());
    }
    let picks_port = given.contains('*') || given.ends_with(":0") || given.contains(":0/");
    if picks_port {
        return Err(
            format!("--{flag} must give the address of the {whose}, which runs elsewhere").into(),
        );
    }
    Ok(given.to_owned())
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

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }
}
