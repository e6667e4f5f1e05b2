"""The totals scene: the right digits, a counter that never runs backwards, the record moment."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import pygame
from hypothesis import given, settings
from hypothesis import strategies as st

from projector.core.model import Campaign, Totals
from projector.core.moments import CELEBRATION_SECONDS
from projector.display.scene import BLACK, WHITE, YELLOW
from projector.display.text.fonts import installed_faces
from scenes.totals import Counter, TotalsScene
from tests.display.screens import (
    assert_looks_like,
    colour_pixels,
    make_assets,
    max_difference,
    region,
    sample_state,
    surface,
)


def settled(total: int, size: tuple[int, int] = (960, 540), **kw: Any) -> tuple[TotalsScene, pygame.Surface]:
    state = sample_state(total, **kw)
    scene = TotalsScene()
    scene.enter(state, make_assets(size), {})
    scene.update(state, 1 / 60)
    out = surface(size)
    scene.draw(out)
    return scene, out


def number_rect(scene: TotalsScene) -> pygame.Rect:
    return scene.number_rect


def test_the_counter_shows_the_total_with_separators_in_the_display_font() -> None:
    scene, out = settled(1_234_567, size=(1920, 1080))
    assert scene.number == "1,234,567"
    rect = number_rect(scene)
    # The expected picture, rendered independently with the same font file and size.
    font = pygame.font.Font(str(installed_faces()["display"][0].path), scene.digit_size)
    expected = pygame.Surface(rect.size).convert()
    expected.fill(BLACK)
    x = 0
    for ch in "1,234,567":
        glyph = font.render(ch, True, WHITE, BLACK)
        if ch.isdigit():
            expected.blit(glyph, (x + (scene.big.advance - glyph.get_width()) // 2, -scene.big.top))
            x += scene.big.advance
        else:
            expected.blit(glyph, (x, -scene.big.top))
            x += scene.big.width(ch)
    assert_looks_like(expected, region(out, rect), "totals-digits", tolerance=0)


def test_a_new_total_changes_only_the_digits_that_changed() -> None:
    a_scene, a = settled(1_234_567)
    _, b = settled(1_234_568)
    rect = number_rect(a_scene)
    last = pygame.Rect(rect.right - a_scene.big.advance, rect.top, a_scene.big.advance, rect.height)
    assert max_difference(region(a, last), region(b, last)) > 100
    head = pygame.Rect(rect.left, rect.top, rect.width - a_scene.big.advance, rect.height)
    assert max_difference(region(a, head), region(b, head)) == 0


def test_digits_sit_in_fixed_cells_so_the_number_does_not_jitter() -> None:
    scene, _ = settled(1_111_111)
    assert scene.big.width("1,111,111") == scene.big.width("8,888,888")


def test_the_counter_eases_up_and_reaims_from_the_value_on_screen() -> None:
    state = sample_state(1000)
    scene = TotalsScene()
    scene.enter(state, make_assets(), {})
    scene.update(replace(state, totals=Totals.of(2000, {}, {}, {})), 0.1)
    midway = scene.displayed_total
    assert 1000 < midway < 2000
    scene.update(replace(state, totals=Totals.of(5000, {}, {}, {})), 1 / 60)
    assert midway <= scene.displayed_total < 2500  # continues from the screen, no jump
    for _ in range(600):
        scene.update(replace(state, totals=Totals.of(5000, {}, {}, {})), 1 / 60)
    assert scene.displayed_total == 5000


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 10**9),
    st.lists(
        st.tuples(st.integers(0, 10**9), st.floats(allow_nan=True, allow_infinity=True, width=32)),
        max_size=60,
    ),
)
def test_the_displayed_number_never_decreases(start: int, steps: list[tuple[int, float]]) -> None:
    counter = Counter(start)
    shown = counter.displayed
    for target, dt in steps:
        counter.aim(target)
        counter.step(dt)
        assert counter.displayed >= shown
        assert isinstance(counter.displayed, int)
        shown = counter.displayed
    highest = max([start, *(t for t, _ in steps)])
    for _ in range(2000):
        counter.step(0.25)
    if steps:
        assert counter.displayed == max(shown, steps[-1][0])
    assert counter.displayed <= highest


def test_the_progress_bar_and_record_mark_are_drawn() -> None:
    scene, out = settled(1_000_000)
    bar = scene.bar
    filled = region(out, (bar.left, bar.top + 2, int(bar.width * 0.45), bar.height - 4))
    assert colour_pixels(filled, YELLOW) == filled.get_width() * filled.get_height()
    x = bar.left + int(bar.width * 1_500_000 / 2_000_000)
    mark = region(out, (x - 1, bar.top, 3, bar.height))
    assert colour_pixels(mark, WHITE, 10) > 0


def test_the_channel_breakdown_updates() -> None:
    state = sample_state(5000)
    scene = TotalsScene()
    scene.enter(state, make_assets(), {})
    more = dict(state.totals.by_channel, letter=999_999)
    for _ in range(300):
        scene.update(replace(state, totals=Totals.of(5000, more, {}, {})), 1 / 60)
    assert scene.channel_numbers[0] == "999,999"


def test_a_record_beaten_on_screen_is_celebrated_then_badged() -> None:
    state = sample_state(1_499_000)
    scene = TotalsScene()
    assets = make_assets()
    scene.enter(state, assets, {})
    before = surface()
    scene.update(state, 1 / 60)
    scene.draw(before)
    beaten = replace(state, totals=Totals.of(1_500_001, {}, {}, {}), record_beaten_at=time.time())
    scene.update(beaten, 1 / 60)
    for _ in range(300):
        if scene.celebrating:
            break
        # Not before the number on screen has passed the record.
        assert scene.displayed_total < 1_500_000 and scene.confetti is None
        scene.update(beaten, 1 / 60)
    assert scene.celebrating > 0 and scene.confetti is not None and scene.holding
    assert scene.displayed_total >= 1_500_000
    during = surface()
    scene.draw(during)
    top = pygame.Rect(scene.w // 2, 0, scene.w // 2, int(14 * scene.u))
    assert colour_pixels(region(during, top), YELLOW) > colour_pixels(region(before, top), YELLOW) + 500
    for _ in range(int(CELEBRATION_SECONDS * 60) + 10):
        scene.update(beaten, 1 / 60)
    assert scene.celebrating == 0 and scene.confetti is None and not scene.holding
    after = surface()
    scene.draw(after)
    assert colour_pixels(region(after, top), YELLOW) > 50  # the badge stays


def test_the_celebration_waits_for_the_number_on_screen_to_pass_the_record() -> None:
    """A total far above the record arrives at once: the counter climbs, and only when the
    number drawn reads at or above the record does the gold and the confetti start."""
    state = sample_state(1_000_000)
    scene = TotalsScene()
    scene.enter(state, make_assets(), {})
    beaten = replace(state, totals=Totals.of(1_900_000, {}, {}, {}), record_beaten_at=time.time())
    frames_below = 0
    for _ in range(600):
        scene.update(beaten, 1 / 60)
        out = surface()
        scene.draw(out)
        gold = colour_pixels(region(out, scene.number_rect), YELLOW, 10)
        if scene.displayed_total < 1_500_000:
            frames_below += 1
            assert gold == 0 and not scene.celebrating and not scene.record_on_screen
        else:
            break
    assert frames_below > 5  # it did climb for a while
    assert scene.celebrating > 0 and colour_pixels(region(out, scene.number_rect), YELLOW, 10) > 1000


def test_entering_with_the_record_already_beaten_does_not_celebrate() -> None:
    state = sample_state(1_600_000, record_beaten_at=time.time())
    scene = TotalsScene()
    scene.enter(state, make_assets(), {})
    scene.update(state, 1 / 60)
    assert scene.celebrating == 0


def test_absurd_parameters_and_a_total_that_goes_down_do_not_break_it() -> None:
    state = sample_state(10)
    scene = TotalsScene()
    scene.enter(state, make_assets(), {"celebration": "forever"})
    scene.update(replace(state, totals=Totals.of(5, {}, {}, {})), 1 / 60)
    assert scene.displayed_total == 10
    huge = replace(state, totals=Totals.of(10**15, {}, {}, {}))
    for _ in range(200):
        scene.update(huge, 1 / 60)
    out = surface()
    scene.draw(out)
    assert number_rect(scene).width <= scene.w


def test_without_goal_or_record_there_is_no_progress_bar() -> None:
    state = sample_state(2011)
    state = replace(state, campaign=Campaign("Write for Rights", goal=0, record=0))
    scene = TotalsScene()
    scene.enter(state, make_assets(), {})
    scene.update(state, 1 / 60)
    out = surface()
    scene.draw(out)
    assert colour_pixels(region(out, scene.bar), YELLOW) == 0
