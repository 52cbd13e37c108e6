"""Worker pools from Python: local threads, Python worker processes, a Rust worker serving a
Python pool; task errors with their traceback, timeouts and cancel."""

import os
import subprocess
import sys
import textwrap
import time

import pytest

import dripdrop
from conftest import SAFETY, run


class Boom(Exception):
    pass


def test_a_local_pool_runs_python_tasks_on_python_threads(node):
    import threading

    @node.task
    def square(n):
        return [n * n, threading.current_thread().name]

    @node.task("whoami")
    def whoami(args, task):
        return {"id": task["id"], "attempt": task["attempt"], "name": task["name"]}

    pool = node.worker_pool("p", local=2)
    futures = [pool.defer("square", n) for n in range(10)]
    me = pool.defer("whoami")
    node.every(0.005, lambda: all(f.done() for f in futures + [me]) and node.stop())
    run(node)
    assert [f.result()[0] for f in futures] == [n * n for n in range(10)]
    assert all(f.result()[1].startswith("dripdrop-p-") for f in futures)
    assert me.result()["attempt"] == 1 and me.result()["name"] == "whoami"
    assert pool.stats()["completed"] == 11


def test_map_feeds_items_and_a_task_error_comes_back_with_its_traceback(node):
    @node.task
    def invert(n):
        return 1 / n

    pool = node.worker_pool("p", local=2, max_pending=4)
    got = {}
    done = pool.map("invert", range(-3, 4), lambda i, result, error: got.__setitem__(i, (result, error)))
    node.every(0.005, lambda: done.done() and node.stop())
    run(node)
    assert len(got) == 7
    error = got[3][1]
    assert isinstance(error, dripdrop.RemoteError)
    assert error.remote_class == "ZeroDivisionError"
    assert any("return 1 / n" in line for line in error.remote_backtrace)
    assert error.remote_traceback == error.remote_backtrace
    assert got[4] == (1.0, None)


def test_a_task_future_carries_its_id_and_cancel_takes_the_id_or_the_future(node):
    @node.task
    def hold(args, task):
        # Polls its cancel flag, as a long task does (nothing to wait on).
        deadline = time.monotonic() + SAFETY
        while not task.is_cancelled() and time.monotonic() < deadline:
            time.sleep(0.002)
        return "finished"

    pool = node.worker_pool("p", local=1)
    running = pool.defer("hold")
    queued = pool.defer("hold")
    assert isinstance(running, dripdrop.TaskFuture) and isinstance(running, dripdrop.Future)
    assert running.task_id != queued.task_id and pool.last_id == queued.task_id
    assert pool.cancel(queued)
    assert pool.cancel(running.task_id)
    node.every(0.005, lambda: running.done() and queued.done() and node.stop())
    run(node)
    assert not pool.cancel(running)
    for future in (running, queued):
        with pytest.raises(dripdrop.Cancelled):
            future.result()


def test_a_task_handler_gets_its_task(node):
    @node.task
    def look(args, task):
        return {
            "id": task.id,
            "name": task.name,
            "attempt": task.attempt,
            "cancelled": task.is_cancelled(),
            "time_left": task.time_left,
            "as_dict": [task["id"], task["name"], task["attempt"]],
        }

    pool = node.worker_pool("p", local=1)
    untimed = pool.defer("look")
    timed = pool.defer("look", timeout=30)
    node.every(0.005, lambda: untimed.done() and timed.done() and node.stop())
    run(node)
    seen = untimed.result()
    assert seen["id"] == untimed.task_id and seen["name"] == "look" and seen["attempt"] == 1
    assert seen["as_dict"] == [seen["id"], "look", 1]
    assert seen["cancelled"] is False and seen["time_left"] is None
    assert 0 < timed.result()["time_left"] <= 30


def test_a_task_error_reaches_the_errback_the_future_or_on_error_never_nowhere(node):
    @node.task
    def fail(args):
        raise Boom("boom")

    errors, got = [], []
    node.on_error(errors.append)
    pool = node.worker_pool("p", local=2)
    only_callback = pool.defer("fail", 1, callback=got.append)
    with_errback = pool.defer("fail", 2, callback=got.append, errback=lambda e: got.append(e.remote_class))
    bare = pool.defer("fail", 3)
    futures = [only_callback, with_errback, bare]
    node.every(0.005, lambda: all(f.done() for f in futures) and node.stop())
    run(node)
    assert got == ["Boom"]
    assert len(errors) == 1 and isinstance(errors[0], dripdrop.RemoteError)
    assert (errors[0].remote_class, errors[0].remote_message) == ("Boom", "boom")
    assert all(isinstance(f.exception(), dripdrop.RemoteError) for f in futures)


def test_an_item_the_iterable_cannot_produce_ends_the_map_after_the_items_before_it(node):
    @node.task
    def double(n):
        return 2 * n

    def items():
        yield 1
        yield 2
        raise ValueError("bad item")

    errors, results, ends = [], {}, []
    node.on_error(errors.append)
    pool = node.worker_pool("p", local=2)
    done = pool.map("double", items(), lambda i, result, error: results.__setitem__(i, (result, error)))
    done.add_done_callback(lambda _: ends.append(dict(results)))
    node.every(0.005, lambda: done.done() and node.stop())
    run(node)
    assert results == {0: (2, None), 1: (4, None)}
    assert ends == [results]
    assert [(type(e), str(e)) for e in errors] == [(ValueError, "bad item")]


def test_a_map_without_callback_sends_task_errors_to_on_error(node):
    @node.task
    def invert(n):
        return 1 / n

    errors = []
    node.on_error(errors.append)
    pool = node.worker_pool("p", local=1)
    done = pool.map("invert", [1, 0, {1, 2}])
    node.every(0.005, lambda: done.done() and node.stop())
    run(node)
    kinds = sorted(type(e).__name__ for e in errors)
    assert kinds == ["RemoteError", "TypeError"]


def test_an_unknown_pool_is_no_such_pool_everywhere(node):
    with pytest.raises(dripdrop.NoSuchPool):
        node.pool("nope")
    assert issubclass(dripdrop.NoSuchPool, dripdrop.NoSuchRoute)
    ghost = dripdrop.Pool(node, "ghost", [])
    for call in (
        lambda: ghost.defer("t"),
        lambda: ghost.map("t", [1]),
        lambda: ghost.cancel(1),
        ghost.stats,
        lambda: node._pool_defer("ghost", "t", None, print),
    ):
        with pytest.raises(dripdrop.NoSuchPool, match="ghost"):
            call()


def test_pool_and_worker_options_are_read_by_the_engine(node):
    with pytest.raises(dripdrop.InvalidArgument, match="heartbeat"):
        node.worker_pool("a", heartbeat=-1)
    with pytest.raises(dripdrop.InvalidArgument, match="wherever"):
        node.worker_pool("b", placement="wherever")
    with pytest.raises(dripdrop.InvalidArgument, match="hartbeat"):
        node.worker_pool("c", hartbeat=1)
    pool = node.worker_pool("d", local=1, bind="tcp://127.0.0.1:*", max_pending=3)
    assert pool.endpoint.startswith("tcp://127.0.0.1:") and node.pool("d") is pool
    assert dripdrop.Worker("tcp://127.0.0.1:9", concurrency=3)._concurrency() == 3
    assert dripdrop.Worker(["tcp://127.0.0.1:9"])._concurrency() >= 1
    with pytest.raises(dripdrop.InvalidArgument, match="concurency"):
        dripdrop.Worker("tcp://127.0.0.1:9", concurency=3)


def test_timeout_and_cancel(node):
    @node.task
    def slow(seconds):
        time.sleep(seconds)
        return seconds

    pool = node.worker_pool("p", local=1)
    timed = pool.defer("slow", 0.5, timeout=0.05)
    queued = pool.defer("slow", 0.0)
    assert pool.cancel(pool.last_id)
    node.every(0.005, lambda: timed.done() and queued.done() and node.stop())
    run(node)
    with pytest.raises(dripdrop.TimeoutError):
        timed.result()
    with pytest.raises(dripdrop.Cancelled):
        queued.result()


WORKER_SCRIPT = textwrap.dedent(
    """
    import os, sys
    import dripdrop
    worker = dripdrop.Worker(sys.argv[1], concurrency=2, heartbeat=0.1, liveness=20)

    @worker.task
    def pid_and_double(n):
        return [os.getpid(), 2 * n]

    print("serving", flush=True)
    try:
        worker.run()
    except KeyboardInterrupt:
        pass
    """
)


def test_python_worker_processes_serve_a_pool(node):
    pool = node.worker_pool("p", bind="tcp://127.0.0.1:*", heartbeat=0.1, liveness=20)
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER_SCRIPT, pool.endpoint], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    try:
        for w in workers:
            assert w.stdout.readline().strip() == "serving"
        results = {}
        mapping = []

        def when_both_are_connected():
            # Both take part only if both are there before the first task goes out.
            if not mapping and pool.stats()["workers_alive"] == 2:
                mapping.append(pool.map("pid_and_double", range(200), lambda i, r, e: results.__setitem__(i, (r, e))))
            if mapping and mapping[0].done():
                node.stop()

        node.every(0.005, when_both_are_connected)
        run(node, "200 results from Python workers")
        assert all(results[i][0][1] == 2 * i for i in range(200))
        pids = {results[i][0][0] for i in range(200)}
        assert pids <= {w.pid for w in workers} and len(pids) == 2
    finally:
        for w in workers:
            w.kill()
            w.wait()


def test_a_rust_worker_serves_a_python_pool(node):
    binary = os.environ.get("DRIPDROP_POOL_WORKER")
    assert binary and os.path.exists(binary), "scripts/test-python sets DRIPDROP_POOL_WORKER"
    pool = node.worker_pool("p", bind="tcp://127.0.0.1:*")
    worker = subprocess.Popen([binary, "--connect", pool.endpoint, "--tasks", "double"], stdout=subprocess.PIPE, text=True)
    try:
        assert worker.stdout.readline().startswith("worker ")
        futures = [pool.defer("double", n) for n in range(20)]
        node.every(0.005, lambda: all(f.done() for f in futures) and node.stop())
        run(node)
        assert [f.result() for f in futures] == [2 * n for n in range(20)]
    finally:
        worker.kill()
        worker.wait()


def test_a_pool_bounds_what_its_workers_send(node):
    with pytest.raises(dripdrop.InvalidArgument, match="max_worker_credit"):
        node.worker_pool("zero", bind="tcp://127.0.0.1:*", max_worker_credit=0)
    binary = os.environ.get("DRIPDROP_POOL_WORKER")
    assert binary and os.path.exists(binary), "scripts/test-python sets DRIPDROP_POOL_WORKER"
    pool = node.worker_pool(
        "p", bind="tcp://127.0.0.1:*", max_result_elements=1000, max_worker_credit=4, lease_timeout=30
    )
    worker = subprocess.Popen([binary, "--connect", pool.endpoint, "--tasks", "echo"], stdout=subprocess.PIPE, text=True)
    try:
        assert worker.stdout.readline().startswith("worker ")
        # A value past the pool's limit fails its task; the next one is fine.
        large = pool.defer("echo", list(range(5000)))
        small = pool.defer("echo", [1, 2, 3])
        node.every(0.005, lambda: large.done() and small.done() and node.stop())
        run(node)
        with pytest.raises(dripdrop.RemoteError) as error:
            large.result()
        assert error.value.remote_class == "DecodeError"
        assert small.result() == [1, 2, 3]
    finally:
        worker.kill()
        worker.wait()
