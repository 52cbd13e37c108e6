"""An asyncio program with a DripDrop node beside it: the node runs on its own thread
(``node.start()``), the coroutines hand it work through ``node.handle().post(f)`` and await
what the pool's tasks return (every future the package returns can be awaited).

    python3 examples/python/asyncio_pool.py
"""

import asyncio

import dripdrop


def make_node():
    node = dripdrop.Node()

    @node.task
    def square(n):
        return n * n

    @node.task
    def root(n):
        if n < 0:
            raise ValueError(f"no real square root of {n}")
        return n**0.5

    node.worker_pool("math", local=2)
    return node


async def defer(node, task, args):
    """Defers a pool task from the asyncio thread and awaits its result."""
    pool = node.pool("math")
    # The node belongs to its loop's thread: the TaskFuture is made there...
    submitted = await node.handle().post(lambda: pool.defer(task, args))
    # ...and awaited here.
    return await submitted


async def main():
    node = make_node()
    node.start()
    try:
        squares = await asyncio.gather(*(defer(node, "square", n) for n in range(10)))
        print("squares:", squares)
        try:
            await defer(node, "root", -1)
        except dripdrop.RemoteError as error:
            print("a failed task:", error.remote_class, error.remote_message)
    finally:
        node.stop()
        node.join()
        node.close()


if __name__ == "__main__":
    asyncio.run(main())
