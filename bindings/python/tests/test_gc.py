"""The garbage collector sees what a node's callbacks hold: a node whose handlers refer back
to it is collected once dropped, whether it never ran, ran, or ran on its own thread."""

import gc
import itertools
import weakref

import dripdrop
from conftest import SAFETY, run
from dripdrop import Message

ANY = "tcp://127.0.0.1:*"


def collected(make):
    """True if the node `make` returns a weak reference to is gone after a collection."""
    ref = make()
    gc.collect()
    return ref() is None


def node_whose_callbacks_hold_it():
    node = dripdrop.Node()
    node.kept = []
    answer = node.route("answer", "zmq_xrep", ANY)
    ask = node.route("ask", "zmq_xreq", answer.endpoint, "connect")

    @answer.on_receive
    def hold(msg, response):
        node.kept.append(response)  # a response (holding the node) kept on the node
        node.stop()

    node.every(60.0, lambda: node.stats())
    node.after(60.0, node.stop)
    node.on_error(lambda error: node.stop())
    ask.send_message(Message("q"), callback=lambda reply: node.stop())
    node.handle().post(lambda: node.kept)
    # A map whose items wait for a worker that never comes: the feed holds the generator.
    pool = node.worker_pool("p", bind=ANY, max_pending=2)
    pool.map("never", (node and i for i in itertools.count()), lambda i, result, error: node.stop())
    return node


def test_a_dropped_node_that_never_ran_is_collected():
    assert collected(lambda: weakref.ref(node_whose_callbacks_hold_it()))


def test_a_node_dropped_after_running_is_collected():
    def make():
        node = node_whose_callbacks_hold_it()
        run(node, "the request")
        assert len(node.kept) == 1
        return weakref.ref(node)

    assert collected(make)


def test_a_node_dropped_after_running_on_its_own_thread_is_collected():
    def make():
        node = node_whose_callbacks_hold_it()
        node.start()
        node.stop()
        assert node.join(SAFETY)
        return weakref.ref(node)

    assert collected(make)


def test_a_running_node_is_not_collected_under_its_loop():
    node = dripdrop.Node()
    node.every(60.0, lambda: node.stats())
    ref = weakref.ref(node)
    node.start()
    del node
    gc.collect()
    assert ref() is not None
    ref().stop()
    assert ref().join(SAFETY)
