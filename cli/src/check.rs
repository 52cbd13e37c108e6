//! `dripdrop check dripdrop.toml`: reads and checks a manifest (docs/deploy.md) and prints
//! what each role would run; with `--role` or `--host`, also that the programs of those
//! roles exist here, as the launcher will check before starting anything.

use crate::manifest::Manifest;
use clap::Args;
use std::path::PathBuf;

/// Check a manifest and show what each role runs
#[derive(Debug, Args)]
pub struct Command {
    /// The manifest
    #[arg(default_value = "dripdrop.toml")]
    manifest: PathBuf,
    /// Also check that the programs of this role exist on this machine (repeatable)
    #[arg(long = "role", value_name = "ROLE")]
    roles: Vec<String>,
    /// Also check the programs of this host's roles (from [hosts])
    #[arg(long)]
    host: Option<String>,
}

pub fn run(command: Command) -> Result<(), String> {
    let manifest = Manifest::load(&command.manifest).map_err(|e| e.to_string())?;
    if !command.roles.is_empty() || command.host.is_some() {
        let roles = manifest.pick_roles(&command.roles, command.host.as_deref())?;
        let nodes = manifest.nodes_of(&roles);
        manifest
            .check_commands(nodes.iter().map(|(node, _)| *node))
            .map_err(|e| e.to_string())?;
    }
    let app = &manifest.app;
    let mut out = format!(
        "app {} (control {}, heartbeat {} ms)\n",
        app.name,
        app.control.as_deref().unwrap_or("none"),
        app.heartbeat_ms
    );
    for (role, nodes) in &manifest.roles {
        let described: Vec<String> = nodes
            .iter()
            .map(|name| format!("{name} ×{}", manifest.nodes[name].replicas))
            .collect();
        out.push_str(&format!("role {role}: {}\n", described.join(", ")));
    }
    for (host, roles) in &manifest.hosts {
        out.push_str(&format!("host {host}: {}\n", roles.join(", ")));
    }
    for node in manifest.nodes.values() {
        let roles = manifest.roles_of(&node.name);
        out.push_str(&format!(
            "node {}: {} (image {}, ports {:?}, restart {}, stop grace {} ms)\n",
            node.name,
            node.argv.join(" "),
            node.image,
            node.ports,
            node.restart.name(),
            node.stop_grace.as_millis()
        ));
        // What its first process gets, as the launcher starts it.
        for (key, value) in manifest.environment(node, 1, roles[0]) {
            out.push_str(&format!("  {key}={value}\n"));
        }
    }
    crate::stdio::write_out(out.as_bytes())
}
