"""Checks shared by the software and OpenGL output-stage tests: the same pictures, the same rules.

A stage is driven through a ``Show`` (mapping and scene in, the output as an
RGB array out), so each check runs unchanged on both paths.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

import numpy as np
import pygame

from projector.core.mapping import OutputMapping, blend_gain, parse_mapping, regular_mesh, warp_point

Show = Callable[[OutputMapping, pygame.Surface], np.ndarray]  # -> (h, w, 3) uint8 RGB of the output
Point = tuple[float, float]

OUT = (640, 360)
#: A strong corner-pin: every side tilted, the top narrower than the bottom.
STRONG_PIN = [[70.0, 40.0], [560.0, 8.0], [615.0, 340.0], [20.0, 300.0]]


def mapping(**changes: object) -> OutputMapping:
    wire: dict[str, object] = {"name": "test", "size": list(OUT)}
    wire.update(changes)
    return parse_mapping(wire, expected_size=OUT)


def rgb(surface: pygame.Surface) -> np.ndarray:
    """A copy of the surface's pixels as (h, w, 3) RGB, whatever its pixel format."""
    return pygame.surfarray.array3d(surface).transpose(1, 0, 2).copy()


def solid(size: tuple[int, int], colour: tuple[int, int, int]) -> pygame.Surface:
    surf = pygame.Surface(size).convert()
    surf.fill(colour)
    return surf


def checkerboard(size: tuple[int, int], square: int) -> pygame.Surface:
    surf = solid(size, (0, 0, 0))
    for y in range(0, size[1], square):
        for x in range(0, size[0], square):
            if (x // square + y // square) % 2:
                surf.fill((255, 255, 255), (x, y, square, square))
    return surf


def smooth_scene(size: tuple[int, int]) -> pygame.Surface:
    """Gradients and slow waves: no hard edges, so two samplers agree closely."""
    w, h = size
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 127 + 120 * np.sin(xs / w * 2 * math.pi)
    g = 255 * ys / h
    b = 127 + 120 * np.cos((xs + ys) / (w + h) * 6 * math.pi)
    arr = np.stack([r, g, b], axis=-1).clip(0, 255).astype(np.uint8)
    surf = pygame.Surface(size).convert()
    pygame.surfarray.blit_array(surf, arr.transpose(1, 0, 2))
    return surf


def _crossing(profile: np.ndarray, expected: float, window: int = 4) -> float | None:
    """Where ``profile`` (values at pixel centres i + 0.5) crosses mid-grey nearest ``expected``."""
    level = 127.5
    best: float | None = None
    lo = max(0, int(expected) - window)
    hi = min(len(profile) - 1, int(expected) + window)
    for i in range(lo, hi):
        a, b = float(profile[i]) - level, float(profile[i + 1]) - level
        if a == 0 or (a < 0) != (b < 0):
            x = i + 0.5 + (0.0 if a == b else -a / (b - a))
            if best is None or abs(x - expected) < abs(best - expected):
                best = x
    return best


def _fit_residual(points: Sequence[Point]) -> float:
    """Largest distance of the points from their least-squares line x = a y + b (or y = a x + b)."""
    xs = np.array([p[0] for p in points])
    ys = np.array([p[1] for p in points])
    if np.ptp(ys) >= np.ptp(xs):
        a, b = np.polyfit(ys, xs, 1)
        return float(np.max(np.abs(xs - (a * ys + b))) / math.hypot(1, a))
    a, b = np.polyfit(xs, ys, 1)
    return float(np.max(np.abs(ys - (a * xs + b))) / math.hypot(1, a))


def check_lines_stay_straight(
    show: Show, m: OutputMapping, scene_size: tuple[int, int], square: int = 40
) -> None:
    """The checkerboard's edges, found in the output, lie on the lines the mapping predicts (within 1 px),
    and each source edge's crossings lie on one straight line (within 1 px)."""
    sw, sh = scene_size
    grey = show(m, checkerboard(scene_size, square)).astype(np.float64).mean(axis=2)
    errors: list[float] = []
    for axis in ("x", "y"):
        count = (sw if axis == "x" else sh) // square
        for k in range(1, count):
            found: list[Point] = []
            across = (sh if axis == "x" else sw) // square
            for j in range(across):
                # A point on the source edge, mid-square, and the edge's direction there.
                if axis == "x":
                    s, t0, t1 = k * square / sw, (j + 0.3) * square / sh, (j + 0.7) * square / sh
                    p, q = warp_point(m, s, t0), warp_point(m, s, t1)
                else:
                    t, s0, s1 = k * square / sh, (j + 0.3) * square / sw, (j + 0.7) * square / sw
                    p, q = warp_point(m, s0, t), warp_point(m, s1, t)
                mid = ((p[0] + q[0]) / 2, (p[1] + q[1]) / 2)
                if axis == "x":  # scan the output row through the middle of the segment
                    row = int(mid[1])
                    y = row + 0.5
                    expected = p[0] + (q[0] - p[0]) * (y - p[1]) / (q[1] - p[1])
                    hit = _crossing(grey[row], expected)
                    point = None if hit is None else (hit, y)
                else:  # scan the output column
                    col = int(mid[0])
                    x = col + 0.5
                    expected = p[1] + (q[1] - p[1]) * (x - p[0]) / (q[0] - p[0])
                    hit = _crossing(grey[:, col], expected)
                    point = None if hit is None else (x, hit)
                assert point is not None, f"no {axis} edge {k} near {expected:.1f} (scan {j})"
                assert hit is not None
                errors.append(abs(hit - expected))
                found.append(point)
            residual = _fit_residual(found)
            assert residual <= 1.0, f"{axis} edge {k} bends by {residual:.2f} px"
    assert max(errors) <= 1.0, f"an edge is {max(errors):.2f} px from where the mapping puts it"
    assert len(errors) > 40


def inside_polygon(poly: Sequence[Point], xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Even-odd point-in-polygon for arrays of points."""
    inside = np.zeros(xs.shape, np.bool_)
    n = len(poly)
    for i in range(n):
        (x0, y0), (x1, y1) = poly[i], poly[(i + 1) % n]
        crosses = (y0 > ys) != (y1 > ys)
        with np.errstate(divide="ignore", invalid="ignore"):
            at = x0 + (ys - y0) * (x1 - x0) / (y1 - y0)
        inside ^= crosses & (xs < at)
    return inside


def distance_to_outline(poly: Sequence[Point], xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    best = np.full(xs.shape, np.inf)
    n = len(poly)
    for i in range(n):
        (x0, y0), (x1, y1) = poly[i], poly[(i + 1) % n]
        dx, dy = x1 - x0, y1 - y0
        t = np.clip(((xs - x0) * dx + (ys - y0) * dy) / (dx * dx + dy * dy), 0, 1)
        best = np.minimum(best, np.hypot(xs - (x0 + t * dx), ys - (y0 + t * dy)))
    return best


MASKS = [
    [(100.0, 60.0), (260.0, 80.0), (230.0, 200.0), (180.0, 120.0), (120.0, 190.0)],  # non-convex
    [(400.5, 150.25), (520.0, 150.25), (520.0, 260.75), (400.5, 260.75)],
]


def check_masks_are_black(show: Show, corners: list[list[float]] | None = None) -> None:
    """Every pixel inside a mask (a margin from its edge) is black; outside (a margin away) untouched."""
    m = mapping(
        masks=[[list(p) for p in poly] for poly in MASKS], **({"corners": corners} if corners else {})
    )
    out = show(m, solid(OUT, (255, 255, 255))).astype(np.int64)
    ys, xs = np.mgrid[0 : OUT[1], 0 : OUT[0]].astype(np.float64) + 0.5
    covered = np.ones(xs.shape, np.bool_)
    if corners:
        covered = inside_polygon([(x, y) for x, y in corners], xs, ys)
        covered &= distance_to_outline([(x, y) for x, y in corners], xs, ys) > 2
    any_mask = np.zeros(xs.shape, np.bool_)
    for poly in MASKS:
        inside = inside_polygon(poly, xs, ys)
        far = distance_to_outline(poly, xs, ys) > 1.5
        deep = inside & far
        assert deep.sum() > 500
        assert out[deep].max() == 0, f"{int((out[deep].max(axis=1) > 0).sum())} lit pixels inside a mask"
        any_mask |= inside | ~far
    clear = ~any_mask & covered
    assert out[clear].min() >= 254, "pixels outside the masks were darkened"


def check_blend_ramp(show: Show) -> None:
    """A white scene through edge blends: each strip's pixels follow blend_gain per channel within 2/255."""
    gamma = (1.8, 2.2, 2.6)
    curve = 2.5
    left, right, top, bottom = 120, 90, 40, 50
    m = mapping(
        blend={
            "left": left,
            "right": right,
            "top": top,
            "bottom": bottom,
            "curve": curve,
            "gamma": list(gamma),
        }
    )
    out = show(m, solid(OUT, (255, 255, 255))).astype(np.float64)
    w, h = OUT
    row = h // 2
    for x in range(w):
        if x < left:
            xs = (x + 0.5) / left
        elif x >= w - right:
            xs = (w - x - 0.5) / right
        else:
            xs = None
        for c in range(3):
            want = 255 * blend_gain(xs, curve, gamma[c]) if xs is not None else 255
            assert abs(out[row, x, c] - want) <= 2, f"x={x} channel {c}: {out[row, x, c]} != {want:.1f}"
    col = w // 2
    for y in list(range(top)) + list(range(h - bottom, h)):
        ys = (y + 0.5) / top if y < top else (h - y - 0.5) / bottom
        for c in range(3):
            want = 255 * blend_gain(ys, curve, gamma[c])
            assert abs(out[y, col, c] - want) <= 2, f"y={y} channel {c}: {out[y, col, c]} != {want:.1f}"
    # In a corner both ramps apply.
    want = 255 * blend_gain(10.5 / left, curve, gamma[1]) * blend_gain(5.5 / top, curve, gamma[1])
    assert abs(out[5, 10, 1] - want) <= 2
    # The ramps really ramp (a blend that did nothing would pass nothing above, but be sure).
    assert out[row, 0].max() < 40 and out[row, left - 1].min() > 240


def check_brightness_and_black_level(show: Show) -> None:
    masks = [[[300, 100], [400, 100], [400, 200], [300, 200]]]
    out = show(mapping(brightness=0.5), solid(OUT, (255, 255, 255))).astype(int)
    assert np.abs(out - 128).max() <= 1
    lifted = mapping(black_level=0.1, masks=masks, blend={"left": 60})
    out = show(lifted, solid(OUT, (0, 0, 0))).astype(int)
    away = np.ones(out.shape[:2], np.bool_)
    away[:, :62] = False
    away[98:202, 298:402] = False
    assert np.abs(out[away] - 26).max() <= 1, "black is lifted everywhere away from masks and strips"
    assert out[110:190, 310:390].max() == 0, "masks stay black"
    assert out[:, :60].max() == 0, "the blend strip is not lifted: the other projector lights it"
    out = show(lifted, solid(OUT, (255, 255, 255))).astype(int)
    assert out[:, 70:290].min() >= 254, "white stays white"
    both = mapping(brightness=0.8, black_level=0.1)
    out = show(both, solid(OUT, (100, 100, 100))).astype(int)
    assert np.abs(out - (25.5 + 100 * 0.8 * 0.9)).max() <= 1.5


def bent_mesh() -> list[list[list[float]]]:
    return [
        [[u + 0.04 * math.sin(3 * v), v + 0.03 * math.sin(5 * u)] for u, v in row]
        for row in regular_mesh(5, 4)
    ]


def check_mesh_points_land(show: Show, m: OutputMapping, scene_size: tuple[int, int]) -> None:
    """Bright dots at known scene points show up (by centroid) where warp_point says, within 1 px."""
    sw, sh = scene_size
    scene = solid(scene_size, (0, 0, 0))
    spots = [(0.2, 0.25), (0.5, 0.5), (0.8, 0.3), (0.3, 0.8), (0.75, 0.75), (0.55, 0.15)]
    for s, t in spots:
        pygame.draw.circle(scene, (255, 255, 255), (s * sw, t * sh), 4)
    grey = show(m, scene).astype(np.float64).mean(axis=2)
    for s, t in spots:
        # The circle is centred on the pixel grid's point (s sw, t sh) in pygame's integer-centre terms.
        cx, cy = round(s * sw) + 0.5, round(t * sh) + 0.5
        x, y = warp_point(m, cx / sw, cy / sh)
        x0, y0 = int(x) - 10, int(y) - 10
        window = grey[y0 : y0 + 21, x0 : x0 + 21]
        total = window.sum()
        assert total > 255 * 10, f"no dot near ({x:.1f}, {y:.1f})"
        wy, wx = np.mgrid[0:21, 0:21]
        mx = x0 + (wx * window).sum() / total + 0.5
        my = y0 + (wy * window).sum() / total + 0.5
        assert math.hypot(mx - x, my - y) <= 1.0, f"dot at ({mx:.2f}, {my:.2f}), expected ({x:.2f}, {y:.2f})"
