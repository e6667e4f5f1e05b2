"""A case portrait composited for a dark facade: the face, the name, the ask.

The treated portrait (duotone by default, from the media pipeline) fills the
left of the frame; the name is set huge beside it, with the country, one
line of the story and the call to action in a campaign-yellow box. Portraits
load in the background: until one is ready (or if it failed) the panel holds
the person's initials, so the layout never depends on the picture.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import pygame

from projector.core.model import Case, CaseStatus, case_text
from projector.core.state import ShowState
from projector.display.text import format_int
from scenes.base import (
    BLACK,
    DIM_WHITE,
    WHITE,
    YELLOW,
    clamp_dt,
    country_name,
    ease,
    param_str,
    register,
    set_fade,
)

if TYPE_CHECKING:
    from projector.display.assets import Assets

log = logging.getLogger(__name__)

PANEL_SHARE = 0.42
FADE_IN_SECONDS = 0.8
#: Above the name of a case whose person is free: news the screens celebrate.
RELEASED_MARK = "FREE"
_SENTENCE = re.compile(r"^(.+?[.!?])(?:\s|$)")


def active_cases(state: ShowState) -> list[Case]:
    """Cases the rotation shows, in a stable order."""
    return sorted((c for c in state.cases.values() if c.status is CaseStatus.ACTIVE), key=lambda c: c.id)


def first_sentence(story: str) -> str:
    match = _SENTENCE.match(story.strip())
    return match.group(1) if match else story.strip()


def initials(name: str) -> str:
    parts = [p for p in name.split() if p[:1].isalpha()]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


@register
class PortraitScene:
    name: ClassVar[str] = "portrait"

    @staticmethod
    def panel_size(size: tuple[int, int]) -> tuple[int, int]:
        return (max(1, int(size[0] * PANEL_SHARE)), max(1, int(size[1])))

    @classmethod
    def prefetch(cls, state: ShowState, assets: Assets, params: Mapping[str, Any]) -> None:
        """Start decoding the next case's portrait while another scene is on screen."""
        case = cls._choose(state, params)
        if case is not None:
            assets.set_cases(state.cases)
            assets.portrait(case.id, cls.panel_size(assets.size))

    @staticmethod
    def _choose(state: ShowState, params: Mapping[str, Any]) -> Case | None:
        wanted = param_str(params, "case", 64)
        if wanted is not None and wanted in state.cases:
            return state.cases[wanted]
        if wanted is not None:
            log.error("portrait: no case %r; showing the first active case instead", wanted)
        active = active_cases(state)
        return active[0] if active else None

    def enter(self, state: ShowState, assets: Assets, params: Mapping[str, Any]) -> None:
        self.assets = assets
        self.text = assets.text
        self.w, self.h = assets.size
        self.u = self.h / 100
        self.panel = pygame.Rect(0, 0, *self.panel_size(assets.size))
        self.case = self._choose(state, params)
        self.campaign_name = state.campaign.name
        self.photo: pygame.Surface | None = None
        self.photo_age = 0.0
        self.count = -1
        assets.set_cases(state.cases)
        self._layout()
        self._poll_photo(arriving=False)
        self._update_count(state)

    def _layout(self) -> None:
        u, text = self.u, self.text
        x0 = self.panel.right + int(6 * u)
        width = self.w - x0 - int(6 * u)
        self.x0, self.col_w = x0, width
        case = self.case
        if case is None:
            self.blocks: list[tuple[pygame.Surface, int]] = [
                (text.render(self.campaign_name.upper(), "display", int(9 * u), YELLOW), int(30 * u)),
                (
                    text.render_lines(
                        text.wrap("Every action counts.", "display", int(12 * u), width, 2),
                        "display",
                        int(12 * u),
                        WHITE,
                        leading=0.85,
                    ),
                    int(45 * u),
                ),
            ]
            self.placeholder = self._placeholder("")
            self.cta = None
            return
        blocks: list[tuple[pygame.Surface, int]] = []
        y = int(9 * u)
        # The dossier's text in the first of the display's languages it has (else its default).
        self.lang, self.words = case_text(case, self.assets.languages)
        country = country_name(case.country).upper()
        if case.status is CaseStatus.RELEASED:
            country = f"{RELEASED_MARK} \u00b7 {country}" if country else RELEASED_MARK
        if country:
            surf = text.render(country, "display", int(5 * u), YELLOW)
            blocks.append((surf, y))
            y += surf.get_height()
        size = int(14 * u)
        lines = text.wrap(case.name, "display", size, width)
        while len(lines) > 2 and size > int(7 * u):
            size = int(size * 0.88)
            lines = text.wrap(case.name, "display", size, width)
        name = text.render_lines(
            lines[:2] if len(lines) <= 2 else text.wrap(case.name, "display", size, width, 2),
            "display",
            size,
            WHITE,
            leading=0.82,
        )
        blocks.append((name, y))
        y += name.get_height() + int(2.5 * u)
        self.rule = pygame.Rect(x0, y, int(12 * u), max(2, int(0.7 * u)))
        y += self.rule.height + int(3 * u)

        ask = self.words.ask
        self.cta = self.assets.memo(("cta", ask, case.name, self.col_w, self.h), lambda: self._cta(case, ask))
        cta_top = int(92 * u) - (self.cta.get_height() if self.cta else 0)
        story = first_sentence(self.words.story)
        count_room = int(5.5 * u)  # the "N actions so far" line and its gap
        body = int(3.7 * u)
        room = cta_top - int(2 * u) - y - count_room
        max_lines = min(3, room // max(1, text.line_height("body", body)))
        # A long name and a long ask leave no room: the story goes before anything overlaps.
        if story and max_lines >= 1:
            surf = text.render_lines(
                text.wrap(story, "body", body, width, max_lines), "body", body, DIM_WHITE
            )
            blocks.append((surf, y))
            y += surf.get_height() + int(1.5 * u)
        # The count line is drawn only where it clears the call to action.
        self.show_count = y + count_room <= cta_top
        self.count_y = y
        self.cta_top = cta_top
        self.blocks = blocks
        self.placeholder = self._placeholder(initials(case.name))

    def _cta(self, case: Case, ask: str) -> pygame.Surface:
        u, text = self.u, self.text
        ask = ask.strip() or f"Take action for {case.name}."
        pad = int(2.2 * u)
        size = int(4.4 * u)
        lines = text.wrap(ask.upper(), "display", size, self.col_w - 2 * pad, 3)
        words = text.render_lines(lines, "display", size, BLACK, leading=0.9, bg=YELLOW)
        box = pygame.Surface((self.col_w, words.get_height() + 2 * pad))
        box.fill(YELLOW)
        box.blit(words, (pad, pad))
        return box.convert() if pygame.display.get_surface() is not None else box

    def _placeholder(self, letters: str) -> pygame.Surface:
        return self.assets.memo(
            ("placeholder", letters, self.panel.size), lambda: self._make_placeholder(letters)
        )

    def _make_placeholder(self, letters: str) -> pygame.Surface:
        panel = pygame.Surface(self.panel.size)
        panel.fill((14, 14, 18))
        glyphs = self.text.render(letters or " ", "display", int(30 * self.u), YELLOW)
        panel.blit(
            glyphs,
            ((self.panel.width - glyphs.get_width()) // 2, (self.panel.height - glyphs.get_height()) // 2),
        )
        panel.fill(
            YELLOW,
            (self.panel.width - max(2, int(0.5 * self.u)), 0, max(2, int(0.5 * self.u)), self.panel.height),
        )
        return panel.convert() if pygame.display.get_surface() is not None else panel

    def _poll_photo(self, arriving: bool = True) -> None:
        if self.photo is None and self.case is not None:
            self.photo = self.assets.portrait(self.case.id, self.panel.size)
            if self.photo is not None:
                self.photo_age = 0.0 if arriving else FADE_IN_SECONDS
                self.photo.set_alpha(0 if arriving else None)

    def _update_count(self, state: ShowState) -> None:
        if self.case is None:
            return
        count = state.totals.by_case.get(self.case.id, 0)
        if count != self.count:
            self.count = count
            words = f"{format_int(count)} ACTIONS SO FAR" if count else "BE THE FIRST TO ACT"
            self.count_line = self.text.render(words, "strong", int(3.2 * self.u), YELLOW)

    def update(self, state: ShowState, dt: float) -> None:
        dt = clamp_dt(dt)
        if self.case is not None:
            latest = state.cases.get(self.case.id)
            if latest is not None and latest != self.case:
                self.case = latest
                self.photo = None
                self._layout()
            self.assets.set_cases(state.cases)
        self._poll_photo()
        if self.photo is not None and self.photo_age < FADE_IN_SECONDS:
            # Only a portrait that arrives while on screen fades in; the Surface is
            # shared through the assets cache, so its alpha is reset when done.
            self.photo_age += dt
            set_fade(self.photo, 255 * ease(self.photo_age / FADE_IN_SECONDS))
        self._update_count(state)

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(BLACK)
        photo = self.photo
        if photo is None or photo.get_alpha() is not None:
            surface.blit(self.placeholder, self.panel)
        if photo is not None:
            surface.blit(photo, self.panel)
        for surf, y in self.blocks:
            surface.blit(surf, (self.x0, y))
        if self.case is None:
            return
        surface.fill(YELLOW, self.rule)
        if self.show_count:
            surface.blit(self.count_line, (self.x0, self.count_y))
        if self.cta is not None:
            surface.blit(self.cta, (self.x0, self.cta_top))
