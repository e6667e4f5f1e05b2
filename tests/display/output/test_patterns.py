"""Test patterns: each draws what its name promises; the overlap bands follow the mapping."""

from __future__ import annotations

import os

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import numpy as np
import pytest

from projector.core.mapping import warp_point
from projector.display.output.patterns import PATTERNS, SIDE_TINTS, YELLOW, draw_overlap, draw_pattern
from projector.display.text.fonts import FontBook
from projector.display.text.renderer import TextRenderer
from tests.display.output.output_checks import OUT, STRONG_PIN, mapping, rgb, solid


@pytest.fixture(scope="module")
def text() -> TextRenderer:
    return TextRenderer(FontBook())


def drawn(pattern: str, text: TextRenderer, **changes: object) -> np.ndarray:
    surface = solid(OUT, (1, 2, 3))
    draw_pattern(pattern, surface, mapping(**changes), text=text)
    return rgb(surface)


def close(pixel: np.ndarray, colour: tuple[int, int, int], tolerance: int = 12) -> bool:
    return bool(np.abs(pixel.astype(int) - colour).max() <= tolerance)


def test_the_pattern_list_and_unknown_names(text: TextRenderer) -> None:
    assert PATTERNS == ("grid", "crosshatch", "bars", "overlap")
    with pytest.raises(ValueError, match="unknown test pattern"):
        draw_pattern("zebra", solid(OUT, (0, 0, 0)), mapping(), text=text)


@pytest.mark.parametrize("name", PATTERNS)
def test_every_pattern_covers_the_surface(name: str, text: TextRenderer) -> None:
    out = drawn(name, text, blend={"left": 60})
    assert not (out == (1, 2, 3)).all(axis=2).any(), "a pixel was left undrawn"
    assert (out.max(axis=2) > 100).mean() > 0.01, "hardly anything is lit"


def test_grid_has_a_centre_cross_lines_and_a_round_circle(text: TextRenderer) -> None:
    out = drawn("grid", text)
    w, h = OUT
    cx, cy = w // 2, h // 2
    assert close(out[cy, cx], YELLOW)
    spacing = h // 12
    column = out[:, (cx + spacing) % w]
    assert (column.max(axis=1) > 90).mean() > 0.9, "a grid line runs down the column one spacing right"
    lw = 1
    radius = h // 2 - lw
    # The big circle crosses both the vertical and the horizontal through the centre at one radius.
    for x, y in ((cx - radius, cy), (cx + radius, cy), (cx, cy + radius - 2)):
        patch = out[y - 2 : y + 3, x - 2 : x + 3]
        assert patch.min(axis=2).max() >= 200, f"no circle at ({x}, {y})"


def test_crosshatch_shows_the_output_name(text: TextRenderer) -> None:
    a = drawn("crosshatch", text, name="NORTH")
    b = drawn("crosshatch", text, name="SOUTH")
    yellow = np.abs(a.astype(int) - YELLOW).max(axis=2) < 40
    assert yellow.sum() > 2000, "the name is large and yellow"
    assert not np.array_equal(a, b)
    assert (a.min(axis=2) > 200).sum() > 1000, "white crosshatch lines"


def test_bars_are_where_smpte_puts_them(text: TextRenderer) -> None:
    out = drawn("bars", text)
    w, h = OUT
    y = h // 4
    expected = [
        (191, 191, 191),
        (191, 191, 0),
        (0, 191, 191),
        (0, 191, 0),
        (191, 0, 191),
        (191, 0, 0),
        (0, 0, 191),
    ]
    for i, colour in enumerate(expected):
        assert close(out[y, int((i + 0.5) * w / 7)], colour, 1), f"bar {i}"
    ramp = out[h - 5, :, 0].astype(int)
    assert ramp[0] < 5 and ramp[-1] > 250 and (np.diff(ramp) >= 0).all()


@pytest.mark.parametrize("corners", [None, STRONG_PIN])
def test_overlap_bands_land_on_the_blend_strips(
    corners: list[list[float]] | None, text: TextRenderer
) -> None:
    blend = {"left": 160, "right": 140, "top": 0, "bottom": 80}
    changes: dict[str, object] = {"blend": blend}
    if corners:
        changes["corners"] = corners
    m = mapping(**changes)
    surface = solid(OUT, (1, 2, 3))
    draw_overlap(surface, m, text, labels=False)  # the labels' plates would hide some bands' pixels
    out = rgb(surface)
    w, h = OUT
    right_ok: dict[str, list[bool]] = {"left": [], "right": [], "bottom": [], "none": []}
    margin = 3
    # Every 7th scene pixel: ask the mapping where it lands, and whether it is tinted for that strip.
    for sy in range(3, h, 7):
        for sx in range(3, w, 7):
            x, y = warp_point(m, (sx + 0.5) / w, (sy + 0.5) / h)
            above_bottom = y < h - blend["bottom"] - margin
            between = blend["left"] + margin < x < w - blend["right"] - margin
            if x < blend["left"] - margin and above_bottom:
                side = "left"
            elif x > w - blend["right"] + margin and above_bottom:
                side = "right"
            elif y > h - blend["bottom"] + margin and between:
                side = "bottom"
            elif between and above_bottom:
                side = "none"
            else:
                continue  # on a boundary, or where two strips cross
            pixel = out[sy, sx].astype(int)
            if side == "none":
                right_ok[side].append(pixel.max() <= 60)
            else:
                right_ok[side].append(np.abs(pixel - np.array(SIDE_TINTS[side]) * 0.65).max() <= 25)
    for side, results in right_ok.items():
        assert len(results) >= 10, (side, len(results))
        assert all(results), (side, results.count(False))
    # With labels, each band says its width.
    labelled = drawn("overlap", text, **changes)
    white = labelled.min(axis=2) > 200
    assert white.sum() > 3 * 300, "four labels of white text"


def test_overlap_without_a_blend_says_so(text: TextRenderer) -> None:
    out = drawn("overlap", text)
    for tint in SIDE_TINTS.values():
        assert not (np.abs(out.astype(int) - np.array(tint) * 0.65).max(axis=2) < 20).any()
    assert (out.min(axis=2) > 200).sum() > 100, "a white label"
