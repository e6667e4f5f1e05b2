"""A layout made in the panel, without code: regions of text, live numbers, pictures and codes.

The layout's source lives with the campaign (``state.campaign.layouts``) and
is parsed and checked by :mod:`projector.core.layout_spec`. Regions are
placed in fractions of the frame less the operator's margins and the house
margin, so one layout serves a tower, a 16:9 screen and a banner; a region
that would cover one of this display's keep-out boxes (a window) is left out
and logged, never drawn over the window.

Text is fitted to its box with the project's text engine (every script,
right-to-left included) and re-rendered only when its words change: a live
total or a countdown costs a render when its digits move, not every frame.
Colours are the brand kit's (``background``, ``text``, ``accent``) or
``#rrggbb``.

Parameters: ``layout``, the name of a layout the campaign has. A cue naming
a layout the campaign does not have, or one that no longer parses, fails on
entry and the display shows its fallback card.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import pygame

from projector.core.layout_spec import (
    OF_THE_DAY,
    Layout,
    Region,
    case_of_the_day,
    countdown_parts,
    fill,
    keep_out_clash,
    layout_source,
    parse_layout,
    words_for,
)
from projector.core.model import Case, CaseStatus, campaign_text, case_text
from projector.core.safe_area import SafeArea
from projector.core.state import ShowState
from projector.display.layout import Shape, frame_for
from projector.display.look import HOUSE, Look, look_of
from projector.display.scene import clamp_dt, param_str, register
from projector.display.text.renderer import clean_text
from scenes.qr import QUIET_ZONE, qr_matrix, qr_surface
from scenes.ticker import TickerScene

if TYPE_CHECKING:
    from projector.display.assets import Assets

log = logging.getLogger(__name__)

#: How often live words are looked at again, in seconds: a countdown's second, a total's tick.
REFRESH = 0.25
_ALIGN = {"start": "start", "centre": "center", "end": "end"}


class UnknownLayout(LookupError):
    """The cue names a layout the campaign does not have (the fallback card shows)."""


@dataclass
class _Placed:
    region: Region
    rect: pygame.Rect
    surface: pygame.Surface | None = None
    pos: tuple[int, int] = (0, 0)
    words: str | None = None  # the words ``surface`` shows (text and leaderboard regions)


@register
class LayoutScene:
    name: ClassVar[str] = "layout"
    #: The house look until the first entry (a scene is always entered before it draws).
    look: Look = HOUSE

    def enter(self, state: ShowState, assets: Assets, params: Mapping[str, Any]) -> None:
        self.look = look_of(state.campaign.brand, assets.faces_for(state.campaign.brand))
        self.assets = assets
        self.t = assets.locale
        self.state = state
        name = param_str(params, "layout", 40) or ""
        source = layout_source(state.campaign.layouts, name)
        if source is None:
            raise UnknownLayout(f"the campaign has no layout named {name!r}")
        self.layout: Layout = parse_layout(source)
        self.now = time.time()
        self.since_refresh = 0.0
        # Regions go in the frame less the operator's margins: keep-out boxes are checked
        # region by region below rather than shrinking the whole layout around them.
        area = assets.safe_area
        margins = SafeArea(area.top, area.right, area.bottom, area.left)
        frame = frame_for(assets.size, margins)
        box = frame.area
        self.u = frame.u
        self.regions: list[_Placed] = []
        shape = "tall" if frame.shape is Shape.PORTRAIT else "wide" if frame.shape is Shape.BANNER else None
        for i, region in enumerate(self.layout.regions):
            if keep_out_clash(Layout(regions=(region,)), area, (shape,)) is not None:
                log.warning("layout %r: region %d covers a keep-out box on this display; left out", name, i)
                continue
            x, y, w, h = region.box(shape)
            rect = pygame.Rect(
                box.left + round(x * box.width),
                box.top + round(y * box.height),
                max(1, round(w * box.width)),
                max(1, round(h * box.height)),
            )
            self.regions.append(_Placed(region, rect))
        self.ticker: TickerScene | None = None
        for placed in self.regions:
            self._prepare(placed)

    # --- what each region shows -----------------------------------------------------------

    def _case(self, wanted: str | None) -> Case | None:
        cases = self.state.cases
        if wanted is None or wanted == OF_THE_DAY:
            active = [c.id for c in cases.values() if c.status is CaseStatus.ACTIVE]
            chosen = case_of_the_day(active, self.now)
            return cases.get(chosen) if chosen is not None else None
        return cases.get(wanted)

    def value(self, name: str) -> str:
        """A live value's words in the display's locale (numbers grouped the local way)."""
        state, t = self.state, self.t
        totals, campaign = state.totals, state.campaign
        group, _, key = name.partition(".")
        if name in ("total", "goal", "record", "remaining", "goal_percent"):
            numbers = {
                "total": totals.total,
                "goal": campaign.goal,
                "record": campaign.record,
                "remaining": max(0, campaign.goal - totals.total),
                "goal_percent": min(999, totals.total * 100 // campaign.goal) if campaign.goal else 0,
            }
            return t.number(numbers[name])
        if group in ("by_case", "by_country", "by_channel"):
            return t.number(getattr(totals, group).get(key, 0))
        if group == "campaign":
            return str(getattr(campaign_text(campaign, self.assets.languages), key))
        if group == "case":
            case = self._case(self.layout.case)
            if case is None:
                return ""
            if key == "count":
                return t.number(totals.by_case.get(case.id, 0))
            if key == "country":
                return t.country(case.country)
            if key == "ask":
                return case_text(case, self.assets.languages)[1].ask
            return case.name
        if self.layout.deadline is not None:
            return countdown_parts(self.layout.deadline, self.now).get(name, "")
        return ""

    def _prepare(self, placed: _Placed) -> None:
        region, rect, assets = placed.region, placed.rect, self.assets
        if region.kind == "qr":
            matrix = qr_matrix(region.url)
            side = min(rect.width, rect.height)
            scale = max(1, side // (len(matrix) + 2 * QUIET_ZONE))
            placed.surface = assets.memo(("qr", region.url, scale), lambda: qr_surface(matrix, scale))
            placed.pos = (
                rect.centerx - placed.surface.get_width() // 2,
                rect.centery - placed.surface.get_height() // 2,
            )
        elif region.kind == "ticker" and self.ticker is None:
            ticker = TickerScene()
            ticker.enter(self.state, assets, {})
            # The crawl keeps its own type size; its band sits in the middle of the region.
            height = min(rect.height, ticker.band.height)
            ticker.band = pygame.Rect(rect.left, rect.centery - height // 2, rect.width, height)
            self.ticker = ticker
        self._refresh(placed)

    def _refresh(self, placed: _Placed) -> None:
        """Render again what changed: live words, a picture that has arrived."""
        region, rect = placed.region, placed.rect
        if region.kind == "text":
            words = clean_text(fill(words_for(region, self.assets.languages), self.value), 400)
            if words != placed.words:
                placed.words = words
                placed.surface = self._words(region, rect, words)
                placed.pos = self._aligned(region, rect, placed.surface)
        elif region.kind == "leaderboard":
            rows = self._board(region)
            key = repr(rows)
            if key != placed.words:
                placed.words = key
                placed.surface = self._leaderboard(region, rect, rows)
                placed.pos = rect.topleft
        elif region.kind in ("image", "logo") and placed.surface is None:
            media = region.media if region.kind == "image" else self.state.campaign.brand.logo
            if media is not None:
                placed.surface = self.assets.pictures.get(media, rect.size)
                if placed.surface is not None:
                    placed.pos = (
                        rect.centerx - placed.surface.get_width() // 2,
                        rect.centery - placed.surface.get_height() // 2,
                    )
        elif region.kind == "portrait" and placed.surface is None:
            case = self._case(region.case or self.layout.case)
            if case is not None:
                placed.surface = self.assets.portrait(case.id, rect.size)
                placed.pos = rect.topleft

    def _words(self, region: Region, rect: pygame.Rect, words: str) -> pygame.Surface:
        assets, face = self.assets, self.look.display if region.font == "display" else region.font
        colour = self.look.named(region.colour)
        # Fitted as if every digit were the widest, so a total or a clock that ticks keeps its size.
        steady = "".join("8" if ch.isdigit() else ch for ch in words)
        top = max(8, int(rect.height * (0.9 if region.lines == 1 else 0.8)))
        size = assets.fit.fit(steady, face, rect.width, rect.height, top, 8, max_lines=region.lines).size
        fitted = assets.fit.fit(words, face, rect.width, rect.height, size, 8, max_lines=region.lines)
        return assets.text.render_lines(
            list(fitted.lines), face, fitted.size, colour, align=_ALIGN[region.align], leading=0.95
        )

    def _aligned(self, region: Region, rect: pygame.Rect, surface: pygame.Surface) -> tuple[int, int]:
        w, h = surface.get_size()
        start_is_right = self.t.rtl
        side = region.align
        if side == "centre":
            x = rect.centerx - w // 2
        elif (side == "start") != start_is_right:
            x = rect.left
        else:
            x = rect.right - w
        return (x, rect.centery - h // 2)

    def _board(self, region: Region) -> list[tuple[str, str]]:
        counts = getattr(self.state.totals, region.of)
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: region.rows]
        rows = []
        for key, count in top:
            if region.of == "by_country":
                label = self.t.country(key)
            elif region.of == "by_case":
                case = self.state.cases.get(key)
                label = case.name if case is not None else key
            else:
                label = key.upper()
            rows.append((label, self.t.number(count)))
        return rows

    def _leaderboard(self, region: Region, rect: pygame.Rect, rows: list[tuple[str, str]]) -> pygame.Surface:
        """Rank, name and count per row, the count in the region's colour, names cut to their column."""
        assets, look = self.assets, self.look
        board = pygame.Surface(rect.size, pygame.SRCALPHA)
        row_h = rect.height // max(1, region.rows)
        px = max(8, int(row_h * 0.62))
        rtl = self.t.rtl
        rank_w = assets.text.width("10", "strong", px) + int(row_h * 0.3)
        count_w = max((assets.text.width(count, look.display, px) for _, count in rows), default=0)
        name_w = max(1, rect.width - rank_w - count_w - int(row_h * 0.4))
        for i, (label, count) in enumerate(rows):
            top = i * row_h
            rank = assets.text.render(self.t.number(i + 1), "strong", px, look.dim)
            size = min(px, assets.text.fit_size(label, "strong", name_w, px, 8))
            name = assets.text.render(label, "strong", size, look.text)
            number = assets.text.render(count, look.display, px, look.named(region.colour))
            middle = top + row_h // 2
            rank_x = rect.width - rank.get_width() if rtl else 0
            name_x = rect.width - rank_w - name.get_width() if rtl else rank_w
            count_x = 0 if rtl else rect.width - number.get_width()
            board.blit(rank, (rank_x, middle - rank.get_height() // 2))
            board.blit(name, (name_x, middle - name.get_height() // 2))
            board.blit(number, (count_x, middle - number.get_height() // 2))
            if i < len(rows) - 1:
                board.fill(look.dark, (0, top + row_h - max(1, row_h // 40), rect.width, max(1, row_h // 40)))
        return board

    def complete(self) -> bool:
        """True once every picture the layout shows is in (a preview waits for this)."""
        for placed in self.regions:
            kind = placed.region.kind
            wanted = (
                (kind == "image")
                or (kind == "logo" and self.state.campaign.brand.logo is not None)
                or (kind == "portrait" and self._case(placed.region.case or self.layout.case) is not None)
            )
            if wanted and placed.surface is None:
                return False
        return True

    # --- every frame ----------------------------------------------------------------------

    def update(self, state: ShowState, dt: float) -> None:
        dt = clamp_dt(dt)
        self.state = state
        self.now += dt
        self.since_refresh += dt
        if self.ticker is not None:
            self.ticker.update(state, dt)
        if self.since_refresh >= REFRESH:
            self.refresh()

    def refresh(self) -> None:
        """Look at live words and awaited pictures again now (``update`` does, four times a second)."""
        self.since_refresh = 0.0
        for placed in self.regions:
            self._refresh(placed)

    def draw(self, surface: pygame.Surface) -> None:
        look = self.look
        surface.fill(look.named(self.layout.background))
        for placed in self.regions:
            region = placed.region
            if region.fill is not None:
                surface.fill(look.named(region.fill), placed.rect)
            if region.kind == "bar":
                self._draw_bar(surface, placed)
            elif region.kind == "ticker" and self.ticker is not None:
                self.ticker.draw_overlay(surface)
            elif placed.surface is not None:
                surface.blit(placed.surface, placed.pos)

    def _draw_bar(self, surface: pygame.Surface, placed: _Placed) -> None:
        """The goal as a bar: the part reached in the region's colour, the rest dark."""
        rect, campaign = placed.rect, self.state.campaign
        share = min(1.0, self.state.totals.total / campaign.goal) if campaign.goal else 0.0
        surface.fill(self.look.dark, rect)
        done = round(rect.width * share)
        if done:
            left = rect.right - done if self.t.rtl else rect.left
            surface.fill(self.look.named(placed.region.colour), (left, rect.top, done, rect.height))
