"""The fallback card: what a screen shows when a scene has failed.

It must not fail itself, so it depends on as little as possible: the SDL
default font if the packaged fonts cannot be used, text rendered only when
the total changes, and plain rectangles. Calm and branded, so a passer-by
sees the campaign, not an error.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import pygame

from projector.core.model import campaign_field, campaign_text
from projector.core.state import ShowState
from projector.display.look import HOUSE, Look, look_of
from projector.display.scene import DEFAULT_TAGLINE, register
from projector.i18n.localizer import Localizer

if TYPE_CHECKING:
    from projector.display.assets import Assets

log = logging.getLogger(__name__)


def _render(
    assets: Any, text: str, face: str, size: int, colour: tuple[int, int, int]
) -> pygame.Surface | None:
    try:
        return assets.text.render(text, face, size, colour)  # type: ignore[no-any-return]
    except Exception:
        pass
    try:
        safe = "".join(ch for ch in text if ch.isprintable() and ord(ch) < 0x10000) or " "
        return pygame.font.Font(None, size).render(safe, True, colour)
    except Exception:
        return None


@register
class FallbackScene:
    name: ClassVar[str] = "fallback"
    #: The house look until the first entry (a scene is always entered before it draws).
    look: Look = HOUSE

    def enter(self, state: ShowState, assets: Assets, params: Mapping[str, Any]) -> None:
        try:  # the card that shows when all else failed must not fail on a kit
            self.look = look_of(state.campaign.brand, assets.faces_for(state.campaign.brand))
        except Exception:
            self.look = HOUSE
        self.assets = assets
        try:
            self.w, self.h = max(1, int(assets.size[0])), max(1, int(assets.size[1]))
        except Exception:
            self.w, self.h = 1920, 1080
        # The whole frame, whatever the safe area says: this card is what shows when a
        # scene found no room, so it must not depend on the room it found.
        self.u = max(0.1, min(self.h, self.w * 9 / 16) / 100)
        self.x = max(1, int(10 * self.u))
        self.width = max(1, self.w - self.x - int(4 * self.u))
        self.top = (self.h - int(70 * self.u)) // 2
        self.total = -1
        # The locale's words if it can give them; this card must show even if it cannot.
        try:
            self.t: Localizer | None = assets.locale
            words = campaign_text(state.campaign, assets.languages)
            name = self.t.upper(*campaign_field(state.campaign, assets.languages, "name"))
            caption = words.tagline.strip() or self.t.gettext(DEFAULT_TAGLINE)
        except Exception:
            self.t = None
            name, caption = str(state.campaign.name).upper(), DEFAULT_TAGLINE
        self.name_surf = _render(
            assets, name, self.look.display, self._size(assets, name, 8), self.look.accent
        )
        self.caption = _render(
            assets, caption, self.look.display, self._size(assets, caption, 5), self.look.text
        )
        self.total_surf: pygame.Surface | None = None
        self.update(state, 0.0)

    def update(self, state: ShowState, dt: float) -> None:
        total = state.totals.total
        if total != self.total:
            self.total = total
            number = f"{max(0, total):,}"
            if self.t is not None:
                try:
                    number = self.t.number(max(0, total))
                except Exception:
                    self.t = None
            self.total_surf = _render(
                self.assets, number, self.look.display, self._size(self.assets, number, 24), self.look.text
            )

    def _size(self, assets: Any, words: str, units: float) -> int:
        """``units`` of height, or smaller so that ``words`` fit the card's width on one line."""
        size = max(1, int(units * self.u))
        try:
            return int(assets.text.fit_size(words, self.look.display, self.width, size, min_size=1))
        except Exception:
            return size

    def draw(self, surface: pygame.Surface) -> None:
        u, top = self.u, self.top
        surface.fill(self.look.background)
        surface.fill(self.look.accent, (int(6 * u), top, max(2, int(1.2 * u)), int(56 * u)))
        x = self.x
        if self.name_surf is not None:
            surface.blit(self.name_surf, (x, top))
        if self.total_surf is not None:
            surface.blit(self.total_surf, (x, top + int(14 * u)))
        if self.caption is not None:
            surface.blit(self.caption, (x, top + int(48 * u)))
