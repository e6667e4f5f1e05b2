"""The headline total: a huge counter, progress toward the goal, the record, the channels.

Designed for a facade at night: black ground, white digits as large as the
frame allows, the campaign yellow for progress. The counter eases toward each
new total and re-aims from the value on screen, so bursts of actions read as a
steady climb; it never runs backwards and its digits sit in fixed cells so
they never jitter.

The layout follows the frame (``projector.display.layout``): on a 16:9 screen
the number sits under the campaign's name with the bar and the channels
below; on a tower everything is stacked and centred and the channels form
two columns; on a banner the number takes the left half and the bar and
channels the right. The ``facade`` variant keeps only the number and one
line, as large as they go, for reading from across a square.

Words and numbers come from the display's locale (``assets.locale``): the
labels from its catalog, the numbers with its grouping (1.234.567 in
Turkish), the campaign's name and tagline in its language where the
operator gave them. A right-to-left locale mirrors the layout: the bar
fills from the right, the header and the first channel sit on the right.

The record moment: when the total passes last year's record the number turns
gold and a banner and confetti celebrate, but only once the number *on
screen* has passed the record; while it lasts the scene asks the director to
hold the rotation (``holding``).
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import pygame

from projector.core.model import campaign_field, campaign_text
from projector.core.moments import CELEBRATION_SECONDS, COUNTER_LANDING_SECONDS, MAX_CELEBRATION_SECONDS
from projector.core.state import ShowState
from projector.display.layout import Frame, Shape, frame_for, stack
from projector.display.look import HOUSE, Look, look_of, mix
from projector.display.scene import (
    DEFAULT_TAGLINE,
    clamp_dt,
    param_float,
    param_str,
    register,
    set_fade,
)
from projector.display.text.digits import Digits
from projector.i18n.localizer import N_

if TYPE_CHECKING:
    from projector.display.assets import Assets

log = logging.getLogger(__name__)

#: The breakdown: every channel, so the row adds up to the total (``other`` takes the rest).
#: Labels are catalog msgids, translated where they are drawn.
CHANNELS: tuple[tuple[str, str], ...] = (
    ("letter", N_("LETTERS")),
    ("email", N_("EMAILS")),
    ("sms", N_("SMS")),
    ("fax", N_("FAXES")),
    ("tweet", N_("TWEETS")),
    ("signature", N_("SIGNATURES")),
    ("other", N_("OTHER")),
)
_NAMED = tuple(key for key, _ in CHANNELS if key != "other")
VARIANTS = ("full", "facade")


class Counter:
    """A displayed integer that eases toward a target and never decreases.

    ``aim`` may be called at any time: the ease continues from the value on
    screen, not from the previous target, so a burst of totals is a smooth
    climb. A target below what is already shown is held (logged once): a
    number that ticks backwards on a building reads as a glitch or a lie; the
    true value shows the next time the scene is entered.
    """

    def __init__(self, value: int, tau: float = 0.45, min_rate: float = 12.0) -> None:
        value = max(0, int(value))
        self.target = value
        self.shown = float(value)
        self.displayed = value
        self.tau = tau
        self.min_rate = min_rate
        self.floor_rate = min_rate
        self._warned = False

    def aim(self, target: int) -> None:
        if target < self.displayed:
            if not self._warned:
                log.warning("total went down (%d -> %d); holding the displayed value", self.displayed, target)
                self._warned = True
            target = self.displayed
        if target != self.target:
            # However big the jump, the counter lands within a few seconds: the
            # exponential ease is fast at first, this floor speed finishes it.
            self.floor_rate = max(self.min_rate, (target - self.shown) / 3.0)
        self.target = int(target)

    def step(self, dt: float) -> None:
        dt = clamp_dt(dt)
        gap = self.target - self.shown
        if gap <= 0:
            self.shown = float(self.target) if gap > -1 else self.shown
        else:
            move = max(gap * (1.0 - math.exp(-dt / self.tau)), min(gap, self.floor_rate * dt))
            self.shown = self.target if gap - move < 0.5 else self.shown + move
        self.displayed = max(self.displayed, min(self.target, int(self.shown)))

    @property
    def settled(self) -> bool:
        return self.displayed >= self.target


class _Confetti:
    """Paper squares falling over the screen: cheap (fill rects), seeded, deterministic."""

    def __init__(self, size: tuple[int, int], count: int, seed: int = 7, look: Look = HOUSE) -> None:
        self.w, self.h = size
        # The kit's accent and text, and two shades between them (house: pale yellow, light grey).
        self.colours = (
            look.accent,
            look.text,
            mix(look.accent, look.text, 0.6),
            mix(look.text, look.background, 0.2),
        )
        self.rng = random.Random(seed)
        self.u = min(self.w, self.h) / 100
        self.parts: list[list[float]] = [self._spawn(initial=True) for _ in range(count)]

    def _spawn(self, initial: bool = False) -> list[float]:
        r = self.rng
        y = -r.uniform(0, self.h) if initial else -r.uniform(0, 10 * self.u)
        return [
            r.uniform(0, self.w),
            y,
            r.uniform(-8, 8) * self.u,
            r.uniform(14, 30) * self.h / 100,
            r.uniform(0.9, 2.0) * self.u,
            r.uniform(0, 6.28),
            float(r.randrange(len(self.colours))),
        ]

    def step(self, dt: float, respawn: bool) -> None:
        for p in self.parts:
            p[0] += p[2] * dt
            p[1] += p[3] * dt
            p[5] += dt * 6
            if p[1] > self.h and respawn:
                p[:] = self._spawn()

    def draw(self, surface: pygame.Surface) -> None:
        fill = surface.fill
        for x, y, _, _, size, phase, colour in self.parts:
            if 0 <= y < self.h:
                width = max(1, int(size * abs(math.cos(phase))))
                fill(self.colours[int(colour)], (int(x), int(y), width, int(size)))


@dataclass
class _Cell:
    """One channel of the breakdown: where its number and label go."""

    key: str
    rect: pygame.Rect
    label: pygame.Surface


@register
class TotalsScene:
    name: ClassVar[str] = "totals"
    #: The house look until the first entry (a scene is always entered before it draws).
    look: Look = HOUSE

    def enter(self, state: ShowState, assets: Assets, params: Mapping[str, Any]) -> None:
        # The campaign's look, taken on entry: a kit changed in the panel shows from the next entry.
        self.look = look_of(state.campaign.brand, assets.faces_for(state.campaign.brand))
        self.assets = assets
        self.text = assets.text
        self.t = assets.locale
        self.rtl = self.t.rtl
        self.frame: Frame = frame_for(assets.size, assets.safe_area)
        self.w, self.h = assets.size
        self.u = self.frame.u
        self.celebration_seconds = param_float(
            params, "celebration", CELEBRATION_SECONDS, 0.0, MAX_CELEBRATION_SECONDS
        )
        variant = param_str(params, "variant", 20) or "full"
        if variant not in VARIANTS:
            log.error("totals: unknown variant %r (expected %s); using full", variant, ", ".join(VARIANTS))
            variant = "full"
        self.variant = variant
        self.counter = Counter(state.totals.total)
        self.channels = {key: Counter(self._channel_value(state, key)) for key, _ in CHANNELS}
        self.record_at = state.record_beaten_at
        #: The record was beaten while this scene was on: celebrate once the number on screen passes it.
        self.pending = 0.0
        self.celebrating = 0.0
        self.pulse = 0.0
        self.confetti: _Confetti | None = None
        self.campaign = state.campaign
        self._digits_for = 0
        self._layout_static()
        self._update_numbers()

    @staticmethod
    def _channel_value(state: ShowState, key: str) -> int:
        """A channel's count; ``other`` is the rest of the total, so the row always adds up."""
        totals = state.totals
        if key == "other":
            return max(0, totals.total - sum(totals.by_channel.get(k, 0) for k in _NAMED))
        return totals.by_channel.get(key, 0)

    # --- layout and pre-rendering (only on enter or when the campaign changes) --------------

    def _layout_static(self) -> None:
        c = self.campaign
        words = campaign_text(c, self.assets.languages)
        self.name_line = self.t.upper(*campaign_field(c, self.assets.languages, "name"))
        self.tagline = words.tagline.strip() or self.t.gettext(DEFAULT_TAGLINE)
        #: Without a goal or a record there is nothing to measure progress against: no bar.
        self.has_bar = (c.goal > 0 or c.record > 0) and self.variant == "full"
        self.scale_max = max(c.goal, c.record, 1)
        self.header: pygame.Surface | None = None
        self.header_pos = (0, 0)
        self.cells: list[_Cell] = []
        self.bar = pygame.Rect(0, 0, 0, 0)
        self.bar_text_size = 8
        self.bar_u = self.u
        self.k = 1.0
        self.overflow = 0
        self.goal_label: pygame.Surface | None = None
        self.record_label: pygame.Surface | None = None
        self.stack_goal = False
        if self.variant == "facade":
            self._layout_facade()
            return
        layout = {Shape.BANNER: self._layout_banner, Shape.PORTRAIT: self._layout_tower}.get(
            self.frame.shape, self._layout_screen
        )
        # The sizes are made for the usual proportions of each shape; a frame between them
        # (1200x1600, 4:3) may be shorter than they need: the same layout, a little smaller.
        for k in (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4):
            self.k, self.overflow = k, 0
            self.cells = []
            layout()
            if self.overflow <= 0:
                return
        log.warning("totals: the frame %dx%d is too short for the whole layout", self.w, self.h)

    def _stack(self, heights: list[int], top: int, height: int, min_gap: int, max_gap: int) -> list[int]:
        """``stack``, noting by how much the blocks overflow ``height`` (the layout then shrinks)."""
        self.overflow = max(self.overflow, sum(heights) + min_gap * (len(heights) - 1) - height)
        return stack(heights, top, height, min_gap, max_gap)

    def _fit_line(
        self,
        words: str,
        face: str,
        box: tuple[int, int],
        max_size: int,
        colour: tuple[int, int, int],
        lines: int,
    ) -> pygame.Surface:
        """``words`` as large as they fit ``box`` on at most ``lines`` balanced lines, centred."""
        u = self.u
        fitted = self.assets.fit.fit(
            words, face, box[0], box[1], max_size, max(8, int(2 * u)), max_lines=lines
        )
        return self.text.render_lines(
            list(fitted.lines), face, fitted.size, colour, align="center", leading=0.92
        )

    def _set_digits(self, width: int, max_size: int) -> None:
        """Digits for numbers up to the largest the campaign can reach, as large as ``width`` allows."""
        self.number_width = width
        self.number_max = max_size
        self._size_big_digits(len(str(max(self.counter.target, self.campaign.goal, self.campaign.record))))

    def _size_big_digits(self, n_digits: int) -> None:
        n_digits = max(n_digits, 6)
        sample = self.t.number(int("8" * n_digits))
        size = max(8, int(self.number_max))
        advance = max(self.text.width(d, self.look.display, size) for d in "0123456789")
        sample_width = sum(
            advance if ch.isdigit() else self.text.width(ch, self.look.display, size) for ch in sample
        )
        if sample_width > self.number_width:
            size = max(8, int(size * self.number_width / sample_width))
        self.big = Digits(self.text, self.look.display, size, self.look.text, bg=self.look.background)
        self.big_gold = Digits(self.text, self.look.display, size, self.look.accent, bg=self.look.background)
        sample_width = self.big.width(sample)
        # The estimate above measures separators as lines; a locale's separator may draw wider
        # (French's narrow no-break space from the fallback font): shrink on a real overflow,
        # not on the pixel or two of a comma's side bearings, which the frame's margin absorbs.
        if sample_width > self.number_width * 1.02:
            size = max(8, int(size * self.number_width / sample_width))
            self.big = Digits(self.text, self.look.display, size, self.look.text, bg=self.look.background)
            self.big_gold = Digits(
                self.text, self.look.display, size, self.look.accent, bg=self.look.background
            )
        # The ink band of every digit and the separator (a comma hangs below the digits).
        self.big_ink = (self.big.top, self.big.top + self.big.height)
        self.digit_size = size
        self._digits_for = n_digits

    @property
    def number_height(self) -> int:
        return self.big_ink[1] - self.big_ink[0]

    def _badges(self, width: int) -> None:
        u = self.u
        t = self.t
        self.banner = self._make_banner(t.gettext("NEW RECORD!"), width, int(6 * u))
        self.badge = self._fit_line(
            t.gettext("RECORD BROKEN"),
            self.look.display,
            (width, int(6 * u)),
            int(4.2 * u),
            self.look.accent,
            1,
        )

    def _make_banner(self, words: str, width: int, size: int) -> pygame.Surface:
        u = self.u
        pad = int(2 * u)
        size = self.text.fit_size(words, self.look.display, max(8, width - 2 * pad), size)
        glyphs = self.text.render(words, self.look.display, size, self.look.on_accent, self.look.accent)
        banner = pygame.Surface((glyphs.get_width() + 2 * pad, glyphs.get_height()))
        if pygame.display.get_surface() is not None:
            banner = banner.convert()
        banner.fill(self.look.accent)
        banner.blit(glyphs, (pad, 0))
        return banner

    def _bar_block(self, rect: pygame.Rect, u: float) -> int:
        """The progress bar across ``rect``'s width from its top, with its labels; returns its height."""
        c = self.campaign
        self.bar_u = u
        if not self.has_bar:
            return 0
        size = int(3.2 * u)
        t = self.t
        record = t.gettext("LAST YEAR {number}").format(number=t.isolate(t.number(c.record)))
        goal = t.gettext("GOAL {number}").format(number=t.isolate(t.number(c.goal)))
        self.record_label = (
            self._fit_line(record, "strong", (rect.width, int(5 * u)), int(2.8 * u), self.look.text, 1)
            if c.record
            else None
        )
        above = (self.record_label.get_height() + int(1.8 * u)) if self.record_label else int(1.5 * u)
        self.bar = pygame.Rect(rect.left, rect.top + above, rect.width, max(4, int(4.2 * u)))
        # "82% OF THE GOAL" at the left and "GOAL 2,300,000" at the right must not meet:
        # smaller type, or one under the other on a narrow frame.
        sample = self._percent_words(1.0)
        need = self.text.width(sample, "strong", size) + self.text.width(goal, "strong", size) + int(3 * u)
        self.stack_goal = bool(c.goal) and need > rect.width
        if self.stack_goal:
            size = min(size, self.text.fit_size(sample, "strong", rect.width, size))
        self.bar_text_size = size
        self.goal_label = self.text.render(goal, "strong", size, self.look.text) if c.goal else None
        line = self.text.line_height("strong", size)
        below = int(1.2 * u) + (line * (2 if self.stack_goal else 1) if c.goal else 0)
        return self.bar.bottom + below - rect.top

    def _channel_grid(self, rect: pygame.Rect, columns: int, u: float, digits: float, labels: float) -> int:
        """The breakdown in ``columns`` columns inside ``rect`` from its top; returns its height.

        ``digits`` and ``labels`` are type sizes in units of ``u``."""
        text = self.text
        self.grid_u = u
        digits_px, label_px = max(8, int(digits * u)), max(8, int(labels * u))
        rows = math.ceil(len(CHANNELS) / columns)
        cell_w = rect.width // columns
        widest = self.t.number(max(self.counter.target, self.campaign.goal, 10**6))
        # The widest number the row may show and the longest label must fit a cell.
        while digits_px > 8 and text.width(widest, self.look.display, digits_px) > cell_w * 0.92:
            digits_px = int(digits_px * 0.92)
        self.small_digits = Digits(
            text, self.look.display, digits_px, self.look.text, bg=self.look.background
        )
        names = [self.t.gettext(label) for _, label in CHANNELS]
        longest = max(names, key=lambda s: text.width(s, "strong", label_px))
        label_px = text.fit_size(longest, "strong", int(cell_w * 0.92), label_px)
        cell_h = self.small_digits.height + int(u) + text.line_height("strong", label_px)
        row_gap = int(2.5 * u)
        self.cells = []
        for i, ((key, _), label) in enumerate(zip(CHANNELS, names, strict=True)):
            col, row = i % columns, i // columns
            in_row = min(columns, len(CHANNELS) - row * columns)
            offset = (columns - in_row) * cell_w // 2  # a short last row sits in the middle
            cell = pygame.Rect(
                rect.left + offset + col * cell_w, rect.top + row * (cell_h + row_gap), cell_w, cell_h
            )
            self.cells.append(_Cell(key, cell, text.render(label, "strong", label_px, self.look.accent)))
        return rows * cell_h + (rows - 1) * row_gap

    def _layout_screen(self) -> None:
        """16:9, 16:10, 4:3 and square: name and badge on top, the number, the bar, one row of channels."""
        a, u = self.frame.area, self.u * self.k
        square = self.frame.shape is Shape.SQUARE
        name = self.name_line
        header_w = int(a.width * (1.0 if square else 0.6))
        self.header = self._fit_line(
            name, self.look.display, (header_w, int(9 * u)), int(7.5 * u), self.look.accent, 1
        )
        self._badges(int(a.width * (1.0 if square else 0.38)))
        self._set_digits(a.width, int(36 * u))
        self.label = self._fit_line(
            self.tagline, self.look.display, (a.width, int(12 * u)), int(5.5 * u), self.look.text, 2
        )
        columns = 4 if square else len(CHANNELS)
        grid_h = self._channel_grid(pygame.Rect(a.left, 0, a.width, 0), columns, u, 7, 2.7)
        bar_h = self._bar_block(pygame.Rect(a.left, 0, a.width, 0), u)
        top_h = self.header.get_height() + (self.badge.get_height() + int(u) if square else 0)
        number_h = self.number_height + int(2.5 * u) + self.label.get_height()
        tops = self._stack([top_h, number_h, bar_h, grid_h], a.top, a.height, int(1.5 * u), int(8 * u))
        self._place(tops, centred_header=square)

    def _layout_tower(self) -> None:
        """A tower or a portrait screen: everything centred and stacked; channels in two columns.

        Sizes follow the width here (``v``, a hundredth of it): the height is plenty.
        """
        a, u = self.frame.area, self.u * self.k
        v = a.width / 100 * self.k
        self.header = self._fit_line(
            self.name_line, self.look.display, (a.width, int(20 * v)), int(9 * v), self.look.accent, 2
        )
        self._badges(a.width)
        self._set_digits(a.width, int(40 * v))
        self.label = self._fit_line(
            self.tagline, self.look.display, (a.width, int(22 * v)), int(9 * v), self.look.text, 2
        )
        grid_h = self._channel_grid(pygame.Rect(a.left, 0, a.width, 0), 2, v, 10, 3.6)
        bar_h = self._bar_block(pygame.Rect(a.left, 0, a.width, 0), v)
        top_h = self.header.get_height() + int(u) + self.banner.get_height()
        number_h = self.number_height + int(3 * v) + self.label.get_height()
        tops = self._stack([top_h, number_h, bar_h, grid_h], a.top, a.height, int(3 * v), int(12 * v))
        self._place(tops, centred_header=True)

    def _layout_banner(self) -> None:
        """A banner: the name, the number and its line on the left; the bar and channels on the right."""
        a, u = self.frame.area, self.u * self.k
        gap = int(6 * u)
        self._set_digits(int(a.width * 0.5), int(44 * u))
        # The left column is as wide as the number needs; the rest goes to the bar and channels.
        widest = self.big.width(self.t.number(int("8" * self._digits_for)))
        left = pygame.Rect(a.left, a.top, min(int(a.width * 0.5), max(widest, int(a.width * 0.3))), a.height)
        right = pygame.Rect(left.right + gap, a.top, a.right - left.right - gap, a.height)
        self.header = self._fit_line(
            self.name_line, self.look.display, (left.width, int(12 * u)), int(9 * u), self.look.accent, 1
        )
        self._badges(right.width)
        self.label = self._fit_line(
            self.tagline, self.look.display, (left.width, int(10 * u)), int(8 * u), self.look.text, 1
        )
        number_h = self.number_height + int(2.5 * u) + self.label.get_height()
        tops = self._stack(
            [self.header.get_height(), number_h], left.top, left.height, int(4 * u), int(10 * u)
        )
        self.header_pos = (left.left, tops[0])
        self._number_block(left, tops[1])
        columns = len(CHANNELS) if right.width >= len(CHANNELS) * 24 * u else 4
        grid_h = self._channel_grid(pygame.Rect(right.left, 0, right.width, 0), columns, u, 11, 4)
        bar_h = self._bar_block(pygame.Rect(right.left, 0, right.width, 0), 1.25 * u)
        rtops = self._stack(
            [self.banner.get_height(), bar_h, grid_h], right.top, right.height, int(3 * u), int(8 * u)
        )
        self.badge_pos = (right.right, rtops[0])
        self._shift_bar(rtops[1])
        self._shift_cells(rtops[2])

    def _layout_facade(self) -> None:
        """Only the number and one line, as large as the frame allows: read from a hundred metres."""
        a, u = self.frame.area, self.u
        self._badges(a.width)
        self._set_digits(a.width, int(a.height * 0.62))
        self.label = self._fit_line(
            self.tagline,
            self.look.display,
            (a.width, int(a.height * 0.22)),
            int(a.height * 0.16),
            self.look.text,
            1,
        )
        number_h = self.number_height + int(4 * u) + self.label.get_height()
        top = a.top + (a.height - number_h) // 2
        self._number_block(a, top)
        self.badge_pos = (a.centerx, self.label_pos[1])

    def _number_block(self, rect: pygame.Rect, top: int) -> None:
        """The number (centred in ``rect``) from ``top``, and its line under it."""
        self.number_top = top - self.big_ink[0]
        self.number_centre = rect.centerx
        label_y = top + self.number_height + int(2.5 * self.u)
        self.label_pos = (rect.centerx - self.label.get_width() // 2, label_y)

    def _place(self, tops: list[int], *, centred_header: bool) -> None:
        a, u = self.frame.area, self.u
        assert self.header is not None
        if centred_header:
            self.header_pos = (a.centerx - self.header.get_width() // 2, tops[0])
            self.badge_pos = (a.centerx, tops[0] + self.header.get_height() + int(u))
        else:
            self.header_pos = (a.left, tops[0])
            self.badge_pos = (a.right, tops[0])
        self._number_block(a, tops[1])
        self._shift_bar(tops[2])
        self._shift_cells(tops[3])

    def _shift_bar(self, top: int) -> None:
        self.bar_top = top
        self.bar.top += top

    def _shift_cells(self, top: int) -> None:
        for cell in self.cells:
            cell.rect.top += top

    # --- per frame ----------------------------------------------------------------------

    @property
    def holding(self) -> bool:
        """True while the record moment runs (or is about to): the director holds the rotation."""
        return self.pending > 0 or self.celebrating > 0

    def update(self, state: ShowState, dt: float) -> None:
        dt = clamp_dt(dt)
        if state.campaign != self.campaign:
            self.campaign = state.campaign
            self._layout_static()
        self.counter.aim(state.totals.total)
        for key, counter in self.channels.items():
            counter.aim(self._channel_value(state, key))
        if self.record_at is None and state.record_beaten_at is not None and self.celebration_seconds > 0:
            # Beaten while on screen: wait for the number on screen to pass the record.
            self.pending = COUNTER_LANDING_SECONDS
        self.record_at = state.record_beaten_at
        self.counter.step(dt)
        for counter in self.channels.values():
            counter.step(dt)
        if self.pending > 0:
            self.pending = max(0.0, self.pending - dt)
            if self.counter.displayed >= self.campaign.record:
                self.pending = 0.0
                self.celebrating = self.celebration_seconds
                self.confetti = _Confetti((self.w, self.h), 260, look=self.look)
        elif self.celebrating > 0:
            self.celebrating = max(0.0, self.celebrating - dt)
        if self.celebrating > 0:
            self.pulse += dt
            strength = 0.5 + 0.5 * math.cos(self.pulse * 2 * math.pi / 1.2)
            set_fade(self.banner, 205 + 50 * strength)
        if self.confetti is not None:
            self.confetti.step(dt, respawn=self.celebrating > 2.5)
            if self.celebrating <= 0:
                self.confetti = None
        if len(str(self.counter.displayed)) > self._digits_for:
            self._size_big_digits(len(str(self.counter.displayed)))
        self._update_numbers()

    def _update_numbers(self) -> None:
        self.number = self.t.number(self.counter.displayed)
        self.channel_numbers = [self.t.number(self.channels[key].displayed) for key, _ in CHANNELS]
        if not self.campaign.goal and self.counter.displayed > self.scale_max:
            self.scale_max = int(self.counter.displayed * 1.1)  # record only: keep the bar's end ahead
        self.fraction = min(1.0, self.counter.displayed / self.scale_max)

    @property
    def displayed_total(self) -> int:
        """What the counter shows right now (for instrumentation and tests)."""
        return self.counter.displayed

    @property
    def record_on_screen(self) -> bool:
        """The record is beaten and the number on screen says so."""
        return self.record_at is not None and self.counter.displayed >= self.campaign.record

    def _x(self, x: int, width: int) -> int:
        """Where something laid out at ``x``, ``width`` wide, goes: mirrored across the frame in
        a right-to-left locale (the layout is computed left to right, then reflected)."""
        if not self.rtl:
            return x
        a = self.frame.area
        return a.left + a.right - x - width

    def _rect(self, r: pygame.Rect) -> pygame.Rect:
        return pygame.Rect(self._x(r.left, r.width), r.top, r.width, r.height)

    @property
    def number_rect(self) -> pygame.Rect:
        """Where the number's ink band is drawn this frame."""
        width = self.big.width(self.number)
        return self._rect(
            pygame.Rect(
                self.number_centre - width // 2, self.number_top + self.big.top, width, self.big.height
            )
        )

    def _percent_words(self, fraction: float) -> str:
        t = self.t
        return t.gettext("{percent} OF THE GOAL").format(percent=t.isolate(t.percent(fraction)))

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(self.look.background)
        if self.header is not None:
            surface.blit(
                self.header, (self._x(self.header_pos[0], self.header.get_width()), self.header_pos[1])
            )
        digits = self.big_gold if self.celebrating > 0 else self.big
        width = digits.width(self.number)
        digits.blit(surface, self.number, self._x(self.number_centre - width // 2, width), self.number_top)
        if not (self.variant == "facade" and self.celebrating > 0):
            surface.blit(self.label, (self._x(self.label_pos[0], self.label.get_width()), self.label_pos[1]))
        if self.has_bar:
            self._draw_bar(surface)
        if self.cells:
            self._draw_channels(surface)
        if self.record_on_screen:
            self._draw_record(surface)
        if self.confetti is not None:
            self.confetti.draw(surface)

    def _draw_bar(self, surface: pygame.Surface) -> None:
        u, bar = self.bar_u, self.bar
        shown = self._rect(bar)
        surface.fill(self.look.dark, shown)
        fill_w = int(bar.width * self.fraction)
        if fill_w > 0:  # the bar fills in the reading direction
            surface.fill(
                self.look.accent,
                (shown.right - fill_w if self.rtl else shown.left, shown.top, fill_w, shown.height),
            )
        text_y = bar.bottom + int(1.2 * u)
        if self.goal_label is not None:
            fraction = self.counter.displayed / max(1, self.campaign.goal)
            words = self._percent_words(int(100 * fraction) / 100)
            pct = self.text.render(words, "strong", self.bar_text_size, self.look.text)
            surface.blit(pct, (self._x(bar.left, pct.get_width()), text_y))
            goal_y = text_y + pct.get_height() if self.stack_goal else text_y
            goal_w = self.goal_label.get_width()
            surface.blit(self.goal_label, (self._x(bar.right - goal_w, goal_w), goal_y))
        if self.record_label is not None and self.campaign.record <= self.scale_max:
            x = bar.left + int(bar.width * self.campaign.record / self.scale_max)
            mark_w = max(2, int(0.5 * u))
            mark_x = self._x(x - max(1, int(0.25 * u)), mark_w)
            surface.fill(self.look.text, (mark_x, bar.top - int(1.5 * u), mark_w, bar.height + int(3 * u)))
            label_w = self.record_label.get_width()
            lx = min(max(bar.left, x - label_w // 2), bar.right - label_w)
            surface.blit(
                self.record_label,
                (self._x(lx, label_w), bar.top - int(1.8 * u) - self.record_label.get_height()),
            )

    def _draw_channels(self, surface: pygame.Surface) -> None:
        u = self.grid_u
        digits = self.small_digits
        for i, (cell, number) in enumerate(zip(self.cells, self.channel_numbers, strict=True)):
            r = self._rect(cell.rect)
            if i and cell.rect.left > self.cells[i - 1].rect.left:  # a rule between neighbours in a row
                rule_x = r.right - max(1, int(0.2 * u)) if self.rtl else r.left
                surface.fill(
                    self.look.dark, (rule_x, r.top + int(u), max(1, int(0.2 * u)), r.height - int(u))
                )
            digits.blit(surface, number, r.centerx - digits.width(number) // 2, r.top - digits.top)
            surface.blit(
                cell.label, (r.centerx - cell.label.get_width() // 2, r.top + digits.height + int(u))
            )

    def _draw_record(self, surface: pygame.Surface) -> None:
        x, y = self.badge_pos
        centred = self.variant == "facade" or self.frame.shape in (Shape.PORTRAIT, Shape.SQUARE)
        picture = self.banner if self.celebrating > 0 else self.badge
        if self.variant == "facade" and self.celebrating <= 0:
            return  # only the number and one line: the gold number said it
        left = x - picture.get_width() // 2 if centred else x - picture.get_width()
        surface.blit(picture, (self._x(left, picture.get_width()), y))
