//! The Kubernetes export: `kubernetes.yaml`, one object per node: a Deployment for a node
//! that restarts always, a Job for one that runs to an end (restart on-failure or never).
//! Pods go to the cluster nodes labelled `dripdrop.io/role-ROLE: "true"` for a role naming
//! the node, and their probes read the same heartbeat as the control server: the core's loop
//! touches a health file every beat, and `dripdrop health` checks its age.

use super::yaml::{self, Yaml};
use super::{container_environment, dollars, object_name, stale_after_ms, File};
use crate::manifest::{Manifest, NodeSpec, Restart};

/// The file the core's loop touches every heartbeat when DRIPDROP_HEALTH_FILE names it.
pub const HEALTH_FILE: &str = "/tmp/dripdrop-health";
/// How long a process may take to start its loop before the startup probe gives up.
const STARTUP_SECONDS: u64 = 60;
/// Kubernetes puts a Job's name in a label of its pods, and labels hold 63 characters.
const MAX_JOB_NAME: usize = 63;

pub fn files(manifest: &Manifest) -> Result<Vec<File>, String> {
    let mut objects = Vec::new();
    for node in manifest.nodes.values() {
        objects.push(object(manifest, node)?);
    }
    let text = format!(
        "# Made by `dripdrop export kubernetes` from {:?}: change that file and export again.\n{}",
        manifest.path.display().to_string(),
        yaml::documents(&objects)
    );
    Ok(vec![("kubernetes.yaml".into(), text)])
}

fn object(manifest: &Manifest, node: &NodeSpec) -> Result<Yaml, String> {
    let name = object_name(manifest, node);
    let roles = manifest.roles_of(&node.name);
    let selector = vec![
        (
            "app.kubernetes.io/name".to_owned(),
            Yaml::str(&manifest.app.name),
        ),
        (
            "app.kubernetes.io/component".to_owned(),
            Yaml::str(&node.name),
        ),
    ];
    let mut labels = selector.clone();
    labels.extend(
        roles
            .iter()
            .map(|role| (format!("dripdrop.io/role-{role}"), Yaml::str("true"))),
    );
    let metadata = Yaml::map([
        ("name", Yaml::str(&name)),
        ("labels", Yaml::Map(labels.clone())),
    ]);
    let pod = pod(manifest, node)?;
    let template = Yaml::map([
        ("metadata", Yaml::map([("labels", Yaml::Map(labels))])),
        ("spec", pod),
    ]);
    let replicas = Yaml::Int(node.replicas.into());
    let object = match node.restart {
        Restart::Always => Yaml::map([
            ("apiVersion", Yaml::str("apps/v1")),
            ("kind", Yaml::str("Deployment")),
            ("metadata", metadata),
            (
                "spec",
                Yaml::map([
                    ("replicas", replicas),
                    (
                        "selector",
                        Yaml::map([("matchLabels", Yaml::Map(selector))]),
                    ),
                    ("template", template),
                ]),
            ),
        ]),
        Restart::OnFailure | Restart::Never => {
            if name.len() > MAX_JOB_NAME {
                return Err(format!(
                    "nodes.{}: the Job {name} would have {} characters; Kubernetes takes {MAX_JOB_NAME} \
                     (shorten the app's or the node's name)",
                    node.name,
                    name.len()
                ));
            }
            let mut spec = vec![("completions", replicas.clone()), ("parallelism", replicas)];
            // restartPolicy Never alone still has the Job make new pods for failed ones
            // (6 times by default); "never" means run once.
            if node.restart == Restart::Never {
                spec.push(("backoffLimit", Yaml::Int(0)));
            }
            spec.push(("template", template));
            Yaml::map([
                ("apiVersion", Yaml::str("batch/v1")),
                ("kind", Yaml::str("Job")),
                ("metadata", metadata),
                ("spec", Yaml::map(spec)),
            ])
        }
    };
    Ok(object)
}

fn pod(manifest: &Manifest, node: &NodeSpec) -> Result<Yaml, String> {
    let mut env = Vec::new();
    for (key, value) in container_environment(manifest, node) {
        if key == "DRIPDROP_HEALTH_FILE" {
            return Err(format!(
                "nodes.{}.env.DRIPDROP_HEALTH_FILE: set by the Kubernetes export for its probes",
                node.name
            ));
        }
        if !name_ok(&key) {
            return Err(format!(
                "nodes.{}.env.{key}: Kubernetes takes only variable names of letters, digits, \
                 '_', '-' and '.' that do not start with a digit",
                node.name
            ));
        }
        // Kubernetes reads $(VAR) in env values and commands; $$ is one $.
        env.push(Yaml::map([
            ("name", Yaml::str(key)),
            ("value", Yaml::str(dollars(&value))),
        ]));
    }
    env.push(Yaml::map([
        ("name", Yaml::str("DRIPDROP_HEALTH_FILE")),
        ("value", Yaml::str(HEALTH_FILE)),
    ]));
    let mut container = vec![
        ("name", Yaml::str(&node.name)),
        ("image", Yaml::str(&node.image)),
        ("command", Yaml::strs(node.argv.iter().map(|a| dollars(a)))),
        ("env", Yaml::List(env)),
    ];
    let ports: Vec<Yaml> = node
        .ports
        .iter()
        .filter(|&&port| port != 0)
        .map(|&port| Yaml::map([("containerPort", Yaml::Int(port.into()))]))
        .collect();
    if !ports.is_empty() {
        container.push(("ports", Yaml::List(ports)));
    }
    // Probed once per stale window (three heartbeats): a process whose loop stopped is
    // unready at the first failed probe and restarted at the third; the startup probe gives
    // it STARTUP_SECONDS to start its loop first.
    let period = stale_after_ms(manifest).div_ceil(1000).max(1);
    container.push((
        "startupProbe",
        probe(manifest, period, STARTUP_SECONDS.div_ceil(period)),
    ));
    container.push(("livenessProbe", probe(manifest, period, 3)));
    container.push(("readinessProbe", probe(manifest, period, 1)));

    let mut spec = vec![(
        "terminationGracePeriodSeconds",
        Yaml::Int(grace_seconds(node)),
    )];
    if node.restart != Restart::Always {
        let policy = match node.restart {
            Restart::OnFailure => "OnFailure",
            _ => "Never",
        };
        spec.push(("restartPolicy", Yaml::str(policy)));
    }
    spec.push(placement(manifest, node));
    spec.push(("containers", Yaml::List(vec![Yaml::map(container)])));
    Ok(Yaml::map(spec))
}

/// Where the pods may run: on cluster nodes labelled for a role naming the node. One role:
/// a nodeSelector. Several: a required node affinity with one term per role, since terms
/// are alternatives (a nodeSelector's labels must all match, which would need a machine
/// labelled for every one of those roles).
fn placement(manifest: &Manifest, node: &NodeSpec) -> (&'static str, Yaml) {
    let roles = manifest.roles_of(&node.name);
    if let [role] = roles.as_slice() {
        return (
            "nodeSelector",
            Yaml::map([(format!("dripdrop.io/role-{role}"), Yaml::str("true"))]),
        );
    }
    let terms = roles.iter().map(|role| {
        Yaml::map([(
            "matchExpressions",
            Yaml::List(vec![Yaml::map([
                ("key", Yaml::str(format!("dripdrop.io/role-{role}"))),
                ("operator", Yaml::str("In")),
                ("values", Yaml::strs(["true"])),
            ])]),
        )])
    });
    (
        "affinity",
        Yaml::map([(
            "nodeAffinity",
            Yaml::map([(
                "requiredDuringSchedulingIgnoredDuringExecution",
                Yaml::map([("nodeSelectorTerms", Yaml::List(terms.collect()))]),
            )]),
        )]),
    )
}

/// A probe that runs `dripdrop health` on the health file: it passes while the loop touched
/// the file within three heartbeats.
fn probe(manifest: &Manifest, period: u64, failures: u64) -> Yaml {
    let command = [
        "dripdrop".to_owned(),
        "health".to_owned(),
        HEALTH_FILE.to_owned(),
        "--max-age-ms".to_owned(),
        stale_after_ms(manifest).to_string(),
    ];
    Yaml::map([
        ("exec", Yaml::map([("command", Yaml::strs(command))])),
        ("periodSeconds", Yaml::Int(period)),
        ("timeoutSeconds", Yaml::Int(period)),
        ("failureThreshold", Yaml::Int(failures)),
    ])
}

/// `terminationGracePeriodSeconds`: the stop grace in whole seconds, rounded up (never
/// shorter than the manifest's).
fn grace_seconds(node: &NodeSpec) -> u64 {
    let ms = u64::try_from(node.stop_grace.as_millis()).unwrap_or(u64::MAX);
    ms.div_ceil(1000)
}

/// An environment variable name Kubernetes accepts: letters, digits, `_`, `-` and `.`, not
/// starting with a digit.
fn name_ok(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(name_ok("RUST_LOG"));
        assert!(name_ok("my-var.x"));
        assert!(!name_ok("1x"));
        assert!(!name_ok("a b"));
        assert!(!name_ok(""));
    }
}
