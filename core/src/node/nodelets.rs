//! Nodelets: named groups of routes and callbacks, so one codebase deploys as many roles and
//! `run_list` picks which run in this process.

use std::collections::HashSet;

/// Which nodelets this node runs, which one is being set up, and which were.
#[derive(Default)]
pub(crate) struct Nodelets {
    /// Only these run; `None` runs them all.
    run_list: Option<HashSet<String>>,
    current: Option<String>,
    set_up: Vec<String>,
}

impl Nodelets {
    pub(crate) fn new(run_list: Option<&[String]>) -> Self {
        Nodelets {
            run_list: run_list.map(|names| names.iter().cloned().collect()),
            ..Nodelets::default()
        }
    }

    /// Whether the run list (if any) names `name`.
    pub(crate) fn runs(&self, name: &str) -> bool {
        self.run_list
            .as_ref()
            .is_none_or(|list| list.contains(name))
    }

    /// Starts setting up `name`; returns the nodelet it is set up inside, for `leave`.
    pub(crate) fn enter(&mut self, name: &str) -> Option<String> {
        self.current.replace(name.to_owned())
    }

    /// Ends the setup of the current nodelet (`set_up`: it succeeded).
    pub(crate) fn leave(&mut self, outer: Option<String>, set_up: bool) {
        let finished = std::mem::replace(&mut self.current, outer);
        if let (true, Some(name)) = (set_up, finished) {
            self.set_up.push(name);
        }
    }

    /// The nodelet being set up: what a route made now belongs to.
    pub(crate) fn current(&self) -> Option<&str> {
        self.current.as_deref()
    }

    /// The nodelets set up so far, in order.
    pub(crate) fn set_up(&self) -> &[String] {
        &self.set_up
    }
}
