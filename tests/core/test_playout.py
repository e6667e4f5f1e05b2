"""Video and slides cues: which media they play, how long, and ``hold = "end"`` through the wire."""

from __future__ import annotations

import pytest

from projector.core.cues import BUILTIN_SCENES, AnyScene, cue_to_wire, parse_cue, parse_show, show_to_wire
from projector.core.model import ValidationError
from projector.core.moments import follow_at
from projector.core.playout import cue_media, cue_seconds, slide_numbers, slide_seconds
from projector.core.state import Go, Hold, LoadShow, ShowState, reduce

VIDEO, PIC1, PIC2 = "a" * 64, "b" * 64, "c" * 64


def test_slides_are_numbered_timed_and_summed() -> None:
    params: dict[str, str | int | float | bool] = {
        "slide_3": PIC2,
        "slide_1": PIC1,
        "seconds": 4,
        "seconds_3": 10,
        "caption_1": "x",
        "slide_x": "?",
    }
    assert slide_numbers(params) == [1, 3]
    assert slide_seconds(params, 1) == 4.0 and slide_seconds(params, 3) == 10.0
    assert slide_seconds({"seconds": 0.1}, 1) == 1.0  # at least a second
    assert slide_seconds({"seconds": "long"}, 1) == 6.0  # the default for what is not a number
    slides = parse_cue({"id": "s", "scene": "slides", "params": params}, BUILTIN_SCENES)
    assert cue_media(slides) == {PIC1, PIC2}
    assert cue_seconds(slides, {}) == 14.0


def test_a_video_is_as_long_as_its_record_says_and_a_loop_never_ends() -> None:
    video = parse_cue({"id": "v", "scene": "video", "params": {"media": VIDEO}}, BUILTIN_SCENES)
    assert cue_media(video) == {VIDEO}
    assert cue_seconds(video, {VIDEO: 94.5}) == 94.5
    assert cue_seconds(video, {}) is None  # not known: wait for GO
    looping = parse_cue(
        {"id": "v", "scene": "video", "params": {"media": VIDEO, "loop": True}}, BUILTIN_SCENES
    )
    assert cue_seconds(looping, {VIDEO: 94.5}) is None
    other = parse_cue({"id": "t", "scene": "totals", "params": {"media": VIDEO}}, BUILTIN_SCENES)
    assert cue_media(other) == set() and cue_seconds(other, {VIDEO: 1.0}) is None


def test_hold_end_survives_the_wire_and_is_refused_where_nothing_ends() -> None:
    raw = {"id": "v", "scene": "video", "params": {"media": VIDEO}, "hold": "end"}
    parsed = parse_cue(raw, BUILTIN_SCENES)
    assert parsed.hold_end and parsed.hold is None
    assert cue_to_wire(parsed)["hold"] == "end"
    assert parse_cue(cue_to_wire(parsed), AnyScene()) == parsed  # what a display's replica reads
    with pytest.raises(ValidationError, match="totals has no end") as err:
        parse_cue({"id": "t", "scene": "totals", "hold": "end"}, BUILTIN_SCENES)
    assert err.value.field == "hold"
    with pytest.raises(ValidationError, match="loops"):
        parse_cue({**raw, "params": {"media": VIDEO, "loop": True}}, BUILTIN_SCENES)
    with pytest.raises(ValidationError, match="number of seconds"):
        parse_cue({**raw, "hold": "later"}, BUILTIN_SCENES)


def test_auto_follow_is_due_when_the_video_ends() -> None:
    show = parse_show(
        {
            "id": "n",
            "cues": [
                {"id": "v", "scene": "video", "params": {"media": VIDEO}, "hold": "end", "duration": 2.0},
                {"id": "t", "scene": "totals"},
            ],
        },
        BUILTIN_SCENES,
    )
    state, _ = reduce(ShowState(), LoadShow(show), 0.0)
    state, _ = reduce(state, Go(), 100.0)
    assert follow_at(state, lambda c: cue_seconds(c, {VIDEO: 30.0})) == 130.0
    assert follow_at(state, lambda c: cue_seconds(c, {VIDEO: 0.5})) == 102.0  # never before its fade is done
    assert follow_at(state, lambda c: None) is None and follow_at(state) is None
    held, _ = reduce(state, Hold(), 101.0)
    assert follow_at(held, lambda c: 30.0) is None
    again = parse_show(show_to_wire(show), AnyScene())
    assert again == show
