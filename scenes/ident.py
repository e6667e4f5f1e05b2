"""The ident card: who this display is and whether it hears the server.

Shown before the first snapshot and whenever someone is setting up: the
display name huge (to match the laptop to the projector), the resolution,
the server and the connection state, and framing marks at the edges and
centre for lining the projector up with the facade.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import pygame

from projector.core.state import ShowState
from projector.display.layout import unit_for
from projector.display.scene import BLACK, DARK, DIM_WHITE, GREY, WHITE, YELLOW, register

if TYPE_CHECKING:
    from projector.display.assets import Assets

GREEN = (60, 220, 120)
RED = (255, 110, 90)


@register
class IdentScene:
    name: ClassVar[str] = "ident"

    def enter(self, state: ShowState, assets: Assets, params: Mapping[str, Any]) -> None:
        self.assets = assets
        self.text = assets.text
        self.w, self.h = assets.size
        # The ident card shows the whole frame (its corners mark the edges), whatever the
        # safe area says: it is what an operator lines a projector up with.
        self.u = u = unit_for(self.w, self.h)
        self.x = max(int(8 * u), (self.w - int(self.w * 0.84)) // 2)
        self.line_w = self.w - 2 * self.x
        name = assets.name or "display"
        size = self.text.fit_size(name, "display", self.line_w, int(18 * u))
        self.title = self.text.render(name, "display", size, WHITE)
        self.t = t = assets.locale
        kicker = t.gettext("PROJECTOR DISPLAY")
        kicker_px = self.text.fit_size(kicker, "display", self.line_w, int(4.5 * u))
        self.kicker = self.text.render(kicker, "display", kicker_px, YELLOW)
        self.lines: list[tuple[pygame.Surface, tuple[int, int, int]]] = []
        self.update(state, 0.0)

    def update(self, state: ShowState, dt: float) -> None:
        link, u, t = self.assets.link, self.u, self.t
        w, h = self.assets.size
        if link.server is None:
            status, colour = t.gettext("NO SERVER (local state)"), GREY
        elif link.connected:
            status, colour = t.gettext("CONNECTED"), GREEN
        else:
            waited = t.number(int(time.monotonic() - link.since))
            reason = t.isolate(link.reason)  # the server's words, in English
            if link.ever_connected:
                status = t.gettext("OFFLINE for {seconds} s \u2014 {reason}").format(
                    seconds=waited, reason=reason
                )
            else:
                status = t.gettext("CONNECTING\u2026 {reason}").format(reason=reason).strip()
            colour = YELLOW if not link.ever_connected else RED
        server = link.server or "\u2014"
        rows = [
            (f"{w} \u00d7 {h}  \u00b7  {self.assets.fps} fps  \u00b7  {t.tag}", DIM_WHITE),
            (t.gettext("server {address}").format(address=t.isolate(server)), DIM_WHITE),
            (status[:120], colour),
            (f"rev {state.rev}  \u00b7  {t.isolate(state.campaign.name)}", DIM_WHITE),
        ]
        size = int(4 * u)
        self.lines = []
        for words, colour in rows:
            fitted = self.assets.fit.fit(words, "strong", self.line_w, int(12 * u), size, max(8, int(2 * u)))
            self.lines.append(
                (self.text.render_lines(list(fitted.lines), "strong", fitted.size, colour), colour)
            )

    def draw(self, surface: pygame.Surface) -> None:
        u, w, h = self.u, self.w, self.h
        surface.fill(BLACK)
        edge = max(2, int(0.5 * u))
        pygame.draw.rect(surface, YELLOW, (0, 0, w, h), edge)
        arm = int(6 * u)
        for cx, cy in ((0, 0), (w, 0), (0, h), (w, h)):
            sx = 1 if cx == 0 else -1
            sy = 1 if cy == 0 else -1
            surface.fill(YELLOW, (min(cx, cx + sx * arm), min(cy, cy + sy * edge * 3), arm, edge * 3))
            surface.fill(YELLOW, (min(cx, cx + sx * edge * 3), min(cy, cy + sy * arm), edge * 3, arm))
        surface.fill(DARK, (w // 2 - edge // 2, h // 2 - arm, edge, 2 * arm))
        surface.fill(DARK, (w // 2 - arm, h // 2 - edge // 2, 2 * arm, edge))
        x = self.x
        top = (h - int(85 * u)) // 2  # the card is 16:9; on a tower it sits in the middle
        surface.blit(self.kicker, (x, top + int(10 * u)))
        surface.blit(self.title, (x, top + int(15 * u)))
        y = top + int(52 * u)
        for surf, _ in self.lines:
            surface.blit(surf, (x, y))
            y += surf.get_height() + int(1.5 * u)
