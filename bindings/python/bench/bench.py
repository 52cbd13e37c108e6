"""Benchmarks of the Python package, each against a baseline measured in the same run:

- pushpull: DripDrop push/pull of messages with a 100-byte body (encoded and decoded) through
  one node, against pyzmq PUSH/PULL with msgpack doing the same in one process; both keep
  at most 500 messages in flight, sending more as they arrive. Goal: 1.5x.
- pool: trivial tasks through a DripDrop pool (two local threads running a Python function)
  against concurrent.futures.ProcessPoolExecutor(2). Goal: 10x.
- prefetch: trivial tasks through a pool served by two Python worker processes with the
  default prefetch (adapted to the tasks), against the same with a hand-tuned prefetch of 512.
  Goal: 0.67x.

Prints every round and, last for each, ``RESULT <name> <ratio>`` (ratio of the medians).
Needs pyzmq and msgpack (pip install pyzmq msgpack). Run: python3 bench/bench.py [--quick]
"""

import statistics
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ProcessPoolExecutor

import dripdrop

QUICK = "--quick" in sys.argv
ROUNDS = 1 if QUICK else 5
BODY = b"x" * 100
# Messages in flight at most, on both sides of pushpull.
WINDOW = 500


def dripdrop_pushpull(count):
    node = dripdrop.Node()
    out = node.route("out", "zmq_push", "tcp://127.0.0.1:*")
    inbox = node.route("in", "zmq_pull", out.endpoint, "connect")
    message = dripdrop.Message("bench", head={"seq": 1}, body=BODY)
    state = {"sent": 0, "got": 0}

    def refill():
        # At most WINDOW in flight, as the pyzmq side keeps: sent as room frees.
        try:
            while state["sent"] < count and state["sent"] - state["got"] < WINDOW:
                out.send_message(message)
                state["sent"] += 1
        except dripdrop.Backpressure:
            # The route's queue is full: again on the next turn.
            node.next_tick(refill)

    @inbox.on_receive
    def got(msg):
        state["got"] += 1
        if state["got"] == count:
            node.stop()
        elif state["sent"] < count:
            refill()

    node.next_tick(refill)
    started = time.perf_counter()
    node.run()
    return count / (time.perf_counter() - started)


def pyzmq_pushpull(count):
    import msgpack
    import zmq

    context = zmq.Context.instance()
    push = context.socket(zmq.PUSH)
    port = push.bind_to_random_port("tcp://127.0.0.1")
    pull = context.socket(zmq.PULL)
    pull.connect(f"tcp://127.0.0.1:{port}")
    message = {"name": "bench", "head": {"seq": 1}, "body": BODY}
    started = time.perf_counter()
    sent = got = 0
    while got < count:
        while sent < count and sent - got < WINDOW:
            push.send(msgpack.packb(message))
            sent += 1
        msgpack.unpackb(pull.recv())
        got += 1
    rate = count / (time.perf_counter() - started)
    push.close(linger=0)
    pull.close(linger=0)
    return rate


def double(n):
    return 2 * n


def dripdrop_pool(node, count, name="bench"):
    pool = node.pool(name)
    done = pool.map("double", range(count))
    watch = node.every(0.001, lambda: done.done() and node.stop())
    started = time.perf_counter()
    node.run()
    rate = count / (time.perf_counter() - started)
    node.cancel_timer(watch)
    assert done.done()
    return rate


def process_pool(executor, count):
    started = time.perf_counter()
    for _ in executor.map(double, range(count)):
        pass
    return count / (time.perf_counter() - started)


WORKER = textwrap.dedent(
    """
    import sys
    import dripdrop

    worker = dripdrop.Worker(sys.argv[1])

    @worker.task
    def double(n):
        return 2 * n

    print("serving", flush=True)
    try:
        worker.run()
    except KeyboardInterrupt:
        pass
    """
)


def remote_pool(node, name, workers, **options):
    """A pool bound on a random port, served by two Python worker processes (appended to
    ``workers``), ready when both said READY."""
    pool = node.worker_pool(name, bind="tcp://127.0.0.1:*", **options)
    for _ in range(2):
        worker = subprocess.Popen([sys.executable, "-c", WORKER, pool.endpoint], stdout=subprocess.PIPE, text=True)
        workers.append(worker)
        assert worker.stdout.readline().strip() == "serving"
    watch = node.every(0.005, lambda: pool.stats()["workers_alive"] == 2 and node.stop())
    node.run()
    node.cancel_timer(watch)
    return pool


def compare(name, ours, baseline, baseline_name):
    mine, theirs = [], []
    for i in range(ROUNDS):
        a, b = ours(), baseline()
        mine.append(a)
        theirs.append(b)
        print(f"{name} round {i + 1}: dripdrop {a:,.0f}/s, {baseline_name} {b:,.0f}/s, ratio {a / b:.2f}")
    a, b = statistics.median(mine), statistics.median(theirs)
    print(f"{name} median: dripdrop {a:,.0f}/s, {baseline_name} {b:,.0f}/s")
    print(f"RESULT {name} {a / b:.3f}", flush=True)


def main():
    count = 2_000 if QUICK else 100_000
    compare("pushpull", lambda: dripdrop_pushpull(count), lambda: pyzmq_pushpull(count), "pyzmq+msgpack")

    node = dripdrop.Node()

    @node.task("double")
    def double_task(n):
        return 2 * n

    node.worker_pool("bench", local=2, max_pending=512)
    tasks = 1_000 if QUICK else 50_000
    with ProcessPoolExecutor(2) as executor:
        process_pool(executor, 100)
        compare("pool", lambda: dripdrop_pool(node, tasks), lambda: process_pool(executor, tasks), "ProcessPoolExecutor")

    workers = []
    try:
        remote_pool(node, "default", workers)
        remote_pool(node, "tuned", workers, prefetch=512)
        dripdrop_pool(node, tasks // 10, "default")
        dripdrop_pool(node, tasks // 10, "tuned")
        compare(
            "prefetch",
            lambda: dripdrop_pool(node, tasks, "default"),
            lambda: dripdrop_pool(node, tasks, "tuned"),
            "prefetch 512",
        )
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()


if __name__ == "__main__":
    main()
