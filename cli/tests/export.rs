//! `dripdrop export` read back by the engines' own readers: systemd's (`systemd-analyze
//! verify`, whose debug dump shows each setting as systemd parsed it) and a real YAML parser
//! (Python's `yaml`, a YAML 1.1 reader like Compose's and Kubernetes' own) for the Compose
//! and Kubernetes files, the latter also checked against Kubernetes' API schemas
//! (kubernetes-validate), with values chosen to break quoting: quotes, backslashes, `%`,
//! `$`, newlines, control characters, YAML's booleans and numbers, Unicode. And `dripdrop
//! health`, the probe. The readers are Debian's systemd and python3-yaml and PyPI's
//! kubernetes-validate (scripts/test installs them); a missing one fails the test, never
//! skips it.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

/// Values every export must carry through unchanged, as arguments and as env values.
const TRICKY: [&str; 30] = [
    "say \"hi\"",
    "100%",
    "%i",
    "$HOME",
    "${X}",
    "$(Y)",
    "$$",
    ";",
    "back\\slash\\",
    "tab\there",
    "line\nbreak",
    "  spaced  out  ",
    "ünïcødé ✓ 🦀",
    "",
    "'single'",
    "no",
    "yes: no # not a comment",
    "\u{1}ctl\u{7f}",
    "\u{85}\u{2028}\u{2029}",
    "-dash",
    "@at",
    "*star",
    "&anchor",
    "!tag",
    "{flow}",
    "[list]",
    "0755",
    "1e3",
    "~",
    "null",
];

/// Runs the built `dripdrop` with `args`.
fn dripdrop(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dripdrop"))
        .args(args)
        .output()
        .expect("run dripdrop")
}

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dripdrop-export-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("make scratch dir");
    dir.canonicalize().expect("canonical scratch dir")
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// A TOML basic string: what serde_json writes for a string (`\"`, `\\`, `\n`, `\t`,
/// `\uXXXX`) is TOML's escapes too, but for DEL, which TOML wants escaped and JSON does not.
fn toml_str(text: &str) -> String {
    serde_json::to_string(text)
        .expect("a string")
        .replace('\u{7f}', "\\u007f")
}

/// The tricky manifest, written into `dir` with the program its `workers` node names.
///
/// - `web`: one replica, a port, every tricky value as an argument and in its env, in two
///   roles (alpha and beta), a stop grace of 1.5 s;
/// - `workers`: three replicas, a program relative to the manifest, restart on-failure,
///   a run_list;
/// - `once`: two replicas, restart never, a stop grace of 0.
fn tricky_manifest(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).expect("make bin");
    let worker = bin.join("worker");
    std::fs::write(&worker, "#!/bin/sh\nexec sleep 1000\n").expect("write worker");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&worker, std::fs::Permissions::from_mode(0o755)).expect("chmod");

    let mut command = vec![toml_str("sleep")];
    command.extend(TRICKY.iter().map(|t| toml_str(t)));
    let mut env: Vec<String> = TRICKY
        .iter()
        .enumerate()
        .map(|(i, t)| format!("TRICKY_{i} = {}", toml_str(t)))
        .collect();
    // A key YAML 1.1 reads as a boolean when plain.
    env.push("on = \"off\"".into());
    let text = format!(
        r#"
[app]
name = "tricky"
control = "tcp://127.0.0.1:7600"
heartbeat_ms = 1500
image = "registry.example/tricky:1"

[nodes.web]
command = [{command}]
env = {{ {env} }}
ports = [8080]
stop_grace_ms = 1500

[nodes.workers]
command = "./bin/worker --flag 'two words'"
replicas = 3
restart = "on-failure"
run_list = ["a", "b"]
image = "registry.example/worker:2"

[nodes.once]
command = "true"
replicas = 2
restart = "never"
stop_grace_ms = 0

[roles]
alpha = ["web"]
beta = ["workers", "once", "web"]
"#,
        command = command.join(", "),
        env = env.join(", "),
    );
    let path = dir.join("dripdrop.toml");
    std::fs::write(&path, text).expect("write manifest");
    path
}

/// The env the manifest gives `web` (besides the DRIPDROP_ variables).
fn web_env() -> BTreeMap<String, String> {
    let mut env: BTreeMap<String, String> = TRICKY
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("TRICKY_{i}"), t.to_string()))
        .collect();
    env.insert("on".into(), "off".into());
    env
}

/// Runs `dripdrop export ENGINE MANIFEST -o DIR`, expecting success; returns the files it
/// listed, checking that each is in `out`.
fn export(engine: &str, manifest: &Path, out: &Path) -> Vec<String> {
    let output = dripdrop(&["export", engine, path_str(manifest), "-o", path_str(out)]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "export {engine} failed: {stderr}");
    assert!(
        stderr.is_empty(),
        "export {engine} wrote to stderr: {stderr}"
    );
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 listing");
    stdout
        .lines()
        .map(|line| {
            let path = Path::new(line);
            assert_eq!(path.parent(), Some(out), "{line}");
            assert!(path.is_file(), "listed but not written: {line}");
            path.file_name().unwrap().to_str().unwrap().to_owned()
        })
        .collect()
}

/// Runs `dripdrop` expecting status 1 and one `dripdrop: ...` line on stderr; returns it.
fn fails(args: &[&str]) -> String {
    let output = dripdrop(args);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "dripdrop {args:?}: {stderr}");
    assert!(
        output.stdout.is_empty(),
        "dripdrop {args:?} wrote to stdout"
    );
    assert!(
        stderr.starts_with("dripdrop: ") && stderr.lines().count() == 1,
        "dripdrop {args:?}: not one error line: {stderr:?}"
    );
    stderr.trim_end().to_owned()
}

// ---- systemd ----

fn systemd_analyze(args: &[&str], debug: bool) -> Output {
    let mut command = Command::new("systemd-analyze");
    command.arg("verify").arg("--man=no").args(args);
    if debug {
        command.env("SYSTEMD_LOG_LEVEL", "debug");
    }
    command.output().unwrap_or_else(|e| {
        panic!("cannot run systemd-analyze ({e}); install Debian's systemd (scripts/test does)")
    })
}

/// Verifies the units in `dir` (the targets, and instances 1..=replicas of each template,
/// linked beside it as systemd-analyze needs a file per instance); returns what it said
/// about them: every stderr line naming `dir` or one of the units, and its exit status.
fn verify_units(dir: &Path, instances: &[(&str, u32)]) -> (Vec<String>, bool) {
    let mut units: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read unit dir") {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".target") {
            units.push(path_str(&dir.join(&name)).to_owned());
        }
    }
    for (template, replicas) in instances {
        for i in 1..=*replicas {
            let instance = dir.join(format!("{template}@{i}.service"));
            let _ = std::fs::remove_file(&instance);
            std::os::unix::fs::symlink(format!("{template}@.service"), &instance)
                .expect("link instance");
            units.push(path_str(&instance).to_owned());
        }
    }
    let args: Vec<&str> = units.iter().map(String::as_str).collect();
    let output = systemd_analyze(&args, false);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let ours: Vec<String> = stderr
        .lines()
        .filter(|line| line.contains(path_str(dir)) || line.contains("tricky"))
        .map(str::to_owned)
        .collect();
    (ours, output.status.success())
}

/// Each unit's settings in systemd-analyze's debug dump (`\t-> Unit NAME:` then one
/// `\t\tKey: value` a line): values are printed raw, so a value with a newline spans lines,
/// and settings are split where a line starts with two tabs.
fn unit_dumps(stdout: &str) -> BTreeMap<String, Vec<String>> {
    let mut dumps = BTreeMap::new();
    for section in stdout.split("\t-> Unit ").skip(1) {
        let (name, rest) = section.split_once(":\n").expect("unit name line");
        let fields = rest
            .split("\n\t\t")
            .map(|f| f.trim_start_matches('\t').to_owned())
            .collect();
        dumps.insert(name.to_owned(), fields);
    }
    dumps
}

/// One command line as systemd-analyze's dump quotes it (a shell's double quotes, C escapes
/// with octal bytes) back into arguments.
fn unquote_command_line(line: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut bytes = line.bytes().peekable();
    while bytes.peek().is_some() {
        let mut arg = Vec::new();
        if bytes.peek() == Some(&b'"') {
            bytes.next();
            loop {
                match bytes.next().expect("closing quote") {
                    b'"' => break,
                    b'\\' => match bytes.next().expect("escaped char") {
                        d @ b'0'..=b'7' => {
                            let (d2, d3) = (bytes.next().unwrap(), bytes.next().unwrap());
                            arg.push((d - b'0') * 64 + (d2 - b'0') * 8 + (d3 - b'0'));
                        }
                        b'n' => arg.push(b'\n'),
                        b't' => arg.push(b'\t'),
                        b'r' => arg.push(b'\r'),
                        b'a' => arg.push(7),
                        b'b' => arg.push(8),
                        b'f' => arg.push(12),
                        b'v' => arg.push(11),
                        other => arg.push(other),
                    },
                    b => arg.push(b),
                }
            }
        } else {
            while let Some(&b) = bytes.peek() {
                if b == b' ' {
                    break;
                }
                arg.push(b);
                bytes.next();
            }
        }
        if bytes.peek() == Some(&b' ') {
            bytes.next();
        }
        args.push(String::from_utf8(arg).expect("UTF-8 argument"));
    }
    args
}

fn setting<'a>(fields: &'a [String], key: &str) -> Vec<&'a str> {
    let prefix = format!("{key}: ");
    fields
        .iter()
        .filter_map(|f| f.strip_prefix(prefix.as_str()))
        .collect()
}

#[test]
fn systemd_units_pass_systemd_analyze_and_keep_every_value() {
    let dir = scratch("systemd");
    let manifest = tricky_manifest(&dir);
    let out = dir.join("units");
    let mut files = export("systemd", &manifest, &out);
    files.sort();
    assert_eq!(
        files,
        [
            "tricky-alpha.target",
            "tricky-beta.target",
            "tricky-once@.service",
            "tricky-web@.service",
            "tricky-workers@.service",
            "tricky.target",
        ]
    );
    let instances = [("tricky-web", 1), ("tricky-workers", 3), ("tricky-once", 2)];
    let (complaints, ok) = verify_units(&out, &instances);
    assert!(complaints.is_empty(), "systemd-analyze: {complaints:#?}");
    assert!(ok, "systemd-analyze verify failed");

    // The settings as systemd parsed them.
    let web = path_str(&out.join("tricky-web@1.service")).to_owned();
    let workers = path_str(&out.join("tricky-workers@2.service")).to_owned();
    let once = path_str(&out.join("tricky-once@1.service")).to_owned();
    let role = path_str(&out.join("tricky-beta.target")).to_owned();
    let output = systemd_analyze(&[&web, &workers, &once, &role], true);
    assert!(output.status.success());
    let dumps = unit_dumps(&String::from_utf8(output.stdout).expect("UTF-8 dump"));

    let web = &dumps["tricky-web@1.service"];
    let mut env: BTreeMap<String, String> = setting(web, "Environment")
        .iter()
        .map(|kv| {
            let (k, v) = kv.split_once('=').expect("K=V");
            (k.to_owned(), v.to_owned())
        })
        .collect();
    for (key, value) in [
        ("DRIPDROP_APP", "tricky"),
        ("DRIPDROP_NODE", "web"),
        ("DRIPDROP_INSTANCE", "1"),
        // The first role naming it, in name order.
        ("DRIPDROP_ROLE", "alpha"),
        ("DRIPDROP_CONTROL", "tcp://127.0.0.1:7600"),
        ("DRIPDROP_HEARTBEAT_MS", "1500"),
    ] {
        assert_eq!(env.remove(key).as_deref(), Some(value), "{key}");
    }
    assert_eq!(env, web_env());
    let command = setting(web, "Command Line");
    assert_eq!(command.len(), 1, "{command:?}");
    // The dump shows arguments before variable substitution, which turns $$ into $.
    let argv: Vec<String> = unquote_command_line(command[0])
        .into_iter()
        .enumerate()
        .map(|(i, a)| if i == 0 { a } else { a.replace("$$", "$") })
        .collect();
    let mut expected = vec!["/usr/bin/env".to_owned(), "sleep".to_owned()];
    expected.extend(TRICKY.iter().map(|t| t.to_string()));
    assert_eq!(argv, expected);
    assert_eq!(setting(web, "Type"), ["notify"]);
    assert_eq!(setting(web, "NotifyAccess"), ["main"]);
    // 3 × 1500 ms, rounded up to whole seconds.
    assert_eq!(setting(web, "WatchdogSec"), ["5s"]);
    assert_eq!(setting(web, "Restart"), ["always"]);
    assert_eq!(setting(web, "KillSignal"), ["SIGTERM"]);
    // (The dump rounds it to seconds.)
    let unit = std::fs::read_to_string(out.join("tricky-web@.service")).unwrap();
    assert!(unit.contains("\nTimeoutStopSec=1500ms\n"), "{unit}");
    assert_eq!(setting(web, "WorkingDirectory"), [path_str(&dir)]);
    for part_of in ["tricky.target", "tricky-alpha.target", "tricky-beta.target"] {
        assert!(
            setting(web, "PartOf")
                .iter()
                .any(|p| p.starts_with(part_of)),
            "web not PartOf {part_of}: {:?}",
            setting(web, "PartOf")
        );
    }

    let workers = &dumps["tricky-workers@2.service"];
    let env = setting(workers, "Environment");
    assert!(env.contains(&"DRIPDROP_INSTANCE=2"), "{env:?}");
    assert!(env.contains(&"DRIPDROP_ROLE=beta"), "{env:?}");
    assert!(env.contains(&"DRIPDROP_RUN_LIST=a,b"), "{env:?}");
    let worker = format!("{}/bin/worker", path_str(&dir));
    assert_eq!(
        unquote_command_line(setting(workers, "Command Line")[0]),
        [worker.as_str(), "--flag", "two words"]
    );
    assert_eq!(setting(workers, "Restart"), ["on-failure"]);
    assert_eq!(setting(workers, "TimeoutStopSec"), ["10s"]);

    let once = &dumps["tricky-once@1.service"];
    assert_eq!(setting(once, "Restart"), ["no"]);
    // A grace of 0 is SIGKILL at once, not systemd's "no timeout".
    assert_eq!(setting(once, "TimeoutStopSec"), ["1ms"]);

    let role = &dumps["tricky-beta.target"];
    let wants: Vec<&str> = setting(role, "Wants")
        .iter()
        .map(|w| w.split(' ').next().unwrap())
        .collect();
    for unit in [
        "tricky-web@1.service",
        "tricky-workers@1.service",
        "tricky-workers@2.service",
        "tricky-workers@3.service",
        "tricky-once@1.service",
        "tricky-once@2.service",
    ] {
        assert!(
            wants.contains(&unit),
            "beta does not want {unit}: {wants:?}"
        );
    }
    assert!(!wants.contains(&"tricky-workers@4.service"), "{wants:?}");
    let installs = std::fs::read_to_string(out.join("tricky-beta.target")).unwrap();
    assert!(
        installs.contains("\n[Install]\nWantedBy=tricky.target\n"),
        "{installs}"
    );
    let app = std::fs::read_to_string(out.join("tricky.target")).unwrap();
    assert!(
        app.contains("\n[Install]\nWantedBy=multi-user.target\n"),
        "{app}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The check above can fail: a unit systemd warns about is reported.
#[test]
fn systemd_check_reports_a_bad_unit() {
    let dir = scratch("systemd-bad");
    let manifest = tricky_manifest(&dir);
    let out = dir.join("units");
    export("systemd", &manifest, &out);
    let path = out.join("tricky-web@.service");
    let unit = std::fs::read_to_string(&path).unwrap();
    let bad = unit.replace(
        "[Service]\n",
        "[Service]\nEnvironment=\"my-var=1\"\nKillSignall=SIGTERM\n",
    );
    std::fs::write(&path, bad).unwrap();
    let (complaints, _) = verify_units(&out, &[("tricky-web", 1)]);
    let text = complaints.join("\n");
    assert!(text.contains("my-var=1"), "{text}");
    assert!(text.contains("KillSignall"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- Compose and Kubernetes ----

/// Every YAML document of `path`, as PyYAML (`yaml.safe_load_all`) reads them, through JSON.
fn yaml_documents(path: &Path) -> Vec<Value> {
    let script = "import json, sys, yaml\n\
                  with open(sys.argv[1], encoding='utf-8') as f:\n    \
                  print(json.dumps(list(yaml.safe_load_all(f))))";
    let output = Command::new("python3")
        .args(["-c", script, path_str(path)])
        .output()
        .expect("run python3");
    assert!(
        output.status.success(),
        "PyYAML cannot read {}: {} (install Debian's python3-yaml; scripts/test does)",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON from python")
}

/// A string as Compose and Kubernetes read it after their own `$` handling: `$$` is `$`.
fn undollar(value: &Value) -> String {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
        .replace("$$", "$")
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {value}"))
        .iter()
        .map(|v| v.as_str().expect("a string").to_owned())
        .collect()
}

#[test]
fn compose_file_read_by_a_yaml_parser_field_by_field() {
    let dir = scratch("compose");
    let manifest = tricky_manifest(&dir);
    let out = dir.join("compose");
    assert_eq!(export("compose", &manifest, &out), ["compose.yaml"]);
    let first = std::fs::read(out.join("compose.yaml")).unwrap();
    // Again into the same directory: overwritten, the same.
    export("compose", &manifest, &out);
    assert_eq!(std::fs::read(out.join("compose.yaml")).unwrap(), first);

    let docs = yaml_documents(&out.join("compose.yaml"));
    assert_eq!(docs.len(), 1);
    let file = &docs[0];
    assert_eq!(file["name"], "tricky");
    let services = file["services"].as_object().expect("services");
    let names: Vec<&String> = services.keys().collect();
    assert_eq!(names, ["tricky-once", "tricky-web", "tricky-workers"]);

    let web = &services["tricky-web"];
    assert_eq!(web["image"], "registry.example/tricky:1");
    let command: Vec<String> = web["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(undollar)
        .collect();
    let mut expected = vec!["sleep".to_owned()];
    expected.extend(TRICKY.iter().map(|t| t.to_string()));
    assert_eq!(command, expected);
    let mut env: BTreeMap<String, String> = web["environment"]
        .as_object()
        .expect("environment as a map")
        .iter()
        .map(|(k, v)| (k.clone(), undollar(v)))
        .collect();
    for (key, value) in [
        ("DRIPDROP_APP", "tricky"),
        ("DRIPDROP_NODE", "web"),
        // One replica: it is instance 1.
        ("DRIPDROP_INSTANCE", "1"),
        ("DRIPDROP_ROLE", "alpha"),
        ("DRIPDROP_CONTROL", "tcp://127.0.0.1:7600"),
        ("DRIPDROP_HEARTBEAT_MS", "1500"),
    ] {
        assert_eq!(env.remove(key).as_deref(), Some(value), "{key}");
    }
    assert_eq!(env, web_env());
    assert_eq!(strings(&web["profiles"]), ["alpha", "beta"]);
    assert_eq!(web["deploy"]["replicas"], 1);
    assert_eq!(web["restart"], "always");
    assert_eq!(web["stop_signal"], "SIGTERM");
    assert_eq!(web["stop_grace_period"], "1500ms");
    assert_eq!(strings(&web["ports"]), ["8080:8080"]);

    let workers = &services["tricky-workers"];
    assert_eq!(workers["image"], "registry.example/worker:2");
    assert_eq!(
        strings(&workers["command"]),
        ["./bin/worker", "--flag", "two words"]
    );
    let env = workers["environment"].as_object().unwrap();
    // Three replicas from one description: no instance number to give.
    assert!(!env.contains_key("DRIPDROP_INSTANCE"), "{env:?}");
    assert_eq!(env["DRIPDROP_ROLE"], "beta");
    assert_eq!(env["DRIPDROP_RUN_LIST"], "a,b");
    assert_eq!(strings(&workers["profiles"]), ["beta"]);
    assert_eq!(workers["deploy"]["replicas"], 3);
    assert_eq!(workers["restart"], "on-failure");
    assert_eq!(workers["stop_grace_period"], "10s");
    assert!(workers.get("ports").is_none());

    let once = &services["tricky-once"];
    assert_eq!(once["restart"], "no");
    assert_eq!(once["deploy"]["replicas"], 2);
    assert_eq!(once["stop_grace_period"], "0s");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Checks `file` against Kubernetes' own API schemas (the kubernetes-validate package ships
/// them), strictly: an unknown field fails as a missing or mistyped one does.
fn kubernetes_validate(file: &Path) {
    let output = Command::new("python3")
        .args([
            "-m",
            "kubernetes_validate",
            "--strict",
            "--quiet",
            path_str(file),
        ])
        .output()
        .expect("run python3");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success() && said.trim().is_empty(),
        "kubernetes-validate (pip install kubernetes-validate; scripts/test does): {said}"
    );
}

fn env_list(container: &Value) -> BTreeMap<String, String> {
    container["env"]
        .as_array()
        .expect("env list")
        .iter()
        .map(|e| {
            (
                e["name"].as_str().expect("name").to_owned(),
                undollar(&e["value"]),
            )
        })
        .collect()
}

#[test]
fn kubernetes_objects_read_by_a_yaml_parser_field_by_field() {
    let dir = scratch("kubernetes");
    let manifest = tricky_manifest(&dir);
    let out = dir.join("kubernetes");
    assert_eq!(export("kubernetes", &manifest, &out), ["kubernetes.yaml"]);
    let file = out.join("kubernetes.yaml");
    kubernetes_validate(&file);
    let docs = yaml_documents(&file);
    let by_name: BTreeMap<&str, &Value> = docs
        .iter()
        .map(|d| (d["metadata"]["name"].as_str().expect("name"), d))
        .collect();
    assert_eq!(docs.len(), 3);
    let probe = [
        "dripdrop",
        "health",
        "/tmp/dripdrop-health",
        "--max-age-ms",
        "4500",
    ];

    let web = by_name["tricky-web"];
    assert_eq!(web["apiVersion"], "apps/v1");
    assert_eq!(web["kind"], "Deployment");
    let labels = &web["metadata"]["labels"];
    assert_eq!(labels["app.kubernetes.io/name"], "tricky");
    assert_eq!(labels["app.kubernetes.io/component"], "web");
    assert_eq!(labels["dripdrop.io/role-alpha"], "true");
    assert_eq!(labels["dripdrop.io/role-beta"], "true");
    let spec = &web["spec"];
    assert_eq!(spec["replicas"], 1);
    assert_eq!(
        spec["selector"]["matchLabels"],
        serde_json::json!({"app.kubernetes.io/name": "tricky", "app.kubernetes.io/component": "web"})
    );
    assert_eq!(spec["template"]["metadata"]["labels"], *labels);
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["terminationGracePeriodSeconds"], 2);
    assert!(
        pod.get("restartPolicy").is_none(),
        "a Deployment's is Always"
    );
    // Two roles: either one's machines, so one affinity term each (terms are alternatives).
    assert!(pod.get("nodeSelector").is_none());
    let terms = &pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        ["nodeSelectorTerms"];
    assert_eq!(
        *terms,
        serde_json::json!([
            {"matchExpressions": [{"key": "dripdrop.io/role-alpha", "operator": "In", "values": ["true"]}]},
            {"matchExpressions": [{"key": "dripdrop.io/role-beta", "operator": "In", "values": ["true"]}]},
        ])
    );
    let containers = pod["containers"].as_array().unwrap();
    assert_eq!(containers.len(), 1);
    let container = &containers[0];
    assert_eq!(container["name"], "web");
    assert_eq!(container["image"], "registry.example/tricky:1");
    let command: Vec<String> = container["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(undollar)
        .collect();
    let mut expected = vec!["sleep".to_owned()];
    expected.extend(TRICKY.iter().map(|t| t.to_string()));
    assert_eq!(command, expected);
    let mut env = env_list(container);
    for (key, value) in [
        ("DRIPDROP_APP", "tricky"),
        ("DRIPDROP_NODE", "web"),
        ("DRIPDROP_INSTANCE", "1"),
        ("DRIPDROP_ROLE", "alpha"),
        ("DRIPDROP_CONTROL", "tcp://127.0.0.1:7600"),
        ("DRIPDROP_HEARTBEAT_MS", "1500"),
        ("DRIPDROP_HEALTH_FILE", "/tmp/dripdrop-health"),
    ] {
        assert_eq!(env.remove(key).as_deref(), Some(value), "{key}");
    }
    assert_eq!(env, web_env());
    assert_eq!(
        container["ports"],
        serde_json::json!([{"containerPort": 8080}])
    );
    for (kind, failures) in [
        ("startupProbe", 12),
        ("livenessProbe", 3),
        ("readinessProbe", 1),
    ] {
        let p = &container[kind];
        assert_eq!(strings(&p["exec"]["command"]), probe, "{kind}");
        // Once per stale window: 3 × 1.5 s, rounded up.
        assert_eq!(p["periodSeconds"], 5, "{kind}");
        assert_eq!(p["failureThreshold"], failures, "{kind}");
    }

    let workers = by_name["tricky-workers"];
    assert_eq!(workers["apiVersion"], "batch/v1");
    assert_eq!(workers["kind"], "Job");
    assert_eq!(workers["spec"]["completions"], 3);
    assert_eq!(workers["spec"]["parallelism"], 3);
    assert!(workers["spec"].get("backoffLimit").is_none());
    let pod = &workers["spec"]["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "OnFailure");
    assert_eq!(pod["terminationGracePeriodSeconds"], 10);
    assert_eq!(
        pod["nodeSelector"],
        serde_json::json!({"dripdrop.io/role-beta": "true"})
    );
    let container = &pod["containers"][0];
    assert_eq!(container["image"], "registry.example/worker:2");
    assert_eq!(
        strings(&container["command"]),
        ["./bin/worker", "--flag", "two words"]
    );
    let env = env_list(container);
    assert!(!env.contains_key("DRIPDROP_INSTANCE"), "{env:?}");
    assert_eq!(env["DRIPDROP_RUN_LIST"], "a,b");
    assert!(container.get("ports").is_none());
    assert_eq!(
        strings(&container["livenessProbe"]["exec"]["command"]),
        probe
    );

    let once = by_name["tricky-once"];
    assert_eq!(once["kind"], "Job");
    assert_eq!(once["spec"]["completions"], 2);
    // Never: no pod made again for a failed one either.
    assert_eq!(once["spec"]["backoffLimit"], 0);
    assert_eq!(once["spec"]["template"]["spec"]["restartPolicy"], "Never");
    assert_eq!(
        once["spec"]["template"]["spec"]["terminationGracePeriodSeconds"],
        0
    );
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- What an engine cannot take ----

/// Writes `text` as a manifest in a fresh directory; returns its path.
fn manifest_file(name: &str, text: &str) -> (PathBuf, PathBuf) {
    let dir = scratch(name);
    let path = dir.join("dripdrop.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

#[test]
fn refused_with_one_line_and_nothing_written() {
    let (dir, path) = manifest_file(
        "refused",
        r#"
[app]
name = "app"
[nodes.web]
command = "web"
env = { "my-var" = "1", "a b" = "2" }
[roles]
front = ["web"]
"#,
    );
    let out = dir.join("out");
    let line = fails(&["export", "systemd", path_str(&path), "-o", path_str(&out)]);
    assert!(
        line.contains("nodes.web.env.a b: systemd takes only"),
        "{line}"
    );
    let line = fails(&[
        "export",
        "kubernetes",
        path_str(&path),
        "-o",
        path_str(&out),
    ]);
    assert!(
        line.contains("nodes.web.env.a b: Kubernetes takes only"),
        "{line}"
    );
    assert!(!out.exists(), "written despite the error");
    // Compose takes any name.
    export("compose", &path, &out);

    let (dir2, path) = manifest_file(
        "refused-health",
        "[app]\nname = \"app\"\n[nodes.web]\ncommand = \"web\"\n\
         env = { DRIPDROP_HEALTH_FILE = \"/x\" }\n[roles]\nfront = [\"web\"]\n",
    );
    let line = fails(&[
        "export",
        "kubernetes",
        path_str(&path),
        "-o",
        path_str(&out),
    ]);
    assert!(line.contains("DRIPDROP_HEALTH_FILE"), "{line}");

    let (dir3, path) = manifest_file(
        "refused-nul",
        "[app]\nname = \"app\"\n[nodes.web]\ncommand = [\"web\", \"a\\u0000b\"]\n\
         [roles]\nfront = [\"web\"]\n",
    );
    for engine in ["systemd", "compose", "kubernetes"] {
        let line = fails(&["export", engine, path_str(&path), "-o", path_str(&out)]);
        assert!(line.contains("nodes.web: a NUL"), "{line}");
    }

    // A Job's name goes into a label of its pods: 63 characters at most.
    let long = "a".repeat(40);
    let (dir4, path) = manifest_file(
        "refused-long",
        &format!(
            "[app]\nname = \"{long}\"\n[nodes.{long}]\ncommand = \"x\"\nrestart = \"never\"\n\
             [roles]\nr = [\"{long}\"]\n"
        ),
    );
    let line = fails(&[
        "export",
        "kubernetes",
        path_str(&path),
        "-o",
        path_str(&out),
    ]);
    assert!(line.contains("81 characters"), "{line}");

    let line = fails(&["export", "compose", "/nonexistent/dripdrop.toml", "-o", "x"]);
    assert!(line.contains("cannot read it"), "{line}");
    for dir in [dir, dir2, dir3, dir4] {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[test]
fn usage_errors() {
    for args in [
        &["export", "systemd", "dripdrop.toml"][..],
        &["export", "nomad", "dripdrop.toml", "-o", "x"],
        &["health", "/tmp/x"],
    ] {
        let output = dripdrop(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.starts_with("error: "), "{stderr}");
    }
}

// ---- dripdrop health ----

#[test]
fn health_passes_a_fresh_file_and_fails_an_old_or_missing_one() {
    let dir = scratch("health");
    let file = dir.join("health");
    std::fs::write(&file, "").unwrap();
    let output = dripdrop(&["health", path_str(&file), "--max-age-ms", "60000"]);
    assert!(output.status.success(), "{output:?}");
    assert!(output.stdout.is_empty() && output.stderr.is_empty());

    let old = SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let line = fails(&["health", path_str(&file), "--max-age-ms", "60000"]);
    assert!(
        line.contains("last touched") && line.contains("more than 60000 ms"),
        "{line}"
    );
    // The same file passes when allowed to be older.
    let output = dripdrop(&["health", path_str(&file), "--max-age-ms", "7200000"]);
    assert!(output.status.success(), "{output:?}");

    let missing = dir.join("missing");
    let line = fails(&["health", path_str(&missing), "--max-age-ms", "1000"]);
    assert!(line.contains("No such file"), "{line}");
    let _ = std::fs::remove_dir_all(&dir);
}
