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

from projector.core.state import ShowState
from scenes.base import BLACK, WHITE, YELLOW, register

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

    def enter(self, state: ShowState, assets: Assets, params: Mapping[str, Any]) -> None:
        self.assets = assets
        try:
            self.w, self.h = int(assets.size[0]), int(assets.size[1])
        except Exception:
            self.w, self.h = 1920, 1080
        self.u = self.h / 100
        self.total = -1
        self.name_surf = _render(assets, str(state.campaign.name).upper(), "display", int(8 * self.u), YELLOW)
        self.caption = _render(assets, "ACTIONS FOR HUMAN RIGHTS", "display", int(5 * self.u), WHITE)
        self.total_surf: pygame.Surface | None = None
        self.update(state, 0.0)

    def update(self, state: ShowState, dt: float) -> None:
        total = state.totals.total
        if total != self.total:
            self.total = total
            self.total_surf = _render(self.assets, f"{max(0, total):,}", "display", int(24 * self.u), WHITE)

    def draw(self, surface: pygame.Surface) -> None:
        u = self.u
        surface.fill(BLACK)
        surface.fill(YELLOW, (int(6 * u), int(22 * u), max(2, int(1.2 * u)), int(56 * u)))
        x = int(10 * u)
        if self.name_surf is not None:
            surface.blit(self.name_surf, (x, int(22 * u)))
        if self.total_surf is not None:
            surface.blit(self.total_surf, (x, int(36 * u)))
        if self.caption is not None:
            surface.blit(self.caption, (x, int(70 * u)))
