import json
from types import MappingProxyType
from typing import Any

import pytest

from projector.core import wire
from projector.core.model import Action, Brand, Campaign, Case, Channel
from projector.core.protocol import (
    EventFrame,
    Frame,
    Hello,
    Ping,
    ProtocolError,
    Resync,
    Snapshot,
    Status,
    Thumbnail,
    ThumbnailRequest,
    event_frame,
    from_wire,
    to_wire,
)
from projector.core.state import (
    CampaignChanged,
    Event,
    Message,
    RecordActions,
    RecordBeaten,
    SetCampaign,
    ShowMessage,
    ShowState,
    UpsertCase,
    reduce,
)


def busy_state() -> tuple[ShowState, list[Event]]:
    state = ShowState()
    all_events: list[Event] = []
    for command in (
        UpsertCase(Case("ayse", "Ayşe Yılmaz", "TR", "A journalist", "Write to the minister")),
        SetCampaign(Campaign("W4R", 100, 10)),
        RecordActions((Action("1", Channel.LETTER, "TR", 11, "ayse"),)),
        ShowMessage(Message("m1", "مع السلامة", "Layla", "EG", "ar")),
    ):
        state, events = reduce(state, command, 1700000000.5)
        all_events += events
    return state, all_events


def test_snapshot_round_trips_through_json_text() -> None:
    state, _ = busy_state()
    frame = Snapshot(state, 1700000001.0)
    decoded = wire.decode(wire.encode(frame))
    assert decoded == frame


def test_every_event_round_trips() -> None:
    _, events = busy_state()
    assert any(isinstance(e, RecordBeaten) for e in events)
    for event in events:
        assert wire.decode(wire.encode(event_frame(event))) == EventFrame(event, event.rev)


def test_merged_totals_frame_carries_from() -> None:
    _, events = busy_state()
    totals = next(e for e in events if e.rev == 3)
    text = wire.encode(EventFrame(totals, 1))
    assert json.loads(text)["from"] == 1
    decoded = wire.decode(text)
    assert isinstance(decoded, EventFrame) and decoded.first_rev == 1


@pytest.mark.parametrize(
    "frame",
    [
        Hello("lobby", "pj_x", 1, (1920, 1080), ("png",)),
        Status(59.9, 12.5, "totals", 42, None),
        Ping(7, 123.25),
        Resync(3),
    ],
)
def test_client_frames_round_trip(frame: Frame) -> None:
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
def test_bad_frames_raise_protocol_error_with_a_code(raw: str | bytes, code: str) -> None:
    with pytest.raises(ProtocolError) as info:
        wire.decode(raw)
    assert info.value.code == code
    assert info.value.message


def test_nested_garbage_does_not_crash() -> None:
    with pytest.raises(ProtocolError):
        wire.decode("[" * 100_000 + "]" * 100_000)


def test_the_brand_kit_and_layouts_ride_the_campaign() -> None:
    brand = Brand("#0a2240", "#fafafa", "#ff8800", "noto-sans", "c" * 64)
    campaign = Campaign("W4R", 100, 10, brand=brand, layouts=MappingProxyType({"tonight": "regions = []"}))
    state, events = reduce(ShowState(), SetCampaign(campaign), 1700000000.5)
    assert wire.decode(wire.encode(Snapshot(state, 1.0))) == Snapshot(state, 1.0)
    for event in events:
        assert wire.decode(wire.encode(event_frame(event))) == EventFrame(event, event.rev)


def _campaign_frame(**extra: object) -> str:
    body = {"name": "W4R", "goal": 1, "record": 0, **extra}
    return json.dumps({"v": 1, "type": "campaign", "rev": 3, "campaign": body})


def test_a_campaign_from_an_older_server_has_the_house_look() -> None:
    frame = wire.decode(_campaign_frame())
    assert isinstance(frame, EventFrame) and isinstance(frame.event, CampaignChanged)
    assert frame.event.campaign.brand == Brand() and dict(frame.event.campaign.layouts) == {}


@pytest.mark.parametrize(
    ("extra", "where"),
    [
        ({"brand": {"background": "black"}}, "campaign.brand.background"),
        ({"brand": {"glow": "#000000"}}, "campaign.brand.glow"),
        ({"brand": []}, "campaign.brand"),
        ({"layouts": {"Bad Name": ""}}, "campaign.layouts"),
        ({"layouts": {"ok": 5}}, "campaign.layouts.ok"),
    ],
)
def test_a_bad_brand_or_layout_on_the_wire_is_refused_naming_it(extra: dict[str, Any], where: str) -> None:
    with pytest.raises(ProtocolError) as info:
        wire.decode(_campaign_frame(**extra))
    assert info.value.code == "bad_field" and where in info.value.message


def test_thumbnail_streams_and_preview_pictures_round_trip_and_older_frames_still_read() -> None:
    for frame in (
        ThumbnailRequest(320, every=0.4),
        ThumbnailRequest(320, every=0.0),
        ThumbnailRequest(160, "left"),
        Thumbnail("jpeg", "AAAA", preview=True),
        Thumbnail("jpeg", "AAAA"),
    ):
        assert from_wire(to_wire(frame)) == frame
    assert "every" not in to_wire(ThumbnailRequest(320)) and "preview" not in to_wire(Thumbnail("jpeg", "A"))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"type": "thumbnail_request", "width": 320, "every": -1},
            "thumbnail_request.every: 0 to 60 seconds",
        ),
        (
            {"type": "thumbnail_request", "width": 320, "every": 3600},
            "thumbnail_request.every: 0 to 60 seconds",
        ),
        (
            {"type": "thumbnail_request", "width": 320, "every": "fast"},
            "thumbnail_request.every: expected a number",
        ),
        (
            {"type": "thumbnail", "format": "jpeg", "data": "AAAA", "preview": 1},
            "thumbnail.preview: expected true or false",
        ),
    ],
)
def test_a_bad_stream_request_or_preview_flag_is_refused_naming_the_field(
    body: dict[str, Any], message: str
) -> None:
    with pytest.raises(ProtocolError) as info:
        from_wire({"v": 1, **body})
    assert info.value.code == "bad_field" and info.value.message == message
