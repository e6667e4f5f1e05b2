"""The director under an operator's control: program, preview, GO, blackout, wipe."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pygame
import pytest

from projector.core.cues import parse_show
from projector.core.model import ValidationError
from projector.core.state import Back, Command, Go, LoadShow, Panic, SetBlackout, ShowState, reduce
from scenes.ticker import TickerScene
from tests.display.screens import lit_pixels, sample_state
from tests.display.test_director import SIZE, TEST_SCENES, Celebrating, director, frame

KNOWN = {"red", "blue", "totals", "blackout", *TEST_SCENES}


def loaded(cues: list[dict[str, Any]]) -> ShowState:
    show = parse_show({"id": "night", "cues": cues}, KNOWN)
    state, _ = reduce(sample_state(), LoadShow(show), 0.0)
    return state


def step(state: ShowState, command: Command, now: float = 100.0) -> ShowState:
    return reduce(state, command, now)[0]


def colour(surface: pygame.Surface) -> tuple[int, int, int]:
    c = surface.get_at((SIZE[0] // 2, SIZE[1] // 2))
    return c.r, c.g, c.b


def test_go_takes_the_preloaded_preview_with_no_gap_and_blackout_is_instant() -> None:
    state = loaded(
        [
            {"id": "1", "scene": "red", "transition": "cut"},
            {"id": "2", "scene": "blue", "transition": "cut"},
        ]
    )
    d = director(rotation=60)
    frame(d, state)
    assert d.scene_name == "totals"  # loaded, nothing on program: the rotation goes on
    state = step(state, Go())
    assert colour(frame(d, state)) == (255, 0, 0)  # the cut lands on the very next frame
    preloaded = d._ready
    assert preloaded is not None and preloaded.step.name == "blue"  # the next cue is ready
    state = step(state, Go(), now=101.0)
    frame(d, state)
    assert d._current is preloaded  # GO swapped in the scene entered ahead of time
    assert colour(frame(d, state)) == (0, 0, 255)
    state = step(state, SetBlackout(True))
    out = frame(d, state)
    assert d.scene_name == "blackout" and lit_pixels(out, threshold=1) == 0  # all black at once
    state = step(state, SetBlackout(False))
    assert colour(frame(d, state)) == (0, 0, 255)  # back to program


def test_crossfade_and_wipe_use_the_cue_duration_and_never_show_black() -> None:
    state = loaded(
        [
            {"id": "1", "scene": "red", "transition": "cut"},
            {"id": "2", "scene": "blue", "transition": "wipe", "duration": 1.0},
            {"id": "3", "scene": "red", "transition": "crossfade", "duration": 0.5},
        ]
    )
    d = director(rotation=60)
    state = step(state, Go(), now=0.0)
    frame(d, state)
    state = step(state, Go(), now=10.0)
    mid = None
    for i in range(60):
        out = frame(d, state, dt=1 / 60)
        left, right = tuple(out.get_at((2, 45)))[:3], tuple(out.get_at((SIZE[0] - 3, 45)))[:3]
        assert left != (0, 0, 0) and right != (0, 0, 0)
        if i == 30:
            mid = (left, right)
    assert mid == ((0, 0, 255), (255, 0, 0))  # halfway: blue revealed on the left only
    state = step(state, Go(), now=20.0)
    frames = [colour(frame(d, state, dt=1 / 60)) for _ in range(40)]
    assert any(c not in ((255, 0, 0), (0, 0, 255)) for c in frames)  # a real blend
    assert frames[-1] == (255, 0, 0) and (0, 0, 0) not in frames


def test_go_during_a_transition_finishes_it_and_panic_goes_to_the_safe_cue() -> None:
    state = loaded(
        [
            {"id": "1", "scene": "red", "transition": "crossfade", "duration": 5.0, "safe": True},
            {"id": "2", "scene": "blue", "transition": "crossfade", "duration": 5.0},
        ]
    )
    d = director(rotation=60)
    state = step(state, Go(), now=0.0)
    frame(d, state)
    assert d.transitioning
    # The server refuses GO mid-fade; a jump still lands: the fade completes at once.
    state = step(state, Go(), now=10.0)
    frame(d, state)
    assert d.transitioning and d._incoming is not None and d._incoming.step.name == "blue"
    state = step(state, Panic(), now=11.0)
    frame(d, state)
    assert d._incoming is not None and d._incoming.step.name == "red"
    for _ in range(400):
        frame(d, state)
    assert d.scene_name == "red" and not d.transitioning
    state = step(state, Back(), now=40.0) if state.program else state


def test_unloading_the_show_returns_to_the_rotation_and_a_pinned_display_ignores_cues() -> None:
    state = loaded([{"id": "1", "scene": "red", "transition": "cut"}])
    state = step(state, Go())
    d = director(rotation=60)
    frame(d, state)
    assert d.scene_name == "red"
    state = step(state, LoadShow(None))
    for _ in range(200):
        frame(d, state)
    assert d.scene_name in ("totals", "portrait", "messages")  # the rotation again
    pinned = director(rotation=60, pinned="blue")
    frame(pinned, replace(state, rev=state.rev))
    assert pinned.scene_name == "blue"


def test_a_ticker_overlay_runs_over_the_scene_across_cues_and_leaves_on_blackout() -> None:
    state = loaded(
        [
            {"id": "1", "scene": "red", "transition": "cut", "overlay": "ticker"},
            {"id": "2", "scene": "blue", "transition": "cut", "overlay": "ticker"},
            {"id": "3", "scene": "blue", "transition": "cut"},
        ]
    )
    d = director(rotation=60)
    frame(d, state)
    state = step(state, Go())
    out = frame(d, state)
    assert colour(out) == (255, 0, 0)  # the scene is still there...
    overlay = d._overlay
    assert overlay is not None and isinstance(overlay.scene, TickerScene)
    band = overlay.scene.band
    assert tuple(out.get_at((band.x + 1, band.y + 1)))[:3] == (0, 0, 0)  # ...under the ticker's band
    assert lit_pixels(out.subsurface(band)) > 50  # with words in it
    ticker = overlay.scene
    for _ in range(30):
        frame(d, state)
    offset = ticker.offset
    state = step(state, Go(), now=101.0)
    frame(d, state)
    overlay = d._overlay
    assert overlay is not None
    assert overlay.scene is ticker and ticker.offset >= offset  # the crawl went on, not restarted
    state = step(state, SetBlackout(True), now=102.0)
    out = frame(d, state)
    assert d._overlay is None and lit_pixels(out, threshold=1) == 0
    state = step(state, SetBlackout(False), now=103.0)
    state = step(state, Go(), now=104.0)
    frame(d, state)
    assert d._overlay is None  # cue 3 has none


def test_bad_overlays_are_refused_when_the_show_is_loaded() -> None:
    for cue, field in (
        ({"overlay": "totals"}, "cues[0].overlay"),
        ({"overlay": 3}, "cues[0].overlay"),
        ({"overlay_params": {"speed": 3}}, "cues[0].overlay_params"),
        ({"overlay": "ticker", "overlay_params": {"speed": [1]}}, "cues[0].overlay_params.speed"),
    ):
        with pytest.raises(ValidationError) as err:
            parse_show({"cues": [{"id": "1", "scene": "red", **cue}]}, KNOWN)
        assert err.value.field == field


def test_go_wins_over_a_scene_that_holds() -> None:
    """The record moment holds the rotation, never the operator: GO cuts to its cue at once."""
    TEST_SCENES["celebrating"] = Celebrating
    try:
        show = parse_show({"id": "night", "cues": [{"id": "1", "scene": "red", "transition": "cut"}]}, KNOWN)
        state, _ = reduce(sample_state(), LoadShow(show), 0.0)
        d = director(rotation=1.0, cycle=("celebrating",))
        frame(d, state)
        assert d.scene_name == "celebrating" and isinstance(d.scene, Celebrating) and d.scene.holding
        state = step(state, Go())
        assert colour(frame(d, state)) == (255, 0, 0)
    finally:
        del TEST_SCENES["celebrating"]


def test_the_preview_cue_is_drawn_offscreen_as_entered_for_the_panel_and_go_takes_it_away() -> None:
    state = loaded(
        [
            {"id": "1", "scene": "red", "transition": "cut"},
            {"id": "2", "scene": "blue", "transition": "cut"},
        ]
    )
    d = director(rotation=60)
    target = pygame.Surface(SIZE)
    assert d.preview_scene is None and not d.draw_preview(target)  # no show on air: no preview
    state = step(state, Go())
    on_air = frame(d, state)
    assert d.draw_preview(target) and colour(target) == (0, 0, 255)  # the next cue, ready
    assert colour(on_air) == (255, 0, 0)  # drawing it offscreen left the program alone
    state = step(state, Go(), now=101.0)
    frame(d, state)
    assert d.preview_scene is None  # GO took it; cue 2 is the last one
    state = step(state, SetBlackout(True))
    frame(d, state)
    assert d.preview_scene is None  # in a blackout nothing is entered ahead
