"""HTTP and WebSocket routes from Python, driven by clients nobody here wrote: Python's
`websockets` and curl."""

import json
import subprocess
import sys
import threading

import pytest

import dripdrop
from conftest import run
from dripdrop import Message


def client_thread(target):
    """Runs `target` (a client) on a thread, keeping what it raised for the test to re-raise."""
    failures = []

    def body():
        try:
            target()
        except BaseException as e:  # re-raised on the test's thread
            failures.append(e)

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    return thread, failures


def test_a_websocket_route_hands_over_each_connection_and_answers_through_it(node):
    from websockets.sync.client import connect

    ws = node.route("ws", "websocket", "ws://127.0.0.1:0/chat")
    assert ws.kind == "websocket_server"
    assert ws.endpoint.startswith("ws://127.0.0.1:") and ws.endpoint.endswith("/chat")
    events = []
    connections = set()

    @ws.on_open
    def opened(conn):
        events.append(("open", conn.signature))
        connections.add(conn)
        conn.send_message(Message("hello", body=conn.signature))

    @ws.on_receive
    def received(msg, conn):
        events.append(("message", msg.name, conn.signature))
        assert conn in connections  # the same connection, as a key
        conn.send_message(Message("echo", head={"n": 1}, body=msg.body))
        assert ws.broadcast(Message("all", body="everyone")) == 1

    @ws.on_close
    def closed(conn):
        events.append(("close", conn.signature))
        node.stop()

    seen = []

    def browser():
        with connect(ws.endpoint) as socket:
            seen.append(json.loads(socket.recv(timeout=10)))
            socket.send(json.dumps({"name": "say", "body": [1, "two", None]}))
            seen.append(json.loads(socket.recv(timeout=10)))
            seen.append(json.loads(socket.recv(timeout=10)))

    thread, failures = client_thread(browser)
    run(node, "the browser's visit")
    thread.join(10)
    if failures:
        raise failures[0]
    signature = events[0][1]
    assert events == [("open", signature), ("message", "say", signature), ("close", signature)]
    assert seen[0] == {"name": "hello", "head": {}, "body": signature}
    assert seen[1] == {"name": "echo", "head": {"n": 1}, "body": [1, "two", None]}
    assert seen[2]["name"] == "all"
    stats = node.stats()["routes"]["ws"]
    assert stats["connections"] == 0 and stats["messages_in"] == 1


def test_a_closed_connection_raises_connection_error_and_bad_text_reaches_on_error(node):
    from websockets.sync.client import connect

    ws = node.route("ws", "websocket_server", "ws://127.0.0.1:0/")
    kept = []
    reasons = []

    ws.on_open(kept.append)
    ws.on_error(lambda reason, conn: reasons.append(reason))

    @ws.on_close
    def closed(conn):
        with pytest.raises(dripdrop.ConnectionError):
            conn.send_message(Message("late"))
        node.stop()

    def browser():
        with connect(ws.endpoint) as socket:
            socket.send("this is not json")

    thread, failures = client_thread(browser)
    run(node, "the browser's visit")
    thread.join(10)
    if failures:
        raise failures[0]
    assert len(reasons) == 1 and "JSON" in reasons[0]
    assert isinstance(dripdrop.ConnectionError("x"), ConnectionError)


def test_handlers_that_do_not_fit_a_websocket_route_are_refused(node):
    ws = node.route("ws", "websocket_server", "ws://127.0.0.1:0/")
    pub = node.route("pub", "zmq_publish", "tcp://127.0.0.1:*")
    with pytest.raises(dripdrop.RouteError):
        pub.on_open(lambda conn: None)
    with pytest.raises(dripdrop.RouteError):
        ws.send_message(Message("to whom?"))
    with pytest.raises(dripdrop.InvalidArgument):
        node.route("bad", "websocket_server", "ipc:///tmp/not-a-web-address")
