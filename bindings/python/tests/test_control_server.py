"""Python processes watched by a real `dripdrop control` (the binary scripts/test-python
builds and names in DRIPDROP_BIN), configured by their environment alone: exact counters in
the API, `stuck` while a callback blocks and `up` after, `gone` after a clean stop, and
`unreachable` or `down` within 4 s of a SIGKILL."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

CHILD = os.path.join(os.path.dirname(__file__), "programs", "control_child.py")
COUNT = 10_000
PATIENCE = 20.0


class Control:
    """A running `dripdrop control` on ports it picked, killed at the end."""

    def __init__(self):
        binary = os.environ.get("DRIPDROP_BIN")
        assert binary and os.path.exists(binary), "scripts/test-python sets DRIPDROP_BIN"
        self.server = subprocess.Popen(
            [binary, "control", "--listen", "tcp://127.0.0.1:0", "--http", "127.0.0.1:0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        # One `name address` line per endpoint; `http` comes after `listen`.
        bound = {}
        while "http" not in bound:
            line = self.server.stdout.readline()
            assert line, "dripdrop control ended before printing its addresses"
            name, _, address = line.strip().partition(" ")
            bound[name] = address
        self.listen, self.http = bound["listen"], bound["http"]

    def processes(self):
        with urllib.request.urlopen(self.http + "/api/processes", timeout=5) as answer:
            return json.load(answer)["processes"]

    def events(self, pid):
        """The events of process `pid` (its id is host:pid:nonce), oldest first."""
        with urllib.request.urlopen(self.http + "/api/events", timeout=5) as answer:
            events = json.load(answer)["events"]
        return [e for e in events if e["id"].split(":")[1] == str(pid)]

    def process(self, pid):
        return next((p for p in self.processes() if p["pid"] == pid), None)

    def wait_for(self, pid, wanted, what):
        """Polls the API until `wanted(process)` holds; the seconds it took."""
        start = time.monotonic()
        while True:
            process = self.process(pid)
            if process is not None and wanted(process):
                return time.monotonic() - start
            assert time.monotonic() - start < PATIENCE, f"{what}: {process}"
            time.sleep(0.05)

    def close(self):
        self.server.kill()
        self.server.wait()


@pytest.fixture
def control():
    server = Control()
    yield server
    server.close()


def start_child(control, directory, role, stick=10.0):
    env = dict(os.environ, DRIPDROP_CONTROL=control.listen, DRIPDROP_ROLE=role)
    child = subprocess.Popen(
        [sys.executable, CHILD, str(directory), str(COUNT), str(stick)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout.readline().strip() == f"sent {COUNT}"
    return child


def state_is(state):
    return lambda process: process["state"] == state


def test_a_python_process_is_counted_exactly_stuck_then_up_then_gone(control, tmp_path):
    child = start_child(control, tmp_path, "py-watched")
    try:
        exact = lambda p: any(r["name"] == "out" and r["msgs_out"] == COUNT for r in p["routes"])
        control.wait_for(child.pid, exact, "msgs_out counted exactly")
        process = control.process(child.pid)
        assert (process["language"], process["role"], process["state"]) == (
            "python",
            "py-watched",
            "up",
        )
        (tmp_path / "stick").touch()
        assert child.stdout.readline().strip() == "stuck"
        took = control.wait_for(child.pid, state_is("stuck"), "stuck while the callback blocks")
        assert took < 4.0, f"stuck only after {took:.1f} s"
        assert child.stdout.readline().strip() == "unstuck"
        control.wait_for(child.pid, state_is("up"), "up once the callback returned")
        (tmp_path / "stop").touch()
        assert child.wait(timeout=PATIENCE) == 0
        control.wait_for(child.pid, state_is("gone"), "gone after a clean stop")
        went = [(e["to"], e["alert"]) for e in control.events(child.pid)]
        assert went == [("up", False), ("stuck", True), ("up", False), ("gone", False)]
    finally:
        child.kill()
        child.wait()


def test_a_killed_python_process_is_unreachable_or_down_within_4_s(control, tmp_path):
    child = start_child(control, tmp_path, "py-killed")
    try:
        control.wait_for(child.pid, state_is("up"), "up")
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        left = lambda p: p["state"] in ("unreachable", "down")
        took = control.wait_for(child.pid, left, "unreachable or down after SIGKILL")
        assert took < 4.0, f"seen only after {took:.1f} s"
    finally:
        child.kill()
        child.wait()
