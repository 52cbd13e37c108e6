//! Who is who at the pool's ROUTER: the identities of the workers connected now, of those
//! that left (their late results of earlier attempts still count), and which earlier
//! sessions a worker continues. Everyone else is a stranger, and a stranger's results are
//! refused unread.

use super::scheduler::WorkerId;
use rustc_hash::FxHashMap;
use smallvec::SmallVec;
use std::collections::VecDeque;

/// Identities of workers that left, remembered for their late results; past this many the
/// oldest is forgotten (its late results are then refused, and its tasks ran again anyway).
const RETIRED: usize = 4096;

/// Sessions a worker's results speak for: its own and up to three it continues.
const LINEAGE: usize = 4;

/// A worker and the earlier sessions it continues, its own id first.
pub(crate) type Lineage = SmallVec<[WorkerId; LINEAGE]>;

/// Who sent a frame.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Origin {
    /// A worker connected now.
    Live(WorkerId),
    /// A worker that left or was declared dead.
    Retired(WorkerId),
    /// An identity that never said READY (or was forgotten).
    Stranger,
}

#[derive(Default)]
pub(crate) struct Identities {
    live: FxHashMap<Box<[u8]>, WorkerId>,
    retired: FxHashMap<Box<[u8]>, WorkerId>,
    /// Retired identities, oldest first, to forget them in order.
    retired_order: VecDeque<Box<[u8]>>,
    /// The lineage of every worker, live or retired, that continues another.
    lineages: FxHashMap<WorkerId, Lineage>,
}

impl Identities {
    pub(crate) fn sender(&self, identity: &[u8]) -> Origin {
        if let Some(&worker) = self.live.get(identity) {
            Origin::Live(worker)
        } else if let Some(&worker) = self.retired.get(identity) {
            Origin::Retired(worker)
        } else {
            Origin::Stranger
        }
    }

    /// A worker said READY as `identity`; `previous` is the identity of the session it
    /// says it continues. Returns the live worker that session still is, if any (it is
    /// replaced, and the caller removes it).
    pub(crate) fn admit(
        &mut self,
        identity: &[u8],
        worker: WorkerId,
        previous: Option<&[u8]>,
    ) -> Option<WorkerId> {
        self.live.insert(identity.into(), worker);
        let (earlier, replaced) = match previous.map(|p| self.sender(p)) {
            Some(Origin::Live(earlier)) => (Some(earlier), Some(earlier)),
            Some(Origin::Retired(earlier)) => (Some(earlier), None),
            _ => (None, None),
        };
        if let Some(earlier) = earlier {
            let mut lineage = Lineage::new();
            lineage.push(worker);
            lineage.extend(self.lineage(earlier).iter().copied().take(LINEAGE - 1));
            self.lineages.insert(worker, lineage);
        }
        replaced
    }

    /// The sessions a result from `worker` speaks for: its own, then those it continues.
    pub(crate) fn lineage(&self, worker: WorkerId) -> Lineage {
        self.lineages
            .get(&worker)
            .cloned()
            .unwrap_or_else(|| std::iter::once(worker).collect())
    }

    /// A live worker left: its identity is remembered as retired.
    pub(crate) fn retire(&mut self, identity: &[u8]) {
        let Some(worker) = self.live.remove(identity) else {
            return;
        };
        if self.retired_order.len() == RETIRED {
            if let Some(oldest) = self.retired_order.pop_front() {
                if let Some(forgotten) = self.retired.remove(&oldest) {
                    self.lineages.remove(&forgotten);
                }
            }
        }
        self.retired.insert(identity.into(), worker);
        self.retired_order.push_back(identity.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::credit::Credit;
    use crate::pool::scheduler::Scheduler;

    fn workers(count: usize) -> Vec<WorkerId> {
        let mut s = Scheduler::new(crate::pool::Placement::Remote, 1);
        (0..count)
            .map(|_| {
                let names = super::super::scheduler::Capabilities::Names(Default::default());
                s.add_worker(false, names, Credit::fixed(1, 0, 1))
            })
            .collect()
    }

    #[test]
    fn live_retired_and_strangers() {
        let w = workers(3);
        let mut ids = Identities::default();
        assert_eq!(ids.sender(b"a"), Origin::Stranger);
        assert_eq!(ids.admit(b"a", w[0], None), None);
        assert_eq!(ids.sender(b"a"), Origin::Live(w[0]));
        ids.retire(b"a");
        assert_eq!(ids.sender(b"a"), Origin::Retired(w[0]));
        // A new session naming the retired one continues it; naming a live one replaces it.
        assert_eq!(ids.admit(b"b", w[1], Some(b"a")), None);
        assert_eq!(ids.lineage(w[1]).as_slice(), &[w[1], w[0]]);
        assert_eq!(ids.admit(b"c", w[2], Some(b"b")), Some(w[1]));
        assert_eq!(ids.lineage(w[2]).as_slice(), &[w[2], w[1], w[0]]);
        // Naming a stranger continues nothing.
        let more = workers(1);
        ids.admit(b"d", more[0], Some(b"nobody"));
        assert_eq!(ids.lineage(more[0]).len(), 1);
    }

    #[test]
    fn retired_identities_are_bounded() {
        let w = workers(1)[0];
        let mut ids = Identities::default();
        for n in 0..RETIRED + 10 {
            let identity = n.to_be_bytes();
            ids.admit(&identity, w, None);
            ids.retire(&identity);
        }
        assert_eq!(ids.retired.len(), RETIRED);
        assert_eq!(ids.sender(&0usize.to_be_bytes()), Origin::Stranger);
        assert_eq!(ids.sender(&(RETIRED + 9).to_be_bytes()), Origin::Retired(w));
    }
}
