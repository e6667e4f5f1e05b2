"""The software output stage: warps keep lines straight, masks are black, blends follow the curve."""

from __future__ import annotations

import os
import tracemalloc

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import numpy as np
import pygame
import pytest

from projector.core.mapping import OutputMapping, identity_mapping, parse_mapping, regular_mesh
from projector.core.model import ValidationError
from projector.display.output.output_stage import WARP_METHODS, SoftwareOutput, split_regions
from tests.display.output import output_checks as checks
from tests.display.output.output_checks import OUT, STRONG_PIN, mapping, rgb, solid


def show(m: OutputMapping, scene: pygame.Surface, method: str = "auto") -> np.ndarray:
    stage = SoftwareOutput(OUT, m, method=method)
    target = solid(OUT, (1, 2, 3))  # not black: every pixel must be written
    stage.render(scene, target)
    assert not target.get_locked() and not scene.get_locked()
    return rgb(target)


def shown_with(method: str) -> checks.Show:
    return lambda m, scene: show(m, scene, method)


@pytest.mark.parametrize("method", WARP_METHODS)
@pytest.mark.parametrize("scene_size", [OUT, (480, 280)])
def test_a_strong_corner_pin_keeps_lines_straight_and_in_place(
    scene_size: tuple[int, int], method: str
) -> None:
    checks.check_lines_stay_straight(shown_with(method), mapping(corners=STRONG_PIN), scene_size)


def test_a_mirrored_pin_keeps_lines_straight() -> None:
    mirrored = [STRONG_PIN[1], STRONG_PIN[0], STRONG_PIN[3], STRONG_PIN[2]]
    checks.check_lines_stay_straight(show, mapping(corners=mirrored), OUT)


@pytest.mark.parametrize("method", ["fixed", "float"])
def test_the_mesh_path_keeps_an_affine_mesh_straight(method: str) -> None:
    # A mesh that only shrinks the picture is not the regular grid (so it goes through remap),
    # yet lines must stay straight: H composed with an affine map is still a homography.
    mesh = [[[0.1 + 0.8 * u, 0.05 + 0.9 * v] for u, v in row] for row in regular_mesh(4, 3)]
    checks.check_lines_stay_straight(shown_with(method), mapping(corners=STRONG_PIN, mesh=mesh), OUT)


@pytest.mark.parametrize("method", ["fixed", "float"])
def test_a_bent_mesh_puts_scene_points_where_warp_point_says(method: str) -> None:
    m = mapping(corners=STRONG_PIN, mesh=checks.bent_mesh())
    checks.check_mesh_points_land(shown_with(method), m, OUT)


def test_masks_are_black_inside() -> None:
    checks.check_masks_are_black(show)
    checks.check_masks_are_black(show, STRONG_PIN)


def test_the_blend_ramp_follows_blend_gain() -> None:
    checks.check_blend_ramp(show)


def test_brightness_and_black_level() -> None:
    checks.check_brightness_and_black_level(show)


def test_identity_is_pixel_exact() -> None:
    rng = np.random.default_rng(1)
    scene = pygame.Surface(OUT).convert()
    pygame.surfarray.blit_array(scene, rng.integers(0, 256, (OUT[0], OUT[1], 3), dtype=np.uint8))
    out = show(identity_mapping("id", OUT), scene)
    assert np.array_equal(out, rgb(scene))


def test_an_identity_mapping_costs_no_per_pixel_tables_a_pin_does() -> None:
    # Issue 19: most displays have no mapping; at 1080p its tables were 20 MB kept, 80 MB to make.
    size = (1920, 1080)
    scene, target = solid(size, (10, 200, 30)), solid(size, (0, 0, 0))
    tracemalloc.start()
    try:
        plain = SoftwareOutput(size, identity_mapping("id", size))
        plain.render(scene, target)
        identity_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        pinned = SoftwareOutput(size, identity_mapping("id", size))
        pinned.set_mapping(parse_mapping({"name": "id", "size": list(size), "blend": {"left": 200}}))
        pinned.render(scene, target)
        pin_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert identity_peak < 1_000_000, identity_peak
    assert pin_peak > 10_000_000, pin_peak  # what the identity path no longer pays
    assert tuple(rgb(target)[540, 960]) == (10, 200, 30)


def test_an_identity_mapping_still_scales_a_scene_of_another_size() -> None:
    stage = SoftwareOutput(OUT, identity_mapping("id", OUT))
    small = solid((320, 180), (200, 30, 90))
    out = solid(OUT, (0, 0, 0))
    stage.render(small, out)
    assert tuple(rgb(out)[180, 320]) == (200, 30, 90) and tuple(rgb(out)[350, 630]) == (200, 30, 90)


def test_a_scene_in_another_pixel_format_keeps_its_colours() -> None:
    scene = pygame.Surface(OUT, pygame.SRCALPHA, 32)  # RGBA byte order, not the screen's
    scene.fill((200, 30, 90, 255))
    out = show(mapping(corners=STRONG_PIN), scene)
    assert tuple(out[180, 320]) == (200, 30, 90)


def test_a_mapping_for_another_resolution_is_refused_and_the_last_one_kept() -> None:
    stage = SoftwareOutput(OUT, mapping(corners=STRONG_PIN))
    scene = checks.smooth_scene(OUT)
    before = solid(OUT, (0, 0, 0))
    stage.render(scene, before)
    other = parse_mapping({"name": "big", "size": [1280, 720], "blend": {"left": 100}})
    with pytest.raises(ValidationError) as caught:
        stage.set_mapping(other)
    assert caught.value.field == "size"
    assert "1280x720" in caught.value.message and "640x360" in caught.value.message
    assert stage.mapping.corners == mapping(corners=STRONG_PIN).corners
    after = solid(OUT, (0, 0, 0))
    stage.render(scene, after)
    assert np.array_equal(rgb(before), rgb(after))
    # A mapping built in code with a bad value is refused the same way.
    bad = OutputMapping("bad", OUT, ((0, 0), (640, 0), (640, 360), (0, float("nan"))))
    with pytest.raises(ValidationError):
        stage.set_mapping(bad)
    assert stage.mapping.corners == mapping(corners=STRONG_PIN).corners


def test_an_unknown_warp_method_is_refused() -> None:
    with pytest.raises(ValueError, match="warp method"):
        SoftwareOutput(OUT, method="cubic")


def test_a_wrong_sized_target_is_refused() -> None:
    stage = SoftwareOutput(OUT, mapping(corners=STRONG_PIN))
    with pytest.raises(ValueError):
        stage.render(solid(OUT, (0, 0, 0)), solid((320, 180), (0, 0, 0)))


def test_outside_the_picture_is_black_not_stale() -> None:
    out = show(mapping(corners=STRONG_PIN), solid(OUT, (255, 255, 255)))
    assert out[2, 2].max() == 0 and out[355, 635].max() == 0
    assert out[180, 320].min() == 255


def test_regions_cover_every_pixel_once() -> None:
    rng = np.random.default_rng(3)
    special = np.zeros((200, 300), np.bool_)
    special[:, :40] = True
    special[150:, :] = True
    for _ in range(20):
        y, x = rng.integers(0, 190), rng.integers(0, 290)
        special[y : y + 8, x : x + 8] = True
    gained, plain = split_regions(special)
    count = np.zeros(special.shape, np.int64)
    for y0, y1, x0, x1 in gained + plain:
        count[y0:y1, x0:x1] += 1
    assert (count == 1).all(), "the rectangles overlap or leave holes"
    in_gained = np.zeros(special.shape, np.bool_)
    for y0, y1, x0, x1 in gained:
        in_gained[y0:y1, x0:x1] = True
    assert in_gained[special].all(), "a special pixel fell into a plain rectangle"
    assert len(gained) < 60  # merged, not one per band and run
