"""The one_api scenario (examples/one_api/README.md) in Python: prints exactly
examples/one_api/expected.txt.

The node runs on its own thread (``node.start()``); this thread drives the steps, reaching
the node through ``node.handle().post(f)``, whose future carries what ``f`` returned.

    python3 examples/python/one_api.py
"""

import json
import queue
import time

import dripdrop

WAIT = 10.0


class Boom(Exception):
    pass


def line(**fields):
    print(json.dumps(fields, separators=(",", ":")), flush=True)


def main():
    node = dripdrop.Node()
    errors = queue.Queue()
    node.on_error(errors.put)

    @node.task
    def fail(args):
        raise Boom("boom")

    @node.task
    def double(n):
        return n * 2

    @node.task
    def slow(args, task):
        deadline = time.monotonic() + 10
        while not task.is_cancelled() and time.monotonic() < deadline:
            time.sleep(0.005)
        return "finished"

    pool = node.worker_pool("p", local=2)
    node.start()

    def on_loop(f):
        """Runs f on the node's thread and returns what it returned."""
        return node.handle().post(f).result(WAIT)

    try:
        # 1. An unknown pool.
        def ask_for_nope():
            try:
                node.pool("nope")
            except dripdrop.Error as error:
                return type(error).__name__
            return None

        line(step="unknown_pool", error=on_loop(ask_for_nope))

        # 2. A task error with a callback that takes only a result goes to on_error.
        on_loop(lambda: pool.defer("fail", 1, callback=lambda result: None))
        error = errors.get(timeout=WAIT)
        line(
            step="defer_without_errback",
            on_error=type(error).__name__,
            remote_class=error.remote_class,
            remote_message=error.remote_message,
        )

        # 3. A map whose items raise at the third.
        def items():
            yield 1
            yield 2
            raise ValueError("bad item")
            yield 4  # never reached

        results = []
        done = on_loop(lambda: pool.map("double", items(), lambda index, result, error: results.append([index, result])))
        finished = done.result(WAIT) is None
        reported = errors.get(timeout=WAIT)
        line(
            step="map_with_bad_item",
            results=sorted(results),
            item_error_reported="bad item" in str(reported),
            done=finished,
        )

        # 4. Cancel a task by the id its future carries.
        task = on_loop(lambda: pool.defer("slow"))
        cancelled = on_loop(lambda: pool.cancel(task.task_id))
        line(step="cancel_by_id", cancel_returned=cancelled, error=type(task.exception(WAIT)).__name__)
    finally:
        node.close()


if __name__ == "__main__":
    main()
