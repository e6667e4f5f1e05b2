"""Outputs and calibrating them: output names, ``--outputs`` specs, the keyboard calibration's rules,
and the mapping frames of the wire protocol (strict, round-trip)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from projector.core.calibration import (
    PATTERN_NAMES,
    KeyCalibration,
    OutputSpec,
    canvas_size,
    parse_output_name,
    parse_outputs,
    single_output,
)
from projector.core.mapping import identity_mapping, parse_mapping
from projector.core.model import ValidationError
from projector.core.protocol import (
    Hello,
    MappingFrame,
    OutputInfo,
    PatternFrame,
    ProtocolError,
    Status,
    Thumbnail,
    ThumbnailRequest,
    from_wire,
    to_wire,
)

SIZE = (640, 360)


def test_outputs_are_parsed_with_monitors_and_slices_and_make_one_canvas() -> None:
    specs = parse_outputs("left@0:0,0,1920x1080; right@1:1600,0,1920x1080")
    assert specs == (
        OutputSpec("left", 0, (0, 0, 1920, 1080)),
        OutputSpec("right", 1, (1600, 0, 1920, 1080)),
    )
    assert canvas_size(specs) == (3520, 1080)
    assert parse_outputs("solo:0,0,800x600")[0].monitor == 0
    assert single_output((1280, 720)) == (OutputSpec("main", 0, (0, 0, 1280, 720)),)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("", "outputs"),
        ("left@0:0,0,1920", "outputs[0]"),
        ("a:0,0,100x100;a:100,0,100x100", "outputs[1].name"),
        ("bad/name:0,0,100x100", "outputs[0].name"),
        ("tiny:0,0,8x8", "outputs[0].size"),
        ("far@16:0,0,100x100", "outputs[0].monitor"),
        (";".join(f"o{i}:0,0,100x100" for i in range(9)), "outputs"),
    ],
)
def test_bad_output_specs_name_the_part(text: str, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_outputs(text)
    assert err.value.field == field


def test_output_names_are_safe_in_urls_files_and_keys() -> None:
    assert parse_output_name("left-1") == "left-1"
    for bad in ("", "a/b", "-x", "x" * 33, "lé", None, 3):
        with pytest.raises(ValidationError):
            parse_output_name(bad)


def test_the_keyboard_moves_the_selected_corner_and_refuses_a_crossed_quad() -> None:
    cal = KeyCalibration.start("main", identity_mapping("main", SIZE))
    cal = cal.nudge(10, 5)
    assert cal.mapping.corners[0] == (10.0, 5.0) and cal.changed and not cal.message
    cal = cal.next_corner().next_corner()  # bottom-right
    assert cal.corner_name == "bottom-right"
    good = cal.mapping
    crossed = cal
    for _ in range(80):  # drag bottom-right up past the top edge: the quad would cross itself
        crossed = crossed.nudge(0, -10)
    assert crossed.mapping.corners[2][1] > 0  # it stopped where the quad was still valid
    assert crossed.message.startswith("refused: corners")
    assert good != crossed.mapping or crossed.message
    assert cal.next_corner(-1).corner_name == "top-right"
    patterns = [cal.pattern]
    for _ in range(len(PATTERN_NAMES)):
        cal = cal.next_pattern()
        patterns.append(cal.pattern)
    assert patterns[0] == patterns[-1] == "crosshatch" and set(patterns) == set(PATTERN_NAMES)


def _round_trip(frame: Any) -> Any:
    again = from_wire(to_wire(frame))
    assert again == frame
    return again


def test_mapping_frames_round_trip() -> None:
    m = parse_mapping(
        {
            "name": "left",
            "size": list(SIZE),
            "corners": [[5, 5], [630, 0], [640, 360], [0, 350]],
            "masks": [[[10, 10], [50, 10], [50, 50]]],
            "blend": {"right": 100, "gamma": [2.2, 2.0, 1.8]},
            "mesh": [[[0, 0], [1, 0]], [[0, 1], [1, 1]]],
        }
    )
    _round_trip(MappingFrame("left", m))
    _round_trip(MappingFrame("left", None))
    _round_trip(PatternFrame("right", "overlap"))
    _round_trip(PatternFrame("right", None))
    _round_trip(ThumbnailRequest(640, "left"))
    _round_trip(ThumbnailRequest(320))
    _round_trip(Thumbnail("jpeg", "AAAA", "left"))
    _round_trip(Hello("d", "t", 1, (3520, 1080), ("mapping",), (OutputInfo("l", (1920, 1080)),)))
    status = Status(60.0, 4.0, "totals", 3, output_path="opengl", output_reason="GPU renderer 'X'")
    _round_trip(status)
    assert "output_path" not in to_wire(Status(60.0, 4.0, "totals", 3))


@pytest.mark.parametrize(
    ("frame", "words"),
    [
        ({"type": "mapping", "output": "a/b", "mapping": None}, "mapping.output"),
        ({"type": "mapping", "output": "main"}, "missing field 'mapping'"),
        (
            {"type": "mapping", "output": "main", "mapping": {"name": "m", "size": [640, 360], "corners": 3}},
            "mapping.mapping.corners",
        ),
        (
            {
                "type": "mapping",
                "output": "main",
                "mapping": {
                    "name": "m",
                    "size": [640, 360],
                    "corners": [[0, 0], [1, math.nan], [2, 2], [3, 0]],
                },
            },
            "mapping.mapping.corners[1].y",
        ),
        ({"type": "pattern", "output": "main", "pattern": "zebra"}, "pattern.pattern"),
        ({"type": "thumbnail_request", "width": 100, "output": ""}, "thumbnail_request.output"),
        (
            {
                "type": "hello",
                "name": "d",
                "token": "t",
                "protocol": 1,
                "resolution": [10, 10],
                "outputs": [{"name": "a", "size": [8, 8]}],
            },
            "hello.outputs[0].size",
        ),
        (
            {
                "type": "hello",
                "name": "d",
                "token": "t",
                "protocol": 1,
                "resolution": [10, 10],
                "outputs": [{"name": "a", "size": [80, 80]}, {"name": "a", "size": [80, 80]}],
            },
            "hello.outputs[1].name",
        ),
        (
            {"type": "status", "fps": 1, "frame_p99_ms": 1, "scene": "x", "rev": 0, "output_path": "vulkan"},
            "status.output_path",
        ),
    ],
)
def test_bad_mapping_frames_are_refused_naming_the_field(frame: dict[str, Any], words: str) -> None:
    with pytest.raises(ProtocolError) as err:
        from_wire({"v": 1, **frame})
    assert words in err.value.message
