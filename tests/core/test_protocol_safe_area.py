"""The safe area and the message form's address in the ``you`` frame: round trips, what an older
display or server sees, and a malformed value refused as a ``ProtocolError`` naming the field."""

from __future__ import annotations

import json

import pytest

from projector.core import wire
from projector.core.protocol import ProtocolError, Snapshot, You, from_wire, to_wire
from projector.core.safe_area import Box, SafeArea
from projector.core.state import ShowState

FACADE = SafeArea(0.05, 0.02, 0.1, 0.02, (Box(0.1, 0.2, 0.15, 0.3), Box(0.6, 0.2, 0.15, 0.3)))
LEFT = SafeArea(top=0.1, avoid=(Box(0.0, 0.5, 0.25, 0.25),))
FULL = You(
    "facade",
    ("facade",),
    30.0,
    safe_area=FACADE,
    output_safe_areas=(("left", LEFT), ("right", SafeArea(right=0.2))),
    submit_url="https://act.example.org/submit",
)


def round_trip(frame: object) -> object:
    return wire.decode(wire.encode(frame))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "you",
    [
        FULL,
        You("lobby", safe_area=SafeArea(bottom=0.45)),
        You("lobby", output_safe_areas=(("main", LEFT),)),
        You("lobby", submit_url="http://192.168.1.20:8080/submit"),
        You("lobby", safe_area=SafeArea()),
    ],
)
def test_a_you_frame_with_safe_areas_round_trips(you: You) -> None:
    assert round_trip(you) == you
    assert round_trip(Snapshot(ShowState(), 1.0, you)) == Snapshot(ShowState(), 1.0, you)
    assert hash(you) == hash(round_trip(you))  # frozen all the way down: usable as a cache key


def test_the_wire_shape_of_a_you_frame() -> None:
    assert to_wire(FULL) == {
        "v": 1,
        "type": "you",
        "name": "facade",
        "groups": ["facade"],
        "latency_ms": 30.0,
        "safe_area": {
            "margins": {"top": 0.05, "right": 0.02, "bottom": 0.1, "left": 0.02},
            "avoid": [{"x": 0.1, "y": 0.2, "w": 0.15, "h": 0.3}, {"x": 0.6, "y": 0.2, "w": 0.15, "h": 0.3}],
        },
        "output_safe_areas": {
            "left": {
                "margins": {"top": 0.1, "right": 0.0, "bottom": 0.0, "left": 0.0},
                "avoid": [{"x": 0.0, "y": 0.5, "w": 0.25, "h": 0.25}],
            },
            "right": {"margins": {"top": 0.0, "right": 0.2, "bottom": 0.0, "left": 0.0}, "avoid": []},
        },
        "submit_url": "https://act.example.org/submit",
    }


def test_a_you_frame_with_nothing_set_keeps_the_version_1_shape() -> None:
    assert to_wire(You("lobby")) == {"v": 1, "type": "you", "name": "lobby", "groups": [], "latency_ms": 0.0}


def test_a_frame_from_an_older_server_has_no_safe_area_and_no_submit_url() -> None:
    you = from_wire({"v": 1, "type": "you", "name": "lobby", "groups": [], "latency_ms": 0})
    assert you == You("lobby") and you.safe_area is None and you.output_safe_areas == ()
    nulls = {"safe_area": None, "output_safe_areas": None, "submit_url": None}
    assert from_wire({"v": 1, "type": "you", "name": "lobby", **nulls}) == You("lobby")


def test_an_older_display_reads_a_newer_you_frame_by_ignoring_what_it_does_not_know() -> None:
    # What a version-1 display's decoder did with the fields it knew: the new ones are extra keys
    # of the same frame, and unknown keys are ignored (a newer server may add more again).
    body = json.loads(wire.encode(FULL))
    body["seating_plan"] = {"rows": 3}
    decoded = from_wire(body)
    assert isinstance(decoded, You) and decoded == FULL
    # An older display knew only name, groups and latency: the same frame gives it exactly those.
    assert (decoded.name, decoded.groups, decoded.latency_ms) == ("facade", ("facade",), 30.0)


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"safe_area": "everywhere"}, "you.safe_area: must be an object"),
        ({"safe_area": {"margins": {"top": 0.9}}}, "you.safe_area.margins.top"),
        ({"safe_area": {"margins": {"top": float("nan")}}}, "you.safe_area.margins.top"),
        ({"safe_area": {"margins": {"top": "0.1"}}}, "you.safe_area.margins.top"),
        ({"safe_area": {"avoid": [{"x": 0.9, "y": 0, "w": 0.2, "h": 0.1}]}}, "you.safe_area.avoid[0].w"),
        ({"safe_area": {"avoid": [{"x": 0, "y": 0, "w": 0.1, "h": 0.1}] * 17}}, "you.safe_area.avoid"),
        ({"safe_area": {"walls": []}}, "you.safe_area.walls"),
        ({"output_safe_areas": [["left", {}]]}, "you.output_safe_areas"),
        ({"output_safe_areas": {"a b": {}}}, "you.output_safe_areas"),
        ({"output_safe_areas": {f"o{i}": {} for i in range(9)}}, "you.output_safe_areas"),
        (
            {"output_safe_areas": {"left": {"margins": {"left": -1}}}},
            "you.output_safe_areas.left.margins.left",
        ),
        ({"submit_url": "javascript:alert(1)"}, "you.submit_url"),
        ({"submit_url": "https://"}, "you.submit_url"),
        ({"submit_url": "https://a.org/sub mit"}, "you.submit_url"),
        ({"submit_url": "https://a.org/\nsubmit"}, "you.submit_url"),
        ({"submit_url": 42}, "you.submit_url"),
        ({"submit_url": "https://a.org/" + "x" * 2000}, "you.submit_url"),
    ],
)
def test_a_malformed_safe_area_or_address_is_a_protocol_error_naming_the_field(
    extra: dict[str, object], words: str
) -> None:
    with pytest.raises(ProtocolError) as info:
        from_wire({"v": 1, "type": "you", "name": "lobby", **extra})
    assert info.value.code == "bad_field" and words in info.value.message
    snapshot = to_wire(Snapshot(ShowState(), 1.0, You("lobby")))
    snapshot["you"].update(extra)
    with pytest.raises(ProtocolError) as info:
        from_wire(json.loads(json.dumps(snapshot)))
    assert "snapshot.you." in info.value.message
