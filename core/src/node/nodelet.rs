//! Nodelets: named groups of routes and callbacks, so one codebase deploys as many roles and
//! `run_list` picks which run in this process.

use super::Node;
use crate::error::Error;

impl Node {
    /// Sets up nodelet `name` by calling `setup`, unless a run list is set and leaves it out.
    /// Routes made inside `setup` belong to the nodelet. Returns whether it was set up.
    pub fn nodelet(
        &mut self,
        name: &str,
        setup: impl FnOnce(&mut Node) -> Result<(), Error>,
    ) -> Result<bool, Error> {
        if let Some(run_list) = &self.run_list {
            if !run_list.contains(name) {
                return Ok(false);
            }
        }
        let outer = self.current_nodelet.replace(name.to_owned());
        let result = setup(self);
        self.current_nodelet = outer;
        result?;
        self.nodelets.push(name.to_owned());
        Ok(true)
    }

    /// The nodelets set up so far, in order.
    pub fn nodelets(&self) -> &[String] {
        &self.nodelets
    }
}
