"""The paths made fast for issue 19 behave as the ones they replaced: the native send of
`Route.send_message`, a `Message` sent without being copied, handlers called without an
argument tuple, and received messages that convert their head and body only when read."""

import gc
import weakref

import pytest

import dripdrop
from conftest import push_pull, run
from dripdrop import Message

ANY = "tcp://127.0.0.1:*"


def test_a_route_is_a_native_route_with_its_name_kind_and_node(node):
    out = node.route("out", "zmq_push", ANY)
    assert isinstance(out, dripdrop.Route) and isinstance(out, dripdrop._native.Route)
    assert (out.name, out.kind, out._node) == ("out", "zmq_push", node)
    with pytest.raises(dripdrop.NoSuchRoute):
        dripdrop.Route(node, "nowhere")


def test_a_send_on_a_route_that_gets_no_replies_refuses_a_callback(node):
    out = node.route("out", "zmq_push", ANY)
    with pytest.raises(dripdrop.InvalidArgument, match="gets no replies"):
        out.send_message(Message("x"), callback=print)
    with pytest.raises(dripdrop.InvalidArgument, match="gets no replies"):
        out.send_message(Message("x"), print)
    assert node.stats()["routes"]["out"]["messages_out"] == 0


def test_a_send_raises_what_the_message_or_the_route_gets_wrong(node):
    out = node.route("out", "zmq_push", ANY)
    with pytest.raises(dripdrop.MessageError):
        out.send_message({"body": 1})  # no name
    with pytest.raises(TypeError):
        out.send_message(Message("x"), None, None)
    sub = node.route("sub", "zmq_subscribe", ANY)
    with pytest.raises(dripdrop.RouteError):
        sub.send_message(Message("x"))


def test_a_sent_message_is_unchanged_and_may_be_sent_again_and_changed(node):
    out, inbox = push_pull(node)
    got = []

    @inbox.on_receive
    def receive(msg):
        got.append((msg.head, msg.body))
        if len(got) == 3:
            node.stop()

    msg = Message("m", head={"seq": 1}, body=b"\xff" * 3)
    out.send_message(msg)
    out.send_message(msg)
    msg.body = [1, 2]
    msg.head = {"seq": 2}
    out.send_message(msg)
    run(node)
    assert got == [({"seq": 1}, b"\xff" * 3)] * 2 + [({"seq": 2}, [1, 2])]
    assert (msg.head, msg.body) == ({"seq": 2}, [1, 2])


def test_a_subclass_of_message_is_sent_as_a_message(node):
    class Tagged(Message):
        pass

    out, inbox = push_pull(node)
    got = []
    inbox.on_receive(lambda msg: (got.append(msg), node.stop()))
    out.send_message(Tagged("t", body=7))
    run(node)
    assert [(m.name, m.body) for m in got] == [("t", 7)]


def test_received_messages_kept_and_changed_after_their_callback_read_back_as_sent(node):
    out, inbox = push_pull(node)
    kept = []

    @inbox.on_receive
    def receive(msg):
        kept.append(msg)
        if len(kept) == 2:
            node.stop()

    body = {"items": [1, "two", b"\x00\xff", 2**70, -3.5, None, True], "nested": {"k": (1, 2)}}
    out.send_message(Message("a", head={"seq": 1, "tags": ["x"]}, body=body))
    out.send_message(Message("b", body="text"))
    run(node)
    first, second = kept
    assert first.body == {"items": [1, "two", b"\x00\xff", 2**70, -3.5, None, True], "nested": {"k": (1, 2)}}
    # What a read hands out is the caller's: changing it changes neither the message nor a
    # later read.
    read = first.body
    read["items"].append("more")
    read["new"] = 1
    head = first.head
    head["seq"] = 99
    assert first.body == {"items": [1, "two", b"\x00\xff", 2**70, -3.5, None, True], "nested": {"k": (1, 2)}}
    assert first.head == {"seq": 1, "tags": ["x"]}
    # A kept message may be changed, and is sent as changed.
    first.body = read
    assert first.body["new"] == 1 and first.body["items"][-1] == "more"
    assert Message.decode(first.encode()).body == read
    assert (second.name, second.body) == ("b", "text")


def test_a_handler_that_raises_goes_to_on_error_and_the_loop_goes_on(node):
    out, inbox = push_pull(node)
    errors, got = [], []
    node.on_error(errors.append)

    @inbox.on_receive
    def receive(msg):
        got.append(msg.body)
        if msg.body == 0:
            raise ValueError("the first one")
        node.stop()

    out.send_message(Message("n", body=0))
    out.send_message(Message("n", body=1))
    run(node)
    assert got == [0, 1]
    assert len(errors) == 1 and isinstance(errors[0], ValueError)


def test_a_route_keeps_its_node_and_a_dropped_node_with_its_routes_is_collected():
    node = dripdrop.Node()
    out = node.route("out", "zmq_push", ANY)
    ref = weakref.ref(node)
    del node
    gc.collect()
    assert ref() is not None and out._node is ref()
    del out
    gc.collect()
    assert ref() is None


def test_values_of_subclasses_convert_as_their_base_types():
    import collections
    import enum

    class Text(str):
        pass

    class Level(enum.IntEnum):
        HIGH = 3

    body = [Text("t"), Level.HIGH, True, False, collections.OrderedDict(a=1), dripdrop.Atom("ok"), 2**64]
    back = dripdrop.Node._roundtrip(body)
    assert back == ["t", 3, True, False, {"a": 1}, "ok", 2**64]
    assert [type(v) for v in back] == [str, int, bool, bool, dict, dripdrop.Atom, int]


def test_head_keys_read_back_as_equal_strs_whatever_their_length_or_bytes():
    long_key = "k" * 100
    head = {"seq": 1, long_key: 2, b"\xff": 3, 4: "four", ("t", 1): 5}
    msg = Message.decode(Message("m", head=head).encode())
    assert msg.head == {"seq": 1, long_key: 2, b"\xff": 3, 4: "four", ("t", 1): 5}
    # Short text keys are made once and shared with the program's own literals.
    assert next(iter(msg.head)) is next(iter(Message.decode(msg.encode()).head))
    assert msg.head["seq"] == 1 and msg.body is None
