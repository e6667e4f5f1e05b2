"""A news-style crawl of approved messages across a black band.

The wall's messages (newest first, each "text — name, Country") pass from
right to left, parted by the campaign's yellow dots, in a loop. Every item is
rendered once into an opaque surface when it is first needed; a frame only
moves the crawl (``update``) and blits (``draw``). A new message is queued to
enter next from the right edge, so nothing already on screen moves or jumps;
a retracted one leaves the band at once (moderation beats animation).
With an empty wall the band carries the campaign's name (in the display's
language where the operator gave it). In a right-to-left locale the crawl
runs the other way: items enter on the left and move right, so the newest
is read first from the right, and the attributions use the locale's words. As a cue's
``overlay`` it draws only its band, over the cue's scene.

Parameters: ``position`` "bottom" (default) or "top"; ``speed`` in layout
units (hundredths of the screen height) per second, default 12 (130 px/s at
1080p), clamped to [2, 60]; anything that is not a number is ignored.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import pygame

from projector.core.model import campaign_text
from projector.core.state import Message, ShowState
from projector.display.layout import NoRoom, frame_for, unit_for
from projector.display.look import HOUSE, Look, look_of
from projector.display.scene import (
    clamp_dt,
    opaque_surface,
    param_float,
    param_str,
    register,
)
from projector.display.text.renderer import clean_text
from scenes.messages import attribution

if TYPE_CHECKING:
    from projector.display.assets import Assets

log = logging.getLogger(__name__)

CAMPAIGN_ID = "\x00campaign"  # cannot collide with a message id on the wire
MAX_CHARS = 160  # a crawl item longer than this takes a minute to pass; it is shortened
DEFAULT_SPEED = 12.0
REBASE = 1_000_000.0  # keep the crawl's coordinates small on a display that runs for days


@register
class TickerScene:
    name: ClassVar[str] = "ticker"
    #: The house look until the first entry (a scene is always entered before it draws).
    look: Look = HOUSE

    def enter(self, state: ShowState, assets: Assets, params: Mapping[str, Any]) -> None:
        # The campaign's look, taken on entry: a kit changed in the panel shows from the next entry.
        self.look = look_of(state.campaign.brand, assets.faces_for(state.campaign.brand))
        self.assets = assets
        self.text = assets.text
        self.w, self.h = assets.size
        # A band along the bottom (or top) of the safe rectangle: the crawl may pass behind a
        # keep-out box (it moves on), but never under an edge the operator has kept clear.
        try:
            clear = frame_for(assets.size, assets.safe_area).clear
        except NoRoom:
            clear = pygame.Rect(0, 0, self.w, self.h)
        u = self.u = unit_for(clear.width, clear.height)
        position = param_str(params, "position", 10) or "bottom"
        if position not in ("bottom", "top"):
            log.error("parameter position=%r is not 'bottom' or 'top'; using 'bottom'", position)
            position = "bottom"
        self.position = position
        self.speed = param_float(params, "speed", DEFAULT_SPEED, 2.0, 60.0) * u  # px per second
        band_h = max(4, int(12 * u))
        self.band = pygame.Rect(
            clear.left, clear.bottom - band_h if position == "bottom" else clear.top, clear.width, band_h
        )
        self.text_px = max(6, int(6.4 * u))
        self.attr_px = max(6, int(4.2 * u))
        self.gap = max(4, int(5 * u))  # on each side of a separator dot
        self.dot_r = max(1, int(0.8 * u))
        self.margin = int(4 * u)
        self.t = assets.locale
        self.rtl = self.t.rtl
        name = campaign_text(state.campaign, assets.languages).name
        self.campaign = clean_text(name, 120) or "Write for Rights"
        self.items: dict[str, pygame.Surface] = {}
        self.messages: dict[str, Message] = {}
        self.rotation: list[str] = []  # newest first: the loop's order
        self.wall_ids: tuple[str, ...] | None = None  # None: not synced yet
        self.cursor = 0  # index in the rotation of the next item to enter
        self.priority: list[str] = []  # new arrivals, entering next, ahead of the loop
        self.placed: list[tuple[str, float]] = []  # (id, left edge in crawl coordinates)
        self.offset = 0.0  # how far the crawl has moved left, in px
        self._sync(state)
        self._fill(start=self.margin)  # the band is full from the first frame, newest on the left

    # --- items are rendered once, when first needed ----------------------------------------

    def _item(self, item_id: str) -> pygame.Surface:
        item = self.items.get(item_id)
        if item is None:
            if item_id == CAMPAIGN_ID:
                key: tuple[Any, ...] = ("ticker-campaign", self.campaign, self.rtl, self.band.height)
                item = self.assets.memo(key, self._make_campaign)
            else:
                m = self.messages[item_id]
                key = ("ticker", m.id, m.text, m.name, m.country, self.t.tag, self.band.height)
                item = self.assets.memo(key, lambda: self._make_item(m))
            self.items[item_id] = item
        return item

    def _make_item(self, message: Message) -> pygame.Surface:
        text = self.text
        body = text.render(
            clean_text(message.text, MAX_CHARS), "strong", self.text_px, self.look.text, self.look.background
        )
        who_text = attribution(message, self.t)
        pieces = [body]
        if who_text:
            who = text.render(who_text, "strong", self.attr_px, self.look.accent, self.look.background)
            # Read from the right, the attribution follows the message on its left.
            pieces = [who, body] if text.direction(message.text) == "rtl" else [body, who]
        return self._compose(pieces)

    def _make_campaign(self) -> pygame.Surface:
        return self._compose(
            [
                self.text.render(
                    self.campaign, self.look.display, self.text_px, self.look.accent, self.look.background
                )
            ]
        )

    def _compose(self, pieces: list[pygame.Surface]) -> pygame.Surface:
        """The pieces on one baseline-ish centre line, then a gap, a yellow dot and a gap
        (the dot before them in a right-to-left crawl, where the next item follows on the left)."""
        space = int(self.attr_px * 0.5) if len(pieces) > 1 else 0
        content_w = sum(p.get_width() for p in pieces) + space * (len(pieces) - 1)
        tail = 2 * self.gap + 2 * self.dot_r
        item = opaque_surface((content_w + tail, self.band.height))
        x = tail if self.rtl else 0
        for piece in pieces:
            item.blit(piece, (x, (self.band.height - piece.get_height()) // 2))
            x += piece.get_width() + space
        dot_x = self.gap + self.dot_r if self.rtl else content_w + self.gap + self.dot_r
        centre = (dot_x, self.band.height // 2)
        pygame.draw.circle(item, self.look.accent, centre, self.dot_r)
        return item

    # --- per frame ------------------------------------------------------------------------

    def update(self, state: ShowState, dt: float) -> None:
        self._sync(state)
        self.offset += self.speed * clamp_dt(dt)
        if self.offset > REBASE:
            self.offset -= REBASE
            self.placed = [(i, x - REBASE) for i, x in self.placed]
        # Items that have left the band on the left are dropped.
        while self.placed and self.placed[0][1] + self._item(self.placed[0][0]).get_width() < self.offset:
            gone = self.placed.pop(0)[0]
            if all(i != gone for i, _ in self.placed) and gone not in self._upcoming():
                self.items.pop(gone, None)
        self._fill()
        upcoming = self._upcoming()
        if upcoming:
            self._item(upcoming[0])  # render the next one a frame or more before it enters

    def _upcoming(self) -> list[str]:
        if self.priority:
            return self.priority[:1]
        if self.rotation:
            return [self.rotation[self.cursor % len(self.rotation)]]
        return []

    def _fill(self, start: float | None = None) -> None:
        """Place items until the crawl reaches past the right edge of the band."""
        right = self._right() if start is None else self.offset + start
        while right <= self.offset + self.band.width:
            if self.priority:
                item_id = self.priority.pop(0)
                self.cursor = (self.rotation.index(item_id) + 1) % len(self.rotation)
            elif self.rotation:
                item_id = self.rotation[self.cursor % len(self.rotation)]
                self.cursor = (self.cursor + 1) % len(self.rotation)
            else:
                return
            self.placed.append((item_id, right))
            right += self._item(item_id).get_width()

    def _right(self) -> float:
        """Where the next item starts: after the last one, or at the band's right edge."""
        if not self.placed:
            return self.offset + self.band.width
        item_id, x = self.placed[-1]
        return x + self._item(item_id).get_width()

    def _sync(self, state: ShowState) -> None:
        ids = tuple(m.id for m in state.wall)
        if ids == self.wall_ids and all(self.messages.get(m.id) is m for m in state.wall):
            return
        first = self.wall_ids is None
        old = set(self.wall_ids or ())
        previous, self.messages = self.messages, {m.id: m for m in state.wall}
        edited = {m.id for m in state.wall if m.id in previous and previous[m.id] != m}
        for item_id in edited:  # rendered afresh when it next comes round
            self.items.pop(item_id, None)
        rotation = list(reversed(ids)) or [CAMPAIGN_ID]
        current = set(rotation)
        # A retracted message leaves the band at once; the campaign's name may finish its pass.
        keep = (current | {CAMPAIGN_ID}) - edited
        self.placed = [(i, x) for i, x in self.placed if i in keep]
        for item_id in [i for i in self.items if i not in keep]:
            del self.items[item_id]
        self.priority = [i for i in self.priority if i in current]
        if not first:
            # New arrivals enter next, newest first, without moving anything on screen.
            new = [i for i in rotation if i not in old and i != CAMPAIGN_ID]
            self.priority = new + [i for i in self.priority if i not in new]
        # The loop goes on from the item after the last one placed.
        next_id = self.rotation[self.cursor % len(self.rotation)] if self.rotation else None
        self.rotation = rotation
        self.cursor = rotation.index(next_id) if next_id in current else 0
        if not self.priority and self.placed and self.placed[-1][0] in current:
            self.cursor = (rotation.index(self.placed[-1][0]) + 1) % len(rotation)
        self.wall_ids = ids

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(self.look.background)
        self.draw_overlay(surface)

    def draw_overlay(self, surface: pygame.Surface) -> None:
        """Only the band, over whatever scene is already on ``surface`` (a cue's overlay)."""
        surface.fill(self.look.background, self.band)
        top, left, offset = self.band.top, self.band.left, self.offset
        clip = surface.get_clip()
        surface.set_clip(self.band.clip(clip))
        right = self.band.right
        for item_id, x in self.placed:
            item = self.items.get(item_id)
            if item is not None:
                # Crawl coordinates run against the reading direction: mirrored for right to left.
                at = right - round(x - offset) - item.get_width() if self.rtl else left + round(x - offset)
                surface.blit(item, (at, top))
        surface.set_clip(clip)
