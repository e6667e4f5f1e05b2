"""The safe area: where a display may put words, in fractions of its frame.

A projection on a facade meets windows, drainpipes and a balcony; an event
screen has a bezel that eats its edge; a TV overscans. An operator describes
this once per display (or per output of a projection) as *margins* (a share of
the frame's width or height kept clear on each side) and *keep-out boxes*
(rectangles, such as windows, that text must avoid). Scenes lay out their
words inside the largest rectangle that is clear of all of it; pictures and
colour fields may still run to the edge.

Everything is in fractions of the frame (0..1), so one safe area fits every
resolution a display may run at, and a change of resolution needs no edit.
Pure: no pygame, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from projector.core.model import ValidationError

#: A margin may take at most this share of its side (two opposite margins together
#: can still leave nothing: that is allowed, and the display copes).
MAX_MARGIN = 0.45
MAX_BOXES = 16
MARGIN_NAMES = ("top", "right", "bottom", "left")


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle in fractions of the frame: ``x``, ``y`` from the top-left, ``w``, ``h``."""

    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True, slots=True)
class SafeArea:
    """Margins (share of the frame's height for top/bottom, of its width for left/right)
    and keep-out boxes."""

    top: float = 0.0
    right: float = 0.0
    bottom: float = 0.0
    left: float = 0.0
    avoid: tuple[Box, ...] = ()

    @property
    def empty(self) -> bool:
        """True when it asks for nothing: the whole frame is safe."""
        return not (self.top or self.right or self.bottom or self.left or self.avoid)

    def mirrored(self) -> SafeArea:
        """The same area reflected left to right: a right-to-left layout is made in the
        mirrored area, then reflected back, so it keeps to the real one."""
        boxes = tuple(Box(1.0 - b.x - b.w, b.y, b.w, b.h) for b in self.avoid)
        return SafeArea(self.top, self.left, self.bottom, self.right, boxes)


NO_SAFE_AREA = SafeArea()

Rect = tuple[int, int, int, int]  # x, y, w, h in pixels


def _fraction(value: object, field: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(field, "must be a number (a fraction of the frame, 0 to 1)")
    if not lo <= value <= hi:
        raise ValidationError(field, f"must be between {lo:g} and {hi:g} (a fraction of the frame)")
    return float(value)


def _box(value: object, field: str) -> Box:
    if not isinstance(value, Mapping):
        raise ValidationError(field, 'must be an object {"x", "y", "w", "h"} in fractions of the frame')
    unknown = sorted(set(value) - {"x", "y", "w", "h"})
    if unknown:
        raise ValidationError(f"{field}.{unknown[0]}", "unknown field")
    for key in ("x", "y", "w", "h"):
        if key not in value:
            raise ValidationError(f"{field}.{key}", "is required")
    x = _fraction(value["x"], f"{field}.x", 0.0, 1.0)
    y = _fraction(value["y"], f"{field}.y", 0.0, 1.0)
    w = _fraction(value["w"], f"{field}.w", 0.0, 1.0)
    h = _fraction(value["h"], f"{field}.h", 0.0, 1.0)
    if w <= 0 or h <= 0:
        raise ValidationError(f"{field}.{'w' if w <= 0 else 'h'}", "a keep-out box must have a size")
    if x + w > 1.0 + 1e-9:
        raise ValidationError(f"{field}.w", "the box runs off the right of the frame (x + w > 1)")
    if y + h > 1.0 + 1e-9:
        raise ValidationError(f"{field}.h", "the box runs off the bottom of the frame (y + h > 1)")
    return Box(x, y, w, h)


def parse_safe_area(value: object, field: str = "safe_area") -> SafeArea:
    """``{"margins": {"top", "right", "bottom", "left"}, "avoid": [{"x", "y", "w", "h"}, ...]}``.

    Both keys are optional; a missing margin is 0. Raises ``ValidationError``
    naming the offending field (``safe_area.margins.top``, ``safe_area.avoid[2].w``).
    """
    if not isinstance(value, Mapping):
        raise ValidationError(field, 'must be an object {"margins": {...}, "avoid": [...]}')
    unknown = sorted(set(value) - {"margins", "avoid"})
    if unknown:
        raise ValidationError(f"{field}.{unknown[0]}", "unknown field; expected margins and avoid")
    margins = value.get("margins", {})
    if not isinstance(margins, Mapping):
        raise ValidationError(f"{field}.margins", 'must be an object {"top", "right", "bottom", "left"}')
    bad = sorted(set(margins) - set(MARGIN_NAMES))
    if bad:
        raise ValidationError(
            f"{field}.margins.{bad[0]}", "unknown margin; expected top, right, bottom, left"
        )
    sides = {
        name: _fraction(margins.get(name, 0.0), f"{field}.margins.{name}", 0.0, MAX_MARGIN)
        for name in MARGIN_NAMES
    }
    avoid = value.get("avoid", [])
    if not isinstance(avoid, list | tuple):
        raise ValidationError(f"{field}.avoid", "must be a list of boxes")
    if len(avoid) > MAX_BOXES:
        raise ValidationError(f"{field}.avoid", f"at most {MAX_BOXES} keep-out boxes")
    boxes = tuple(_box(item, f"{field}.avoid[{i}]") for i, item in enumerate(avoid))
    return SafeArea(sides["top"], sides["right"], sides["bottom"], sides["left"], boxes)


def safe_area_to_wire(area: SafeArea) -> dict[str, object]:
    return {
        "margins": {"top": area.top, "right": area.right, "bottom": area.bottom, "left": area.left},
        "avoid": [{"x": b.x, "y": b.y, "w": b.w, "h": b.h} for b in area.avoid],
    }


def within(area: SafeArea, slice_: Box) -> SafeArea:
    """An output's safe area (fractions of the output) as keep-out boxes of the whole canvas.

    ``slice_`` is where the output sits on the canvas, in fractions of the
    canvas. Margins become strips inside the slice; boxes are scaled into it.
    """
    sx, sy, sw, sh = slice_.x, slice_.y, slice_.w, slice_.h
    boxes: list[Box] = []
    if area.top:
        boxes.append(Box(sx, sy, sw, area.top * sh))
    if area.bottom:
        boxes.append(Box(sx, sy + sh * (1 - area.bottom), sw, area.bottom * sh))
    if area.left:
        boxes.append(Box(sx, sy, area.left * sw, sh))
    if area.right:
        boxes.append(Box(sx + sw * (1 - area.right), sy, area.right * sw, sh))
    boxes.extend(Box(sx + b.x * sw, sy + b.y * sh, b.w * sw, b.h * sh) for b in area.avoid)
    return SafeArea(avoid=tuple(boxes))


def combine(areas: Iterable[SafeArea]) -> SafeArea:
    """Everything any of ``areas`` keeps clear: the widest margins and every box."""
    top = right = bottom = left = 0.0
    boxes: list[Box] = []
    for a in areas:
        top, right, bottom, left = (
            max(top, a.top),
            max(right, a.right),
            max(bottom, a.bottom),
            max(left, a.left),
        )
        boxes.extend(a.avoid)
    return SafeArea(top, right, bottom, left, tuple(boxes))


@lru_cache(maxsize=64)
def usable_rect(size: tuple[int, int], area: SafeArea) -> Rect | None:
    """The largest rectangle of the frame, in pixels, inside the margins and clear of every box.

    None when nothing is left. Ties go to the rectangle nearest the frame's
    centre, so a symmetric safe area gives a centred layout.
    """
    w, h = size
    x0 = math.ceil(area.left * w)
    y0 = math.ceil(area.top * h)
    x1 = math.floor(w - area.right * w)
    y1 = math.floor(h - area.bottom * h)
    if x1 <= x0 or y1 <= y0:
        return None
    boxes = []
    for b in area.avoid:
        bx0, by0 = math.floor(b.x * w), math.floor(b.y * h)
        bx1, by1 = math.ceil((b.x + b.w) * w), math.ceil((b.y + b.h) * h)
        # Only what overlaps the inner rectangle matters.
        bx0, by0, bx1, by1 = max(bx0, x0), max(by0, y0), min(bx1, x1), min(by1, y1)
        if bx1 > bx0 and by1 > by0:
            boxes.append((bx0, by0, bx1, by1))
    if not boxes:
        return (x0, y0, x1 - x0, y1 - y0)
    return _largest_free(boxes, (x0, y0, x1, y1), (w / 2, h / 2))


def _largest_free(
    boxes: list[tuple[int, int, int, int]], inner: tuple[int, int, int, int], centre: tuple[float, float]
) -> Rect | None:
    """The largest rectangle in ``inner`` that no box overlaps (all as x0, y0, x1, y1).

    A maximal free rectangle has each side on the inner edge or on a box's edge,
    so the plane is cut along those edges into a grid of cells, each wholly
    free or wholly covered. Row by row, each column's free height above the row
    is a histogram, and the largest rectangle under a histogram with columns of
    different widths is found with one stack pass: O(cells), so even 16 outputs'
    worth of keep-out boxes lay out in a fraction of a frame.
    """
    x0, y0, x1, y1 = inner
    xs = sorted({x0, x1, *(b[0] for b in boxes), *(b[2] for b in boxes)})
    ys = sorted({y0, y1, *(b[1] for b in boxes), *(b[3] for b in boxes)})
    col = {x: i for i, x in enumerate(xs)}
    row = {y: i for i, y in enumerate(ys)}
    covered = [bytearray(len(xs) - 1) for _ in range(len(ys) - 1)]
    for bx0, by0, bx1, by1 in boxes:
        for r in range(row[by0], row[by1]):
            line = covered[r]
            for c in range(col[bx0], col[bx1]):
                line[c] = 1
    heights = [0] * (len(xs) - 1)
    best: tuple[int, float, Rect] | None = None
    cx, cy = centre
    for r in range(len(ys) - 1):
        bottom = ys[r + 1]
        line = covered[r]
        for c in range(len(heights)):
            heights[c] = 0 if line[c] else heights[c] + ys[r + 1] - ys[r]
        stack: list[tuple[int, int]] = []  # (first column, height), heights increasing
        for c in range(len(heights) + 1):
            height = heights[c] if c < len(heights) else 0
            start = c
            while stack and stack[-1][1] >= height:
                first, tall = stack.pop()
                if tall > 0:
                    rect = (xs[first], bottom - tall, xs[c] - xs[first], tall)
                    area = rect[2] * rect[3]
                    off = abs(rect[0] + rect[2] / 2 - cx) + abs(rect[1] + rect[3] / 2 - cy)
                    if best is None or area > best[0] or (area == best[0] and off < best[1]):
                        best = (area, off, rect)
                start = first
            stack.append((start, height))
    return best[2] if best is not None else None
