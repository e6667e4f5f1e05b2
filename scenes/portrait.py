"""A case portrait composited for a dark facade: the face, the name, the ask.

The treated portrait (duotone by default, from the media pipeline) fills a
panel: the left of a 16:9 screen, the top half of a tower, the left end of a
banner. The words go in the rest of the safe area: the country, the name set
huge, one sentence of the story and the call to action in a campaign-yellow
box. The name and the ask are fitted whole (size, wrap, balance), never cut
with an ellipsis; the story and the count are left out before anything
overlaps. The ``facade`` variant keeps only the face, the name and the ask.

Words come from the display's locale (``assets.locale``): the country's name
in its language, the labels from its catalog, the count in its digits. A
right-to-left locale mirrors the composition: the face on the right, the
words flush right beside it (laid out in the mirrored safe area, then
reflected, so they keep to the real one).

Portraits load in the background: until one is ready (or if it failed) the
panel holds the person's initials, so the layout never depends on the picture.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import pygame

from projector.core.model import Case, CaseStatus, campaign_field, case_text
from projector.core.state import ShowState
from projector.display.layout import MIN_AREA, Frame, Shape, frame_for, shape_of, unit_for
from projector.display.look import HOUSE, Look, look_of
from projector.display.scene import (
    clamp_dt,
    ease,
    param_str,
    register,
    set_fade,
)
from projector.display.text.fitting import Fitted
from projector.i18n.localizer import N_

if TYPE_CHECKING:
    from projector.display.assets import Assets

log = logging.getLogger(__name__)

PANEL_SHARE = 0.42
FADE_IN_SECONDS = 0.8
#: Above the name of a case whose person is free: news the screens celebrate.
RELEASED_MARK = N_("FREE")
VARIANTS = ("full", "facade")
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


def panel_rect(size: tuple[int, int]) -> pygame.Rect:
    """Where the portrait goes on a frame of ``size``: the left, the top half, or a banner's end."""
    w, h = max(1, int(size[0])), max(1, int(size[1]))
    shape = shape_of(w, h)
    if shape is Shape.PORTRAIT:
        return pygame.Rect(0, 0, w, max(1, int(h * 0.5)))
    if shape is Shape.BANNER:
        return pygame.Rect(0, 0, max(1, min(int(h * 0.8), int(w * 0.34))), h)
    return pygame.Rect(0, 0, max(1, int(w * PANEL_SHARE)), h)


@dataclass
class _Block:
    surface: pygame.Surface
    pos: tuple[int, int]


@register
class PortraitScene:
    name: ClassVar[str] = "portrait"
    #: The house look until the first entry (a scene is always entered before it draws).
    look: Look = HOUSE

    @staticmethod
    def panel_size(size: tuple[int, int]) -> tuple[int, int]:
        rect = panel_rect(size)
        return rect.width, rect.height

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
        # The campaign's look, taken on entry: a kit changed in the panel shows from the next entry.
        self.look = look_of(state.campaign.brand, assets.faces_for(state.campaign.brand))
        self.assets = assets
        self.text = assets.text
        self.t = assets.locale
        self.rtl = self.t.rtl
        self.w, self.h = assets.size
        area = assets.safe_area.mirrored() if self.rtl else assets.safe_area
        self.frame: Frame = frame_for(assets.size, area)
        self.u = self.frame.u
        variant = param_str(params, "variant", 20) or "full"
        if variant not in VARIANTS:
            log.error("portrait: unknown variant %r (expected %s); using full", variant, ", ".join(VARIANTS))
            variant = "full"
        self.variant = variant
        self.case = self._choose(state, params)
        self.campaign_name, self.campaign_lang = campaign_field(state.campaign, assets.languages, "name")
        self.photo: pygame.Surface | None = None
        self.photo_age = 0.0
        self.count = -1
        self.count_line: pygame.Surface | None = None
        self.count_words = ""
        assets.set_cases(state.cases)
        self._layout()
        self._poll_photo(arriving=False)
        self._update_count(state)

    # --- layout ---------------------------------------------------------------------------

    def _regions(self) -> tuple[pygame.Rect | None, pygame.Rect]:
        """The portrait's panel (None: no room for it beside the words) and the words' region."""
        area, u = self.frame.area, self.u
        panel = panel_rect((self.w, self.h))
        gap = int(5 * u)
        words = area.copy()
        if panel.height == self.h:  # beside the words
            words.width = area.right - max(area.left, panel.right + gap)
            words.left = max(area.left, panel.right + gap)
        else:  # above them
            words.height = area.bottom - max(area.top, panel.bottom + gap)
            words.top = max(area.top, panel.bottom + gap)
        if words.width < MIN_AREA[0] or words.height < MIN_AREA[1] * 2:
            # The safe area leaves the words no room beside the face: the words win.
            return None, area
        return panel, words

    def _layout(self) -> None:
        panel, region = self._regions()
        self.panel = panel if panel is not None else pygame.Rect(0, 0, 0, 0)
        self.region = region
        self.x0, self.col_w = region.left, region.width
        #: One unit of the words' region: a hundredth of its height, or of its width on a narrow one.
        self.v = min(region.height / 100, region.width / 55, unit_for(self.w, self.h) * 1.6)
        self.blocks: list[_Block] = []
        self.name_lines: tuple[str, ...] = ()
        self.rule: pygame.Rect | None = None
        self.cta: pygame.Surface | None = None
        self.cta_pos = (region.left, region.bottom)
        self.show_count = False
        self.count_pos = (region.left, region.top)
        #: The right edge of the count's column (a right-to-left line is flush to it).
        self.count_right = region.right
        self.count_size = max(8, int(3.2 * self.v))
        case = self.case
        if case is None:
            self._layout_no_case()
            return
        self.lang, self.words = case_text(case, self.assets.languages)
        ask = self.words.ask.strip() or self.t.gettext("Take action for {name}.").format(
            name=self.t.isolate(case.name)
        )
        wide = self.frame.shape is Shape.BANNER and region.width > 2.2 * region.height
        if wide:
            self._layout_two_columns(case, ask)
        else:
            self._layout_column(case, ask, region)
        self.placeholder = self._placeholder(initials(case.name))

    def _fit(
        self, words: str, face: str, box: tuple[int, int], max_v: float, min_v: float, lines: int = 0
    ) -> Fitted:
        v = self.v
        return self.assets.fit.fit(
            words,
            face,
            box[0],
            box[1],
            max(8, int(max_v * v)),
            max(8, int(min_v * v)),
            max_lines=lines,
            leading=0.86,
        )

    def _kicker(self, case: Case, width: int) -> pygame.Surface | None:
        t = self.t
        country = t.upper(t.country(case.country))
        if case.status is CaseStatus.RELEASED:
            free = t.gettext(RELEASED_MARK)
            country = f"{free} \u00b7 {t.isolate(country)}" if country else free
        if not country:
            return None
        size = self.text.fit_size(country, self.look.display, width, int(5 * self.v))
        return self.text.render(country, self.look.display, size, self.look.accent)

    def _name(self, case: Case, box: tuple[int, int], max_v: float) -> pygame.Surface:
        fitted = self._fit(case.name, self.look.display, box, max_v, 3.5, lines=3)
        self.name_lines = fitted.lines
        if not fitted.fits:
            log.warning(
                "portrait: the name %r needs more room than the frame gives; set small", case.name[:60]
            )
        return self.text.render_lines(
            list(fitted.lines), self.look.display, fitted.size, self.look.text, leading=0.86
        )

    def _cta(self, ask: str, width: int, height: int, max_v: float) -> pygame.Surface:
        """The call to action, whole, in the yellow box ``width`` wide."""
        v = self.v
        pad = max(4, int(2.2 * v))
        fitted = self._fit(
            self.t.upper(ask, self.lang), self.look.display, (width - 2 * pad, height - 2 * pad), max_v, 2.2
        )
        key = ("cta", fitted.lines, fitted.size, width, pad)

        def make() -> pygame.Surface:
            words = self.text.render_lines(
                list(fitted.lines),
                self.look.display,
                fitted.size,
                self.look.on_accent,
                leading=0.9,
                bg=self.look.accent,
            )
            box = pygame.Surface((min(width, words.get_width() + 2 * pad), words.get_height() + 2 * pad))
            box.fill(self.look.accent)
            box.blit(words, (pad, pad))
            return box.convert() if pygame.display.get_surface() is not None else box

        return self.assets.memo(key, make)

    def _story(self, width: int, height: int) -> pygame.Surface | None:
        """One sentence of the story, whole, if it fits the room left; else nothing."""
        story = first_sentence(self.words.story)
        if not story or height <= 0:
            return None
        fitted = self._fit(story, "body", (width, height), 3.7, 2.6, lines=4)
        if not fitted.fits:
            return None
        return self.text.render_lines(list(fitted.lines), "body", fitted.size, self.look.dim)

    def _layout_column(self, case: Case, ask: str, region: pygame.Rect) -> None:
        """Kicker, name, rule, story and count from the top; the ask at the bottom."""
        v, x = self.v, region.left
        facade = self.variant == "facade"
        tall = self.frame.shape is Shape.PORTRAIT
        cta_share = 0.42 if facade else 0.34
        self.cta = self._cta(
            ask, region.width, int(region.height * cta_share), 8.0 if facade else (6.0 if tall else 4.8)
        )
        cta_top = region.bottom - self.cta.get_height()
        self.cta_pos = (self._start(ask, self.cta, region), cta_top)
        y = region.top
        kicker = None if facade else self._kicker(case, region.width)
        if kicker is not None:
            self.blocks.append(_Block(kicker, (x, y)))
            y += kicker.get_height()
        room = cta_top - int(3 * v) - y - (0 if facade else int(6 * v))
        # A tower has height to spare: the name may take two big lines there.
        name = self._name(case, (region.width, max(1, room)), 20.0 if facade else (18.0 if tall else 14.0))
        if facade:
            # Only the face, the name and the ask: the name in the middle of what is left.
            y = max(y, region.top + (cta_top - region.top - name.get_height()) // 2)
        self.blocks.append(_Block(name, (self._start(case.name, name, region), y)))
        y += name.get_height() + int(2.5 * v)
        if facade:
            return
        self.rule = pygame.Rect(x, y, int(12 * v), max(2, int(0.7 * v)))
        y += self.rule.height + int(3 * v)
        count_room = int(5.5 * v)
        story = self._story(region.width, cta_top - int(2 * v) - y - count_room)
        if story is not None:
            self.blocks.append(_Block(story, (self._start(self.words.story, story, region), y)))
            y += story.get_height() + int(1.5 * v)
        # The count line is drawn only where it clears the call to action.
        self.show_count = y + count_room <= cta_top
        self.count_pos = (x, y)

    def _layout_two_columns(self, case: Case, ask: str) -> None:
        """A banner: the kicker, the name and the count on the left; the story and the ask on the right."""
        region, v = self.region, self.v
        gap = int(5 * v)
        left = pygame.Rect(region.left, region.top, (region.width - gap) // 2, region.height)
        right = pygame.Rect(left.right + gap, region.top, region.right - left.right - gap, region.height)
        facade = self.variant == "facade"
        kicker = None if facade else self._kicker(case, left.width)
        name = self._name(
            case, (left.width, int(region.height * (0.8 if facade else 0.62))), 24.0 if facade else 20.0
        )
        heights = [name.get_height()] if kicker is None else [kicker.get_height(), name.get_height()]
        block_h = sum(heights) + (0 if facade else int(9 * v))
        y = region.top + max(0, (region.height - block_h) // 2)
        if kicker is not None:
            self.blocks.append(_Block(kicker, (left.left, y)))
            y += kicker.get_height()
        self.blocks.append(_Block(name, (self._start(case.name, name, left), y)))
        y += name.get_height() + int(2.5 * v)
        if not facade:
            self.rule = pygame.Rect(left.left, y, int(12 * v), max(2, int(0.7 * v)))
            self.count_pos = (left.left, y + self.rule.height + int(2.5 * v))
            self.count_right = left.right
            self.show_count = self.count_pos[1] + int(5 * v) <= region.bottom
        self.cta = self._cta(
            ask, right.width, int(region.height * (0.8 if facade else 0.5)), 9.0 if facade else 7.5
        )
        story = (
            None if facade else self._story(right.width, region.height - self.cta.get_height() - int(4 * v))
        )
        total = self.cta.get_height() + (story.get_height() + int(4 * v) if story is not None else 0)
        y = region.top + max(0, (region.height - total) // 2)
        if story is not None:
            self.blocks.append(_Block(story, (self._start(self.words.story, story, right), y)))
            y += story.get_height() + int(4 * v)
        self.cta_pos = (self._start(ask, self.cta, right), y)

    def _start(self, words: str, block: pygame.Surface, column: pygame.Rect) -> int:
        """Where a block of ``words`` starts in ``column``: flush right for a right-to-left text.

        In a right-to-left locale the layout is reflected when drawn, so the sides swap here.
        """
        flush_right = (self.text.direction(words) == "rtl") != self.rtl
        return column.right - block.get_width() if flush_right else column.left

    def _layout_no_case(self) -> None:
        region, v = self.region, self.v
        name = self.t.upper(self.campaign_name, self.campaign_lang)
        head = self._fit(name, self.look.display, (region.width, int(region.height * 0.3)), 9.0, 3.0, lines=2)
        body = self._fit(
            self.t.gettext("Every action counts."),
            self.look.display,
            (region.width, int(region.height * 0.5)),
            12.0,
            4.0,
        )
        top = self.text.render_lines(list(head.lines), self.look.display, head.size, self.look.accent)
        bottom = self.text.render_lines(
            list(body.lines), self.look.display, body.size, self.look.text, leading=0.85
        )
        y = region.top + max(0, (region.height - top.get_height() - bottom.get_height() - int(4 * v)) // 2)
        self.blocks = [
            _Block(top, (region.left, y)),
            _Block(bottom, (region.left, y + top.get_height() + int(4 * v))),
        ]
        self.placeholder = self._placeholder("")

    # --- the picture ------------------------------------------------------------------------

    def _placeholder(self, letters: str) -> pygame.Surface:
        return self.assets.memo(
            ("placeholder", letters, self.panel.size), lambda: self._make_placeholder(letters)
        )

    def _make_placeholder(self, letters: str) -> pygame.Surface:
        panel = pygame.Surface((max(1, self.panel.width), max(1, self.panel.height)))
        panel.fill((14, 14, 18))
        if self.panel.width and self.panel.height:
            size = max(8, int(min(self.panel.width * 0.55, self.panel.height * 0.3)))
            glyphs = self.text.render(letters or " ", self.look.display, size, self.look.accent)
            panel.blit(
                glyphs,
                (
                    (self.panel.width - glyphs.get_width()) // 2,
                    (self.panel.height - glyphs.get_height()) // 2,
                ),
            )
            edge = max(2, int(0.5 * self.u))
            if self.panel.height == self.h:  # the accent on the side that faces the words
                panel.fill(
                    self.look.accent, (0 if self.rtl else self.panel.width - edge, 0, edge, self.panel.height)
                )
            else:
                panel.fill(self.look.accent, (0, self.panel.height - edge, self.panel.width, edge))
        return panel.convert() if pygame.display.get_surface() is not None else panel

    def _poll_photo(self, arriving: bool = True) -> None:
        if self.photo is None and self.case is not None and self.panel.width and self.panel.height:
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
            t = self.t
            words = (
                t.ngettext("{number} ACTION SO FAR", "{number} ACTIONS SO FAR", count).format(
                    number=t.isolate(t.number(count))
                )
                if count
                else t.gettext("BE THE FIRST TO ACT")
            )
            self.count_words = words
            size = self.text.fit_size(words, "strong", self.col_w, self.count_size)
            self.count_line = self.text.render(words, "strong", size, self.look.accent)

    # --- per frame ----------------------------------------------------------------------------

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

    @property
    def cta_top(self) -> int:
        return self.cta_pos[1]

    def _at(self, x: int, y: int, width: int) -> tuple[int, int]:
        """Where to draw something laid out at (x, y): reflected across the screen in a
        right-to-left locale (the layout was made in the mirrored safe area)."""
        return (self.w - x - width, y) if self.rtl else (x, y)

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(self.look.background)
        if self.panel.width and self.panel.height:
            photo = self.photo
            at = self._at(self.panel.left, self.panel.top, self.panel.width)
            if photo is None or photo.get_alpha() is not None:
                surface.blit(self.placeholder, at)
            if photo is not None:
                surface.blit(photo, at)
        for block in self.blocks:
            surface.blit(block.surface, self._at(*block.pos, block.surface.get_width()))
        if self.case is None:
            return
        if self.rule is not None:
            rule = self.rule
            surface.fill(
                self.look.accent, (*self._at(rule.left, rule.top, rule.width), rule.width, rule.height)
            )
        if self.show_count and self.count_line is not None:
            left = self.count_pos[0]
            if self.rtl != (self.text.direction(self.count_words) == "rtl"):
                left = self.count_right - self.count_line.get_width()  # flush to the reading side
            surface.blit(self.count_line, self._at(left, self.count_pos[1], self.count_line.get_width()))
        if self.cta is not None:
            surface.blit(self.cta, self._at(*self.cta_pos, self.cta.get_width()))
