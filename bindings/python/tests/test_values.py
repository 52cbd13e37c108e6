"""Python values through BERT and back, as docs/design.md maps them."""

import datetime
import math
import re

import pytest

import dripdrop
from dripdrop import Atom, Message

roundtrip = dripdrop._native.Node._roundtrip


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        0,
        -1,
        2**31,
        -(2**63),
        2**64,
        -(10**40),
        2**2040,
        0.1,
        -0.0,
        1e300,
        "",
        "héllo ✓",
        Atom("ok"),
        [],
        [1, [2, [3]]],
        (),
        (1, "two", Atom("three")),
        {},
        {"a": 1, Atom("b"): [None, True]},
        {1: "one", (1, 2): "pair"},
    ],
)
def test_values_round_trip(value):
    back = roundtrip(value)
    assert back == value
    assert type(back) is type(value)


def test_bytes_that_are_not_utf8_stay_bytes_and_utf8_bytes_read_as_str():
    assert roundtrip(b"\xff\x00") == b"\xff\x00"
    assert roundtrip(b"text") == "text"
    assert roundtrip(bytearray(b"\xfe")) == b"\xfe"


def test_datetimes_are_utc_to_the_microsecond():
    at = datetime.datetime(2026, 11, 29, 3, 4, 5, 678901, tzinfo=datetime.timezone.utc)
    assert roundtrip(at) == at
    naive = datetime.datetime(2000, 1, 1, 12, 0, 0, 5)
    assert roundtrip(naive) == naive.replace(tzinfo=datetime.timezone.utc)
    other_zone = datetime.timezone(datetime.timedelta(hours=5))
    assert roundtrip(at.astimezone(other_zone)) == at


def test_regexes_keep_source_and_flags():
    pattern = re.compile(r"^a.b$", re.IGNORECASE | re.MULTILINE)
    back = roundtrip(pattern)
    assert back.pattern == pattern.pattern
    assert back.flags & (re.IGNORECASE | re.MULTILINE) == re.IGNORECASE | re.MULTILINE


def test_what_bert_cannot_carry_is_refused_clearly():
    with pytest.raises(ValueError, match="NaN"):
        roundtrip(math.nan)
    with pytest.raises(TypeError, match="set"):
        roundtrip({1, 2})
    deep = []
    for _ in range(300):
        deep = [deep]
    with pytest.raises(ValueError, match="deeper"):
        roundtrip(deep)


def test_atoms_are_strs_that_say_so():
    assert Atom("ok") == "ok"
    assert repr(Atom("ok")) == "Atom('ok')"
    assert isinstance(roundtrip(Atom("x")), Atom)
    assert not isinstance(roundtrip("x"), Atom)
