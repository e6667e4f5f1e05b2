"""Tabular digits for counters, in the locale's own digits and separators.

A counter rendered as one string shifts sideways as "1" becomes "7"
(proportional figures); each digit drawn centred in a fixed cell keeps a
running total still, so the eye reads the number, not the wobble.

The number comes formatted by the display's locale (``Localizer.number``):
"1.234.567" in Turkish, "1 234 567" in French (a narrow no-break space),
Arabic-Indic digits where CLDR says so. Every character that is not a digit
(a group separator, whatever the locale uses) gets its own glyph, made on
first sight and cached; bidi marks CLDR puts around numbers take no room.

With ``bg`` the glyphs are opaque (several times faster to blit than
per-pixel alpha: it is what keeps a 4K counter in budget) and cropped to
the band their ink covers, so their boxes never paint over neighbours.
"""

from __future__ import annotations

import unicodedata

import pygame

from projector.display.text.fonts import Colour
from projector.display.text.renderer import TextRenderer

#: Characters whose ink band sets the band all glyphs are cropped to: the digits and the
#: separators locales use (a comma hangs below the digits, so it must count).
_BAND_SAMPLE = "0123456789,."


class Digits:
    """Digits in cells of one width; other characters at their own width."""

    def __init__(
        self,
        text: TextRenderer,
        face: str,
        size: int,
        colour: Colour,
        bg: Colour | None = None,
        digits: str = "0123456789",
    ) -> None:
        self._text = text
        self._face = face
        self._size = int(size)
        self._colour = (colour[0], colour[1], colour[2])
        self._bg = bg
        inks = [text.ink(ch, face, self._size) for ch in _BAND_SAMPLE + digits]
        #: Where the ink band starts inside a full line box (blit() takes line-box coordinates).
        self.top = min(r.top for r in inks if r.height) if any(r.height for r in inks) else 0
        bottom = max((r.bottom for r in inks if r.height), default=1)
        self.height = max(1, bottom - self.top)
        self.glyphs = {ch: self._glyph(ch) for ch in digits}
        self.advance = max(g.get_width() for g in self.glyphs.values())
        self._others: dict[str, pygame.Surface | None] = {}

    def _glyph(self, ch: str) -> pygame.Surface:
        key = ("digit", ch, self._face, self._size, self._colour, self._bg)

        def band() -> pygame.Surface:
            line = self._text.render(ch, self._face, self._size, self._colour, self._bg)
            rect = pygame.Rect(0, self.top, line.get_width(), self.height).clip(line.get_rect())
            return line.subsurface(rect).copy()

        return self._text.cache.memo(key, band)

    def _other(self, ch: str) -> pygame.Surface | None:
        """A separator's glyph (None: a mark that takes no room, such as U+200E)."""
        if ch not in self._others:
            invisible = unicodedata.category(ch) == "Cf"
            self._others[ch] = None if invisible else self._glyph(ch)
        return self._others[ch]

    def width(self, number: str) -> int:
        total = 0
        for ch in number:
            if ch in self.glyphs:
                total += self.advance
            else:
                glyph = self._other(ch)
                total += glyph.get_width() if glyph is not None else 0
        return total

    def blit(self, surface: pygame.Surface, number: str, x: int, y: int) -> None:
        """Draw ``number`` as the locale formatted it; x, y: the line box's top-left."""
        y += self.top
        for ch in number:
            glyph = self.glyphs.get(ch)
            if glyph is not None:
                surface.blit(glyph, (x + (self.advance - glyph.get_width()) // 2, y))
                x += self.advance
                continue
            other = self._other(ch)
            if other is not None:
                surface.blit(other, (x, y))
                x += other.get_width()
