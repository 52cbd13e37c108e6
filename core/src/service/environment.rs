//! The launch environment's part of a node's options: a launcher (or an exported unit)
//! names the nodelets to run and the heartbeat in the environment, so a program needs no
//! code change to run as any node of a manifest. What the code sets wins.

use crate::node::NodeOptions;
use std::time::Duration;

/// The nodelets to run, comma-separated.
pub const RUN_LIST_ENV: &str = "DRIPDROP_RUN_LIST";
/// The heartbeat, in ms.
pub const HEARTBEAT_ENV: &str = "DRIPDROP_HEARTBEAT_MS";

/// `options` with the run_list and heartbeat the environment gives, where the code left
/// them at their defaults.
pub(crate) fn apply_launch_environment(options: NodeOptions) -> NodeOptions {
    apply_with(options, |name| std::env::var(name).ok())
}

fn apply_with(mut options: NodeOptions, env: impl Fn(&str) -> Option<String>) -> NodeOptions {
    if options.run_list.is_none() {
        if let Some(list) = env(RUN_LIST_ENV) {
            let names: Vec<String> = list
                .split(',')
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(str::to_owned)
                .collect();
            // An empty variable runs every nodelet, as no run_list does.
            if !names.is_empty() {
                options.run_list = Some(names);
            }
        }
    }
    if options.heartbeat == NodeOptions::default().heartbeat {
        let ms = env(HEARTBEAT_ENV).and_then(|ms| ms.trim().parse::<u64>().ok());
        if let Some(ms) = ms.filter(|&ms| ms > 0) {
            options.heartbeat = Duration::from_millis(ms);
        }
    }
    options
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::test_env::fixed as env;

    #[test]
    fn the_environment_fills_what_the_code_left_unset() {
        let vars = [(RUN_LIST_ENV, "web, stats,,"), (HEARTBEAT_ENV, "250")];
        let options = apply_with(NodeOptions::default(), env(&vars));
        assert_eq!(options.run_list, Some(vec!["web".into(), "stats".into()]));
        assert_eq!(options.heartbeat, Duration::from_millis(250));
        let coded = NodeOptions {
            run_list: Some(vec!["api".into()]),
            heartbeat: Duration::from_millis(500),
            ..NodeOptions::default()
        };
        let options = apply_with(coded, env(&vars));
        assert_eq!(options.run_list, Some(vec!["api".into()]));
        assert_eq!(options.heartbeat, Duration::from_millis(500));
        let nonsense = [(RUN_LIST_ENV, " , "), (HEARTBEAT_ENV, "soon")];
        let options = apply_with(NodeOptions::default(), env(&nonsense));
        assert_eq!(options.run_list, None);
        assert_eq!(options.heartbeat, NodeOptions::default().heartbeat);
    }
}
