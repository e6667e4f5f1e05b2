"""The director: rotation, transitions with no black frame, and the fallback on failure."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, ClassVar

import pygame
import pytest

from projector.core.model import Brand
from projector.core.state import ShowState
from projector.display.director import MAX_HOLD_SECONDS, Director
from projector.display.look import portrait_tone
from projector.display.scene import UnknownScene, get_scene
from scenes.portrait import PortraitScene
from tests.display.screens import lit_pixels, make_assets, sample_state, surface

SIZE = (160, 90)


class Solid:
    """A test scene that fills the frame with one colour."""

    name: ClassVar[str] = "solid"
    colour = (255, 0, 0)

    def enter(self, state: ShowState, assets: Any, params: Mapping[str, Any]) -> None:
        pass

    def update(self, state: ShowState, dt: float) -> None:
        pass

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(self.colour)


class Red(Solid):
    name = "red"


class Blue(Solid):
    name = "blue"
    colour = (0, 0, 255)


class Broken(Solid):
    name = "broken"
    where = "draw"
    calls = 0

    def enter(self, state: ShowState, assets: Any, params: Mapping[str, Any]) -> None:
        type(self).calls += 1
        if self.where == "enter":
            raise RuntimeError("enter blew up")

    def update(self, state: ShowState, dt: float) -> None:
        if self.where == "update":
            raise RuntimeError("update blew up")

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill((0, 255, 0))
        if self.where == "draw":
            raise RuntimeError("draw blew up")


TEST_SCENES: dict[str, type] = {"red": Red, "blue": Blue, "broken": Broken}


def lookup(name: object) -> Any:
    if isinstance(name, str) and name in TEST_SCENES:
        return TEST_SCENES[name]
    return get_scene(name)


def director(**kw: Any) -> Director:
    return Director(make_assets(SIZE), lookup=lookup, **kw)


def frame(d: Director, state: ShowState | None = None, dt: float = 1 / 60) -> pygame.Surface:
    d.update(state, dt)
    out = surface(SIZE)
    out.fill((0, 0, 0))
    d.draw(out)
    return out


def test_ident_until_the_first_state_then_the_rotation_starts_without_a_gap() -> None:
    d = director()
    assert d.scene_name == "ident"
    assert lit_pixels(frame(d)) > 0
    d.update(sample_state(), 1 / 60)
    assert d.transitioning  # something was on screen: it crossfades, it does not cut to black
    for _ in range(120):
        frame(d, sample_state())
    assert d.scene_name == "totals"


def test_the_rotation_visits_totals_each_active_case_and_the_wall() -> None:
    d = director(rotation=1.0, transition="cut")
    state = sample_state()
    seen: list[tuple[str, object]] = []
    for _ in range(60 * 7 + 5):
        d.update(state, 1 / 60)
        step = (d.step.name, d.step.params.get("case"))
        if not seen or seen[-1] != step:
            seen.append(step)
    assert seen[:7] == [
        ("totals", None),
        ("portrait", "ayse"),
        ("messages", None),
        ("totals", None),
        ("portrait", "tarek"),  # the next active case; "old" is released
        ("messages", None),
        ("totals", None),
    ]


def test_a_rotation_without_cases_or_messages_stays_on_totals() -> None:
    d = director(rotation=1.0)
    state = replace(sample_state(wall=()), cases={})
    for _ in range(300):
        d.update(state, 1 / 60)
    assert d.scene_name == "totals" and not d.transitioning


def test_crossfade_midpoint_is_a_blend_and_no_frame_is_black() -> None:
    d = director(pinned="red")
    frame(d, sample_state())
    d.crossfade("blue", duration=1.0)
    colours = []
    for _ in range(70):
        out = frame(d, sample_state())
        colours.append(tuple(out.get_at((80, 45)))[:3])
    assert all(sum(c) > 200 for c in colours), "a black frame in the crossfade"
    middle = colours[29]
    assert 90 < middle[0] < 165 and 90 < middle[2] < 165, middle
    assert colours[0][0] > 240 and colours[-1] == (0, 0, 255)
    reds = [c[0] for c in colours]
    assert reds == sorted(reds, reverse=True)


def test_a_cut_shows_the_next_scene_on_the_next_frame_with_no_black_frame() -> None:
    d = director(pinned="red")
    assert tuple(frame(d, sample_state()).get_at((5, 5)))[:3] == (255, 0, 0)
    d.cut("blue")
    assert tuple(frame(d, sample_state()).get_at((5, 5)))[:3] == (0, 0, 255)


@pytest.mark.parametrize("where", ["enter", "update", "draw"])
def test_a_scene_that_raises_is_replaced_by_the_fallback_on_the_same_frame(where: str, caplog: Any) -> None:
    Broken.where = where
    d = director(pinned="red")
    frame(d, sample_state())
    with caplog.at_level(logging.ERROR):
        d.cut("broken")
        out = frame(d, sample_state())
    assert d.scene_name == "fallback"
    assert tuple(out.get_at((1, 1)))[:3] != (0, 255, 0)  # no half-drawn broken frame
    assert lit_pixels(out) > 50  # the fallback card, not black
    error = d.take_error()
    assert error is not None and f"failed in {where}" in error and "blew up" in error
    assert d.take_error() is None  # reported once
    assert "Traceback" in caplog.text  # the traceback goes to the log


def test_a_scene_failing_during_a_crossfade_is_replaced_too() -> None:
    Broken.where = "draw"
    d = director(pinned="red")
    frame(d, sample_state())
    d.crossfade("broken", duration=0.5)
    for _ in range(40):
        out = frame(d, sample_state())
        assert lit_pixels(out) > 50
    assert d.scene_name == "fallback"


def test_a_pinned_scene_that_failed_is_retried_later() -> None:
    Broken.where = "update"
    Broken.calls = 0
    d = director(pinned="broken", rotation=5.0)
    d.update(sample_state(), 1 / 60)
    assert d.scene_name == "fallback" and Broken.calls == 1
    for _ in range(11 * 60):
        d.update(sample_state(), 1 / 60)
    assert Broken.calls == 2


def test_unknown_scene_names_show_the_fallback_and_are_reported(caplog: Any) -> None:
    d = director(pinned="no-such-scene")
    frame(d, sample_state())
    assert d.scene_name == "fallback"
    assert "no-such-scene" in (d.take_error() or "")
    with pytest.raises(UnknownScene):
        lookup("no-such-scene")


@pytest.mark.parametrize(
    "kw",
    [
        {"rotation": -5},
        {"rotation": float("nan")},
        {"rotation": 1e300},
        {"fade": -1},
        {"fade": float("inf")},
        {"fade": "slow"},
        {"transition": "wipe"},
        {"pinned": "totals", "pinned_params": "not a mapping"},
        {"pinned": "messages", "pinned_params": {"hold": -3}},
        {"pinned": "portrait", "pinned_params": {"case": ["x"] * 10}},
        {"pinned": "totals", "pinned_params": {"celebration": 1e308}},
    ],
)
def test_absurd_parameters_never_break_the_show(kw: dict[str, Any]) -> None:
    d = director(**kw)
    for _ in range(5):
        out = frame(d, sample_state())
    assert lit_pixels(out) > 0
    d.crossfade("blue", duration=-3)
    d.crossfade("red", duration=float("nan"))
    d.crossfade("blue", duration=10**9)
    d.cut("totals", params=12)
    assert lit_pixels(frame(d, sample_state())) > 0


def test_huge_dt_and_bad_dt_are_tolerated() -> None:
    d = director(pinned="totals")
    for dt in (0, -1, float("nan"), float("inf"), 1e9):
        frame(d, sample_state(), dt)
    assert d.scene_name == "totals"


def test_the_next_portrait_is_prefetched(monkeypatch: Any) -> None:
    asked: list[Any] = []
    monkeypatch.setattr(PortraitScene, "prefetch", classmethod(lambda cls, s, a, p: asked.append(dict(p))))
    d = director(rotation=1.0)
    d.update(sample_state(), 1 / 60)
    assert asked == [{"case": "ayse"}]


class Celebrating(Solid):
    """A scene that asks the rotation to wait for ``seconds`` (as totals does for the record)."""

    name = "celebrating"
    colour = (255, 221, 0)
    seconds = 3.0

    def enter(self, state: ShowState, assets: Any, params: Mapping[str, Any]) -> None:
        self.left = self.seconds

    def update(self, state: ShowState, dt: float) -> None:
        self.left -= dt

    @property
    def holding(self) -> bool:
        return self.left > 0


def test_the_rotation_waits_for_a_scene_that_holds_then_moves_on() -> None:
    TEST_SCENES["celebrating"] = Celebrating
    try:
        d = director(rotation=1.0, transition="cut", cycle=("celebrating", "red"))
        state = sample_state()
        frame(d, state)
        assert d.scene_name == "celebrating"
        for _ in range(int(2.5 * 60)):  # the rotation was due at 1 s: still held
            frame(d, state)
        assert d.scene_name == "celebrating"
        for _ in range(60):
            frame(d, state)
        assert d.scene_name == "red"  # let go at 3 s
    finally:
        del TEST_SCENES["celebrating"]


def test_a_scene_that_never_lets_go_is_moved_on_in_the_end() -> None:
    TEST_SCENES["celebrating"] = Celebrating
    Celebrating.seconds = 1e9
    try:
        d = director(rotation=1.0, transition="cut", cycle=("celebrating", "red"))
        state = sample_state()
        for _ in range(int((1.0 + MAX_HOLD_SECONDS + 1) * 10)):
            d.update(state, 0.1)
        assert d.scene_name == "red"
    finally:
        Celebrating.seconds = 3.0
        del TEST_SCENES["celebrating"]


def test_the_brand_kits_colours_tone_the_portraits_from_the_next_entry() -> None:
    d = director(pinned="red")
    frame(d, sample_state())
    assert d.assets.tone is None  # the house yellow: the pipeline's own duotone
    state = sample_state()
    state = replace(state, campaign=replace(state.campaign, brand=Brand(accent="#ff8800")))
    frame(d, state)
    assert d.assets.tone is None  # nothing entered since: the scene on screen keeps its look
    d.cut("blue", {})
    frame(d, state)
    assert d.assets.tone == ((8, 8, 20), (255, 136, 0))  # on black, the house's dark tone
    key = d.assets._key("ayse", (100, 100))
    assert "#ff8800" in key  # a portrait toned in another accent is another picture


def test_a_kits_background_is_the_portraits_dark_tone() -> None:
    assert portrait_tone(Brand()) is None
    assert portrait_tone(Brand(background="#0a2240")) == ((10, 34, 64), (255, 221, 0))
