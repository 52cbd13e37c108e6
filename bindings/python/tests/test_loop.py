"""Timers, defer, errors in callbacks, subclasses with action, nodelets, Ctrl-C."""

import os
import signal
import subprocess
import sys
import textwrap
import time
import traceback

import pytest

import dripdrop
from conftest import run


def test_timers(node):
    ticks, order = [], []
    node.every(0.005, lambda: ticks.append(1))
    doomed = node.after(0.01, lambda: order.append("cancelled"))
    assert node.cancel_timer(doomed)
    assert not node.cancel_timer(doomed)
    node.next_tick(lambda: order.append("tick"))
    node.after(0.05, node.stop)
    run(node)
    assert order == ["tick"]
    assert len(ticks) >= 3


def test_defer_with_callbacks_and_futures(node):
    results = []
    node.defer(lambda: 6 * 7, callback=results.append)
    node.defer(lambda: 1 / 0, callback=results.append, errback=lambda e: results.append(type(e)))
    future = node.defer(lambda: "via future")
    node.every(0.005, lambda: len(results) == 2 and future.done() and node.stop())
    run(node)
    assert sorted(map(str, results)) == sorted(map(str, [42, ZeroDivisionError]))
    assert future.result() == "via future"


def test_a_defer_error_with_a_callback_but_no_errback_goes_to_on_error(node):
    errors, results = [], []
    node.on_error(errors.append)
    futures = [
        node.defer(lambda: 1 / 0, callback=results.append),
        node.defer(lambda: 1 / 0),
        node.defer(lambda: "fine", callback=results.append),
    ]
    assert all(isinstance(f, dripdrop.Future) for f in futures)
    node.every(0.005, lambda: all(f.done() for f in futures) and node.stop())
    run(node)
    assert [type(e) for e in errors] == [ZeroDivisionError]
    assert results == ["fine"]
    assert all(isinstance(f.exception(), ZeroDivisionError) for f in futures[:2])
    assert futures[2].result() == "fine"


def test_an_exception_in_a_callback_goes_to_on_error_and_the_loop_goes_on(node):
    errors = []
    node.on_error(errors.append)

    def boom():
        raise KeyError("in a timer")

    node.next_tick(boom)
    node.after(0.02, node.stop)
    run(node)
    assert len(errors) == 1 and isinstance(errors[0], KeyError)


def test_an_exception_in_a_callback_is_counted_and_keeps_its_traceback(node):
    errors = []
    node.on_error(errors.append)

    def deep():
        raise ValueError("from deep down")

    node.next_tick(deep)
    node.after(0.02, node.stop)
    run(node)
    assert isinstance(errors[0], ValueError)
    assert "deep" in [frame.name for frame in traceback.extract_tb(errors[0].__traceback__)]
    assert node.stats()["errors"] == 1


def test_an_idle_loop_has_no_timer_of_its_own(node):
    seen = []
    node.next_tick(lambda: (seen.append(node.stats()["timers"]), node.stop()))
    run(node)  # which sets one safety timer
    assert seen == [1]


def test_node_options_are_read_by_the_engine():
    assert dripdrop.Node(defer_threads=3)._defer_threads() == 3
    assert dripdrop.Node()._defer_threads() > 3
    with pytest.raises(dripdrop.InvalidArgument, match="stop_linger"):
        dripdrop.Node(stop_linger=-1)


def test_a_subclass_sets_itself_up_in_action():
    class Echo(dripdrop.Node):
        def action(self):
            out = self.route("out", "zmq_push", "tcp://127.0.0.1:*")
            inbox = self.route("inbox", "zmq_pull", out.endpoint, "connect")
            inbox.on_receive(self.got)
            out.send_message({"name": "hi"})

        def got(self, msg):
            self.received = msg.name
            self.stop()

    node = Echo()
    run(node)
    assert node.received == "hi"


def test_nodelets_and_the_run_list():
    node = dripdrop.Node(run_list=["collector"])
    made = []

    @node.nodelet("producer")
    def producer(n):
        made.append("producer")

    @node.nodelet("collector")
    def collector(n):
        n.route("in", "zmq_pull", "tcp://127.0.0.1:*")
        made.append("collector")

    assert made == ["collector"]
    assert node.stats()["routes"]["in"]["nodelet"] == "collector"


def test_the_run_list_comes_from_the_launchers_environment():
    # As `dripdrop launch` starts a node of a manifest: no code change, the run list from
    # DRIPDROP_RUN_LIST (a process of its own, so this one's environment stays as it is).
    script = textwrap.dedent(
        """
        import dripdrop
        node = dripdrop.Node()
        made = []
        node.nodelet("producer", lambda n: made.append("producer"))
        node.nodelet("collector", lambda n: made.append("collector"))
        print(",".join(made))
        node.close()
        """
    )
    env = dict(os.environ, DRIPDROP_RUN_LIST="collector")
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "collector"


def test_ctrl_c_stops_run_with_keyboard_interrupt():
    script = textwrap.dedent(
        """
        import dripdrop
        node = dripdrop.Node()
        node.next_tick(lambda: print("running", flush=True))
        try:
            node.run()
        except KeyboardInterrupt:
            print("interrupted", flush=True)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "running"
        child.send_signal(signal.SIGINT)
        out, _ = child.communicate(timeout=10)
    finally:
        child.kill()
    assert "interrupted" in out
    assert child.returncode == 0


def test_ctrl_c_stops_run_while_python_task_threads_wait():
    script = textwrap.dedent(
        """
        import dripdrop
        node = dripdrop.Node()

        @node.task
        def nothing(args):
            return None

        node.worker_pool("p", local=4)
        node.next_tick(lambda: print("running", node.stats()["timers"], flush=True))
        try:
            node.run()
        except KeyboardInterrupt:
            print("interrupted", flush=True)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "running 0"
        child.send_signal(signal.SIGINT)
        out, _ = child.communicate(timeout=10)
    finally:
        child.kill()
    assert "interrupted" in out
    assert child.returncode == 0


def test_a_signal_handler_reaches_a_waiting_loop_only_through_stop():
    script = textwrap.dedent(
        """
        import signal
        import dripdrop
        node = dripdrop.Node()

        def handler(signum, frame):
            try:
                node.stats()
            except dripdrop.WrongThread:
                print("refused", flush=True)
            node.stop()

        signal.signal(signal.SIGUSR1, handler)
        node.next_tick(lambda: print("running", flush=True))
        node.run()
        print("stopped", flush=True)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "running"
        # Only once the loop waits: a signal that comes while a callback still runs is
        # handled inside that callback, where the node is lent and stats() is allowed.
        wait_until_polling(child.pid)
        child.send_signal(signal.SIGUSR1)
        out, _ = child.communicate(timeout=10)
    finally:
        child.kill()
    assert out.split() == ["refused", "stopped"]
    assert child.returncode == 0


# poll and ppoll, the calls zmq_poll waits in, by architecture.
POLL_SYSCALLS = {"x86_64": {"7", "271"}, "aarch64": {"73"}}


def wait_until_polling(pid, timeout=10.0):
    """Waits until process ``pid``'s main thread sits in poll (its loop's wait), as Linux
    shows it in /proc/PID/syscall."""
    calls = POLL_SYSCALLS[os.uname().machine]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(f"/proc/{pid}/syscall") as f:
            if f.read().split()[0] in calls:
                return
        time.sleep(0.001)
    raise AssertionError(f"process {pid} never waited in poll")
