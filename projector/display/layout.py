"""The frame a scene lays itself out in: its shape, the safe rectangle for words, the size unit.

Displays come in every shape: a 16:9 event screen, a tower (1080x1920, a
column, a totem), a banner across three projectors (5760x1080), a square
LED wall, a 1366x768 laptop, a 1200x1600 portrait monitor. A scene asks for a
:class:`Frame` on entry and lays out inside ``frame.area``: the largest
rectangle the operator's safe area leaves clear (``projector.core.safe_area``),
inset by the house margin, so no word touches an edge, a bezel or a window.

The unit ``u`` is a hundredth of the height of the 16:9 box that fits the
area: on a landscape screen it is the old "1% of the height"; on a tower it
follows the width, so type is sized by the dimension that limits reading; on
a banner it follows the height.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

import pygame

from projector.core.safe_area import NO_SAFE_AREA, SafeArea, usable_rect

log = logging.getLogger(__name__)

#: The house margin around the words, in units.
MARGIN_UNITS = 5.0
#: The smallest area (after margins) a scene can lay words out in legibly, in pixels.
MIN_AREA = (96, 54)


class Shape(enum.Enum):
    LANDSCAPE = "landscape"  # 16:9, 16:10, 4:3, 1366x768
    PORTRAIT = "portrait"  # towers, columns, totems, portrait monitors (1200x1600)
    BANNER = "banner"  # ultra-wide: 3840x1080, 5760x1080 across three projectors
    SQUARE = "square"  # LED walls, 5:4


def shape_of(width: int, height: int) -> Shape:
    ratio = width / max(1, height)
    if ratio >= 2.4:
        return Shape.BANNER
    if ratio <= 0.8:
        return Shape.PORTRAIT
    if ratio < 1.3:
        return Shape.SQUARE
    return Shape.LANDSCAPE


class NoRoom(RuntimeError):
    """The frame (or what its safe area leaves) is too small for words: the fallback card shows."""


@dataclass(frozen=True)
class Frame:
    """Where a scene may put words (``area``), what shape that is, and the size unit."""

    size: tuple[int, int]
    #: The safe rectangle, inside the house margin: every word goes in here.
    area: pygame.Rect
    #: The safe rectangle without the house margin: backgrounds, pictures and bars may use it.
    clear: pygame.Rect
    shape: Shape
    u: float

    @property
    def tall(self) -> bool:
        return self.shape is Shape.PORTRAIT

    @property
    def wide(self) -> bool:
        return self.shape is Shape.BANNER


def unit_for(width: int, height: int) -> float:
    """A hundredth of the height of the largest 16:9 box inside ``width`` x ``height``."""
    return max(0.01, min(height, width * 9 / 16) / 100)


def frame_for(size: tuple[int, int], safe_area: SafeArea = NO_SAFE_AREA) -> Frame:
    """The frame for a display of ``size`` with ``safe_area``; ``NoRoom`` when nothing legible fits."""
    w, h = int(size[0]), int(size[1])
    found = usable_rect((w, h), safe_area) if w > 0 and h > 0 else None
    if found is None:
        raise NoRoom(f"the safe area leaves no room on a {w}x{h} frame")
    clear = pygame.Rect(found)
    u = unit_for(clear.width, clear.height)
    margin = max(2, round(MARGIN_UNITS * u))
    # From the frame's edge, the house margin; from a line the operator drew (a margin, a
    # window), half of it at least, so words keep clear of it without wasting what they left.
    left = margin if clear.left == 0 else max(margin // 2, margin - clear.left)
    top = margin if clear.top == 0 else max(margin // 2, margin - clear.top)
    right = margin if clear.right == w else max(margin // 2, margin - (w - clear.right))
    bottom = margin if clear.bottom == h else max(margin // 2, margin - (h - clear.bottom))
    area = pygame.Rect(
        clear.left + left, clear.top + top, clear.width - left - right, clear.height - top - bottom
    )
    if area.width < MIN_AREA[0] or area.height < MIN_AREA[1]:
        raise NoRoom(
            f"only {max(0, area.width)}x{max(0, area.height)} px are left for words on a {w}x{h} frame "
            f"(at least {MIN_AREA[0]}x{MIN_AREA[1]} needed)"
        )
    return Frame((w, h), area, clear, shape_of(area.width, area.height), unit_for(area.width, area.height))


def stack(heights: list[int], top: int, height: int, min_gap: int, max_gap: int) -> list[int]:
    """Tops for blocks of ``heights`` laid one under the other in ``height`` pixels from ``top``.

    Gaps grow from ``min_gap`` up to ``max_gap`` to use the room; what is still
    left over goes equally above and below, so the group sits in the middle.
    """
    n = len(heights)
    if n == 0:
        return []
    used = sum(heights)
    gap = min_gap if n == 1 else min(max_gap, max(min_gap, (height - used) // (n - 1)))
    total = used + gap * (n - 1)
    y = top + max(0, (height - total) // 2)
    tops = []
    for block in heights:
        tops.append(y)
        y += block + gap
    return tops


def grid(count: int, columns: int) -> list[tuple[int, int]]:
    """(column, row) for ``count`` cells ``columns`` wide; the last row is centred by the caller."""
    return [(i % columns, i // columns) for i in range(count)]
