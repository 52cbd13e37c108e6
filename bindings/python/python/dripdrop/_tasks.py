"""Python task handlers: the ``@x.task`` decorator, and the Python threads that run a node's
or worker's tasks (a task queue each), all ended before the interpreter is."""

import atexit
import inspect
import threading


class _Handler:
    """A task function, and whether it takes the `Task` as a second parameter."""

    def __init__(self, fn, takes_task):
        self._fn = fn
        self.__dripdrop_takes_task__ = takes_task

    def __call__(self, *args):
        return self._fn(*args)


def task_decorator(register, handlers, name_or_fn):
    """`@x.task` and `@x.task("name")`: registers a handler taking ``args`` (or ``args,
    task``, where ``task`` is a `dripdrop.Task`)."""

    def decorate(fn, name=None):
        name = name or fn.__name__
        try:
            takes_task = len(inspect.signature(fn).parameters) >= 2
        except (TypeError, ValueError):
            takes_task = False
        handlers[name] = _Handler(fn, takes_task)
        register(name)
        return fn

    if callable(name_or_fn):
        return decorate(name_or_fn)
    return lambda fn: decorate(fn, name_or_fn)


# Every task queue Python threads serve, and the threads. They are daemons, so a forgotten
# one never keeps the process alive, and all end at exit: a daemon thread still inside the
# native module when Python finalizes would abort the process.
_serving = []


def serve(queue, handlers, count, name):
    """Starts ``count`` Python threads that run the tasks handed to ``queue``."""
    threads = []
    for i in range(count):
        thread = threading.Thread(target=queue.serve, args=(handlers,), name=f"{name}-{i}", daemon=True)
        thread.start()
        threads.append(thread)
    _serving.append((queue, threads))
    return threads


def stop_serving():
    """Closes every task queue and waits (a little) for its threads."""
    for queue, _ in _serving:
        queue.close()
    for _, threads in _serving:
        for thread in threads:
            thread.join(timeout=2.0)


atexit.register(stop_serving)
