"""A slideshow of uploaded pictures: captions, a time for each, crossfades, and an optional slow pan.

Parameters (flat, as every cue's are): ``slide_1``, ``slide_2`` ... the
pictures' hashes (uploaded with ``POST /api/v1/media``; numbers may skip),
``caption_N`` the words under slide N (any script, right to left included;
drawn with the display's text renderer inside the safe area), ``seconds_N``
its time on screen (else ``seconds``, else 6 s; 1 s to an hour), ``fade``
the crossfade between slides (1 s; at most half a slide's time), ``ken_burns``
(true, the default: each picture is prepared 12% larger than the screen and
pans slowly across that margin, the direction changing slide to slide; a
per-frame zoom would cost a 4K rescale every frame, more than the budget) and
``loop`` (false: the last slide stays; true: round again). A cue with
``hold = "end"`` follows on when the last slide's time is up: the server
adds the times up from the same parameters (``core.playout``).

Pictures are decoded and toned on the portrait workers, only the slide on
screen and the next are kept as surfaces; a slide whose picture is not ready
yet keeps the one before on screen, so a slow download never shows black.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import pygame

from projector.core.playout import slide_numbers, slide_seconds
from projector.core.state import ShowState
from projector.display.layout import frame_for
from projector.display.playhead import Playhead
from projector.display.scene import BLACK, WHITE, YELLOW, ease, param_float, param_str, register, set_fade

if TYPE_CHECKING:
    from projector.display.assets import Assets

log = logging.getLogger(__name__)

#: How much larger than the screen a picture is prepared for the pan (each side's share is half).
PAN_MARGIN = 0.12


@dataclass
class _Slide:
    media: str
    seconds: float
    caption: pygame.Surface | None
    #: When it starts, seconds from the slideshow's start.
    at: float = 0.0
    picture: pygame.Surface | None = None
    failed: bool = False


@register
class SlidesScene:
    name: ClassVar[str] = "slides"

    def __init__(self) -> None:
        self._assets: Assets | None = None
        self._slides: list[_Slide] = []
        self._clock = Playhead()
        self._total = 0.0
        self._loop = False
        self._pan = True
        self._fade = 1.0
        self._size = (1, 1)
        self._picture_size = (1, 1)
        self._index = 0
        self._next: int | None = None
        self._blend = 0.0
        self._within = 0.0
        self._caption_box = pygame.Rect(0, 0, 0, 0)
        #: The incoming slide of a crossfade is drawn here (one buffer, reused).
        self._layer: pygame.Surface | None = None

    def enter(self, state: ShowState, assets: Assets, params: Mapping[str, Any]) -> None:
        self._assets = assets
        self._size = w, h = assets.size
        self._pan = params.get("ken_burns", True) is not False
        grow = 1 + PAN_MARGIN if self._pan else 1.0
        self._picture_size = (math.ceil(w * grow), math.ceil(h * grow))
        self._loop = params.get("loop", False) is True
        self._fade = param_float(params, "fade", 1.0, 0.0, 10.0)
        frame = frame_for(assets.size, assets.safe_area)
        area = frame.area
        # Captions sit low in the safe area, a fifth of its height at most.
        self._caption_box = pygame.Rect(
            area.left, area.bottom - area.height // 5, area.width, area.height // 5
        )
        at = 0.0
        for n in slide_numbers(params):
            media = param_str(params, f"slide_{n}", 64)
            if media is None:
                continue
            seconds = slide_seconds(params, n)
            caption = param_str(params, f"caption_{n}", 300)
            self._slides.append(_Slide(media, seconds, self._caption(assets, caption, frame.u), at))
            at += seconds
        self._total = at
        if not self._slides:
            log.error("the slides scene has no slides (slide_1, slide_2 ... name uploaded pictures)")
        self._want(0)
        self._want(1)

    def _caption(self, assets: Assets, words: str | None, u: float) -> pygame.Surface | None:
        """The caption on a black band (opaque: legible on any photo, and fast to blit)."""
        if not words or not words.strip():
            return None
        box = self._caption_box
        pad = max(2, int(1.2 * u))
        fitted = assets.fit.fit(
            words, "strong", box.width - 2 * pad, box.height - 2 * pad, int(5 * u), max(8, int(2.5 * u))
        )
        text = assets.text.render_lines(
            list(fitted.lines), "strong", fitted.size, WHITE, align="center", bg=BLACK
        )
        band = pygame.Surface((text.get_width() + 2 * pad, text.get_height() + 2 * pad))
        if pygame.display.get_surface() is not None:
            band = band.convert()
        band.fill(BLACK)
        band.blit(text, (pad, pad))
        band.fill(YELLOW, (0, 0, max(2, pad // 3), band.get_height()))  # the campaign's mark on the band
        return band

    # --- what the director asks -----------------------------------------------------------------

    @property
    def holding(self) -> bool:
        """In a rotation, a slideshow that plays once keeps the screen until its last slide is done."""
        return not self._loop and bool(self._slides) and self._clock.seconds < self._total

    @property
    def finished(self) -> bool:
        return not self._loop and self._clock.seconds >= self._total

    @property
    def index(self) -> int:
        """The slide on screen (the one fading out, during a crossfade)."""
        return self._index

    # --- the frame -------------------------------------------------------------------------------

    def _want(self, index: int) -> None:
        """Ask for a slide's picture (it arrives on a later frame); failures are logged once and kept."""
        if self._assets is None or not 0 <= index < len(self._slides):
            return
        slide = self._slides[index]
        if slide.picture is not None or slide.failed:
            return
        got = self._assets.picture(slide.media, self._picture_size)
        if isinstance(got, Exception):
            slide.failed = True
            log.warning("slide %s (%s) cannot be shown: %s", index + 1, slide.media[:12], got)
        elif got is not None:
            slide.picture = got

    def _position(self, t: float) -> tuple[int, float]:
        """(slide index, seconds into it) at ``t`` seconds from the start."""
        if self._loop and self._total > 0:
            t = math.fmod(t, self._total)
        for i in range(len(self._slides) - 1, -1, -1):
            if t >= self._slides[i].at:
                return i, t - self._slides[i].at
        return 0, t

    def update(self, state: ShowState, dt: float) -> None:
        if self._assets is None or not self._slides:
            return
        t = self._clock.advance(self._assets, dt)
        index, within = self._position(t)
        if not self._loop and t >= self._total:
            index, within = len(self._slides) - 1, self._slides[-1].seconds
        count = len(self._slides)
        following = (index + 1) % count if self._loop or index + 1 < count else None
        self._want(index)
        if following is not None:
            self._want(following)
        # A slide whose picture is not here yet keeps the last one that is on screen.
        if self._slides[index].picture is not None or self._slides[self._index].picture is None:
            self._index = index
        self._within = within if self._index == index else self._slides[self._index].seconds
        fade = min(self._fade, self._slides[self._index].seconds / 2)
        left = self._slides[self._index].seconds - self._within
        self._next = following if following is not None and self._index == index and left < fade else None
        self._blend = ease(1 - left / fade) if self._next is not None and fade > 0 else 0.0
        for i, slide in enumerate(self._slides):  # only the slide on screen and the next stay decoded
            if i not in (self._index, index, following):
                slide.picture = None

    def _draw_slide(self, surface: pygame.Surface, index: int, within: float) -> None:
        slide = self._slides[index]
        picture = slide.picture
        if picture is None:
            surface.fill(BLACK)
        else:
            sw, sh = self._size
            pw, ph = picture.get_size()
            x, y = (pw - sw) / 2, (ph - sh) / 2
            if self._pan:
                # From one corner of the margin towards the other, the way turning slide to slide.
                k = min(1.0, within / max(slide.seconds, 0.001))
                sign = 1 if index % 2 == 0 else -1
                x = (pw - sw) / 2 + sign * (k - 0.5) * (pw - sw)
                y = (ph - sh) / 2 + sign * (k - 0.5) * (ph - sh) * 0.5
            surface.blit(picture, (0, 0), pygame.Rect(round(x), round(y), sw, sh))
        if slide.caption is not None:
            box = self._caption_box
            cap = slide.caption
            surface.blit(cap, (box.centerx - cap.get_width() // 2, box.bottom - cap.get_height()))

    def draw(self, surface: pygame.Surface) -> None:
        if not self._slides:
            surface.fill(BLACK)
            return
        if self._slides[self._index].picture is None and self._slides[self._index].caption is None:
            surface.fill(BLACK)  # the first picture is still on its way: a quiet mark, not a bare frame
            w, h = surface.get_size()
            surface.fill(YELLOW, (w // 2 - w // 40, h // 2, max(2, w // 20), max(2, h // 200)))
            return
        self._draw_slide(surface, self._index, self._within)
        if self._next is not None and self._blend > 0 and self._slides[self._next].picture is not None:
            layer = self._layer
            if layer is None or layer.get_size() != surface.get_size():
                layer = self._layer = pygame.Surface(surface.get_size())
                if pygame.display.get_surface() is not None:
                    layer = self._layer = layer.convert()
            self._draw_slide(layer, self._next, 0.0)
            set_fade(layer, 255 * self._blend)
            surface.blit(layer, (0, 0))
