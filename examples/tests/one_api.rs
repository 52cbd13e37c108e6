//! The Rust `one_api` program prints exactly what every language's must
//! (examples/one_api/expected.txt).

use std::process::Command;

#[test]
fn the_rust_scenario_prints_the_expected_lines() {
    let output = Command::new(env!("CARGO_BIN_EXE_one_api"))
        .output()
        .expect("run one_api");
    assert!(
        output.status.success(),
        "one_api failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let expected = include_str!("../one_api/expected.txt");
    assert_eq!(String::from_utf8_lossy(&output.stdout), expected);
}
