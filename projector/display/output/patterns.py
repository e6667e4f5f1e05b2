"""Test patterns for lining projectors up with a facade.

Each pattern is drawn onto a scene-sized surface, like any scene, and then goes
through the output stage: what the crew sees on the wall is the pattern as the
mapping places it. So a grid's circles look round on the wall exactly when the
corner-pin is right, and the overlap pattern's bands (computed back through the
mapping) land exactly on the output's blend strips.

* ``grid``: lines every N px, a centre cross, circles (aspect errors show as ellipses).
* ``crosshatch``: a white crosshatch with the output's name huge (which projector is which).
* ``bars``: SMPTE-like colour bars with a near-black step (black level) and a grey ramp.
* ``overlap``: the edge-blend strips of the mapping, tinted, with their widths labelled.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pygame

from projector.core.mapping import OutputMapping
from projector.display.output.output_stage import warp_points
from projector.display.text.fonts import FontBook
from projector.display.text.renderer import TextRenderer

PATTERNS = ("grid", "crosshatch", "bars", "overlap")

BLACK = (0, 0, 0)
WHITE = (255, 255, 255)
YELLOW = (255, 221, 0)
GREY = (110, 110, 110)
DARK = (40, 40, 40)
#: One tint per side, distinct so two projectors' overlapping bands can be told apart on the wall.
SIDE_TINTS = {
    "left": (0, 170, 255),
    "right": (255, 40, 170),
    "top": (255, 200, 0),
    "bottom": (40, 230, 90),
}

Colour = tuple[int, int, int]
Drawer = Callable[[pygame.Surface, OutputMapping, TextRenderer], None]


def draw_pattern(
    name: str, surface: pygame.Surface, mapping: OutputMapping, *, text: TextRenderer | None = None
) -> None:
    """Draw the test pattern ``name`` (one of :data:`PATTERNS`) over all of ``surface``.

    ``text`` is the display's renderer (``assets.text``); without one a new
    renderer is made, which is slower the first time.
    """
    drawer = _DRAWERS.get(name)
    if drawer is None:
        raise ValueError(f"unknown test pattern {name!r}; expected one of {', '.join(PATTERNS)}")
    drawer(surface, mapping, text or TextRenderer(FontBook()))


def _line_width(surface: pygame.Surface) -> int:
    """1 px at 1080p, 2 px at 4K: thin but visible."""
    return max(1, round(surface.get_height() / 1080))


def _spacing(surface: pygame.Surface) -> int:
    """Grid spacing: 12 cells down the height, a whole number of pixels."""
    return max(8, surface.get_height() // 12)


def _grid_lines(surface: pygame.Surface, spacing: int, colour: Colour, width: int) -> None:
    """Lines every ``spacing`` px, placed so that one vertical and one horizontal line cross the centre."""
    w, h = surface.get_size()
    cx, cy = w // 2, h // 2
    for x in range(cx % spacing, w, spacing):
        surface.fill(colour, (x - width // 2, 0, width, h))
    for y in range(cy % spacing, h, spacing):
        surface.fill(colour, (0, y - width // 2, w, width))


def _label(
    surface: pygame.Surface,
    text: TextRenderer,
    words: str,
    size: int,
    colour: Colour,
    centre: tuple[int, int],
) -> pygame.Rect:
    """Text on a black plate, centred at ``centre``: readable over any lines."""
    rendered = text.render(words, "strong", size, colour)
    rect = rendered.get_rect(center=centre)
    surface.fill(BLACK, rect.inflate(size // 2, size // 4))
    surface.blit(rendered, rect)
    return rect


def draw_grid(surface: pygame.Surface, mapping: OutputMapping, text: TextRenderer) -> None:
    w, h = surface.get_size()
    lw, spacing = _line_width(surface), _spacing(surface)
    surface.fill(BLACK)
    _grid_lines(surface, spacing, GREY, lw)
    cx, cy = w // 2, h // 2
    # Circles are round only when the mapping keeps the aspect: the eye spots an ellipse at once.
    pygame.draw.circle(surface, WHITE, (cx, cy), h // 2 - lw, 2 * lw)
    for qx, qy in ((w // 4, h // 4), (3 * w // 4, h // 4), (w // 4, 3 * h // 4), (3 * w // 4, 3 * h // 4)):
        pygame.draw.circle(surface, WHITE, (qx, qy), h // 6, lw)
    arm = spacing
    surface.fill(YELLOW, (cx - arm, cy - lw, 2 * arm, 2 * lw + 1))
    surface.fill(YELLOW, (cx - lw, cy - arm, 2 * lw + 1, 2 * arm))
    pygame.draw.rect(surface, YELLOW, (0, 0, w, h), 2 * lw)
    size = max(10, h // 40)
    _label(
        surface, text, f"{mapping.name} · grid {spacing} px · {w}×{h}", size, WHITE, (cx, h - spacing // 2)
    )


def draw_crosshatch(surface: pygame.Surface, mapping: OutputMapping, text: TextRenderer) -> None:
    w, h = surface.get_size()
    lw, spacing = _line_width(surface), _spacing(surface)
    surface.fill(BLACK)
    _grid_lines(surface, spacing, WHITE, lw)
    pygame.draw.rect(surface, WHITE, (0, 0, w, h), 3 * lw)
    pygame.draw.line(surface, GREY, (0, 0), (w - 1, h - 1), lw)
    pygame.draw.line(surface, GREY, (w - 1, 0), (0, h - 1), lw)
    # The name as big as fits: on a dark street the crew must read it from the projector.
    name = mapping.name or "output"
    size = text.fit_size(name, "display", int(w * 0.7), int(h * 0.28))
    title = _label(surface, text, name, size, YELLOW, (w // 2, int(h * 0.45)))
    info = f"{mapping.size[0]}×{mapping.size[1]} output · scene {w}×{h}"
    _label(surface, text, info, max(10, h // 30), WHITE, (w // 2, title.bottom + h // 14))


def draw_bars(surface: pygame.Surface, mapping: OutputMapping, text: TextRenderer) -> None:
    """SMPTE-like bars (75 % colours), castellations, then -I, white, +Q and a near-black step."""
    w, h = surface.get_size()
    surface.fill(BLACK)
    top = (
        (191, 191, 191),
        (191, 191, 0),
        (0, 191, 191),
        (0, 191, 0),
        (191, 0, 191),
        (191, 0, 0),
        (0, 0, 191),
    )
    middle = ((0, 0, 191), BLACK, (191, 0, 191), BLACK, (0, 191, 191), BLACK, (191, 191, 191))
    edges = [round(i * w / 7) for i in range(8)]
    y1, y2 = round(h * 0.60), round(h * 0.68)
    for i in range(7):
        surface.fill(top[i], (edges[i], 0, edges[i + 1] - edges[i], y1))
        surface.fill(middle[i], (edges[i], y1, edges[i + 1] - edges[i], y2 - y1))
    y3 = round(h * 0.86)
    quarter = edges[5] / 4
    bottom = ((0, 33, 76), WHITE, (50, 0, 106), BLACK)
    for i, colour in enumerate(bottom):
        x0 = round(i * quarter)
        surface.fill(colour, (x0, y2, round((i + 1) * quarter) - x0, y3 - y2))
    # Near-black step (0, 2 %, 4 %): set black level until the first two just differ.
    step = (edges[7] - edges[5]) / 3
    for i, level in enumerate((0, 5, 10)):
        x0 = edges[5] + round(i * step)
        surface.fill((level, level, level), (x0, y2, edges[5] + round((i + 1) * step) - x0, y3 - y2))
    # A grey ramp: blend and gamma errors show as bands.
    ramp = np.linspace(0, 255, w).astype(np.uint8)
    strip = pygame.Surface((w, 1))
    pygame.surfarray.pixels3d(strip)[:, 0, :] = ramp[:, None]
    surface.blit(pygame.transform.scale(strip, (w, h - y3)), (0, y3))
    size = max(10, h // 45)
    rendered = text.render(f"{mapping.name} · bars", "strong", size, WHITE)
    surface.blit(rendered, (edges[5] + size // 2, y2 + size // 4))


def strip_masks(mapping: OutputMapping, size: tuple[int, int]) -> dict[str, np.ndarray]:
    """For each side with a blend, the scene pixels (h, w bool) that land in its output strip."""
    w, h = size
    xs = (np.arange(w, dtype=np.float64) + 0.5) / w
    ys = (np.arange(h, dtype=np.float64) + 0.5) / h
    s, t = np.meshgrid(xs, ys)
    x, y = warp_points(mapping, s, t)
    out_w, out_h = mapping.size
    b = mapping.blend
    sides = {
        "left": (b.left, x < b.left),
        "right": (b.right, x >= out_w - b.right),
        "top": (b.top, y < b.top),
        "bottom": (b.bottom, y >= out_h - b.bottom),
    }
    return {side: mask for side, (width, mask) in sides.items() if width > 0}


def draw_overlap(
    surface: pygame.Surface, mapping: OutputMapping, text: TextRenderer, *, labels: bool = True
) -> None:
    """The blend strips, where they land in the scene, tinted and outlined, each labelled with its width."""
    w, h = surface.get_size()
    lw, spacing = _line_width(surface), _spacing(surface)
    surface.fill(BLACK)
    _grid_lines(surface, spacing, DARK, lw)
    masks = strip_masks(mapping, (w, h))
    size = max(10, h // 30)
    if not masks:
        _label(surface, text, f"{mapping.name}: no edge blend", size, WHITE, (w // 2, h // 2))
        return
    _tint(surface, masks, lw)
    if not labels:
        return
    for side, mask in masks.items():
        rows, cols = np.nonzero(mask)
        if rows.size == 0:
            continue  # the strip lies where no scene lands
        width = getattr(mapping.blend, side)
        words = f"{side.upper()} BLEND {width} px"
        rendered = text.render(words, "strong", size, WHITE)
        if side in ("left", "right"):
            rendered = pygame.transform.rotate(rendered, 90 if side == "left" else -90)
        rect = rendered.get_rect(center=(int(cols.mean()), int(rows.mean())))
        surface.fill(BLACK, rect.inflate(size // 3, size // 3))
        surface.blit(rendered, rect)
    _label(surface, text, f"{mapping.name} · overlap", size, WHITE, (w // 2, h // 2))


def _outline(mask: np.ndarray, width: int) -> np.ndarray:
    """The mask's pixels within ``width`` of its edge (inside)."""
    inner = mask.copy()
    for _ in range(width):
        shrunk = inner.copy()
        shrunk[1:, :] &= inner[:-1, :]
        shrunk[:-1, :] &= inner[1:, :]
        shrunk[:, 1:] &= inner[:, :-1]
        shrunk[:, :-1] &= inner[:, 1:]
        inner = shrunk
    edge: np.ndarray = mask & ~inner
    return edge


def _tint(surface: pygame.Surface, masks: dict[str, np.ndarray], line: int) -> None:
    """Tint each band and outline it; the pixel view (which locks the surface) ends with the call."""
    rgb = pygame.surfarray.pixels3d(surface).transpose(1, 0, 2)  # (h, w, 3), in place
    for side, mask in masks.items():
        tint = np.array(SIDE_TINTS[side], np.float32)
        rgb[mask] = (rgb[mask] * 0.35 + tint * 0.65).astype(np.uint8)
        rgb[_outline(mask, line)] = SIDE_TINTS[side]


_DRAWERS: dict[str, Drawer] = {
    "grid": draw_grid,
    "crosshatch": draw_crosshatch,
    "bars": draw_bars,
    "overlap": draw_overlap,
}
