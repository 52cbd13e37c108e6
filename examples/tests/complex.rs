//! The complex example (browser, WebSocket, ZeroMQ and HTTP) driven by a real browser:
//! headless Chromium, through Playwright for Python, opens its page twice, sends a message
//! from one page and checks the answer comes back to it alone, and that both see the ticks.

mod support;

use support::Program;

const COMPLEX: &str = env!("CARGO_BIN_EXE_complex");

#[test]
fn a_browser_talks_through_websocket_zeromq_and_http_and_sees_the_ticks() {
    let mut app = Program::start(COMPLEX, &["--tick-ms", "200"]);
    let open = app.wait_for_line("ws_listener: open ");
    let url = open
        .split('?')
        .next()
        .expect("the page's address")
        .to_owned();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/complex_page.py");
    let browser = std::process::Command::new("python3")
        .args([script, &url])
        .output()
        .expect("python3 runs");
    let said = String::from_utf8_lossy(&browser.stdout).into_owned();
    let out = app.kill();
    assert!(
        browser.status.success(),
        "the browser's checks failed\nbrowser:\n{said}{}\napp:\n{}",
        String::from_utf8_lossy(&browser.stderr),
        out.join("\n")
    );
    assert!(said.contains("the watcher saw no answer"), "{said}");
    // The app saw both browsers and the one message, and sent it on.
    assert!(
        out.iter().filter(|l| l.contains("connected")).count() >= 2,
        "{out:#?}"
    );
    assert!(
        out.iter()
            .any(|l| l.starts_with("service <- hello from chromium")),
        "{out:#?}"
    );
}
