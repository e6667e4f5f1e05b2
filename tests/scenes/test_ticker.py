"""The ticker: a smooth right-to-left crawl that never renders text per frame."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from projector.core.state import Message
from scenes.ticker import CAMPAIGN_ID, DEFAULT_SPEED, REBASE, TickerScene
from tests.display.screens import colour_pixels, lit_pixels, make_assets, region, sample_state, surface

DT = 1 / 60


def screen_xs(scene: TickerScene) -> dict[str, float]:
    """The on-screen left edge of each placed item (first placement of each id)."""
    out: dict[str, float] = {}
    for item_id, x in scene.placed:
        out.setdefault(item_id, x - scene.offset)
    return out


def test_the_crawl_moves_left_and_loops_newest_first() -> None:
    state = sample_state()
    scene = TickerScene()
    scene.enter(state, make_assets(), {})
    before = screen_xs(scene)
    scene.update(state, DT)
    after = screen_xs(scene)
    for item_id, x in before.items():
        assert after[item_id] == pytest.approx(x - scene.speed * DT)
    seen = set(scene.placed)
    for _ in range(60 * 60):
        scene.update(state, DT)
        seen.update(scene.placed)
    order = [i for i, _ in sorted(seen, key=lambda p: p[1])]
    assert max(x for _, x in seen) - scene.offset < scene.w * 2  # placed only as needed
    # newest first, then round again: m3, m2, m1, m3, m2, m1, ...
    assert order[:6] == ["m3", "m2", "m1", "m3", "m2", "m1"]


def test_the_band_is_drawn_at_the_bottom_with_yellow_dots() -> None:
    state = sample_state()
    scene = TickerScene()
    scene.enter(state, make_assets(), {})
    scene.update(state, DT)
    out = surface()
    scene.draw(out)
    assert scene.band.bottom == scene.h
    assert lit_pixels(region(out, scene.band)) > 2000
    assert colour_pixels(region(out, scene.band), (255, 221, 0)) > 50
    assert lit_pixels(region(out, (0, 0, scene.w, scene.band.top))) == 0


def test_coordinates_are_rebased_without_a_visible_step() -> None:
    state = sample_state()
    scene = TickerScene()
    scene.enter(state, make_assets(), {})
    shift = REBASE - 1
    scene.offset += shift
    scene.placed = [(i, x + shift) for i, x in scene.placed]
    before = screen_xs(scene)
    scene.update(state, DT)
    assert scene.offset < REBASE
    after = screen_xs(scene)
    for item_id, x in before.items():
        assert after[item_id] == pytest.approx(x - scene.speed * DT)


def test_a_new_message_joins_next_without_a_jump() -> None:
    state = sample_state()
    scene = TickerScene()
    scene.enter(state, make_assets(), {})
    for _ in range(30):
        scene.update(state, DT)
    before = list(scene.placed)
    offset = scene.offset
    newer = replace(state, wall=(*state.wall, Message("n", "Freedom now", "B", "BR")))
    scene.update(newer, DT)
    assert scene.offset == pytest.approx(offset + scene.speed * DT)  # no jump
    assert scene.placed[: len(before)] == before  # nothing on screen moved relative to the crawl
    for _ in range(60 * 30):
        if any(i == "n" for i, _ in scene.placed):
            break
        scene.update(newer, DT)
    placed_ids = [i for i, _ in scene.placed]
    first_n = placed_ids.index("n")
    assert first_n > 0
    _, x = scene.placed[first_n]
    prev_id, prev_x = scene.placed[first_n - 1]
    assert x == pytest.approx(prev_x + scene.items[prev_id].get_width())  # right after, no gap


def test_a_retracted_message_leaves_at_once() -> None:
    state = sample_state()
    scene = TickerScene()
    scene.enter(state, make_assets(), {})
    scene.update(replace(state, wall=state.wall[:-1]), DT)
    assert all(i != "m3" for i, _ in scene.placed) and "m3" not in scene.items


def test_an_empty_wall_crawls_the_campaign_name() -> None:
    state = sample_state(wall=())
    scene = TickerScene()
    scene.enter(state, make_assets(), {"position": "top"})
    scene.update(state, DT)
    out = surface()
    scene.draw(out)
    assert scene.band.top == 0
    assert {i for i, _ in scene.placed} == {CAMPAIGN_ID}
    assert colour_pixels(region(out, scene.band), (255, 221, 0)) > 1000


def test_no_text_is_rendered_per_frame() -> None:
    state = sample_state()
    assets = make_assets()
    text = assets.text
    calls = {"n": 0}
    for method in ("render", "render_lines"):
        original = getattr(text, method)

        def counting(*a, _original=original, **kw):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            return _original(*a, **kw)

        setattr(text, method, counting)
    scene = TickerScene()
    scene.enter(state, assets, {"speed": 60})
    out = surface()
    scene.update(state, DT)
    scene.draw(out)
    calls["n"] = 0
    for _ in range(120):
        scene.update(state, DT)
        scene.draw(out)
    assert calls["n"] == 0


@pytest.mark.parametrize(
    ("params", "speed_units"),
    [
        ({"speed": "fast"}, DEFAULT_SPEED),
        ({"speed": math.nan}, DEFAULT_SPEED),
        ({"speed": math.inf}, DEFAULT_SPEED),
        ({"speed": True}, DEFAULT_SPEED),
        ({"speed": 1e12}, 60.0),
        ({"speed": -5}, 2.0),
        ({"position": "middle"}, DEFAULT_SPEED),
        ({"position": 7, "speed": None}, DEFAULT_SPEED),
    ],
)
def test_absurd_params_give_a_sane_crawl(params: dict[str, object], speed_units: float) -> None:
    state = sample_state()
    scene = TickerScene()
    assets = make_assets()
    scene.enter(state, assets, params)
    assert scene.speed == pytest.approx(speed_units * assets.unit)
    assert scene.position == "bottom"
    for dt in (DT, -1.0, math.nan, 1e9):
        scene.update(state, dt)
    scene.draw(surface())


def test_nasty_messages_do_not_break_the_crawl() -> None:
    wall = (
        Message("a", "", "", None),
        Message("b", "\x00\ud800\u202e", "x" * 500, "ZZ"),
        Message("c", "word " * 2000, "Nour", "LB"),
        Message("d", "حرية لطارق الآن", "Nour", "LB", "ar"),
    )
    state = sample_state(wall=wall)
    scene = TickerScene()
    scene.enter(state, make_assets((320, 180)), {})
    for _ in range(30):
        scene.update(state, 0.25)
    scene.draw(surface((320, 180)))
    assert all(item.get_width() < 40_000 for item in scene.items.values())
