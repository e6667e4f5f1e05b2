from datetime import UTC, datetime
from typing import Any

import pytest

from projector.core.ingest import parse_actions_body
from projector.core.model import MAX_ACTION_COUNT, Action, Channel, ValidationError

CASES = {"ayse"}


def parse(body: object, **kw: Any) -> tuple[Action, ...]:
    return parse_actions_body(body, CASES, max_batch=kw.pop("max_batch", 10), **kw)


def test_one_action_with_defaults() -> None:
    (a,) = parse({"id": "x1", "channel": "letter", "country": "tr"}, entered_by="vol")
    assert (a.id, a.channel, a.country, a.count, a.case, a.entered_by) == (
        "x1",
        Channel.LETTER,
        "TR",
        1,
        None,
        "vol",
    )


def test_batch_with_all_fields() -> None:
    (a, b) = parse(
        {
            "actions": [
                {"id": "1", "channel": "sms", "country": "KE", "case": "ayse", "count": 1800},
                {"id": "2", "channel": "tweet", "country": "BR", "at": "2026-11-27T10:00:00Z", "source": "x"},
            ]
        }
    )
    assert a.count == 1800 and a.case == "ayse"
    assert b.at == datetime(2026, 11, 27, 10, tzinfo=UTC).timestamp() and b.source == "x"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": "letter", "country": "TR"}, "id"),
        ({"id": "1", "channel": "pigeon", "country": "TR"}, "channel"),
        ({"id": "1", "channel": 3, "country": "TR"}, "channel"),
        ({"id": "1", "channel": "letter", "country": "XX"}, "country"),
        ({"id": "1", "channel": "letter"}, "country"),
        ({"id": "1", "channel": "letter", "country": "TR", "case": "nobody"}, "case"),
        ({"id": "1", "channel": "letter", "country": "TR", "count": 0}, "count"),
        ({"id": "1", "channel": "letter", "country": "TR", "count": -5}, "count"),
        ({"id": "1", "channel": "letter", "country": "TR", "count": 1.5}, "count"),
        ({"id": "1", "channel": "letter", "country": "TR", "count": True}, "count"),
        ({"id": "1", "channel": "letter", "country": "TR", "count": MAX_ACTION_COUNT + 1}, "count"),
        ({"id": "1", "channel": "letter", "country": "TR", "count": "5"}, "count"),
        ({"id": "1", "channel": "letter", "country": "TR", "at": "yesterday"}, "at"),
        ({"id": "1", "channel": "letter", "country": "TR", "at": "2026-11-27T10:00:00"}, "at"),
        ({"id": "1", "channel": "letter", "country": "TR", "at": "2999-01-01T00:00:00Z"}, "at"),
        ({"id": "1", "channel": "letter", "country": "TR", "colour": "red"}, "colour"),
        ({"id": "", "channel": "letter", "country": "TR"}, "id"),
        ({"id": "x" * 200, "channel": "letter", "country": "TR"}, "id"),
        ({"id": 5, "channel": "letter", "country": "TR"}, "id"),
        ({"actions": []}, "actions"),
        ({"actions": "all"}, "actions"),
        ({"actions": [{"id": "1", "channel": "letter", "country": "TR"}], "extra": 1}, "extra"),
        ({"actions": [{"id": "1", "channel": "letter", "country": "TR"}, {"id": "2"}]}, "actions[1].channel"),
        ([1, 2], "body"),
        ("hello", "body"),
    ],
)
def test_bad_actions_name_the_field(body: object, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse(body, max_at=1795082400.0 + 3600)
    assert info.value.field == field


def test_batch_over_the_limit_is_refused_whole() -> None:
    rows = [{"id": str(i), "channel": "email", "country": "FR"} for i in range(11)]
    with pytest.raises(ValidationError) as info:
        parse({"actions": rows})
    assert info.value.field == "actions" and "at most 10" in info.value.message


from types import MappingProxyType  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from projector.core.ingest import parse_action  # noqa: E402

_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, MAX_ACTION_COUNT + 5),
    st.sampled_from(
        ["letter", "email", "sms", "FR", "fr", "ZZ", "ayse", "", " ", "x\x00y", "2026-01-01T00:00:00Z"]
    ),
    st.text(max_size=140),
)


@settings(deadline=None, max_examples=300)
@given(
    st.dictionaries(
        st.sampled_from(["id", "channel", "country", "case", "count", "source", "at", "zz"]), _values
    )
)
def test_the_fast_path_agrees_with_the_checked_path(raw: dict[str, object]) -> None:
    """The bulk-import fast path must accept exactly what the full checks accept."""

    def outcome(value: object) -> Action | tuple[str, str]:
        try:
            return parse_action(value, CASES, entered_by="op", max_at=4e9)
        except ValidationError as exc:
            return ("error", exc.field)

    fast = outcome(raw)
    checked = outcome(MappingProxyType(raw))  # not a dict: always the full path
    if isinstance(checked, tuple):
        assert isinstance(fast, tuple)
    else:
        assert fast == checked


import json  # noqa: E402

from projector.core.ingest import decode_actions  # noqa: E402

_rows = st.dictionaries(
    st.sampled_from(["id", "channel", "country", "case", "count", "source", "at", "zz"]),
    st.one_of(
        _values, st.sampled_from(["2026-11-27T10:00:00+01:00", "2026-11-27T10:00:00", "2999-01-01T00:00:00Z"])
    ),
)


def _checked(body: object) -> tuple[Action, ...] | tuple[str, str]:
    try:
        return parse_actions_body(body, CASES, max_batch=3, entered_by="op", max_at=4e9)
    except ValidationError as exc:
        return ("error", exc.field)


@settings(deadline=None, max_examples=400)
@given(
    st.one_of(
        _rows,
        st.fixed_dictionaries({"actions": st.lists(_rows, max_size=4)}),
        st.fixed_dictionaries({"actions": st.lists(_rows, max_size=2)}, optional={"zz": _values}),
    ),
    st.booleans(),
)
def test_the_msgspec_lane_accepts_only_what_the_checked_path_accepts_with_the_same_actions(
    body: dict[str, Any], ascii_only: bool
) -> None:
    raw = json.dumps(body, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")
    fast = decode_actions(raw, CASES, max_batch=3, entered_by="op", max_at=4e9)
    if fast is not None:
        assert fast == _checked(json.loads(raw.decode("utf-8", "surrogatepass")))


@pytest.mark.parametrize(
    "raw",
    [
        b'{"id":"a","channel":"email","country":"FR"}',
        b'{"actions":[{"id":"a","channel":"email","country":"FR"},{"id":"b","channel":"sms","country":"KE",'
        b'"case":"ayse","count":3,"at":"2026-11-27T10:00:00Z","source":"gateway"}]}',
    ],
)
def test_common_bodies_take_the_msgspec_lane_and_give_what_the_checked_path_gives(raw: bytes) -> None:
    fast = decode_actions(raw, CASES, max_batch=3, entered_by="op", max_at=4e9)
    assert fast is not None and fast == _checked(json.loads(raw))


@pytest.mark.parametrize(
    "raw",
    [
        b'{"id":"a","channel":"email","country":"fr"}',  # valid, but normalised by the checked path
        b'{"id":"a","channel":"email","country":"FR","count":1.0}',
        b'{"id":"a","channel":"email","country":"FR","count":true}',
        b'{"id":"a","channel":"email","country":"FR","entered_by":"me"}',
        b'{"id":"\\ud800","channel":"email","country":"FR"}',
        b'{"id":"a","channel":"email","country":"FR"} x',
        b'{"id":"a","channel":"email","country":"FR","count":NaN}',
        b'\xef\xbb\xbf{"id":"a","channel":"email","country":"FR"}',
        b'{"id":"a","channel":"email","country":"FR","source":"actions"}',
        # A key twice (the checked path refuses it, naming the key), and any escape (a key may be spelt with one).
        b'{"id":"a","channel":"email","country":"FR","id":"x2"}',
        b'{"id":"a","channel":"email","country":"FR","count":2,"count":3}',
        b'{"id":"\\u00e9t\\u00e9","channel":"letter","country":"TR"}',
        b'{"actions":[]}',
        b'{"actions":[{"id":"a","channel":"email","country":"FR"}],"actions2":1}',
        b'{"id":"a","channel":"email","country":"FR","at":1795082400}',
        b"[]",
        b"\xff",
        # What the lane checks for the whole batch at once, or msgspec checks in C: each
        # goes to the checked path, which names the field (the row may be the last of many).
        b'{"id":"a\x7fb","channel":"email","country":"FR"}',  # DEL: JSON lets it through unescaped
        b'{"id":"a","channel":"email","country":"FR","source":"s\x7f"}',
        '{"id":"\u3000","channel":"email","country":"FR"}'.encode(),  # only a (wide) space
        b'{"id":"a","channel":"email","country":"FR","source":" "}',
        b'{"id":"","channel":"email","country":"FR"}',
        b'{"id":"' + b"x" * 129 + b'","channel":"email","country":"FR"}',
        b'{"id":"a","channel":"email","country":"FR","source":""}',
        b'{"id":"a","channel":"email","country":"FR","count":0}',
        b'{"id":"a","channel":"email","country":"FR","count":10000001}',
        b'{"id":"a","channel":"email","country":"ZZ"}',
        b'{"id":"a","channel":"email","country":"FR","case":"nobody"}',
        b'{"actions":[{"id":"a","channel":"email","country":"FR"},{"id":" ","channel":"email","country":"FR"}]}',
        b'{"actions":[{"id":"a","channel":"email","country":"FR"},{"id":"b","channel":"email","country":"XX"}]}',
    ],
)
def test_everything_else_goes_to_the_checked_path(raw: bytes) -> None:
    assert decode_actions(raw, CASES, max_batch=3, entered_by="op", max_at=4e9) is None
