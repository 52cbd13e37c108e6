"""The futures the package returns: `concurrent.futures.Future`s that an asyncio program can
also ``await``."""

import asyncio
import concurrent.futures


class Future(concurrent.futures.Future):
    """A `concurrent.futures.Future` (``result(timeout)``, ``add_done_callback``...) that a
    coroutine may also ``await``: `asyncio.wrap_future` carries its outcome to the awaiting
    loop's thread. It is settled on the node's thread; cancelling it only stops the waiting.
    """

    def __await__(self):
        return asyncio.wrap_future(self, loop=asyncio.get_running_loop()).__await__()


class TaskFuture(Future):
    """The outcome of `Pool.defer`. ``task_id`` is the task's id: ``pool.cancel(task_id)``
    and ``pool.cancel(future)`` cancel the task itself."""

    def __init__(self):
        super().__init__()
        self.task_id = None


def resolve(future, result=None, error=None):
    """Settles ``future`` with ``error`` if there is one, else with ``result``; nothing if it
    was cancelled meanwhile (its owner stopped waiting)."""
    try:
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)
    except concurrent.futures.InvalidStateError:
        pass


def settle(future, result, error, callback=None, errback=None):
    """How a result reaches its caller: the future, then ``callback(result)`` or
    ``errback(error)``. An error with a callback but no errback is raised, so it goes to the
    node's ``on_error``: it is never dropped."""
    resolve(future, result, error)
    if error is None:
        if callback is not None:
            callback(result)
    elif errback is not None:
        errback(error)
    elif callback is not None:
        raise error
