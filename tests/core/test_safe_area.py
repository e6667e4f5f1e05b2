"""The safe area: parsing that names the field, outputs onto the canvas, the largest clear rectangle."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from projector.core.model import ValidationError
from projector.core.safe_area import (
    NO_SAFE_AREA,
    Box,
    SafeArea,
    combine,
    parse_safe_area,
    safe_area_to_wire,
    usable_rect,
    within,
)


def test_a_safe_area_round_trips_through_the_wire() -> None:
    area = SafeArea(0.05, 0.02, 0.1, 0.0, (Box(0.5, 0.2, 0.1, 0.3),))
    assert parse_safe_area(safe_area_to_wire(area)) == area
    assert parse_safe_area({}) == NO_SAFE_AREA and NO_SAFE_AREA.empty


@pytest.mark.parametrize(
    ("wire", "field"),
    [
        ([], "safe_area"),
        ({"margin": {}}, "safe_area.margin"),
        ({"margins": []}, "safe_area.margins"),
        ({"margins": {"middle": 0.1}}, "safe_area.margins.middle"),
        ({"margins": {"top": 0.5}}, "safe_area.margins.top"),
        ({"margins": {"left": -0.1}}, "safe_area.margins.left"),
        ({"margins": {"top": float("nan")}}, "safe_area.margins.top"),
        ({"margins": {"top": "5%"}}, "safe_area.margins.top"),
        ({"margins": {"top": True}}, "safe_area.margins.top"),
        ({"avoid": {}}, "safe_area.avoid"),
        ({"avoid": [[0, 0, 1, 1]]}, "safe_area.avoid[0]"),
        ({"avoid": [{"x": 0, "y": 0, "w": 0.1}]}, "safe_area.avoid[0].h"),
        ({"avoid": [{"x": 0, "y": 0, "w": 0, "h": 0.1}]}, "safe_area.avoid[0].w"),
        ({"avoid": [{"x": 0.95, "y": 0, "w": 0.1, "h": 0.1}]}, "safe_area.avoid[0].w"),
        ({"avoid": [{"x": 0, "y": 0.5, "w": 0.1, "h": 0.6}]}, "safe_area.avoid[0].h"),
        ({"avoid": [{"x": 0, "y": 0, "w": 0.1, "h": 0.1, "z": 1}]}, "safe_area.avoid[0].z"),
        ({"avoid": [{"x": 0, "y": 0, "w": 0.1, "h": 0.1}] * 17}, "safe_area.avoid"),
    ],
)
def test_a_bad_safe_area_is_refused_naming_the_field(wire: object, field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_safe_area(wire)
    assert refused.value.field == field


def test_an_output_safe_area_lands_on_its_slice_of_the_canvas() -> None:
    # The right half of a canvas two projectors wide, with a 10% top margin and a window.
    area = SafeArea(top=0.1, avoid=(Box(0.5, 0.5, 0.2, 0.2),))
    on_canvas = within(area, Box(0.5, 0.0, 0.5, 1.0))
    assert on_canvas.avoid == (Box(0.5, 0.0, 0.5, 0.1), Box(0.75, 0.5, 0.1, 0.2))
    both = combine([SafeArea(left=0.02), on_canvas])
    assert both.left == 0.02 and len(both.avoid) == 2


def test_the_clear_rectangle_is_inside_the_margins_and_around_a_window() -> None:
    assert usable_rect((1000, 500), NO_SAFE_AREA) == (0, 0, 1000, 500)
    assert usable_rect((1000, 500), SafeArea(0.1, 0.1, 0.1, 0.1)) == (100, 50, 800, 400)
    # A window in the right third: the words take the left two thirds.
    assert usable_rect((900, 500), SafeArea(avoid=(Box(2 / 3, 0.2, 0.2, 0.5),))) == (0, 0, 600, 500)
    # Covered everywhere: nothing is left.
    assert usable_rect((900, 500), SafeArea(avoid=(Box(0, 0, 1, 1),))) is None
    assert usable_rect((900, 500), SafeArea(0.45, 0, 0.45, 0)) == (0, 225, 900, 50)


def test_between_two_posts_the_words_take_the_gap_and_ties_go_to_the_middle() -> None:
    found = usable_rect((1000, 1000), SafeArea(avoid=(Box(0, 0, 0.3, 1), Box(0.7, 0, 0.3, 1))))
    assert found == (300, 0, 400, 1000)
    # Three equal columns between two windows: the middle one.
    two = SafeArea(avoid=(Box(0.2, 0, 0.2, 1), Box(0.6, 0, 0.2, 1)))
    assert usable_rect((1000, 500), two) == (400, 0, 200, 500)


def _brute(size: tuple[int, int], area: SafeArea) -> int:
    """The largest clear area by trying every pair of edges: slow, obviously right."""
    w, h = size
    x0, y0 = math.ceil(area.left * w), math.ceil(area.top * h)
    x1, y1 = math.floor(w - area.right * w), math.floor(h - area.bottom * h)
    boxes = []
    for keep_out in area.avoid:
        box = (
            max(math.floor(keep_out.x * w), x0),
            max(math.floor(keep_out.y * h), y0),
            min(math.ceil((keep_out.x + keep_out.w) * w), x1),
            min(math.ceil((keep_out.y + keep_out.h) * h), y1),
        )
        if box[2] > box[0] and box[3] > box[1]:
            boxes.append(box)
    xs = sorted({x0, x1, *(b[0] for b in boxes), *(b[2] for b in boxes)})
    ys = sorted({y0, y1, *(b[1] for b in boxes), *(b[3] for b in boxes)})
    best = 0
    for a, b in itertools.combinations(xs, 2):
        for c, d in itertools.combinations(ys, 2):
            if not any(q[0] < b and q[2] > a and q[1] < d and q[3] > c for q in boxes):
                best = max(best, (b - a) * (d - c))
    return best


fraction = st.floats(0.0, 0.9)


@st.composite
def areas(draw: st.DrawFn) -> SafeArea:
    boxes = []
    for _ in range(draw(st.integers(0, 6))):
        x, y = draw(fraction), draw(fraction)
        boxes.append(Box(x, y, draw(st.floats(0.01, 1 - x)), draw(st.floats(0.01, 1 - y))))
    top, right, bottom, left = [draw(st.sampled_from([0.0, 0.05, 0.2])) for _ in range(4)]
    return SafeArea(top, right, bottom, left, avoid=tuple(boxes))


@settings(max_examples=200, deadline=None)
@given(areas(), st.sampled_from([(1920, 1080), (1080, 1920), (3840, 1080), (97, 61)]))
def test_the_clear_rectangle_is_the_largest_and_overlaps_no_box(
    area: SafeArea, size: tuple[int, int]
) -> None:
    found = usable_rect(size, area)
    best = _brute(size, area)
    assert (found[2] * found[3] if found else 0) == best
    if found is not None:
        x, y, w, h = found
        for b in area.avoid:
            bx0, by0 = math.floor(b.x * size[0]), math.floor(b.y * size[1])
            bx1, by1 = math.ceil((b.x + b.w) * size[0]), math.ceil((b.y + b.h) * size[1])
            assert not (bx0 < x + w and bx1 > x and by0 < y + h and by1 > y)
