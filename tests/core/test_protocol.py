import json

import pytest

from projector.core import wire
from projector.core.model import Action, Campaign, Case, Channel
from projector.core.protocol import (
    EventFrame,
    Hello,
    Ping,
    ProtocolError,
    Resync,
    Snapshot,
    Status,
    event_frame,
    from_wire,
    to_wire,
)
from projector.core.state import (
    Message,
    RecordActions,
    RecordBeaten,
    SetCampaign,
    ShowMessage,
    ShowState,
    UpsertCase,
    reduce,
)


def busy_state() -> tuple[ShowState, list]:
    state = ShowState()
    all_events = []
    for command in (
        UpsertCase(Case("ayse", "Ayşe Yılmaz", "TR", "A journalist", "Write to the minister")),
        SetCampaign(Campaign("W4R", 100, 10)),
        RecordActions((Action("1", Channel.LETTER, "TR", 11, "ayse"),)),
        ShowMessage(Message("m1", "مع السلامة", "Layla", "EG", "ar")),
    ):
        state, events = reduce(state, command, 1700000000.5)
        all_events += events
    return state, all_events


def test_snapshot_round_trips_through_json_text():
    state, _ = busy_state()
    frame = Snapshot(state, 1700000001.0)
    decoded = wire.decode(wire.encode(frame))
    assert decoded == frame


def test_every_event_round_trips():
    _, events = busy_state()
    assert any(isinstance(e, RecordBeaten) for e in events)
    for event in events:
        assert wire.decode(wire.encode(event_frame(event))) == EventFrame(event, event.rev)


def test_merged_totals_frame_carries_from():
    _, events = busy_state()
    totals = next(e for e in events if e.rev == 3)
    text = wire.encode(EventFrame(totals, 1))
    assert json.loads(text)["from"] == 1
    assert wire.decode(text).first_rev == 1


@pytest.mark.parametrize(
    "frame",
    [
        Hello("lobby", "pj_x", 1, (1920, 1080), ("png",)),
        Status(59.9, 12.5, "totals", 42, None),
        Ping(7, 123.25),
        Resync(3),
    ],
)
def test_client_frames_round_trip(frame):
    assert from_wire(to_wire(frame)) == frame


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"\x00binary", "binary_frame"),
        ("{not json", "malformed"),
        ("[1, 2]", "malformed"),
        ('{"v": 2, "type": "hello"}', "unsupported_version"),
        ('{"v": 1}', "missing_field"),
        ('{"v": 1, "type": "teleport"}', "unknown_type"),
        ('{"v": 1, "type": "ping", "id": "x", "client_time": 1}', "bad_field"),
        ('{"v": 1, "type": "ping", "id": 1, "client_time": NaN}', "malformed"),
        (
            '{"v": 1, "type": "hello", "name": "a", "token": "t", "protocol": 1, "resolution": [0, 5]}',
            "bad_field",
        ),
        ('{"v": 1, "type": "totals", "rev": 0}', "bad_field"),
        ('{"v": 1, "type": "totals", "rev": 5, "from": 9, "total": 1}', "bad_field"),
        (
            '{"v":1,"type":"totals","rev":2,"total":1,"by_channel":{"pigeon":1},"by_case":{},"by_country":{}}',
            "bad_field",
        ),
        ("x" * (1 << 21), "too_big"),
    ],
)
def test_bad_frames_raise_protocol_error_with_a_code(raw, code):
    with pytest.raises(ProtocolError) as info:
        wire.decode(raw)
    assert info.value.code == code
    assert info.value.message


def test_nested_garbage_does_not_crash():
    with pytest.raises(ProtocolError):
        wire.decode("[" * 100_000 + "]" * 100_000)
