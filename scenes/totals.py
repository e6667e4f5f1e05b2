"""The headline total: a huge counter, progress toward the goal, the record, the channels.

Designed for a facade at night: black ground, digits a third of the height,
white on black with the campaign yellow for progress. The counter eases
toward each new total and re-aims from the value on screen, so bursts of
actions read as a steady climb; it never runs backwards and its digits sit
in fixed cells so they never jitter.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import pygame

from projector.core.state import ShowState
from projector.display.text import Digits, format_int
from scenes.base import BLACK, DARK, WHITE, YELLOW, clamp_dt, param_float, register, set_fade

if TYPE_CHECKING:
    from projector.display.assets import Assets

log = logging.getLogger(__name__)

CHANNELS: tuple[tuple[str, str], ...] = (
    ("letter", "LETTERS"),
    ("email", "EMAILS"),
    ("sms", "SMS"),
    ("fax", "FAXES"),
    ("tweet", "TWEETS"),
    ("signature", "SIGNATURES"),
)
CELEBRATION_SECONDS = 10.0


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

    COLOURS = (YELLOW, WHITE, (255, 240, 150), (200, 200, 200))

    def __init__(self, size: tuple[int, int], count: int, seed: int = 7) -> None:
        self.w, self.h = size
        self.rng = random.Random(seed)
        self.u = self.h / 100
        self.parts: list[list[float]] = [self._spawn(initial=True) for _ in range(count)]

    def _spawn(self, initial: bool = False) -> list[float]:
        r = self.rng
        y = -r.uniform(0, self.h) if initial else -r.uniform(0, 10 * self.u)
        return [
            r.uniform(0, self.w),
            y,
            r.uniform(-8, 8) * self.u,
            r.uniform(14, 30) * self.u,
            r.uniform(0.9, 2.0) * self.u,
            r.uniform(0, 6.28),
            float(r.randrange(len(self.COLOURS))),
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
                fill(self.COLOURS[int(colour)], (int(x), int(y), width, int(size)))


@register
class TotalsScene:
    name: ClassVar[str] = "totals"

    def enter(self, state: ShowState, assets: Assets, params: Mapping[str, Any]) -> None:
        self.assets = assets
        self.text = assets.text
        self.w, self.h = assets.size
        self.u = self.h / 100
        self.celebration_seconds = param_float(params, "celebration", CELEBRATION_SECONDS, 0.0, 120.0)
        self.counter = Counter(state.totals.total)
        self.channels = {key: Counter(state.totals.by_channel.get(key, 0)) for key, _ in CHANNELS}
        self.record_at = state.record_beaten_at
        self.celebrating = 0.0
        self.pulse = 0.0
        self.confetti: _Confetti | None = None
        self.campaign = state.campaign
        self._digits_for = 0
        self._layout_static()
        self._update_numbers()

    # --- layout and pre-rendering (only on enter or when the campaign changes) --------------

    def _layout_static(self) -> None:
        u, w, text = self.u, self.w, self.text
        c = self.campaign
        self.margin = int(6 * u)
        # The header leaves the right third free for the record banner.
        size = text.fit_size(c.name.upper(), "display", int(w * 0.6), int(7.5 * u))
        self.header = text.render(c.name.upper(), "display", size, YELLOW)
        self.label = text.render("ACTIONS FOR HUMAN RIGHTS", "display", int(5.5 * u), WHITE)
        self.bar = pygame.Rect(self.margin, int(66 * u), w - 2 * self.margin, int(4.2 * u))
        #: Without a goal or a record there is nothing to measure progress against: no bar.
        self.has_bar = c.goal > 0 or c.record > 0
        self.scale_max = max(c.goal, c.record, 1)
        self.goal_label = (
            text.render(f"GOAL {format_int(c.goal)}", "strong", int(3.2 * u), WHITE) if c.goal else None
        )
        self.record_label = (
            text.render(f"LAST YEAR {format_int(c.record)}", "strong", int(2.8 * u), WHITE)
            if c.record
            else None
        )
        self.banner = self._make_banner("NEW RECORD!")
        self.badge = text.render("RECORD BROKEN", "display", int(4.2 * u), YELLOW)
        cell_w = (w - 2 * self.margin) / len(CHANNELS)
        self.cells = [
            (
                int(self.margin + cell_w * i),
                int(cell_w),
                text.render(label, "strong", int(2.7 * u), YELLOW),
            )
            for i, (_, label) in enumerate(CHANNELS)
        ]
        self.small_digits = Digits(text, "display", int(7 * u), WHITE, bg=BLACK)
        self._size_big_digits(len(str(max(self.counter.target, c.goal, c.record))))

    def _size_big_digits(self, n_digits: int) -> None:
        """Pick the digit size for numbers of up to ``n_digits`` so they fit the width."""
        n_digits = max(n_digits, 6)
        sample = format_int(int("8" * n_digits))
        size = int(36 * self.u)
        advance = max(self.text.width(d, "display", size) for d in "0123456789")
        sample_width = sum(advance if ch.isdigit() else self.text.width(ch, "display", size) for ch in sample)
        limit = self.w - 2 * self.margin
        if sample_width > limit:
            size = int(size * limit / sample_width)
        self.big = Digits(self.text, "display", size, WHITE, bg=BLACK)
        self.big_gold = Digits(self.text, "display", size, YELLOW, bg=BLACK)
        ink = self.text.ink("0", "display", size)
        self.big_ink = (ink.top, ink.bottom)
        self.digit_size = size
        self._digits_for = n_digits

    def _make_banner(self, words: str) -> pygame.Surface:
        u = self.u
        glyphs = self.text.render(words, "display", int(6 * u), BLACK, YELLOW)
        pad = int(2 * u)
        banner = pygame.Surface((glyphs.get_width() + 2 * pad, glyphs.get_height()))
        if pygame.display.get_surface() is not None:
            banner = banner.convert()
        banner.fill(YELLOW)
        banner.blit(glyphs, (pad, 0))
        return banner

    # --- per frame ----------------------------------------------------------------------

    def update(self, state: ShowState, dt: float) -> None:
        dt = clamp_dt(dt)
        if state.campaign != self.campaign:
            self.campaign = state.campaign
            self._layout_static()
        self.counter.aim(state.totals.total)
        for key, counter in self.channels.items():
            counter.aim(state.totals.by_channel.get(key, 0))
        if self.record_at is None and state.record_beaten_at is not None and self.celebration_seconds > 0:
            self.celebrating = self.celebration_seconds
            self.confetti = _Confetti((self.w, self.h), 260)
        self.record_at = state.record_beaten_at
        self.counter.step(dt)
        for counter in self.channels.values():
            counter.step(dt)
        if self.celebrating > 0:
            self.celebrating = max(0.0, self.celebrating - dt)
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
        self.number = format_int(self.counter.displayed)
        self.channel_numbers = [format_int(self.channels[key].displayed) for key, _ in CHANNELS]
        if not self.campaign.goal and self.counter.displayed > self.scale_max:
            self.scale_max = int(self.counter.displayed * 1.1)  # record only: keep the bar's end ahead
        self.fraction = min(1.0, self.counter.displayed / self.scale_max)

    @property
    def displayed_total(self) -> int:
        """What the counter shows right now (for instrumentation and tests)."""
        return self.counter.displayed

    def draw(self, surface: pygame.Surface) -> None:
        u, w = self.u, self.w
        surface.fill(BLACK)
        surface.blit(self.header, (self.margin, int(3.5 * u)))

        digits = self.big_gold if self.celebrating > 0 else self.big
        width = digits.width(self.number)
        ink_top, ink_bottom = self.big_ink
        y = int(15 * u) - ink_top
        digits.blit(surface, self.number, (w - width) // 2, y)
        label_y = y + ink_bottom + int(3 * u)
        surface.blit(self.label, ((w - self.label.get_width()) // 2, label_y))

        if self.has_bar:
            self._draw_bar(surface)
        self._draw_channels(surface)
        if self.record_at is not None:
            self._draw_record(surface)
        if self.confetti is not None:
            self.confetti.draw(surface)

    def _draw_bar(self, surface: pygame.Surface) -> None:
        u, bar = self.u, self.bar
        surface.fill(DARK, bar)
        filled = bar.copy()
        filled.width = int(bar.width * self.fraction)
        if filled.width > 0:
            surface.fill(YELLOW, filled)
        text_y = bar.bottom + int(1.2 * u)
        if self.goal_label is not None:
            percent = int(100 * self.counter.displayed / max(1, self.campaign.goal))
            pct = self.text.render(f"{percent}% OF THE GOAL", "strong", int(3.2 * u), WHITE)
            surface.blit(pct, (bar.left, text_y))
            surface.blit(self.goal_label, (bar.right - self.goal_label.get_width(), text_y))
        if self.record_label is not None and self.campaign.record <= self.scale_max:
            x = bar.left + int(bar.width * self.campaign.record / self.scale_max)
            surface.fill(
                WHITE,
                (
                    x - max(1, int(0.25 * u)),
                    bar.top - int(1.5 * u),
                    max(2, int(0.5 * u)),
                    bar.height + int(3 * u),
                ),
            )
            lx = min(
                max(bar.left, x - self.record_label.get_width() // 2),
                bar.right - self.record_label.get_width(),
            )
            surface.blit(self.record_label, (lx, bar.top - int(1.8 * u) - self.record_label.get_height()))

    def _draw_channels(self, surface: pygame.Surface) -> None:
        u = self.u
        top = int(82 * u)
        digits = self.small_digits
        for i, ((x, cell_w, label), number) in enumerate(zip(self.cells, self.channel_numbers, strict=True)):
            if i:
                surface.fill(DARK, (x, top + int(1 * u), max(1, int(0.2 * u)), int(11 * u)))
            digits.blit(surface, number, x + (cell_w - digits.width(number)) // 2, top)
            surface.blit(
                label, (x + (cell_w - label.get_width()) // 2, top + digits.top + digits.height + int(u))
            )

    def _draw_record(self, surface: pygame.Surface) -> None:
        u = self.u
        if self.celebrating > 0:
            banner = self.banner
            surface.blit(banner, (self.w - self.margin - banner.get_width(), int(3.5 * u)))
        else:
            surface.blit(self.badge, (self.w - self.margin - self.badge.get_width(), int(4.5 * u)))
