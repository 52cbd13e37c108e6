//! The node's part of the control backchannel: it starts the reporter, describes itself at
//! its first run, and on a timer of its loop hands over one snapshot of its counters per
//! heartbeat. Nothing is done per message: the counters are the ones `stats()` reads.

use super::Node;
use crate::control::{
    ControlSettings, Description, PoolBeat, Reporter, RouteBeat, RouteDescription,
};
use crate::error::Error;

impl Node {
    /// Starts reporting, and the loop timer that makes the beats: on the loop, so a loop
    /// stuck in a callback stops beating while the reporter's alive signals go on.
    pub(super) fn start_reporting(&mut self, settings: ControlSettings) -> Result<(), Error> {
        let reporter = Reporter::start(settings, &self.context)?;
        let heartbeat = reporter.heartbeat();
        self.control = Some(reporter);
        self.every(heartbeat, Node::report_beat);
        Ok(())
    }

    /// Hands the reporter what the node is made of, once: at its first run, when the
    /// program has made its routes and pools.
    pub(super) fn describe_to_control(&mut self) {
        if !self
            .control
            .as_ref()
            .is_some_and(Reporter::needs_description)
        {
            return;
        }
        let description = Description {
            nodelets: self.nodelets.set_up().to_vec(),
            routes: self
                .routes
                .iter()
                .map(|route| RouteDescription {
                    name: route.name().to_owned(),
                    kind: route.kind().name(),
                    endpoints: route.endpoints().to_vec(),
                })
                .collect(),
            pools: self.pools.names(),
        };
        if let Some(control) = &mut self.control {
            control.describe(description);
        }
    }

    fn report_beat(&mut self) {
        let Some(control) = &mut self.control else {
            return;
        };
        let routes = self
            .routes
            .iter()
            .map(|route| RouteBeat {
                name: route.name().to_owned(),
                stats: route.stats(),
            })
            .collect();
        let pools = self
            .pools
            .snapshots()
            .map(|(name, snapshot)| PoolBeat {
                name: name.to_owned(),
                snapshot,
            })
            .collect();
        control.beat(routes, pools);
    }
}
