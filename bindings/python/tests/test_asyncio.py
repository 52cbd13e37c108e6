"""Every future the package returns can be awaited in an asyncio program, with the node
running on its own thread (examples/python/asyncio_pool.py)."""

import asyncio
import os
import subprocess
import sys

import dripdrop
from conftest import SAFETY
from dripdrop import Message

ANY = "tcp://127.0.0.1:*"
EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "examples", "python", "asyncio_pool.py")


def test_an_asyncio_program_awaits_what_a_started_node_returns():
    node = dripdrop.Node()

    @node.task
    def square(n):
        return n * n

    pool = node.worker_pool("math", local=2)
    answer = node.route("answer", "zmq_xrep", ANY)
    ask = node.route("ask", "zmq_xreq", answer.endpoint, "connect")
    answer.on_receive(lambda msg, response: response.send_message(Message("doubled", body=2 * msg.body)))
    before_start = pool.defer("square", 3)
    node.start()

    async def on_loop(f):
        return await node.handle().post(f)

    async def main():
        deferred = await on_loop(lambda: pool.defer("square", 7))
        assert isinstance(deferred, dripdrop.TaskFuture)
        results = []
        mapped = await on_loop(lambda: pool.map("square", [1, 2], lambda i, r, e: results.append(r)))
        reply = await on_loop(lambda: ask.send_message(Message("double", body=21)))
        in_thread = await on_loop(lambda: node.defer(lambda: "on a defer thread"))
        return (
            await before_start,
            await deferred,
            await mapped,
            sorted(results),
            (await reply).body,
            await in_thread,
        )

    try:
        outcome = asyncio.run(asyncio.wait_for(main(), SAFETY))
    finally:
        node.close()
    assert outcome == (9, 49, None, [1, 4], 42, "on a defer thread")


def test_an_awaited_task_error_is_raised_in_the_coroutine():
    node = dripdrop.Node()

    @node.task
    def fail(args):
        raise KeyError("nope")

    pool = node.worker_pool("p", local=1)
    failing = pool.defer("fail")
    node.start()

    async def main():
        try:
            await failing
        except dripdrop.RemoteError as error:
            return error.remote_class

    try:
        assert asyncio.run(asyncio.wait_for(main(), SAFETY)) == "KeyError"
    finally:
        node.close()


def test_the_asyncio_example_runs():
    out = subprocess.run([sys.executable, EXAMPLE], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "squares: [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]",
        "a failed task: ValueError no real square root of -1",
    ]
