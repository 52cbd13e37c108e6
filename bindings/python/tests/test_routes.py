"""Routes of every kind end to end, and their errors."""

import re

import pytest
import zmq
from zmq.utils.monitor import recv_monitor_message

import dripdrop
from conftest import SAFETY, push_pull, run
from dripdrop import Message

ANY = "tcp://127.0.0.1:*"


def test_push_pull(node):
    out, inbox = push_pull(node)
    got = []

    @inbox.on_receive
    def receive(msg):
        got.append(msg.body)
        if len(got) == 3:
            node.stop()

    for i in range(3):
        out.send_message(Message("n", body=i))
    run(node)
    assert got == [0, 1, 2]
    assert node.stats()["routes"]["out"]["messages_out"] == 3


def test_pub_sub_with_prefix_and_regex_topics(node):
    pub = node.route("pub", "zmq_publish", ANY)
    cpu = node.route("cpu", "zmq_subscribe", pub.endpoint, "connect", topic="cpu.")
    odd = node.route("odd", "zmq_subscribe", pub.endpoint, "connect", topic=re.compile(r"[13579]$"))
    seen = {"cpu": set(), "odd": set()}

    def collect(key):
        def handler(msg):
            seen[key].add(msg.name)
            if len(seen["cpu"]) >= 2 and len(seen["odd"]) >= 2:
                node.stop()

        return handler

    cpu.on_receive(collect("cpu"))
    odd.on_receive(collect("odd"))
    names = ["cpu.0", "mem.1", "cpu.2", "mem.3"]
    count = [0]

    def publish():
        # Subscribers miss what is sent before they joined: keep publishing.
        pub.send_message(Message(names[count[0] % 4]))
        count[0] += 1

    node.every(0.005, publish)
    run(node)
    assert seen["cpu"] == {"cpu.0", "cpu.2"}
    assert seen["odd"] == {"mem.1", "mem.3"}


def test_xreq_xrep_with_a_callback_and_a_future(node):
    answer = node.route("answer", "zmq_xrep", ANY)
    ask = node.route("ask", "zmq_xreq", answer.endpoint, "connect")

    @answer.on_receive
    def double(msg, response):
        response.send_message(Message("doubled", body=msg.body * 2))

    replies = []

    def on_reply(reply):
        replies.append(reply.body)
        check()

    future = ask.send_message(Message("double", body=21))
    ask.send_message({"name": "double", "body": 1}, callback=on_reply)

    def check():
        if replies and future.done():
            node.stop()

    future.add_done_callback(lambda _: None)
    node.every(0.005, check)
    run(node)
    assert replies == [2]
    assert future.result().body == 42


def test_an_unanswered_request_is_a_remote_error(node):
    answer = node.route("answer", "zmq_xrep", ANY)
    ask = node.route("ask", "zmq_xreq", answer.endpoint, "connect")
    answer.on_receive(lambda msg, response: None)
    future = ask.send_message(Message("q"))
    node.every(0.005, lambda: future.done() and node.stop())
    run(node)
    with pytest.raises(dripdrop.RemoteError) as caught:
        future.result()
    assert caught.value.remote_class == "Unanswered"


def test_req_rep_and_pair(node):
    rep = node.route("rep", "zmq_rep", ANY)
    req = node.route("req", "zmq_req", rep.endpoint, "connect")
    rep.on_receive(lambda msg, response: response.send_message(Message("pong", body=msg.body)))
    a = node.route("a", "zmq_pair", "inproc://py-pair-test", "bind")
    b = node.route("b", "zmq_pair", "inproc://py-pair-test", "connect")
    got = []
    b.on_receive(lambda msg: got.append(msg.name))
    future = req.send_message(Message("ping", body="x"))
    a.send_message(Message("over-pair"))
    node.every(0.005, lambda: future.done() and got and node.stop())
    run(node)
    assert future.result().body == "x"
    assert got == ["over-pair"]


def test_routes_are_attributes(node):
    node.route("out", "zmq_push", ANY)
    assert node.out.kind == "zmq_push"
    assert node.out.endpoint.startswith("tcp://127.0.0.1:")
    with pytest.raises(AttributeError):
        node.nowhere


def test_route_errors_are_dripdrop_errors(node):
    with pytest.raises(dripdrop.ZmqError):
        node.route("bad", "zmq_push", "nonsense://x")
    with pytest.raises(dripdrop.InvalidArgument, match="zmq_teleport"):
        node.route("bad", "zmq_teleport", ANY)
    inbox = node.route("inbox", "zmq_pull", ANY)
    with pytest.raises(dripdrop.RouteError, match="does not send"):
        inbox.send_message(Message("x"))
    with pytest.raises(dripdrop.RouteError, match="already exists"):
        node.route("inbox", "zmq_pull", ANY)
    with pytest.raises(dripdrop.NoSuchRoute):
        node.send_message("nowhere", Message("x"))
    out = node.route("out", "zmq_push", ANY, send_queue=1)
    out.send_message(Message("queued"))
    with pytest.raises(dripdrop.Backpressure):
        out.send_message(Message("refused"))


def test_raw_push_pull_carries_frames_untouched(node):
    out = node.route("out", "zmq_push", ANY, raw=True)
    inbox = node.route("in", "zmq_pull", out.endpoint, "connect", msg_format="raw")
    got = []

    @inbox.on_frames
    def receive(frames):
        got.append(frames)
        node.stop()

    out.send_frames([b"\x00not bert", bytearray(b"two"), "three"])
    run(node)
    assert got == [[b"\x00not bert", b"two", b"three"]]
    with pytest.raises(dripdrop.RouteError):
        out.send_message(Message("x"))
    with pytest.raises(dripdrop.InvalidArgument, match="int"):
        out.send_frames([1])


def test_a_raw_xrep_answers_with_send_frames_envelope_first(node):
    router = node.route("router", "zmq_xrep", ANY, raw=True)
    dealer = node.route("dealer", "zmq_xreq", router.endpoint, "connect", raw=True, identity="dealer-7")
    at_router, at_dealer = [], []

    @router.on_frames
    def answer(frames):
        at_router.append(frames)
        envelope, body = frames[:1], frames[1:]
        router.send_frames(envelope + body[::-1])

    @dealer.on_frames
    def reply(frames):
        at_dealer.append(frames)
        node.stop()

    dealer.send_frames([b"one", b"two"])
    run(node)
    assert at_router == [[b"dealer-7", b"one", b"two"]]
    assert at_dealer == [[b"two", b"one"]]


def test_route_options_are_read_by_the_engine(node):
    with pytest.raises(dripdrop.InvalidArgument, match="lingr"):
        node.route("a", "zmq_push", ANY, lingr=1)
    with pytest.raises(dripdrop.InvalidArgument, match="linger"):
        node.route("b", "zmq_push", ANY, linger=-1)
    with pytest.raises(dripdrop.InvalidArgument, match="topic"):
        node.route("c", "zmq_subscribe", ANY, topic=re.compile("a(?=b)"))
    caseless = node.route("d", "zmq_subscribe", ANY, topic=re.compile("^news", re.IGNORECASE), linger=0.5)
    assert caseless.kind == "zmq_subscribe"


def test_a_frame_over_max_frame_bytes_is_dropped_and_the_route_goes_on(node):
    inbox = node.route("in", "zmq_pull", ANY, max_frame_bytes=1024)
    got = []

    @inbox.on_receive
    def receive(msg):
        got.append(msg)
        node.stop()

    context = zmq.Context()
    try:
        offender = context.socket(zmq.PUSH)
        offender.linger = 0
        events = offender.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        events.rcvtimeo = int(SAFETY * 1000)
        offender.connect(inbox.endpoint)
        big = Message("big", body=b"x" * 4096).encode()
        assert len(big) > 1024
        offender.send(big)
        # libzmq refuses the frame on its own threads, loop running or not; the peer's
        # monitor seeing the disconnect (not a sleep) says it was refused.
        assert recv_monitor_message(events)["event"] == zmq.EVENT_DISCONNECTED
        # The offender was disconnected, not the route: a fresh peer is heard.
        peer = context.socket(zmq.PUSH)
        peer.linger = 0
        peer.connect(inbox.endpoint)
        peer.send(Message("small", body=1).encode())
        run(node, "the small message after the oversized frame")
    finally:
        # Closes every socket of the context, the offender's too, without waiting.
        context.destroy(linger=0)
    assert [(m.name, m.body) for m in got] == [("small", 1)]
    stats = node.stats()["routes"]["in"]
    assert (stats["messages_in"], stats["decode_errors"]) == (1, 0)
    with pytest.raises(dripdrop.InvalidArgument, match="max_frame_bytes"):
        node.route("zero", "zmq_pull", ANY, max_frame_bytes=0)
