//! `dripdrop check dripdrop.toml`: reads and checks a manifest (docs/deploy.md) and prints
//! what each role would run; with `--role` or `--host`, also that the programs of those
//! roles exist here, as the launcher will check before starting anything.

use crate::manifest::Selection;
use clap::Args;

/// Check a manifest and show what each role runs
#[derive(Debug, Args)]
pub struct Command {
    /// With --role or --host, the programs of those roles are also checked on this machine
    #[command(flatten)]
    selection: Selection,
}

pub fn run(command: Command) -> Result<(), String> {
    let selection = &command.selection;
    let manifest = selection.load()?;
    if selection.names_roles() {
        selection.roles_checked(&manifest)?;
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
