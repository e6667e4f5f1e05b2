"""The software output stage: the rendered scene onto the projector, warped, masked and blended.

Between ``director.draw(scene)`` and ``flip()`` the display puts the scene
through the output's :class:`~projector.core.mapping.OutputMapping`: a
perspective-correct corner-pin or a mesh warp (``cv2.warpPerspective``, or
``cv2.remap`` with tables built once: whichever is faster on the installed
OpenCV, see :data:`AUTO_METHOD`), then one precomputed gain image that folds
masks, edge blend and brightness together, plus a lift for black level.

Speed is the design: at 1080p the whole stage must fit a few milliseconds of a
16.7 ms frame on a two-core laptop. So everything that depends only on the
mapping is computed in :meth:`SoftwareOutput.set_mapping`; a frame reads the
scene's pixels in place (a numpy view, no copy), warps straight into the
target's pixels, and touches the gain image only where it differs from the
plain value (the blend strips and the masks), in a few rectangles. The rest of
the frame, when brightness or black level are set, gets one cheap
``convertScaleAbs``. An identity mapping is a plain blit.

The gain computation (:func:`gain_and_lift`) is shared with the OpenGL path so
both draw the same masks and ramps.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import pygame

from projector.core.mapping import (
    OutputMapping,
    apply_homography,
    identity_mapping,
    invert_homography,
    is_identity,
    is_regular_mesh,
    mapping_homography,
    output_corners,
    validate_mapping,
)

log = logging.getLogger(__name__)

U8 = npt.NDArray[np.uint8]
F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
Rect = tuple[int, int, int, int]  # y0, y1, x0, x1: numpy slicing order
#: A 3x3 matrix for warpPerspective, or the two remap tables (float x/y, or fixed-point pairs/fractions).
Warp = F64 | tuple[npt.NDArray[Any], npt.NDArray[Any]]

#: Rows per band when finding where the gain image differs from the plain value.
BAND_ROWS = 32
#: Two runs closer than this are one rectangle: a call per rectangle costs more than a few pixels.
MERGE_GAP = 48
#: Masks are drawn at this many samples per pixel a side and averaged: soft, exact edges.
MASK_SUPERSAMPLE = 4
#: A map value that is surely outside the scene, so remap draws black there.
OUTSIDE = -16.0
OPENCV_MAJOR = int(cv2.__version__.split(".")[0])
#: How a corner-pin is drawn. OpenCV 5's SIMD ``warpPerspective`` is about 3x faster than
#: 4.x's, and faster than any remap table; on 4.x, precomputed fixed-point remap tables beat
#: ``warpPerspective`` (measured at 1080p on two cores: benchmarks/output_stage.py).
WARP_METHODS = ("auto", "matrix", "fixed", "float")
#: What "auto" means for a corner-pin and for a mesh, on this OpenCV.
AUTO_METHOD = {"pin": "matrix", "mesh": "float"} if OPENCV_MAJOR >= 5 else {"pin": "fixed", "mesh": "fixed"}
#: Byte order (r, g, b, pad) of pygame's usual 32-bit screen format, XRGB8888.
SCREEN_ORDER = (2, 1, 0, 3) if sys.byteorder == "little" else (1, 2, 3, 0)


# --- pixels ----------------------------------------------------------------------------------


def byte_order(surface: pygame.Surface) -> tuple[int, int, int, int]:
    """Byte index of red, green, blue and the fourth (alpha or padding) byte in one pixel."""
    shifts = surface.get_shifts()
    rgb = [s // 8 if sys.byteorder == "little" else 3 - s // 8 for s in shifts[:3]]
    fourth = ({0, 1, 2, 3} - set(rgb)).pop()
    return (rgb[0], rgb[1], rgb[2], fourth)


@contextmanager
def pixels(surface: pygame.Surface) -> Iterator[U8]:
    """The surface's pixels as an (h, w, 4) uint8 array, in place (no copy).

    The surface is locked while the array lives; the view is dropped on exit so
    it can be blitted and flipped again.
    """
    w, h = surface.get_size()
    # (w, h) uint32 -> transposed (h, w) -> its 4 bytes: still a view of the surface's memory.
    arr: U8 = np.asarray(surface.get_view("2")).T.view(np.uint8).reshape(h, w, 4)
    try:
        yield arr
    finally:
        del arr


# --- gain, lift and masks (shared with the OpenGL path) --------------------------------------


def strip_gains(length: int, near: int, far: int, curve: float, gamma: Sequence[float]) -> F64:
    """Per-channel gain along one axis (length, 3): ramps over ``near`` px at 0 and ``far`` px at the end.

    ``x`` across a strip is measured at pixel centres from the output's edge,
    as :func:`projector.core.mapping.blend_gain` documents.
    """
    out = np.ones((length, 3), np.float64)
    centres = np.arange(length, dtype=np.float64) + 0.5
    for width, x in ((near, centres / max(near, 1)), (far, (length - centres) / max(far, 1))):
        if width <= 0:
            continue
        inside = x < 1.0
        xs = np.clip(x[inside], 0.0, 1.0)
        light = np.where(xs < 0.5, 0.5 * (2 * xs) ** curve, 1 - 0.5 * (2 * (1 - xs)) ** curve)
        for c in range(3):
            out[inside, c] *= light ** (1 / gamma[c])
    return out


def mask_keep(masks: Sequence[Sequence[tuple[float, float]]], size: tuple[int, int]) -> U8:
    """255 where the picture shows, 0 inside masks, partial on mask edges (h, w)."""
    w, h = size
    keep = np.full((h, w), 255, np.uint8)
    k = MASK_SUPERSAMPLE
    for poly in masks:
        pts = np.asarray(poly, np.float64)
        x0, y0 = (max(0, int(np.floor(v))) for v in pts.min(axis=0))
        x1, y1 = min(w, int(np.ceil(pts[:, 0].max()))), min(h, int(np.ceil(pts[:, 1].max())))
        if x1 <= x0 or y1 <= y0:
            continue  # entirely off the output
        fine = np.zeros(((y1 - y0) * k, (x1 - x0) * k), np.uint8)
        # Continuous coordinates to supersampled pixel-centre coordinates, 4 fractional bits.
        fixed = np.round(((pts - (x0, y0)) * k - 0.5) * 16).astype(np.int32)
        cv2.fillPoly(fine, [fixed], (255,), cv2.LINE_8, 4)
        cover = cv2.resize(fine, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
        np.minimum(keep[y0:y1, x0:x1], 255 - cover, out=keep[y0:y1, x0:x1])
    return keep


def gain_and_lift(m: OutputMapping) -> tuple[U8, U8, npt.NDArray[np.bool_]]:
    """The gain image (h, w, 3: r, g, b) and lift image (h, w) for a mapping, as uint8 (255 = 1.0),
    and where they differ from the plain values (:func:`plain_values`): the strips and masks.

    A pixel's output is ``scene * gain + lift``. Masks are gain 0 and lift 0;
    the blend strips ramp the gain and get no lift (the other projector's black
    already lights them); elsewhere the gain is ``brightness * (1 - black_level)``
    and the lift ``black_level``, so white stays white and black is lifted.
    """
    w, h = m.size
    plain_gain, plain_lift = (round(v * 255) for v in plain_values(m))
    gain = np.full((h, w, 3), plain_gain, np.uint8)
    lift = np.full((h, w), plain_lift, np.uint8)
    special = np.zeros((h, w), np.bool_)
    b = m.blend
    gx = strip_gains(w, b.left, b.right, b.curve, b.gamma).astype(np.float32)
    gy = strip_gains(h, b.top, b.bottom, b.curve, b.gamma).astype(np.float32)
    keep = mask_keep(m.masks, m.size)
    # Only the strips and the masks' boxes differ from the plain values: compute just those.
    boxes = [(0, h, 0, b.left), (0, h, w - b.right, w), (0, b.top, 0, w), (h - b.bottom, h, 0, w)]
    for poly in m.masks:
        xs, ys = [p[0] for p in poly], [p[1] for p in poly]
        boxes.append((int(min(ys)), int(np.ceil(max(ys))) + 1, int(min(xs)), int(np.ceil(max(xs))) + 1))
    for y0, y1, x0, x1 in boxes:
        y0, y1, x0, x1 = max(0, y0), min(h, y1), max(0, x0), min(w, x1)
        if y1 <= y0 or x1 <= x0:
            continue
        window = (slice(y0, y1), slice(x0, x1))
        cols, rows = np.arange(x0, x1), np.arange(y0, y1)
        in_x = (cols >= b.left) & (cols < w - b.right)
        in_y = (rows >= b.top) & (rows < h - b.bottom)
        outside = (in_y[:, None] & in_x[None, :]).astype(np.float32)
        k = keep[window].astype(np.float32) / 255
        base = m.brightness * k * (1 - m.black_level * outside)
        for c in range(3):
            gain[y0:y1, x0:x1, c] = np.rint(gy[y0:y1, c, None] * gx[None, x0:x1, c] * base * 255)
        lift[window] = np.rint(m.black_level * 255 * outside * k)
        special[window] |= (outside == 0) | (keep[window] < 255)
        # Plain pixels get exactly the plain values, whatever float rounding did.
        plain = ~special[window]
        gain[window][plain] = plain_gain
        lift[window][plain] = plain_lift
    return gain, lift, special


def plain_values(m: OutputMapping) -> tuple[float, float]:
    """Gain and lift (0..1) away from the strips and masks: ``brightness * (1 - black_level)``, ``black_level``."""
    return m.brightness * (1 - m.black_level), m.black_level


# --- warp geometry ---------------------------------------------------------------------------


def scene_matrix(m: OutputMapping, scene_size: tuple[int, int]) -> F64:
    """The 3x3 matrix from output pixel indices to scene pixel indices (OpenCV's inverse map).

    OpenCV puts pixel ``i``'s centre at ``i``; the mapping's continuous
    coordinates put it at ``i + 0.5``. So: half a pixel on, the inverse
    corner-pin, scale the unit square to the scene, half a pixel back.
    """
    sw, sh = scene_size
    to_continuous = np.array([[1, 0, 0.5], [0, 1, 0.5], [0, 0, 1]], np.float64)
    to_scene = np.array([[sw, 0, -0.5], [0, sh, -0.5], [0, 0, 1]], np.float64)
    inverse = np.array(invert_homography(mapping_homography(m)), np.float64)
    matrix: F64 = to_scene @ inverse @ to_continuous
    return matrix


def picture_bounds(m: OutputMapping) -> Rect:
    """The output rectangle (y0, y1, x0, x1) the warped picture can touch, one pixel generous."""
    h = mapping_homography(m)
    if m.mesh is None:
        outline = [apply_homography(h, u, v) for u, v in ((0, 0), (1, 0), (1, 1), (0, 1))]
    else:
        outline = [apply_homography(h, u, v) for row in m.mesh for u, v in row]
    w, ht = m.size
    xs, ys = [p[0] for p in outline], [p[1] for p in outline]
    x0, x1 = max(0, int(np.floor(min(xs))) - 1), min(w, int(np.ceil(max(xs))) + 1)
    y0, y1 = max(0, int(np.floor(min(ys))) - 1), min(ht, int(np.ceil(max(ys))) + 1)
    return (y0, max(y0, y1), x0, max(x0, x1))


def warp_points(m: OutputMapping, s: F64, t: F64) -> tuple[F64, F64]:
    """Vectorised :func:`projector.core.mapping.warp_point`: output pixels for scene points (s, t)."""
    u, v = np.clip(s, 0.0, 1.0), np.clip(t, 0.0, 1.0)
    if m.mesh is not None:
        grid = np.asarray(m.mesh, np.float64)  # (rows, cols, 2)
        rows, cols = grid.shape[:2]
        fx, fy = u * (cols - 1), v * (rows - 1)
        c = np.minimum(fx.astype(np.int64), cols - 2)
        r = np.minimum(fy.astype(np.int64), rows - 2)
        a, b = (fx - c)[..., None], (fy - r)[..., None]
        p = (
            (1 - a) * (1 - b) * grid[r, c]
            + a * (1 - b) * grid[r, c + 1]
            + (1 - a) * b * grid[r + 1, c]
            + a * b * grid[r + 1, c + 1]
        )
        u, v = p[..., 0], p[..., 1]
    hom = mapping_homography(m)
    w = hom[2][0] * u + hom[2][1] * v + hom[2][2]
    x = (hom[0][0] * u + hom[0][1] * v + hom[0][2]) / w
    y = (hom[1][0] * u + hom[1][1] * v + hom[1][2]) / w
    return x, y


def mesh_scene_coords(m: OutputMapping, bounds: Rect) -> tuple[F32, F32]:
    """For every output pixel centre in ``bounds``: the normalised scene point (s, t) it shows.

    NaN where no scene point lands. The corner-pin is inverted exactly; then each
    mesh cell's bilinear patch is inverted in closed form, cell by cell, over
    the pixels its outline can cover.
    """
    assert m.mesh is not None
    y0, y1, x0, x1 = bounds
    hom = mapping_homography(m)
    inv = np.array(invert_homography(hom), np.float64)
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float64) + 0.5
    den = inv[2, 0] * xs + inv[2, 1] * ys + inv[2, 2]
    u = (inv[0, 0] * xs + inv[0, 1] * ys + inv[0, 2]) / den
    v = (inv[1, 0] * xs + inv[1, 1] * ys + inv[1, 2]) / den
    s = np.full(u.shape, np.nan, np.float32)
    t = np.full(u.shape, np.nan, np.float32)
    mesh = m.mesh
    rows, cols = len(mesh), len(mesh[0])
    for r in range(rows - 1):
        for c in range(cols - 1):
            quad = (mesh[r][c], mesh[r][c + 1], mesh[r + 1][c + 1], mesh[r + 1][c])
            outline = [apply_homography(hom, pu, pv) for pu, pv in quad]
            cy0 = max(y0, int(np.floor(min(p[1] for p in outline))) - 1) - y0
            cy1 = min(y1, int(np.ceil(max(p[1] for p in outline))) + 1) - y0
            cx0 = max(x0, int(np.floor(min(p[0] for p in outline))) - 1) - x0
            cx1 = min(x1, int(np.ceil(max(p[0] for p in outline))) + 1) - x0
            if cy1 <= cy0 or cx1 <= cx0:
                continue
            window = (slice(cy0, cy1), slice(cx0, cx1))
            a, b, inside = _inverse_bilinear(quad, u[window], v[window])
            inside &= np.isnan(s[window])  # a pixel on a shared edge keeps its first cell
            s[window][inside] = (c + a[inside]) / (cols - 1)
            t[window][inside] = (r + b[inside]) / (rows - 1)
    return s, t


def _inverse_bilinear(
    quad: Sequence[tuple[float, float]], x: F64, y: F64
) -> tuple[F64, F64, npt.NDArray[np.bool_]]:
    """Vectorised :func:`projector.core.mapping.inverse_bilinear`: (a, b, inside) per point."""
    p0, p1, p2, p3 = (np.asarray(p, np.float64) for p in quad)
    e, f, g = p1 - p0, p3 - p0, p0 - p1 + p2 - p3
    qx, qy = x - p0[0], y - p0[1]
    k2 = g[0] * f[1] - g[1] * f[0]
    k1 = (e[0] * f[1] - e[1] * f[0]) + (qx * g[1] - qy * g[0])
    k0 = qx * e[1] - qy * e[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        if abs(k2) < 1e-12:  # a parallelogram: the quadratic is linear
            candidates = [-k0 / k1]
        else:
            root = np.sqrt(np.maximum(k1 * k1 - 4 * k0 * k2, 0))
            # The numerically stable pair of roots (no cancellation when k2 is tiny).
            q = -0.5 * (k1 + np.copysign(root, k1))
            candidates = [q / k2, k0 / q]
        eps = 1e-7
        best_a = np.full(x.shape, np.nan)
        best_b = np.full(x.shape, np.nan)
        for b in candidates:
            den_x, den_y = e[0] + g[0] * b, e[1] + g[1] * b
            use_x = np.abs(den_x) >= np.abs(den_y)
            a = np.where(use_x, (qx - f[0] * b) / den_x, (qy - f[1] * b) / den_y)
            ok = (b >= -eps) & (b <= 1 + eps) & (a >= -eps) & (a <= 1 + eps) & np.isnan(best_a)
            best_a[ok], best_b[ok] = a[ok], b[ok]
    inside = ~np.isnan(best_a)
    return np.clip(best_a, 0, 1), np.clip(best_b, 0, 1), inside


# --- where the gain must be applied ----------------------------------------------------------


def _runs(flags: npt.NDArray[np.bool_], gap: int) -> list[tuple[int, int]]:
    """Start/end of the True runs, runs closer than ``gap`` merged."""
    padded = np.concatenate(([False], flags, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    runs: list[tuple[int, int]] = []
    for start, end in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        if runs and start - runs[-1][1] < gap:
            runs[-1] = (runs[-1][0], end)
        else:
            runs.append((start, end))
    return runs


def split_regions(special: npt.NDArray[np.bool_]) -> tuple[list[Rect], list[Rect]]:
    """Rectangles that cover the True pixels, and rectangles that cover the rest, disjoint.

    The frame is cut into bands of rows; each band's columns are split into runs
    that need the gain image and runs that do not. A run with the same columns
    as one in the band above extends it, so a blend strip is one tall
    rectangle, not seventy (each rectangle is a call per frame).
    """
    h, w = special.shape
    gained: list[Rect] = []
    plain: list[Rect] = []
    open_gained: dict[tuple[int, int], int] = {}  # (x0, x1) -> index into gained
    open_plain: dict[tuple[int, int], int] = {}
    for y0 in range(0, h, BAND_ROWS):
        y1 = min(h, y0 + BAND_ROWS)
        runs = _runs(np.asarray(special[y0:y1].any(axis=0)), MERGE_GAP)
        gaps, x = [], 0
        for start, end in runs:
            if start > x:
                gaps.append((x, start))
            x = end
        if x < w:
            gaps.append((x, w))
        open_gained = _extend(gained, open_gained, runs, y0, y1)
        open_plain = _extend(plain, open_plain, gaps, y0, y1)
    return gained, plain


def _extend(
    rects: list[Rect], open_rects: dict[tuple[int, int], int], runs: list[tuple[int, int]], y0: int, y1: int
) -> dict[tuple[int, int], int]:
    """Grow the open rectangles that this band continues; start new ones for the rest."""
    still_open: dict[tuple[int, int], int] = {}
    for run in runs:
        index = open_rects.get(run)
        if index is not None:
            top = rects[index][0]
            rects[index] = (top, y1, run[0], run[1])
        else:
            index = len(rects)
            rects.append((y0, y1, run[0], run[1]))
        still_open[run] = index
    return still_open


# --- the stage -------------------------------------------------------------------------------


@dataclass
class _Shading:
    """The gain and lift images in one surface's byte order, cut to the rectangles that need them."""

    rects: list[tuple[Rect, U8, U8 | None]]


@dataclass
class _Plan:
    """Everything a frame needs, computed once per mapping."""

    mapping: OutputMapping
    identity: bool
    #: No corner-pin and no mesh: the picture lands where it is (masks, blend or levels only).
    straight: bool
    bounds: Rect
    gain_rgb: U8
    lift: U8
    gained: list[Rect]
    plain: list[Rect]
    plain_alpha: float
    plain_beta: float
    #: Mesh only: normalised scene coordinates per output pixel in ``bounds`` (NaN: none).
    mesh_st: tuple[F32, F32] | None
    warps: dict[tuple[int, int], Warp] = field(default_factory=dict)
    shadings: dict[tuple[int, int, int, int], _Shading] = field(default_factory=dict)

    @property
    def plain_is_noop(self) -> bool:
        return self.plain_alpha == 1.0 and self.plain_beta == 0.0


def _make_plan(m: OutputMapping) -> _Plan:
    if is_identity(m):
        # A plain copy: the gain and lift are one value each, as read-only views rather than
        # images (about 10 MB at 1080p), read only if a frame's scene is another size.
        w, h = m.size
        whole = (0, h, 0, w)
        gain_rgb = np.broadcast_to(np.uint8(255), (h, w, 3))
        no_lift = np.broadcast_to(np.uint8(0), (h, w))
        return _Plan(m, True, True, whole, gain_rgb, no_lift, [], [whole], 1.0, 0.0, None)
    gain, lift, special = gain_and_lift(m)
    alpha, beta = plain_values(m)
    bounds = picture_bounds(m)
    mesh_st = None if is_regular_mesh(m.mesh) else mesh_scene_coords(m, bounds)
    if alpha == 1.0 and beta == 0.0:
        # Nothing to do away from the strips and masks, and where no picture lands the
        # warp left black, which the gain keeps black: skip those strip and mask pixels.
        special &= _coverage(m, bounds, mesh_st)
    gained, plain = split_regions(special)
    straight = m.corners == output_corners(m.size) and is_regular_mesh(m.mesh)
    return _Plan(m, is_identity(m), straight, bounds, gain, lift, gained, plain, alpha, beta * 255, mesh_st)


def _coverage(m: OutputMapping, bounds: Rect, mesh_st: tuple[F32, F32] | None) -> npt.NDArray[np.bool_]:
    """Where the warped picture can be non-black (h, w), a couple of pixels generous."""
    w, h = m.size
    covered = np.zeros((h, w), np.uint8)
    if mesh_st is None:
        hom = mapping_homography(m)
        outline = [apply_homography(hom, u, v) for u, v in ((0, 0), (1, 0), (1, 1), (0, 1))]
        fixed = np.round((np.asarray(outline) - 0.5) * 16).astype(np.int32)
        cv2.fillPoly(covered, [fixed], (1,), cv2.LINE_8, 4)
    else:
        y0, y1, x0, x1 = bounds
        covered[y0:y1, x0:x1] = ~np.isnan(mesh_st[0])
    grown = cv2.dilate(covered, np.ones((5, 5), np.uint8))
    return grown.astype(np.bool_)


class SoftwareOutput:
    """The output stage on the CPU (OpenCV). One per output; not thread-safe (the main thread owns it).

    ``set_mapping`` does the slow part (tens to hundreds of ms for a mesh);
    ``render`` is the per-frame part. ``threads`` sets OpenCV's worker count
    for the whole process (None: leave OpenCV's default, one per core).
    ``method`` picks how the warp is drawn (:data:`WARP_METHODS`; "auto" takes
    the fastest for the installed OpenCV, see :data:`AUTO_METHOD`; "matrix"
    draws meshes with float tables); the others exist for the benchmark and
    the tests.
    """

    path = "software"

    def __init__(
        self,
        size: tuple[int, int],
        mapping: OutputMapping | None = None,
        *,
        threads: int | None = None,
        method: str = "auto",
    ) -> None:
        if method not in WARP_METHODS:
            raise ValueError(f"unknown warp method {method!r}; expected one of {', '.join(WARP_METHODS)}")
        self.size = (int(size[0]), int(size[1]))
        self.method = method
        self._warned_format = False
        if threads is not None:
            cv2.setNumThreads(threads)
        self._plan = _make_plan(identity_mapping("output", self.size))
        if mapping is not None:
            self.set_mapping(mapping)

    @property
    def mapping(self) -> OutputMapping:
        """The mapping in use: the last one that was accepted."""
        return self._plan.mapping

    def set_mapping(self, mapping: OutputMapping) -> None:
        """Use ``mapping`` from the next frame on.

        Raises ``ValidationError`` (and keeps the previous mapping) when the
        mapping is invalid or was made for another output resolution.
        """
        validate_mapping(mapping, expected_size=self.size)
        plan = _make_plan(mapping)
        if not plan.identity:
            # The tables for a scene of the output's size on a screen-format target: the usual
            # frame. An identity mapping (most displays) is a plain blit and needs none: at 1080p
            # they are about 20 MB kept and 80 MB at their peak while made (issue 19's memory
            # bound), so they are made only if a frame ever needs them (``_warp_for``, ``_shade``).
            plan.warps[self.size] = _build_warp(plan, self.size, self.method)
            plan.shadings[SCREEN_ORDER] = _build_shading(plan, SCREEN_ORDER)
        self._plan = plan  # built whole before it replaces the last good one

    def render(self, scene: pygame.Surface, target: pygame.Surface) -> None:
        """Draw ``scene`` through the mapping onto ``target`` (the output's size), every pixel."""
        plan = self._plan
        if target.get_size() != self.size:
            raise ValueError(f"target is {target.get_size()}, this output is {self.size}")
        if plan.identity and scene.get_size() == self.size:
            target.blit(scene, (0, 0))
            return
        if scene is target:
            raise ValueError("the scene cannot be warped onto itself; draw it on its own surface")
        if (
            scene.get_bitsize() != 32
            or scene.get_shifts() != target.get_shifts()
            or target.get_bitsize() != 32
        ):
            if not self._warned_format:
                log.warning("the scene's pixel format differs from the screen's: converting every frame")
                self._warned_format = True
            scene = _matching(scene, target)
        order = byte_order(target)
        with pixels(scene) as src, pixels(target) as dst:
            self._warp(plan, src, dst)
            self._shade(plan, dst, order)

    def _warp(self, plan: _Plan, src: U8, dst: U8) -> None:
        y0, y1, x0, x1 = plan.bounds
        # Outside the picture's bounds nothing lands: black, without warping it.
        dst[:y0] = 0
        dst[y1:] = 0
        dst[y0:y1, :x0] = 0
        dst[y0:y1, x1:] = 0
        if y1 <= y0 or x1 <= x0:
            return
        if plan.straight and src.shape == dst.shape:
            np.copyto(dst, src)  # masks or blends only: nothing moves, a copy is the warp
            return
        roi = dst[y0:y1, x0:x1]
        warp = self._warp_for(plan, (src.shape[1], src.shape[0]))
        if isinstance(warp, tuple):
            cv2.remap(src, warp[0], warp[1], cv2.INTER_LINEAR, dst=roi, borderMode=cv2.BORDER_CONSTANT)
        else:
            cv2.warpPerspective(
                src,
                warp,
                (x1 - x0, y1 - y0),
                dst=roi,
                flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                borderMode=cv2.BORDER_CONSTANT,
                borderValue=(0, 0, 0, 0),
            )

    def _warp_for(self, plan: _Plan, scene_size: tuple[int, int]) -> Warp:
        """The warp matrix or remap tables for this scene size, made on first use and kept."""
        warp = plan.warps.get(scene_size)
        if warp is None:
            plan.warps.clear()  # one scene size at a time; a resize drops the old tables
            warp = plan.warps[scene_size] = _build_warp(plan, scene_size, self.method)
        return warp

    def _shade(self, plan: _Plan, dst: U8, order: tuple[int, int, int, int]) -> None:
        shading = plan.shadings.get(order)
        if shading is None:
            shading = plan.shadings[order] = _build_shading(plan, order)
        for (y0, y1, x0, x1), gain, lift in shading.rects:
            roi = dst[y0:y1, x0:x1]
            cv2.multiply(roi, gain, dst=roi, scale=1 / 255)
            if lift is not None:
                cv2.add(roi, lift, dst=roi)
        if not plan.plain_is_noop:
            for y0, y1, x0, x1 in plan.plain:
                roi = dst[y0:y1, x0:x1]
                cv2.convertScaleAbs(roi, dst=roi, alpha=plan.plain_alpha, beta=plan.plain_beta)


def _matching(scene: pygame.Surface, target: pygame.Surface) -> pygame.Surface:
    """A copy of ``scene`` in the target's pixel format (a slow path: scenes should match the screen)."""
    if target.get_bitsize() != 32:
        raise ValueError("the output stage needs a 32-bit target surface")
    return scene.convert(target)


def _build_warp(plan: _Plan, scene_size: tuple[int, int], method: str) -> Warp:
    y0, y1, x0, x1 = plan.bounds
    if method == "auto":
        method = AUTO_METHOD["pin" if plan.mesh_st is None else "mesh"]
    sw, sh = scene_size
    if plan.mesh_st is None:
        shift = np.array([[1, 0, x0], [0, 1, y0], [0, 0, 1]], np.float64)
        matrix: F64 = scene_matrix(plan.mapping, scene_size) @ shift
        if method == "matrix":
            return matrix
        ys, xs = np.mgrid[0 : y1 - y0, 0 : x1 - x0].astype(np.float64)
        den = matrix[2, 0] * xs + matrix[2, 1] * ys + matrix[2, 2]
        map_x = ((matrix[0, 0] * xs + matrix[0, 1] * ys + matrix[0, 2]) / den).astype(np.float32)
        map_y = ((matrix[1, 0] * xs + matrix[1, 1] * ys + matrix[1, 2]) / den).astype(np.float32)
    else:
        s, t = plan.mesh_st
        map_x = np.where(np.isnan(s), OUTSIDE, s * sw - 0.5).astype(np.float32)
        map_y = np.where(np.isnan(t), OUTSIDE, t * sh - 0.5).astype(np.float32)
    if method == "fixed":
        # Integer pixel pairs plus a 5-bit fraction index: half the memory, no float math per frame.
        fixed_xy, fraction = cv2.convertMaps(map_x, map_y, cv2.CV_16SC2)
        return fixed_xy, fraction
    return map_x, map_y


def _build_shading(plan: _Plan, order: tuple[int, int, int, int]) -> _Shading:
    h, w = plan.lift.shape
    gain = np.empty((h, w, 4), np.uint8)
    for c in range(3):
        gain[:, :, order[c]] = plan.gain_rgb[:, :, c]
    gain[:, :, order[3]] = 255  # the padding (or alpha) byte passes through
    lift = None
    if plan.lift.any():
        lift = np.zeros((h, w, 4), np.uint8)
        for c in range(3):
            lift[:, :, order[c]] = plan.lift
    rects: list[tuple[Rect, U8, U8 | None]] = []
    for rect in plan.gained:
        y0, y1, x0, x1 = rect
        lift_roi = lift[y0:y1, x0:x1] if lift is not None and lift[y0:y1, x0:x1].any() else None
        rects.append((rect, gain[y0:y1, x0:x1], lift_roi))
    return _Shading(rects)
