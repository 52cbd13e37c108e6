"""dripdrop.Message: fields, frames, dicts, errors."""

import pytest

import dripdrop
from dripdrop import Message

# The frame of Message("ping"), byte for byte what the Ruby bert gem writes for
# BERT.encode({:name => "ping", :head => {}, :body => nil}).
PING = (
    b"\x83h\x03d\x00\x04bertd\x00\x04dictl\x00\x00\x00\x03"
    b"h\x02d\x00\x04namem\x00\x00\x00\x04ping"
    b"h\x02d\x00\x04headh\x03d\x00\x04bertd\x00\x04dictj"
    b"h\x02d\x00\x04bodyh\x02d\x00\x04bertd\x00\x03nilj"
)


def test_a_message_has_a_name_head_and_body():
    msg = Message("work", head={"reply_to": "results"}, body=[1, 2])
    assert (msg.name, msg.head, msg.body) == ("work", {"reply_to": "results"}, [1, 2])
    msg.body = {"n": 3}
    msg.head = {"seq": 7}
    assert (msg.head, msg.body) == ({"seq": 7}, {"n": 3})
    assert msg == Message("work", head={"seq": 7}, body={"n": 3})
    assert "work" in repr(msg)


def test_frames_match_the_wire_format():
    assert Message("ping").encode() == PING
    assert Message.decode(PING) == Message("ping")
    msg = Message("x", head={"a": 1}, body=b"\xff")
    assert Message.decode(msg.encode()) == msg


def test_dicts_in_and_out():
    msg = Message.from_dict({"name": "n", "body": 5})
    assert msg.to_dict() == {"name": "n", "head": {}, "body": 5}


def test_bad_messages_and_frames_raise_dripdrop_errors():
    with pytest.raises(dripdrop.MessageError, match="empty"):
        Message("")
    with pytest.raises(dripdrop.MessageError):
        Message("x", head=[1])
    with pytest.raises(dripdrop.DecodeError) as caught:
        Message.decode(b"\x83\xff")
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, dripdrop.Error)
