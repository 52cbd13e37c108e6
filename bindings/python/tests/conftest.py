"""Shared helpers: every node test runs its loop with a safety timer, so a broken test fails
instead of hanging."""

import pytest

import dripdrop

SAFETY = 20.0


def run(node, what="the test's events"):
    """Runs `node` until it stops itself; fails if the safety timer has to stop it."""
    fired = []

    def give_up():
        fired.append(True)
        node.stop()

    timer = node.after(SAFETY, give_up)
    node.run()
    node.cancel_timer(timer)
    assert not fired, f"the node was still waiting for {what} after {SAFETY} s"


def push_pull(node):
    """A push route bound on a free port ("out") and a pull route connected to it ("inbox")."""
    out = node.route("out", "zmq_push", "tcp://127.0.0.1:*")
    return out, node.route("inbox", "zmq_pull", out.endpoint, "connect")


@pytest.fixture
def node():
    n = dripdrop.Node(defer_threads=2)
    yield n
    n.close()
