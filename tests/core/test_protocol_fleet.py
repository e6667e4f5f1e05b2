"""Wire frames of the fleet: you, command, clock pongs, health in status, targets in snapshots and cues."""

from __future__ import annotations

import json

import pytest

from projector.core import wire
from projector.core.cues import BUILTIN_SCENES, parse_show
from projector.core.protocol import (
    Command,
    EventFrame,
    Health,
    Pong,
    ProtocolError,
    Snapshot,
    Status,
    You,
    from_wire,
    to_wire,
)
from projector.core.state import CueChanged, Go, Jump, LoadShow, ShowState, reduce

SHOW = parse_show(
    {
        "id": "s",
        "cues": [{"id": "a", "scene": "totals"}, {"id": "b", "scene": "ident", "target": "group:lobby"}],
    },
    BUILTIN_SCENES,
)


def round_trip(frame: object) -> object:
    return wire.decode(wire.encode(frame))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "frame",
    [
        You("facade-left", ("facade", "istanbul"), 35.0),
        You("lobby"),
        Command("identify", 5.0),
        Command("reload"),
        Pong(3, 100.0, 100.2, received_at=100.19),
        Pong(3, 100.0, 100.2),
        Status(60.0, 4.2, "totals", 7),
        Status(59.5, 4.2, "totals", 7, health=Health(60.0, 3, 120.5, 51.0, -0.42, 1.3, 2)),
        Status(59.5, 4.2, "totals", 7, health=Health(target_fps=30.0)),
        EventFrame(CueChanged(5, 1, None, 1.5, False, "group:lobby"), 5),
        EventFrame(CueChanged(5, None, 0, None, False), 5),
    ],
)
def test_fleet_frames_round_trip(frame: object) -> None:
    assert round_trip(frame) == frame


def test_a_snapshot_carries_who_the_display_is_and_the_cues_per_target() -> None:
    state, _ = reduce(ShowState(), LoadShow(SHOW), 10.0)
    state, _ = reduce(state, Go(at=11.0), 10.0)
    state, _ = reduce(state, Jump("b"), 12.0)
    snap = Snapshot(state, 12.5, You("lobby-1", ("lobby",), 0.0))
    again = round_trip(snap)
    assert again == snap
    assert again.state.targeted == (("all", 0, 11.0), ("group:lobby", 1, 12.0))


def test_an_older_snapshot_without_targets_is_understood_as_all_displays() -> None:
    state, _ = reduce(ShowState(), LoadShow(SHOW), 10.0)
    state, _ = reduce(state, Jump("b"), 12.0)
    body = to_wire(Snapshot(state, 12.5))
    del body["targeted"], body["program_target"]
    decoded = from_wire(json.loads(json.dumps(body)))
    assert isinstance(decoded, Snapshot) and decoded.you is None
    assert decoded.state.targeted == (("group:lobby", 1, 12.0),)  # from the show's own target


def test_an_older_cue_frame_without_a_target_is_for_everyone() -> None:
    frame = from_wire({"v": 1, "type": "cue", "rev": 3, "program": 0, "preview": 1, "at": 1.0, "held": False})
    assert isinstance(frame, EventFrame) and frame.event == CueChanged(3, 0, 1, 1.0, False, "all")


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ({"type": "you", "name": "", "groups": []}, "you.name"),
        ({"type": "you", "name": "a", "groups": ["no spaces"]}, "you.groups[0]"),
        ({"type": "you", "name": "a", "groups": "facade"}, "you.groups"),
        ({"type": "you", "name": "a", "latency_ms": 5000}, "latency_ms"),
        ({"type": "command", "do": "self-destruct"}, "command.do"),
        ({"type": "command", "do": "identify", "seconds": -1}, "command.seconds"),
        (
            {"type": "pong", "id": 1, "client_time": 1.0, "server_time": 2.0, "received_at": "x"},
            "received_at",
        ),
        ({"type": "status", "fps": 60, "frame_p99_ms": 4, "scene": "x", "rev": 1, "dropped": -1}, "dropped"),
        (
            {"type": "status", "fps": 60, "frame_p99_ms": 4, "scene": "x", "rev": 1, "memory_mb": "lots"},
            "memory_mb",
        ),
        ({"type": "cue", "rev": 2, "program": 0, "preview": None, "at": None, "target": "floor:3"}, "target"),
    ],
)
def test_bad_fleet_frames_are_refused_naming_the_field(raw: dict[str, object], words: str) -> None:
    with pytest.raises(ProtocolError) as info:
        from_wire({"v": 1, **raw})
    assert words in info.value.message


def test_a_snapshot_with_a_targeted_entry_outside_the_show_is_refused() -> None:
    state, _ = reduce(ShowState(), LoadShow(SHOW), 10.0)
    state, _ = reduce(state, Go(), 10.0)
    body = to_wire(Snapshot(state, 12.5))
    body["targeted"] = [["all", 7, 1.0]]
    with pytest.raises(ProtocolError, match=r"targeted\[0\]"):
        from_wire(body)
    body["targeted"] = [["all", 0]]
    with pytest.raises(ProtocolError, match=r"targeted\[0\]"):
        from_wire(body)
