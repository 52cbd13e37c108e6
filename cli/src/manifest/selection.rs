//! The command line's way of naming part of an app: a manifest and the roles (or the host
//! whose roles) to take from it, as `dripdrop check` and `dripdrop launch` read it.

use super::Manifest;
use clap::Args;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct Selection {
    /// The manifest
    #[arg(default_value = "dripdrop.toml")]
    pub manifest: PathBuf,
    /// The nodes of this role (repeatable)
    #[arg(long = "role", value_name = "ROLE")]
    pub roles: Vec<String>,
    /// The roles [hosts] gives this host
    #[arg(long)]
    pub host: Option<String>,
}

impl Selection {
    /// Whether any role or host was named.
    pub fn names_roles(&self) -> bool {
        !self.roles.is_empty() || self.host.is_some()
    }

    pub fn load(&self) -> Result<Manifest, String> {
        Manifest::load(&self.manifest).map_err(|e| e.to_string())
    }

    /// The roles named, from `manifest`, once every program of their nodes is found here:
    /// a typo in one role's command is an error before anything starts.
    pub fn roles_checked(&self, manifest: &Manifest) -> Result<Vec<String>, String> {
        let roles = manifest.pick_roles(&self.roles, self.host.as_deref())?;
        let nodes = manifest.nodes_of(&roles);
        manifest
            .check_commands(nodes.iter().map(|(node, _)| *node))
            .map_err(|e| e.to_string())?;
        Ok(roles)
    }
}
