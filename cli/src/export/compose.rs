//! The Docker Compose export: `compose.yaml`, one service per node, each in the profiles of
//! the roles naming it, so `docker compose --profile ROLE up` runs a role.

use super::yaml::{self, Yaml};
use super::{container_environment, dollars, duration_text, object_name, File};
use crate::manifest::{Manifest, NodeSpec, Restart};

pub fn files(manifest: &Manifest) -> Result<Vec<File>, String> {
    let services: Vec<(String, Yaml)> = manifest
        .nodes
        .values()
        .map(|node| (object_name(manifest, node), service(manifest, node)))
        .collect();
    let file = Yaml::map([
        ("name", Yaml::str(&manifest.app.name)),
        ("services", Yaml::Map(services)),
    ]);
    let text = format!(
        "# Made by `dripdrop export compose` from {:?}: change that file and export again.\n{}",
        manifest.path.display().to_string(),
        yaml::document(&file)
    );
    Ok(vec![("compose.yaml".into(), text)])
}

fn service(manifest: &Manifest, node: &NodeSpec) -> Yaml {
    // Compose reads `$` in every value as its own variables: each one from the manifest is
    // doubled, which Compose reads back as one.
    let environment = container_environment(manifest, node)
        .into_iter()
        .map(|(key, value)| (key, Yaml::str(dollars(&value))));
    let mut service = vec![
        ("image", Yaml::str(dollars(&node.image))),
        ("command", Yaml::strs(node.argv.iter().map(|a| dollars(a)))),
        ("environment", Yaml::map(environment)),
        ("profiles", Yaml::strs(manifest.roles_of(&node.name))),
        (
            "deploy",
            Yaml::map([("replicas", Yaml::Int(node.replicas.into()))]),
        ),
        ("restart", Yaml::str(restart(node.restart))),
        ("stop_signal", Yaml::str("SIGTERM")),
        (
            "stop_grace_period",
            Yaml::str(duration_text(node.stop_grace)),
        ),
    ];
    // Published on the host: only a node of one replica may have a fixed port (checked with
    // the manifest), and port 0 (any port) has nothing to publish.
    let ports: Vec<String> = node
        .ports
        .iter()
        .filter(|&&port| port != 0)
        .map(|port| format!("{port}:{port}"))
        .collect();
    if node.replicas == 1 && !ports.is_empty() {
        service.push(("ports", Yaml::strs(ports)));
    }
    Yaml::map(service)
}

/// Compose's `restart:` for the manifest's restart.
fn restart(restart: Restart) -> &'static str {
    match restart {
        Restart::Always => "always",
        Restart::OnFailure => "on-failure",
        Restart::Never => "no",
    }
}
