"""A node used from any thread, one at a time: start and join, stop and post from anywhere,
and WrongThread (never a Rust panic) for a thread that reaches in while another uses it."""

import gc
import threading

import pytest

import dripdrop
from conftest import SAFETY
from dripdrop import Message

ANY = "tcp://127.0.0.1:*"


def stopped(node):
    node.stop()
    assert node.join(SAFETY), "the loop did not end"


def test_start_runs_the_loop_on_a_new_thread_and_stop_works_from_this_one():
    node = dripdrop.Node()
    ran_on = []
    running = threading.Event()
    node.next_tick(lambda: (ran_on.append(threading.current_thread().name), running.set()))
    node.start()
    try:
        assert running.wait(SAFETY)
    finally:
        stopped(node)
    assert ran_on == ["dripdrop-node"]
    assert node.join() is True


def test_other_threads_get_wrong_thread_while_the_loop_runs_and_the_node_after_it_stops():
    node = dripdrop.Node()
    node.route("in", "zmq_pull", ANY)
    node.start()
    try:
        with pytest.raises(dripdrop.WrongThread, match=r"node\.handle\(\)\.post"):
            node.stats()
        with pytest.raises(RuntimeError):
            node.route("more", "zmq_push", ANY)
        with pytest.raises(dripdrop.WrongThread):
            node.run()
        with pytest.raises(dripdrop.WrongThread):
            node.start()
    finally:
        stopped(node)
    assert list(node.stats()["routes"]) == ["in"]


def test_a_node_made_on_one_thread_runs_on_another():
    node = dripdrop.Node()
    out = node.route("out", "zmq_push", ANY)
    inbox = node.route("in", "zmq_pull", out.endpoint, "connect")
    got = []

    @inbox.on_receive
    def receive(msg):
        got.append((msg.name, threading.current_thread().name))
        node.stop()

    out.send_message(Message("hello"))
    failures = []

    def run():
        try:
            node.run()
        except BaseException as error:
            failures.append(error)

    thread = threading.Thread(target=run, name="elsewhere")
    thread.start()
    thread.join(SAFETY)
    if thread.is_alive():
        node.stop()
        thread.join()
    assert failures == [] and got == [("hello", "elsewhere")]


def test_post_runs_on_the_loop_as_a_callback_and_its_future_carries_the_outcome():
    node = dripdrop.Node()
    errors = []
    node.on_error(errors.append)
    node.start()
    try:
        handle = node.handle()
        endpoint = handle.post(lambda: node.route("late", "zmq_pull", ANY).endpoint).result(SAFETY)
        assert endpoint.startswith("tcp://127.0.0.1:")
        failing = handle.post(lambda: {}["missing"])
        with pytest.raises(KeyError):
            failing.result(SAFETY)
        # What a posted callable raises goes to on_error too (on the loop's thread).
        assert handle.post(lambda: [type(e) for e in errors]).result(SAFETY) == [KeyError]
    finally:
        stopped(node)


def test_join_raises_what_ended_the_loop():
    node = dripdrop.Node()

    def leave():
        raise SystemExit(3)

    node.next_tick(leave)
    node.start()
    with pytest.raises(SystemExit):
        node.join(SAFETY)
    assert node.join() is True


def test_many_threads_reaching_in_at_once_are_refused_cleanly():
    node = dripdrop.Node()
    node.start()
    outcomes = []
    lock = threading.Lock()

    def reach():
        try:
            node.every(1.0, lambda: None)
            outcome = "ran"
        except dripdrop.WrongThread:
            outcome = "refused"
        except BaseException as error:  # a PanicException would land here
            outcome = repr(error)
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=reach) for _ in range(8)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(SAFETY)
    finally:
        stopped(node)
    assert outcomes == ["refused"] * 8


def test_a_response_is_answered_from_the_loop_not_from_another_thread():
    node = dripdrop.Node()
    answer = node.route("answer", "zmq_xrep", ANY)
    ask = node.route("ask", "zmq_xreq", answer.endpoint, "connect")
    held = []
    arrived = threading.Event()

    @answer.on_receive
    def keep(msg, response):
        held.append(response)
        arrived.set()

    reply = ask.send_message(Message("q"))
    node.start()
    try:
        assert arrived.wait(SAFETY)
        with pytest.raises(dripdrop.WrongThread):
            held[0].send_message(Message("from-elsewhere"))
        node.handle().post(lambda: held[0].send_message(Message("from-the-loop"))).result(SAFETY)
        assert reply.result(SAFETY).name == "from-the-loop"
    finally:
        stopped(node)


def test_a_handle_outliving_its_node_says_stopped():
    node = dripdrop.Node()
    handle = node.handle()
    pending = handle.post(lambda: "never run")
    del node
    gc.collect()
    assert isinstance(pending.exception(SAFETY), dripdrop.Stopped)
    with pytest.raises(dripdrop.Stopped):
        handle.post(lambda: None)
