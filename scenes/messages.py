"""The wall of supporters' messages: one in the spotlight, the latest few beneath.

Messages arrive in bursts (a school class, a rally), but a passer-by needs
seconds to read one from across a street. New messages therefore queue: each
holds the spotlight for a reading time that grows with its length, then
slides aside for the next. A retracted message leaves the screen at once:
moderation beats animation; an edited one is redrawn with its new words. When
nothing new waits, pinned messages take turns in the spotlight.

The scene's own words (the heading, the attribution's punctuation, the big
quotation mark) come from the display's locale, and the country in the
attribution is named in its language. Each message keeps its own direction;
names and countries are isolated (FSI ... PDI) so "— ليلى, Morocco" reads as
written in either direction. A right-to-left locale mirrors the wall: the
heading on the right, the newest recent message on the right.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Generator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import pygame

from projector.core.state import Message, ShowState
from projector.display.layout import Shape, frame_for
from projector.display.look import HOUSE, Look, look_of
from projector.display.scene import (
    clamp_dt,
    ease,
    opaque_surface,
    param_float,
    register,
    set_fade,
    visible,
)
from projector.i18n.localizer import Localizer

if TYPE_CHECKING:
    from projector.display.assets import Assets

log = logging.getLogger(__name__)

GRID_COLUMNS = 3
#: The spotlight's type sizes, in units, largest first: the largest at which the message fits.
SPOT_SIZES = (9.0, 7.2, 5.8, 4.6, 3.6, 2.8)
#: The sizes loaded ahead while the wall has just entered (``FontBook.warm_steps``): the ones
#: most messages are set at. Each costs a few long frames once per display process.
WARM_SPOT_SIZES = SPOT_SIZES[:4]
#: The recent messages' type size, in units.
CARD_SIZE = 3.2
MAX_QUEUE = 30
SLIDE_SECONDS = 0.9


def attribution(message: Message, t: Localizer) -> str:
    """ "— name, Country" in the locale's words and direction, each part an isolate."""
    name, country = message.name.strip(), t.country(message.country)
    if name and country:
        line = t.gettext("\u2014 {name}, {country}").format(name=t.isolate(name), country=t.isolate(country))
    elif name or country:
        line = t.gettext("\u2014 {name}").format(name=t.isolate(name or country))
    else:
        return ""
    # The line's own direction is the locale's: its neutrals (dash, comma) read that way.
    return ("\u200f" if t.rtl else "\u200e") + line


@register
class MessagesScene:
    name: ClassVar[str] = "messages"
    #: The house look until the first entry (a scene is always entered before it draws).
    look: Look = HOUSE

    def enter(self, state: ShowState, assets: Assets, params: Mapping[str, Any]) -> None:
        # The campaign's look, taken on entry: a kit changed in the panel shows from the next entry.
        self.look = look_of(state.campaign.brand, assets.faces_for(state.campaign.brand))
        self.assets = assets
        self.text = assets.text
        self.w, self.h = assets.size
        self.hold = param_float(params, "hold", 7.0, 2.0, 120.0)
        self._layout()
        self.big_cards: dict[str, pygame.Surface] = {}
        self._rtl: dict[str, tuple[str, bool]] = {}
        self._building: dict[str, tuple[tuple[object, ...], Generator[None, None, pygame.Surface]]] = {}
        self.small_cards: dict[str, pygame.Surface] = {}
        self.messages: dict[str, Message] = {m.id: m for m in state.wall}
        self.order: list[str] = [m.id for m in state.wall]  # oldest first, as in the state
        self.seen: set[str] = set(self.order)
        self.queue: deque[str] = deque()
        self.spot: str | None = self.order[-1] if self.order else None
        self.previous: str | None = None
        self.spot_age = SLIDE_SECONDS  # the first message is simply there
        self.grid: list[str] = []
        self.grid_age: dict[str, float] = {}
        self.slide_in = self.slide_out = 0
        if self.spot is not None:
            self._card(self.spot)
        self._refresh_grid(animate=False)
        for message_id in self.grid:
            self._small(message_id)
        self._set_alphas()

    def _layout(self) -> None:
        """Where the header, the spotlight and the grid of recent messages go on this frame.

        16:9: the header, the spotlight across the width, three recent messages
        in a row beneath. A tower: the same stacked and centred, two recent
        messages one under the other. A banner: the spotlight on the left, four
        recent messages in two rows on the right. Square: two beneath.
        """
        frame = self.frame = frame_for(self.assets.size, self.assets.safe_area)
        a, text = frame.area, self.text
        t = self.t = self.assets.locale
        rtl = t.rtl
        # Type follows the width on a tower (``v``), the height elsewhere.
        u = self.u = a.width / 100 if frame.shape is Shape.PORTRAIT else frame.u
        self.margin = int(6 * u)
        tall, wide = frame.shape is Shape.PORTRAIT, frame.shape is Shape.BANNER
        fonts = self.text.fonts
        spot_sizes = [int(size * u) for size in (*WARM_SPOT_SIZES, 3.6)]  # and the attribution
        # Recent messages get bigger type on a banner, where their slots are large.
        self.card_px = max(8, int((4.4 if wide else CARD_SIZE) * u))
        self._warm = deque(fonts.warm_steps([("strong", spot_sizes), ("body", [self.card_px])]))
        fitted = self.assets.fit.fit(
            t.gettext("MESSAGES OF SOLIDARITY"), self.look.display, a.width if not wide else a.width // 2, int(12 * u),
            int((8 if tall else 6) * u), max(8, int(2.5 * u)), max_lines=2 if tall else 1,
        )  # fmt: skip
        align = "center" if tall else ("right" if rtl else "left")
        self.header = text.render_lines(
            list(fitted.lines), self.look.display, fitted.size, self.look.accent, align=align
        )
        hx = a.centerx - self.header.get_width() // 2 if tall else a.left
        if rtl and not tall:
            hx = a.right - self.header.get_width()
        self.header_pos = (hx, a.top)
        quote_px = int((18 if tall else 24) * u)
        # Translators: the opening quotation mark drawn large where a message starts.
        mark = t.gettext("\u201c") or "\u201c"
        quote = text.render(mark, self.look.display, quote_px, self.look.accent)
        ink = text.ink(mark, self.look.display, quote_px)
        self.quote = self.assets.memo(
            ("quote", mark, quote_px), lambda: quote.subsurface(ink).copy()
        )  # the ink only
        self.quote_room = self.quote.get_width() + int(2 * u)
        top = a.top + self.header.get_height() + int(4 * u)
        if wide:
            spot_w = int(a.width * 0.58)
            grid = pygame.Rect(
                a.left + spot_w + int(5 * u), top, a.right - a.left - spot_w - int(5 * u), a.bottom - top
            )
            columns, rows = (3 if a.width > 4.5 * a.height else 2), 2
            spot = pygame.Rect(a.left, top, spot_w, a.bottom - top)
            if rtl:  # the spotlight on the reading side: the right
                spot.left, grid.left = a.right - spot.width, a.left
        else:
            columns, rows = (1, 2) if tall else (2, 1) if frame.shape is Shape.SQUARE else (GRID_COLUMNS, 1)
            grid_h = int((48 if tall else 24) * u)
            grid = pygame.Rect(a.left, a.bottom - grid_h, a.width, grid_h)
            spot = pygame.Rect(a.left, top, a.width, grid.top - int(5 * u) - top)
        self.grid_rule = (
            None if wide else pygame.Rect(a.left, grid.top - int(3 * u), a.width, max(1, int(0.3 * u)))
        )
        self.spot_box = pygame.Rect(
            spot.left + self.quote_room, spot.top, spot.width - self.quote_room, spot.height
        )
        gap = int(3 * u)
        self.col_w = (grid.width - (columns - 1) * gap) // columns
        self.card_h = (grid.height - (rows - 1) * gap) // rows
        # The newest recent message first in reading order: from the right in a right-to-left locale.
        self.slots = [
            (
                grid.right - (c + 1) * self.col_w - c * gap if rtl else grid.left + c * (self.col_w + gap),
                grid.top + r * (self.card_h + gap),
            )
            for r in range(rows)
            for c in range(columns)
        ]
        empty = t.gettext("Messages of solidarity will appear here.")
        self.empty = text.render_lines(
            text.wrap(empty, "strong", int(6 * u), self.spot_box.width),
            "strong",
            int(6 * u),
            self.look.dim,
            align="right" if rtl else "left",
        )

    # --- cards are rendered once, ahead of time ---------------------------------------

    def _card(self, message_id: str) -> pygame.Surface:
        card = self.big_cards.get(message_id)
        if card is None:
            m = self.messages[message_id]
            key = ("message", m.id, m.text, m.name, m.country, self.t.tag, self.spot_box.size)
            card = self.big_cards[message_id] = self.assets.memo(key, lambda: self._make_card(m))
        return card

    def _small(self, message_id: str) -> pygame.Surface:
        card = self.small_cards.get(message_id)
        if card is None:
            m = self.messages[message_id]
            key = ("message-small", m.id, m.text, m.name, m.country, self.t.tag, self.col_w, self.card_h)
            card = self.small_cards[message_id] = self.assets.memo(key, lambda: self._make_small(m))
        return card

    def _make_card(self, message: Message) -> pygame.Surface:
        steps = self._card_steps(message)
        while True:
            try:
                next(steps)
            except StopIteration as done:
                card: pygame.Surface = done.value
                return card

    def _build_step(self, message_id: str) -> None:
        """One slice (a few milliseconds) of a waiting message's card; done cards are kept."""
        m = self.messages[message_id]
        key = ("message", m.id, m.text, m.name, m.country, self.t.tag, self.spot_box.size)
        building = self._building.get(message_id)
        if building is None or building[0] != key:
            if self.assets.has_memo(key):
                self._card(message_id)
                return
            building = self._building[message_id] = (key, self._card_steps(m))
        try:
            next(building[1])
        except StopIteration as done:
            del self._building[message_id]
            card: pygame.Surface = done.value
            self.big_cards[message_id] = self.assets.memo(key, lambda: card)

    def _card_steps(self, message: Message) -> Generator[None, None, pygame.Surface]:
        """The spotlight card, made in slices: an arriving message never costs one long frame.

        The largest size of the ladder at which the whole message and its
        attribution fit the spotlight; one wrap per frame. Only a message too
        long for the smallest size ends in an ellipsis.
        """
        box, text, u = self.spot_box, self.text, self.u
        who_px = int(3.6 * u)
        room = box.height - int(2.5 * u) - text.line_height("strong", who_px)
        lines: list[str] = []
        px = int(SPOT_SIZES[-1] * u)
        for size in SPOT_SIZES:
            px = max(8, int(size * u))
            lines = text.wrap(message.text, "strong", px, box.width)
            yield
            if text.block_height(lines, "strong", px, 1.05) <= room:
                break
        else:
            step = max(1, int(text.line_height("strong", px) * 1.05))
            lines = text.wrap(message.text, "strong", px, box.width, max(1, room // step))
        body = text.render_lines(lines, "strong", px, self.look.text, leading=1.05)
        yield
        who = self._attribution(message, who_px, box.width)
        card = opaque_surface((box.width, body.get_height() + int(2.5 * u) + who.get_height()))
        rtl = text.direction(message.text) == "rtl"
        # A right-to-left message sits against the card's right edge, its attribution too.
        card.blit(body, (box.width - body.get_width() if rtl else 0, 0))
        card.blit(who, (box.width - who.get_width() if rtl else 0, body.get_height() + int(2.5 * u)))
        return card

    def _make_small(self, message: Message) -> pygame.Surface:
        """A recent message in its grid slot: as many lines as the slot holds."""
        text, u = self.text, self.u
        px = self.card_px
        who = self._attribution(message, max(8, int(px * 0.78)), self.col_w)
        room = self.card_h - int(1.2 * u) - who.get_height()
        max_lines = max(1, room // max(1, text.line_height("body", px)))
        body = text.render_lines(
            text.wrap(message.text, "body", px, self.col_w, max_lines), "body", px, self.look.dim
        )
        card = opaque_surface((self.col_w, body.get_height() + int(1.2 * u) + who.get_height()))
        rtl = text.direction(message.text) == "rtl"
        card.blit(body, (self.col_w - body.get_width() if rtl else 0, 0))
        card.blit(who, (self.col_w - who.get_width() if rtl else 0, body.get_height() + int(1.2 * u)))
        return card

    def _attribution(self, message: Message, size: int, width: int) -> pygame.Surface:
        """Name and country on one line, shortened with an ellipsis rather than clipped."""
        words = attribution(message, self.t)
        line = (self.text.wrap(words, "strong", size, width, max_lines=1) or [""])[0]
        return self.text.render(line, "strong", size, self.look.accent)

    def _is_rtl(self, message_id: str) -> bool:
        m = self.messages[message_id]
        known = self._rtl.get(m.id)
        if known is None or known[0] != m.text:
            known = self._rtl[m.id] = (m.text, self.text.direction(m.text) == "rtl")
        return known[1]

    def _reading_time(self, message_id: str) -> float:
        length = len(self.messages[message_id].text)
        return max(self.hold, min(20.0, 2.5 + length / 16))

    # --- per frame ----------------------------------------------------------------------

    def update(self, state: ShowState, dt: float) -> None:
        dt = clamp_dt(dt)
        if self._warm:
            # A few glyphs per frame (about a millisecond), so no arriving message
            # pays for loading fonts and glyphs on the frame it appears.
            file, size, sample = self._warm.popleft()
            self.text.fonts.warm(file, size, sample)
        self._sync(state)
        self.spot_age += dt
        for key in self.grid_age:
            self.grid_age[key] += dt
        if not self.queue and self.spot is not None and self.spot_age >= self._reading_time(self.spot):
            pinned = self._next_pinned()
            if pinned is not None:
                self.queue.append(pinned)
        if self.queue and (self.spot is None or self.spot_age >= self._reading_time(self.spot)):
            upcoming = self.queue[0]
            if upcoming in self.big_cards:  # rendered on an earlier frame: no hitch now
                self.queue.popleft()
                self.previous, self.spot = self.spot, upcoming
                self.spot_age = 0.0
                self._refresh_grid(animate=True)
                self._prune()
        # At most one slice of one card per frame, so a burst never costs a long frame.
        if self.queue and self.queue[0] not in self.big_cards:
            self._build_step(self.queue[0])
        else:
            for message_id in self.grid:
                if message_id not in self.small_cards:
                    self._small(message_id)
                    break
        self._set_alphas()

    def _next_pinned(self) -> str | None:
        """The pinned message after the one in the spotlight, in wall order."""
        pinned = [i for i in self.order if self.messages[i].pinned and i != self.spot]
        if not pinned:
            return None
        after = self.order.index(self.spot) if self.spot in self.order else -1
        later = [i for i in pinned if self.order.index(i) > after]
        return (later or pinned)[0]

    def _sync(self, state: ShowState) -> None:
        ids = [m.id for m in state.wall]
        if ids == self.order and all(self.messages.get(m.id) is m for m in state.wall):
            return
        current = set(ids)
        for m in state.wall:
            old = self.messages.get(m.id)
            if old is not None and (old.text, old.name, old.country) != (m.text, m.name, m.country):
                self.big_cards.pop(m.id, None)  # edited by a moderator: draw the new words
                self.small_cards.pop(m.id, None)
        self.messages = {m.id: m for m in state.wall}
        for gone in set(self.order) - current:  # retracted: off the screen now
            self.big_cards.pop(gone, None)
            self._building.pop(gone, None)
            self.small_cards.pop(gone, None)
        self.queue = deque(i for i in self.queue if i in current)
        if self.previous not in current:
            self.previous = None
        if self.spot is not None and self.spot not in current:
            self.spot = self.queue.popleft() if self.queue else (ids[-1] if ids else None)
            self.spot_age = SLIDE_SECONDS
            if self.spot is not None:
                self._card(self.spot)
        for message_id in ids:
            if message_id not in self.seen:
                self.queue.append(message_id)
        while len(self.queue) > MAX_QUEUE:
            self.queue.popleft()  # a flood: the oldest waiting go straight to the grid
        if self.spot is None and self.queue:
            self.spot = self.queue.popleft()
            self.spot_age = 0.0
            self._card(self.spot)
        self.seen = current
        self.order = ids
        if self.spot is not None and self.spot not in self.big_cards:
            self._card(self.spot)  # its words changed: redraw now rather than leave a gap
        self._refresh_grid(animate=True)

    def _prune(self) -> None:
        """Drop spotlight cards nobody will see again: they are megabytes each at 4K."""
        keep = {self.spot, self.previous, *self.queue}
        for message_id in [i for i in self.big_cards if i not in keep]:
            del self.big_cards[message_id]
        keep_small = set(self.grid)
        for message_id in [i for i in self.small_cards if i not in keep_small]:
            del self.small_cards[message_id]

    def _refresh_grid(self, animate: bool) -> None:
        waiting = set(self.queue)
        newest_first = [i for i in reversed(self.order) if i != self.spot and i not in waiting]
        grid = newest_first[: len(self.slots)]
        if grid != self.grid:
            self.grid_age = {
                i: (self.grid_age.get(i, 10.0) if i in self.grid else (0.0 if animate else 10.0))
                for i in grid
            }
            self.grid = grid

    def _set_alphas(self) -> None:
        """Animation state for draw(): computed here so draw() only blits."""
        t = ease(self.spot_age / SLIDE_SECONDS)
        self.slide_in = int((1 - t) * 8 * self.u)
        if self.spot is not None and self.spot in self.big_cards:
            set_fade(self.big_cards[self.spot], 255 * t)
        if self.previous is not None and self.previous in self.big_cards:
            out = ease(self.spot_age / (SLIDE_SECONDS * 0.5))
            set_fade(self.big_cards[self.previous], 255 * (1 - out))
            self.slide_out = int(out * 8 * self.u)
            if out >= 1:
                self.previous = None
        for message_id in self.grid:
            card = self.small_cards.get(message_id)
            if card is not None:
                set_fade(card, 255 * ease(self.grid_age.get(message_id, 10.0) / 0.6))

    def draw(self, surface: pygame.Surface) -> None:
        u, box = self.u, self.spot_box
        surface.fill(self.look.background)
        surface.blit(self.header, self.header_pos)
        shift = self.quote_room
        if self.previous is not None and self.previous in self.big_cards:
            card = self.big_cards[self.previous]
            if visible(card):
                left = box.left - (shift if self._is_rtl(self.previous) else 0)
                surface.blit(card, (left - self.slide_out, box.centery - card.get_height() // 2))
        if self.spot is not None and self.spot in self.big_cards:
            card = self.big_cards[self.spot]
            top = box.centery - card.get_height() // 2
            if self._is_rtl(self.spot):
                # Mirrored for a right-to-left message: the quote mark where it starts, on the right.
                surface.blit(self.quote, (box.right - shift + int(2 * u), top + int(1.5 * u)))
                if visible(card):
                    surface.blit(card, (box.left - shift - self.slide_in, top))
            else:
                surface.blit(self.quote, (box.left - shift, top + int(1.5 * u)))
                if visible(card):
                    surface.blit(card, (box.left + self.slide_in, top))
        elif self.spot is None:
            left = box.right - self.empty.get_width() if self.t.rtl else box.left
            surface.blit(self.empty, (left, box.centery - self.empty.get_height() // 2))
        if self.grid and self.grid_rule is not None:
            surface.fill(self.look.dark, self.grid_rule)
        for pos, message_id in zip(self.slots, self.grid, strict=False):
            small = self.small_cards.get(message_id)
            if small is not None and visible(small):
                surface.blit(small, pos)
