"""`Pool`: a worker pool of a node."""

from ._futures import Future, TaskFuture, resolve, settle


class Pool:
    """A worker pool of a node: ``defer`` and ``map`` named tasks on its local threads or
    remote workers, ``cancel``, ``stats``. Used from the node's thread, as the node is."""

    def __init__(self, node, name, endpoints):
        self._node = node
        self.name = name
        self.endpoints = endpoints
        self.last_id = None

    @property
    def endpoint(self):
        """The address remote workers connect to (None for a local-only pool)."""
        return self.endpoints[0] if self.endpoints else None

    def defer(self, task, args=None, callback=None, errback=None, timeout=None):
        """Runs ``task(args)`` on the pool and returns a `TaskFuture` (``.task_id``; also
        in ``last_id``) that gets its result. ``callback(result)`` and ``errback(error)``,
        if given, run on the node's thread too; an error with a callback but no errback goes
        to the node's ``on_error``. A task's exception arrives as `RemoteError` (its class,
        message and backtrace). ``timeout`` (seconds) fails the task with `TimeoutError`.
        Past the pool's ``max_pending`` raises `Backpressure`."""
        future = TaskFuture()

        def done(result, error):
            settle(future, result, error, callback, errback)

        future.task_id = self._node._pool_defer(self.name, task, args, done, timeout)
        self.last_id = future.task_id
        return future

    def map(self, task, items, callback=None):
        """Runs ``task`` once per item of ``items`` (any iterable), submitting items only as
        results free room (so a producer goes as fast as the workers and memory stays flat).
        ``callback(index, result, error)`` runs for each as it comes; without a callback, an
        error goes to the node's ``on_error``. An exception raised by ``items`` ends the
        submitting and goes to ``on_error``; the items before it still run. Returns a
        `Future` that resolves (to None) after the last result."""
        finished = Future()
        if callback is None:
            callback = _raise_errors
        self._node._pool_map(self.name, task, items, callback, lambda: resolve(finished, None))
        return finished

    def cancel(self, task):
        """Cancels a task, given its id or its `TaskFuture`: its caller gets `Cancelled`
        (a worker running it sees ``task.is_cancelled()``). False if it already finished."""
        task_id = task.task_id if isinstance(task, TaskFuture) else task
        return self._node._pool_cancel(self.name, task_id)

    def stats(self):
        """The pool's counters (workers, tasks pending, completed, failed...)."""
        return self._node._pool_stats(self.name)

    def __repr__(self):
        return f"<Pool {self.name} {self.endpoints}>"


def _raise_errors(index, result, error):
    if error is not None:
        raise error
