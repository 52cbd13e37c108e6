//! The node's side of its service duties (`crate::service`): made from the environment with
//! the node, beating on a timer of the loop, so a stuck loop stops the watchdog and the
//! health file as it stops the control server's beats.

use super::Node;
use crate::service::Service;

impl Node {
    pub(super) fn start_service(&mut self) {
        let handle = self.handle();
        let service = Service::from_environment(self.options.heartbeat, move || handle.shutdown());
        if let Some(period) = service.beats() {
            self.every(period, |node| {
                if let Some(service) = &mut node.service {
                    service.beat();
                }
            });
        }
        self.service = Some(service);
    }
}
