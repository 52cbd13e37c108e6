//! The expected topology (`dripdrop control --manifest dripdrop.toml`): how many processes of
//! each node the manifest asks for, held against the live ones the table knows (their hello
//! names their app and node, docs/deploy.md). A node with fewer live processes than its
//! replicas is `missing`; one whose launcher gave up restarting an instance is `flapping`.

use super::table::{State, Table};
use super::wire::{Exited, Launched};
use crate::manifest::Manifest;
use serde_json::{json, Value as Json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// How long after the server starts before a node may be called missing: processes say
/// hello again every 2 heartbeats, so by then every live one has been heard.
const SETTLE: Duration = Duration::from_secs(3);

/// A node's standing against the manifest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// As many live processes as replicas (or more, during a restart).
    Complete,
    /// Fewer.
    Missing,
    /// A launcher stopped restarting one of its instances.
    Flapping,
}

impl Standing {
    fn name(self) -> &'static str {
        match self {
            Standing::Complete => "complete",
            Standing::Missing => "missing",
            Standing::Flapping => "flapping",
        }
    }
}

/// One node as the API shows it.
pub struct NodeView {
    pub name: String,
    pub roles: Vec<String>,
    pub expected: u32,
    pub live: u32,
    pub standing: Standing,
    pub flapping: Vec<u64>,
}

pub struct Topology {
    app: String,
    /// Each node's replicas and roles.
    nodes: BTreeMap<String, (u32, Vec<String>)>,
    /// Instances whose launcher reported them flapping (node, instance), until started again.
    /// Bounded by the manifest: only its nodes and instances are kept.
    flapping: BTreeSet<(String, u64)>,
    /// What each node's standing was at the last look, for events.
    last: BTreeMap<String, Standing>,
    since: Instant,
}

impl Topology {
    pub fn new(manifest: &Manifest, now: Instant) -> Topology {
        let nodes = manifest
            .nodes
            .values()
            .map(|node| {
                let roles = manifest.roles_of(&node.name).into_iter().map(String::from);
                (node.name.clone(), (node.replicas, roles.collect()))
            })
            .collect();
        Topology {
            app: manifest.app.name.clone(),
            nodes,
            flapping: BTreeSet::new(),
            last: BTreeMap::new(),
            since: now,
        }
    }

    /// A launcher started an instance: whatever it said of that instance before is over.
    pub fn started(&mut self, launched: &Launched) {
        if launched.app == self.app {
            self.flapping
                .remove(&(launched.node.clone(), launched.instance));
        }
    }

    pub fn exited(&mut self, exited: &Exited) {
        let process = &exited.process;
        let known = self
            .nodes
            .get(&process.node)
            .is_some_and(|(replicas, _)| process.instance <= u64::from(*replicas));
        if exited.flapping && process.app == self.app && known {
            self.flapping
                .insert((process.node.clone(), process.instance));
        }
    }

    /// Every node of the manifest, with its live processes: those of this app and node that
    /// are `up` or `stuck` (alive, whatever their loop does).
    pub fn view(&self, table: &Table) -> Vec<NodeView> {
        let mut live: BTreeMap<&str, u32> = BTreeMap::new();
        for process in table.processes() {
            let alive = matches!(process.state, State::Up | State::Stuck);
            if alive && process.hello.app == self.app {
                *live.entry(process.hello.node.as_str()).or_default() += 1;
            }
        }
        self.nodes
            .iter()
            .map(|(name, (expected, roles))| {
                let live = live.get(name.as_str()).copied().unwrap_or(0);
                let flapping: Vec<u64> = self
                    .flapping
                    .iter()
                    .filter(|(node, _)| node == name)
                    .map(|(_, instance)| *instance)
                    .collect();
                let standing = match (flapping.is_empty(), live >= *expected) {
                    (false, _) => Standing::Flapping,
                    (true, true) => Standing::Complete,
                    (true, false) => Standing::Missing,
                };
                NodeView {
                    name: name.clone(),
                    roles: roles.clone(),
                    expected: *expected,
                    live,
                    standing,
                    flapping,
                }
            })
            .collect()
    }

    /// The nodes whose standing changed since the last look, as events (none while the
    /// server settles; after it, a node that is not complete is one).
    pub fn changes(&mut self, table: &Table, now: Instant) -> Vec<Json> {
        if now.duration_since(self.since) < SETTLE {
            return Vec::new();
        }
        let mut events = Vec::new();
        for view in self.view(table) {
            let before = self.last.insert(view.name.clone(), view.standing);
            let first_and_fine = before.is_none() && view.standing == Standing::Complete;
            if before == Some(view.standing) || first_and_fine {
                continue;
            }
            events.push(json!({
                "app": self.app,
                "node": view.name,
                "from": before.map(Standing::name),
                "to": view.standing.name(),
                "alert": view.standing != Standing::Complete,
                "expected": view.expected,
                "live": view.live,
            }));
        }
        events
    }
}

/// The API's JSON of the nodes.
pub fn to_json(views: &[NodeView]) -> Json {
    let nodes: Vec<Json> = views
        .iter()
        .map(|v| {
            json!({
                "name": v.name,
                "roles": v.roles,
                "expected": v.expected,
                "live": v.live,
                "state": v.standing.name(),
                "flapping_instances": v.flapping,
            })
        })
        .collect();
    Json::Array(nodes)
}
