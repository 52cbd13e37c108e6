"""http_load across languages: a Rust control served by a Rust and a Python worker at once,
and a Python control served by a Rust worker (examples/python/http_load.py)."""

import json
import os
import subprocess
import sys

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "python", "http_load.py")


def binary():
    path = os.environ.get("DRIPDROP_HTTP_LOAD")
    assert path and os.path.exists(path), "scripts/test-python sets DRIPDROP_HTTP_LOAD"
    return path


def start(args, first_line):
    process = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    assert line.startswith(first_line), line
    return process, line[len(first_line):].strip()


def finish(process):
    out, _ = process.communicate(timeout=60)
    assert process.returncode == 0, out
    return json.loads(next(l for l in out.splitlines() if l.startswith("{")))


def test_a_rust_control_uses_rust_and_python_workers_at_once():
    target, url = start([binary(), "target", "--listen", "127.0.0.1:0"], "target listening on ")
    control, endpoint = start(
        [binary(), "control", "--url", url, "--requests", "4000", "--batch", "200", "--workers", "2",
         "--bind", "tcp://127.0.0.1:*", "--json"],
        "control listening on ",
    )
    rust, _ = start([binary(), "worker", "--connect", endpoint, "--name", "rust"], "worker ")
    python, _ = start([sys.executable, SCRIPT, "worker", "--connect", endpoint, "--name", "python"], "worker ")
    try:
        report = finish(control)
        assert report["requests"] == 4000
        assert report["status_codes"] == {"200": 4000}
        assert set(report["per_worker"]) == {"rust", "python"}
        assert sum(report["per_worker"].values()) == 4000
    finally:
        for p in (target, rust, python, control):
            p.kill()
            p.wait()


def test_a_python_control_uses_a_rust_worker():
    target, url = start([binary(), "target", "--listen", "127.0.0.1:0"], "target listening on ")
    control, endpoint = start(
        [sys.executable, SCRIPT, "control", "--url", url, "--requests", "2000", "--batch", "250",
         "--bind", "tcp://127.0.0.1:*", "--json"],
        "control listening on ",
    )
    rust, _ = start([binary(), "worker", "--connect", endpoint, "--name", "rust"], "worker ")
    try:
        report = finish(control)
        assert report["requests"] == 2000
        assert report["status_codes"] == {"200": 2000}
        assert report["per_worker"] == {"rust": 2000}
        assert report["latency_ms"]["p99"] > 0
    finally:
        for p in (target, rust, control):
            p.kill()
            p.wait()
