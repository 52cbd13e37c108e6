"""Worker pools from Python: local threads, Python worker processes, a Rust worker serving a
Python pool; task errors with their traceback, timeouts and cancel."""

import os
import subprocess
import sys
import textwrap
import time

import pytest

import dripdrop
from conftest import run


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
    assert any("return 1 / n" in line for line in error.remote_traceback)
    assert got[4] == (1.0, None)


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
        done = pool.map("pid_and_double", range(200), lambda i, r, e: results.__setitem__(i, (r, e)))
        node.every(0.005, lambda: done.done() and node.stop())
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
