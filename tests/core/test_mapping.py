"""Output mappings: validation names the bad field, the wire form round-trips, the geometry is right."""

from __future__ import annotations

import json
import math
import tomllib
from typing import Any

import pytest
import tomli_w

from projector.core.mapping import (
    EdgeBlend,
    OutputMapping,
    apply_homography,
    blend_curve,
    blend_gain,
    homography,
    identity_mapping,
    invert_homography,
    is_identity,
    mapping_to_wire,
    parse_mapping,
    regular_mesh,
    unwarp_point,
    validate_mapping,
    warp_point,
)
from projector.core.model import ValidationError

SIZE = (1920, 1080)
PIN = [[100, 50], [1800, 120], [1850, 1000], [60, 1040]]


def good(**changes: Any) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "name": "east",
        "size": [1920, 1080],
        "corners": [list(p) for p in PIN],
        "mesh": [[list(p) for p in row] for row in regular_mesh(3, 3)],
        "masks": [[[900, 400], [1000, 400], [1000, 500], [900, 500]]],
        "blend": {"left": 200, "right": 150, "curve": 2.5, "gamma": [1.8, 2.2, 2.6]},
        "brightness": 0.9,
        "black_level": 0.04,
    }
    wire.update(changes)
    return wire


def refused(wire: object, field: str, *, expected_size: tuple[int, int] | None = None) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        parse_mapping(wire, expected_size=expected_size)
    assert caught.value.field == field, f"{caught.value.field!r}: {caught.value.message}"
    return caught.value


def test_a_full_mapping_parses() -> None:
    m = parse_mapping(good(), expected_size=SIZE)
    assert m.name == "east" and m.size == SIZE
    assert m.corners[2] == (1850.0, 1000.0)
    assert m.blend == EdgeBlend(200, 150, 0, 0, 2.5, (1.8, 2.2, 2.6))
    assert m.masks[0][1] == (1000.0, 400.0)
    assert m.brightness == 0.9 and m.black_level == 0.04


def test_defaults_are_the_identity() -> None:
    m = parse_mapping({"name": "a"}, expected_size=(1280, 720))
    assert m == identity_mapping("a", (1280, 720))
    assert is_identity(m)
    assert m.blend.gamma == (2.2, 2.2, 2.2) and m.blend.curve == 2.0
    assert not is_identity(parse_mapping({"name": "a", "brightness": 0.5}, expected_size=(1280, 720)))


def test_points_may_be_objects() -> None:
    corners = [{"x": x, "y": y} for x, y in PIN]
    mesh = [[{"u": u, "v": v} for u, v in row] for row in regular_mesh(2, 2)]
    m = parse_mapping(good(corners=corners, mesh=mesh))
    assert m.corners == tuple((float(x), float(y)) for x, y in PIN)


@pytest.mark.parametrize("via", ["json", "toml", "none"])
def test_the_wire_form_round_trips_exactly(via: str) -> None:
    bent = [
        [(u + 0.01 * r, v - 0.013 * c) for c, (u, v) in enumerate(row)]
        for r, row in enumerate(regular_mesh(4, 3))
    ]
    m = parse_mapping(good(mesh=[[list(p) for p in row] for row in bent]))
    wire = mapping_to_wire(m)
    if via == "json":
        wire = json.loads(json.dumps(wire, allow_nan=False))
    elif via == "toml":
        wire = tomllib.loads(tomli_w.dumps(wire))
    assert parse_mapping(wire) == m
    no_mesh = parse_mapping(good(mesh=None))
    assert parse_mapping(json.loads(json.dumps(mapping_to_wire(no_mesh)))) == no_mesh


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": 3}, "name"),
        ({"colour": "red"}, "colour"),
        ({"size": [1920]}, "size"),
        ({"size": [1920, "1080"]}, "size[1]"),
        ({"size": [1920.5, 1080]}, "size[0]"),
        ({"size": [8, 1080]}, "size[0]"),
        ({"corners": [[0, 0], [10, 0], [10, 10]]}, "corners"),
        ({"corners": "0,0"}, "corners"),
        ({"corners": [[0, 0], [1920, 0], [1920, "x"], [0, 1080]]}, "corners[2].y"),
        ({"corners": [[0, 0], [1920, 0], [1920, 1080], [math.nan, 1080]]}, "corners[3].x"),
        ({"corners": [[0, 0], [math.inf, 0], [1920, 1080], [0, 1080]]}, "corners[1].x"),
        ({"corners": [[0, 0], [True, 0], [1920, 1080], [0, 1080]]}, "corners[1].x"),
        ({"corners": [[0, 0], [1920, 0], [1920, 1080], {"x": 0, "z": 1}]}, "corners[3].z"),
        ({"corners": [[0, 0], [1920, 0], [1920, 1080], {"x": 0}]}, "corners[3].y"),
        ({"corners": [[0, 0], [1920, 0], [9000, 1080], [0, 1080]]}, "corners[2].x"),
        ({"corners": [[0, 0], [1920, 0], [1920, 1080], [0, 1080], [5, 5]]}, "corners"),
        ({"mesh": [[[0, 0], [1, 0]]]}, "mesh"),
        ({"mesh": [[[0, 0], [1, 0]], [[0, 1]]]}, "mesh[1]"),
        ({"mesh": [[[0, 0], [1, 0]], [[0, 1], [1, math.nan]]]}, "mesh[1][1].v"),
        ({"mesh": [[[0, 0], [1, 0]], [[0, 1], [1, 3]]]}, "mesh[1][1].v"),
        ({"mesh": [[[0, 0], [1, 0]], [[0, 1], {"u": 1, "w": 1}]]}, "mesh[1][1].w"),
        ({"mesh": [[[c / 33, 0] for c in range(34)], [[c / 33, 1] for c in range(34)]]}, "mesh[0]"),
        ({"masks": "none"}, "masks"),
        ({"masks": [[[0, 0], [10, 10]]]}, "masks[0]"),
        ({"masks": [[[0, 0], [10, 10], [20, 20]]]}, "masks[0]"),
        ({"masks": [[[0, 0], [10, 0], [10, -5000]]]}, "masks[0][2].y"),
        ({"masks": [[[0, 0], [10, 0], [10, 10]], [[0, 0], [10, 0], ["a", 10]]]}, "masks[1][2].x"),
        ({"masks": [[[0, 0], [10, 0], [10, 10]]] * 65}, "masks"),
        ({"blend": []}, "blend"),
        ({"blend": {"left": -1}}, "blend.left"),
        ({"blend": {"left": 10.5}}, "blend.left"),
        ({"blend": {"top": 2000}}, "blend.top"),
        ({"blend": {"left": 1000, "right": 1000}}, "blend.right"),
        ({"blend": {"top": 600, "bottom": 500}}, "blend.bottom"),
        ({"blend": {"curve": 0.5}}, "blend.curve"),
        ({"blend": {"curve": 9}}, "blend.curve"),
        ({"blend": {"gamma": 5}}, "blend.gamma"),
        ({"blend": {"gamma": [2.2, 2.2]}}, "blend.gamma"),
        ({"blend": {"gamma": [2.2, 0.1, 2.2]}}, "blend.gamma[1]"),
        ({"blend": {"gamma": [2.2, 2.2, math.inf]}}, "blend.gamma[2]"),
        ({"blend": {"width": 3}}, "blend.width"),
        ({"brightness": 1.5}, "brightness"),
        ({"brightness": "full"}, "brightness"),
        ({"brightness": math.nan}, "brightness"),
        ({"black_level": 0.3}, "black_level"),
        ({"black_level": -0.01}, "black_level"),
    ],
)
def test_bad_fields_are_named(changes: dict[str, Any], field: str) -> None:
    refused(good(**changes), field)


def test_not_an_object() -> None:
    refused([1, 2], "mapping")


def test_size_is_required_without_an_expected_size() -> None:
    wire = good()
    del wire["size"]
    refused(wire, "size")
    assert parse_mapping(wire, expected_size=SIZE).size == SIZE


def test_a_calibration_for_another_resolution_is_refused_with_both_sizes() -> None:
    error = refused(good(), "size", expected_size=(3840, 2160))
    assert "1920x1080" in error.message and "3840x2160" in error.message


@pytest.mark.parametrize(
    ("corners", "field"),
    [
        # three corners in a line: no quad at all
        ([[0, 0], [960, 0], [1920, 0], [0, 1080]], "corners[1]"),
        # everything on one line: zero area
        ([[0, 0], [500, 500], [1000, 1000], [200, 200]], "corners[0]"),
        # two corners on top of each other
        ([[0, 0], [1920, 0], [1920, 1080], [1915, 1078]], "corners[3]"),
        # too small to be a calibration
        ([[100, 100], [110, 100], [110, 110], [100, 110]], "corners[1]"),
        # a bow tie: bottom corners swapped
        ([[0, 0], [1920, 0], [0, 1080], [1920, 1080]], "corners"),
        # a dart: the bottom-right corner pushed inside
        ([[0, 0], [1920, 0], [500, 300], [0, 1080]], "corners[2]"),
    ],
)
def test_degenerate_and_non_convex_corners_are_refused(corners: list[list[int]], field: str) -> None:
    refused(good(corners=corners), field)


def test_a_mirrored_quad_is_allowed_for_rear_projection() -> None:
    mirrored = [[1920, 0], [0, 0], [0, 1080], [1920, 1080]]
    m = parse_mapping(good(corners=mirrored, masks=[]))
    x, _ = warp_point(m, 0.1, 0.5)
    assert x == pytest.approx(1920 * 0.9)


def test_a_folded_mesh_cell_is_refused() -> None:
    mesh = [[list(p) for p in row] for row in regular_mesh(3, 3)]
    mesh[1][1] = [0.9, 0.9]  # the centre dragged past the bottom-right cell's far side
    error = refused(good(mesh=mesh), "mesh[1][1]")
    assert "folds" in error.message


def test_a_mesh_whose_outline_crosses_itself_is_refused() -> None:
    # A ring of convex cells wound 1.15 times round: every cell is fine, the ends overlap.
    turns = 2 * math.pi * 1.15
    rows = [
        [
            [0.5 + radius * math.cos(turns * c / 32), 0.5 + radius * math.sin(turns * c / 32)]
            for c in range(33)
        ]
        for radius in (0.45, 0.3)
    ]
    error = refused(good(mesh=rows, masks=[]), "mesh")
    assert "crosses" in error.message
    rows_once = [
        [
            [0.5 + radius * math.cos(0.8 * turns * c / 32), 0.5 + radius * math.sin(0.8 * turns * c / 32)]
            for c in range(33)
        ]
        for radius in (0.45, 0.3)
    ]
    assert parse_mapping(good(mesh=rows_once, masks=[])).mesh is not None  # 0.92 turns: no overlap


def test_a_mesh_point_past_the_horizon_is_refused() -> None:
    # A strong keystone: the corner-pin's horizon lies just above the unit square. A mesh
    # point beyond it would land inside the output, upside down: only the horizon check sees it.
    corners = [[20, 0], [1900, 0], [1020, 1080], [900, 1080]]
    mesh = [[list(p) for p in row] for row in regular_mesh(2, 2)]
    mesh[0][0] = [0.0, -0.5]
    mesh[0][1] = [1.0, -0.5]
    error = refused(good(corners=corners, mesh=mesh, masks=[]), "mesh[0][0]")
    assert "horizon" in error.message


def test_validate_mapping_holds_code_built_mappings_to_the_same_rules() -> None:
    m = OutputMapping("x", SIZE, ((0, 0), (1920, 0), (1920, 1080), (0, math.nan)))
    with pytest.raises(ValidationError) as caught:
        validate_mapping(m)
    assert caught.value.field == "corners[3].y"
    m = OutputMapping("x", SIZE, ((0, 0), (1920, 0), (1920, 1080), (0, 1080)), blend=EdgeBlend(left=2000))
    with pytest.raises(ValidationError) as caught:
        validate_mapping(m)
    assert caught.value.field == "blend.left"


def test_homography_maps_the_four_points() -> None:
    src = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
    dst = [(100.0, 50.0), (1800.0, 120.0), (1850.0, 1000.0), (60.0, 1040.0)]
    h = homography(src, dst)
    for (sx, sy), (dx, dy) in zip(src, dst, strict=True):
        x, y = apply_homography(h, sx, sy)
        assert x == pytest.approx(dx, abs=1e-9) and y == pytest.approx(dy, abs=1e-9)
    # Straight lines stay straight: the midpoint of an edge lies on the mapped edge.
    mx, my = apply_homography(h, 0.5, 0.0)
    cross = (1800 - 100) * (my - 50) - (120 - 50) * (mx - 100)
    assert cross == pytest.approx(0, abs=1e-6)
    # ... but not at the Euclidean midpoint: it is a perspective map, not an affine one.
    assert abs(mx - 950) > 1
    inverse = invert_homography(h)
    assert apply_homography(inverse, 1850, 1000) == pytest.approx((1.0, 1.0))


def test_homography_refuses_collinear_points() -> None:
    with pytest.raises(ValueError):
        homography([(0, 0), (1, 0), (2, 0), (0, 1)], [(0, 0), (1, 0), (1, 1), (0, 1)])


def test_warp_and_unwarp_are_inverse() -> None:
    bent = [
        [(u + 0.03 * math.sin(3 * v), v + 0.02 * math.sin(5 * u)) for u, v in row]
        for row in regular_mesh(5, 4)
    ]
    m = parse_mapping(good(mesh=[[list(p) for p in row] for row in bent], masks=[]))
    for s, t in ((0.1, 0.2), (0.5, 0.5), (0.93, 0.77), (0.0, 1.0)):
        x, y = warp_point(m, s, t)
        back = unwarp_point(m, x, y)
        assert back is not None and back == pytest.approx((s, t), abs=1e-7)
    assert unwarp_point(m, 5, 5) is None  # outside the picture


def test_blend_curve_values() -> None:
    assert blend_curve(0.0, 2) == 0.0
    assert blend_curve(0.5, 2) == 0.5
    assert blend_curve(1.0, 2) == 1.0
    assert blend_curve(0.25, 2) == pytest.approx(0.125)
    assert blend_curve(0.75, 2) == pytest.approx(0.875)
    assert blend_curve(0.25, 1) == pytest.approx(0.25)
    assert blend_curve(0.25, 3) == pytest.approx(0.0625)
    assert blend_curve(-1, 2) == 0.0 and blend_curve(2, 2) == 1.0
    # Two projectors' ramps over one overlap add up to full light, whatever p.
    for p in (1, 2, 3.5, 8):
        for x in (0.1, 0.3, 0.5, 0.8):
            assert blend_curve(x, p) + blend_curve(1 - x, p) == pytest.approx(1.0)


def test_blend_gain_corrects_for_gamma() -> None:
    assert blend_gain(0.25, 2, 2.2) == pytest.approx(0.125 ** (1 / 2.2))
    assert blend_gain(0.5, 2, 1.0) == 0.5
    # In light (gain ** gamma), the two sides still add to 1.
    g = 2.2
    assert blend_gain(0.3, 2, g) ** g + blend_gain(0.7, 2, g) ** g == pytest.approx(1.0)
