"""Fonts and text rendering for scenes: every script, mixed, shaped, never as boxes.

A line is cut into *runs* (see DESIGN.md, "Text"): stretches of one font, one
script and one bidi level. Each run is shaped by SDL_ttf's HarfBuzz with its
script and direction, and the runs are set side by side in visual order on a
common baseline, so "Free Tarek! حرية لطارق" shows Latin left to right and
Arabic joined and right to left, each in a font that has its letters.

Fonts come from Python packages (``fontpkg-*``) first, so every display draws
the same glyphs as the machine that was tested; for scripts no package covers
(Hebrew, Ethiopic, Myanmar, ...) the system's fonts are scanned once, on first
need. A character no font has is left out and reported once (log and
:attr:`TextRenderer.missing`): a box on a building reads as an insult.

Rendering text is the most expensive thing a scene does, so everything is
cached: fonts by (file, size, bold), layouts by (line, face, size, direction),
rendered lines and blocks in a bounded LRU of surfaces.
"""

from __future__ import annotations

import itertools
import logging
import re
import unicodedata
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import pygame

from projector.display.text.bidi_runs import (
    BIDI_CONTROLS,
    cluster_starts,
    embedding_levels,
    isolate_spans,
    isolated_slice,
    paragraph_level,
    script_of,
    visual_order,
)
from projector.display.text.fonts import (
    NEED_NOT,
    Colour,
    FontBook,
    FontFile,
    looks_like_emoji,
)
from projector.display.text.line_breaks import break_opportunities

log = logging.getLogger(__name__)

#: Characters a line may not start with (JIS X 4051 / W3C jlreq, the common subset):
#: closing brackets and punctuation, iteration marks, prolonged sound mark, small kana.
#: ICU's line breaker applies these rules between segments; the tables are for the last
#: resort, a stretch with no break opportunity cut between grapheme clusters.
NO_LINE_START = frozenset(
    ")]}\u3009\u300b\u300d\u300f\u3011\u3015\u3017\u3019\u301f\uff09\uff3d\uff5d\uff60"
    "\u3001\u3002\uff0c\uff0e\uff1a\uff1b\uff01\uff1f!?,.:;\u30fb\u2025\u2026"
    "\u3005\u309d\u309e\u30fd\u30fe\u30fc"
    "\u3041\u3043\u3045\u3047\u3049\u3063\u3083\u3085\u3087\u308e"
    "\u30a1\u30a3\u30a5\u30a7\u30a9\u30c3\u30e3\u30e5\u30e7\u30ee\u30f5\u30f6"
)
#: Characters a line may not end with: opening brackets.
NO_LINE_END = frozenset("([{\u3008\u300a\u300c\u300e\u3010\u3014\u3016\u3018\u301d\uff08\uff3b\uff5b\uff5f")


# --- cleaning strings before SDL sees them -----------------------------------------------


def clean_text(text: object, max_length: int = 2000) -> str:
    """A string SDL_ttf will accept: no NULs, controls or lone surrogates, bounded length.

    pygame raises on embedded NULs and surrogates; a supporter's message or a
    case name must never be able to raise on a public screen.
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    out = []
    for ch in text[: max_length * 2]:
        cat = unicodedata.category(ch)
        if ch in "\n\t":
            out.append(" ")
        elif cat == "Cs":
            out.append("\ufffd")
        elif cat == "Cc":
            continue
        else:
            out.append(ch)
    cleaned = "".join(out)
    if len(cleaned) > max_length:
        cleaned = cleaned[: max_length - 1].rstrip() + "\u2026"
    return cleaned


_DIRECTION_RTL = getattr(pygame, "DIRECTION_RTL", 1)
_DIRECTION_LTR = getattr(pygame, "DIRECTION_LTR", 0)


def _shape_as(font: pygame.font.Font, script: str, rtl: bool) -> None:
    """Tell HarfBuzz the run's script and direction (the font object is shared by all runs)."""
    try:
        font.set_script(script)
        font.set_direction(_DIRECTION_RTL if rtl else _DIRECTION_LTR)
    except (AttributeError, pygame.error, ValueError):
        pass


@dataclass(frozen=True, slots=True)
class Run:
    """A stretch of a line in one font, script and direction, shaped in one go."""

    text: str
    file: FontFile | None
    script: str
    level: int
    x: int
    width: int

    @property
    def rtl(self) -> bool:
        return self.level % 2 == 1


@dataclass(frozen=True, slots=True)
class Layout:
    """A line ready to draw: runs left to right, on a baseline ``ascent`` below the top."""

    runs: tuple[Run, ...]
    width: int
    ascent: int
    height: int
    linesize: int
    rtl: bool

    @property
    def direction(self) -> str:
        return "rtl" if self.rtl else "ltr"


def _selector(ch: str) -> bool:
    """Variation selectors (emoji or text style): HarfBuzz applies or hides them; no font needs one."""
    return "\ufe00" <= ch <= "\ufe0f" or "\U000e0100" <= ch <= "\U000e01ef"


@lru_cache(maxsize=8192)
def _cluster_traits(piece: str) -> tuple[frozenset[int], bool, str | None]:
    """What a grapheme cluster needs from a font, whether it is neutral, and its script.

    Neutral clusters (spaces, digits, punctuation, symbols) do not pick a font
    of their own: they stay in the font of the letters around them.
    """
    needed = frozenset(
        ord(ch) for ch in piece if unicodedata.category(ch) not in NEED_NOT and not _selector(ch)
    )
    neutral = not needed or unicodedata.category(piece[0])[0] in "PSZN"
    script = next((s for s in map(script_of, piece) if s), None)
    return needed, neutral, script


@dataclass(frozen=True, slots=True)
class _Segment:
    """Text between two line-break opportunities: ``[start, word_end)`` plus spaces up to ``end``."""

    start: int
    end: int
    word_end: int
    alone: int  # its width without the spaces
    spaced: int  # its width with them, as it adds up on a line


@dataclass(slots=True)
class _Cluster:
    text: str
    level: int
    script: str | None
    file: FontFile | None
    neutral: bool
    needed: frozenset[int]


class SurfaceCache:
    """An LRU of surfaces bounded by total pixel count.

    A 4K headline is several megabytes; bounding by pixels rather than by
    entries keeps memory flat on a display that runs for days.
    """

    def __init__(self, max_pixels: int) -> None:
        self.max_pixels = max_pixels
        self._items: OrderedDict[Hashable, pygame.Surface] = OrderedDict()
        self._pixels = 0

    def get(self, key: Hashable) -> pygame.Surface | None:
        surf = self._items.get(key)
        if surf is not None:
            self._items.move_to_end(key)
        return surf

    def put(self, key: Hashable, surf: pygame.Surface) -> pygame.Surface:
        old = self._items.pop(key, None)
        if old is not None:
            self._pixels -= old.get_width() * old.get_height()
        self._items[key] = surf
        self._pixels += surf.get_width() * surf.get_height()
        while self._pixels > self.max_pixels and len(self._items) > 1:
            _, evicted = self._items.popitem(last=False)
            self._pixels -= evicted.get_width() * evicted.get_height()
        return surf

    def memo(self, key: Hashable, make: Callable[[], pygame.Surface]) -> pygame.Surface:
        surf = self.get(key)
        return surf if surf is not None else self.put(key, make())

    def __len__(self) -> int:
        return len(self._items)

    @property
    def pixels(self) -> int:
        return self._pixels


_SEPARATORS = str.maketrans({"\u2028": " ", "\u2029": " "})
_EMPTY_ISOLATE = re.compile("[\u2066-\u2068]\u2069")


class TextRenderer:
    """Rendered text, cached: lines, blocks of lines and ink boxes, in any mix of scripts."""

    def __init__(self, fonts: FontBook, max_pixels: int = 48_000_000) -> None:
        self.fonts = fonts
        self.cache = SurfaceCache(max_pixels)
        self._ink: dict[tuple[str, str, int], pygame.Rect] = {}
        self._layouts: OrderedDict[tuple[str, str, int, int | None], Layout] = OrderedDict()
        #: Where lines may end (see ``line_breaks``); ``line_breaks.space_breaks`` wraps at
        #: spaces only, as before ICU (the benchmark compares the two).
        self.breaks: Callable[[str, str | None], Sequence[int]] = break_opportunities
        self._measures: OrderedDict[tuple[str, tuple[int, ...], str, int, int], list[_Segment]] = (
            OrderedDict()
        )
        self._wrapped: OrderedDict[tuple[str, str, int, int, int, str | None], tuple[str, ...]] = (
            OrderedDict()
        )

    # --- layout: runs by font, script and direction -------------------------------------

    @property
    def missing(self) -> frozenset[int]:
        """Code points that no installed font has, seen so far (left out of what was drawn)."""
        return frozenset(self.fonts.missing)

    def direction(self, text: object) -> str:
        """The paragraph's direction, "rtl" or "ltr": its first strong character decides (UAX #9).

        Scenes use it to set a right-to-left message's block flush right.
        """
        return "rtl" if paragraph_level(clean_text(text)) else "ltr"

    def layout(self, text: object, face: str, size: int, base: int | None = None) -> Layout:
        """How one line is drawn: its runs in visual order, each with its font and width.

        ``base`` is the paragraph level (0 LTR, 1 RTL) when the line is part of
        a wrapped paragraph; by default the line's own first strong character.
        """
        return self._layout(clean_text(text, 500), face, int(size), base)

    def _layout(self, line: str, face: str, size: int, base: int | None) -> Layout:
        key = (line, face, size, base)
        found = self._layouts.get(key)
        if found is not None:
            self._layouts.move_to_end(key)
            return found
        made = self._make_layout(line.translate(_SEPARATORS), face, size, base)
        self._layouts[key] = made
        if len(self._layouts) > 4096:
            self._layouts.popitem(last=False)
        return made

    def _make_layout(self, text: str, face: str, size: int, base: int | None) -> Layout:
        level = paragraph_level(text) if base is None else base % 2
        primary = self.fonts.primary(face)
        if level == 0 and text.isascii() and self.fonts.covers(primary, map(ord, text)):
            # The common case (headlines, numbers, English): one run, no bidi, no fallback.
            return self._assemble([(text, primary, "Latn", 0)] if text else [], face, size, level)
        clusters = self._clusters(text, face, level)
        pieces: list[tuple[str, FontFile | None, str, int]] = []
        for c in clusters:
            if not c.text:
                continue
            script = c.script or "Zyyy"
            if pieces and pieces[-1][1:] == (c.file, script, c.level):
                pieces[-1] = (pieces[-1][0] + c.text, c.file, script, c.level)
            else:
                pieces.append((c.text, c.file, script, c.level))
        return self._assemble(pieces, face, size, level)

    def _clusters(self, text: str, face: str, level: int) -> list[_Cluster]:
        """The line's grapheme clusters, each with its level, script and font."""
        levels = embedding_levels(text, level)
        if any(ch in BIDI_CONTROLS for ch in text):
            keep = [i for i, ch in enumerate(text) if ch not in BIDI_CONTROLS]
            text, levels = "".join(text[i] for i in keep), [levels[i] for i in keep]
            if not text:  # only controls (an empty isolate, a break next to one): nothing to draw
                return []
        starts = cluster_starts(text)
        clusters = []
        for a, b in zip(starts, [*starts[1:], len(text)], strict=True):
            piece = text[a:b]
            needed, neutral, script = _cluster_traits(piece)
            clusters.append(_Cluster(piece, levels[a], script, None, neutral, needed))
        # Letters take the first font that has them ...
        for c in clusters:
            if not c.neutral:
                c.file = self._font_for(c, face, text)
        # ... spaces, digits and punctuation stay in the font of the letters around them.
        following: list[FontFile | None] = [None] * len(clusters)
        upcoming: FontFile | None = None
        for i in range(len(clusters) - 1, -1, -1):
            if not clusters[i].neutral and clusters[i].text:
                upcoming = clusters[i].file
            following[i] = upcoming
        previous: FontFile | None = None
        for i, c in enumerate(clusters):
            if not c.neutral:
                previous = c.file if c.text else previous
                continue
            # (Emoji go straight to the chain, which tries a colour emoji font first.)
            near = [f for f in (previous, following[i]) if f is not None and not looks_like_emoji(c.needed)]
            c.file = next((f for f in near if self.fonts.covers(f, c.needed)), None)
            if c.file is None:
                c.file = self._font_for(c, face, text)
        # Shared characters (digits, punctuation, marks) take the script of their neighbours.
        known = [c.script for c in clusters if c.script]
        script = known[0] if known else None
        for c in clusters:
            script = c.script = c.script or script
        return clusters

    def _font_for(self, c: _Cluster, face: str, context: str) -> FontFile | None:
        """A font for the whole cluster; characters no font has are dropped and reported."""
        file = self.fonts.choose(face, c.needed)
        if file is not None:
            return file
        have = frozenset(cp for cp in c.needed if self.fonts.choose(face, frozenset((cp,))) is not None)
        for cp in sorted(c.needed - have):
            self.fonts.report_missing(cp, context)
        if not have:
            c.text, c.needed = "", frozenset()
            return None
        # A mark that only another font has cannot sit on this base: keep the base.
        base = next(ord(ch) for ch in c.text if ord(ch) in have)
        file = self.fonts.choose(face, have) or self.fonts.choose(face, frozenset((base,)))
        coverage = self.fonts.coverage(file)
        c.text = "".join(ch for ch in c.text if ord(ch) not in c.needed or ord(ch) in coverage)
        c.needed = frozenset(cp for cp in c.needed if cp in coverage)
        return file

    def _assemble(
        self, pieces: list[tuple[str, FontFile | None, str, int]], face: str, size: int, level: int
    ) -> Layout:
        """Shape and measure each run, then set the runs left to right in visual order (UAX #9 L2)."""
        widths, metrics = [], []
        for text, file, script, run_level in pieces:
            font, scale = self.fonts.load(file, size), self.fonts.scale(file, size)
            _shape_as(font, script, run_level % 2 == 1)
            try:
                widths.append(round(font.size(text)[0] * scale))
            except (pygame.error, ValueError, UnicodeError):
                widths.append(0)
            metrics.append((font, scale))
        runs, x = [], 0
        for i in visual_order([p[3] for p in pieces]):
            text, file, script, run_level = pieces[i]
            runs.append(Run(text, file, script, run_level, x, widths[i]))
            x += widths[i]
        used = metrics or [(self.fonts.load(self.fonts.primary(face), size), 1.0)]
        ascent = max(round(f.get_ascent() * k) for f, k in used)
        below = max(round((f.get_height() - f.get_ascent()) * k) for f, k in used)
        linesize = max(round(f.get_linesize() * k) for f, k in used)
        return Layout(tuple(runs), x, ascent, ascent + below, linesize, level == 1)

    # --- drawing -------------------------------------------------------------------------

    def ink(self, text: str, face: str, size: int) -> pygame.Rect:
        """The box the glyphs' ink covers inside their rendered line (for optical alignment)."""
        key = (text, face, int(size))
        rect = self._ink.get(key)
        if rect is None:
            rect = self.render(text, face, size, (255, 255, 255)).get_bounding_rect()
            if len(self._ink) > 256:
                self._ink.clear()
            self._ink[key] = rect
        return rect.copy()

    def render(
        self, text: object, face: str, size: int, colour: Colour, bg: Colour | None = None
    ) -> pygame.Surface:
        """One line of text (at least 1 px wide): transparent, or opaque on ``bg``.

        Scenes draw on black; text rendered opaque on black blits several
        times faster than per-pixel alpha, which is what keeps 4K in budget.
        """
        return self._render_line(clean_text(text, 500), face, int(size), colour, bg, None)

    def _render_line(
        self, line: str, face: str, size: int, colour: Colour, bg: Colour | None, base: int | None
    ) -> pygame.Surface:
        key = ("line", line, face, size, (colour[0], colour[1], colour[2]), bg, base)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        surf = self._draw(self._layout(line, face, size, base), size, colour, bg)
        if pygame.display.get_init() and pygame.display.get_surface() is not None:
            surf = surf.convert() if bg is not None else surf.convert_alpha()
        return self.cache.put(key, surf)

    def _draw(self, lay: Layout, size: int, colour: Colour, bg: Colour | None) -> pygame.Surface:
        """The runs on one baseline; a lone run is SDL_ttf's own surface, as cheap as ever."""
        inked = [r for r in lay.runs if r.text.strip()]
        if len(inked) == 1 and len(lay.runs) == 1 and not (inked[0].file and inked[0].file.fixed):
            run = inked[0]
            font = self.fonts.load(run.file, size)
            if font.get_ascent() == lay.ascent and font.get_height() == lay.height:
                _shape_as(font, run.script, run.rtl)
                try:
                    return font.render(run.text, True, colour, bg)
                except (pygame.error, ValueError, UnicodeError):
                    log.warning("could not render %r", run.text[:40])
        surf = pygame.Surface(
            (max(1, lay.width if inked else 1), max(1, lay.height)), 0 if bg else pygame.SRCALPHA
        )
        surf.fill(bg or (0, 0, 0, 0))
        for run in inked:
            font, scale = self.fonts.load(run.file, size), self.fonts.scale(run.file, size)
            _shape_as(font, run.script, run.rtl)
            try:
                piece = font.render(run.text, True, colour)
            except (pygame.error, ValueError, UnicodeError):
                log.warning("could not render %r", run.text[:40])
                continue
            if scale != 1.0:  # a colour emoji strike, drawn at its own size
                piece = pygame.transform.smoothscale(
                    piece, (max(1, run.width), max(1, round(piece.get_height() * scale)))
                )
            surf.blit(piece, (run.x, lay.ascent - round(font.get_ascent() * scale)))
        return surf

    # --- measuring and wrapping ------------------------------------------------------------

    def width(self, text: str, face: str, size: int) -> int:
        """The width the line is drawn at: the sum of its runs' shaped widths."""
        return self.layout(text, face, size).width

    def line_height(self, face: str, size: int, text: str = "") -> int:
        if text:
            return self.layout(text, face, size).linesize
        return int(self.fonts.load(self.fonts.primary(face), size).get_linesize())

    def fit_size(self, text: str, face: str, max_width: int, max_size: int, min_size: int = 8) -> int:
        """The largest size (<= ``max_size``) at which ``text`` fits ``max_width`` on one line."""
        size = max(min_size, int(max_size))
        width = self.width(text, face, size)
        if width <= max_width or width == 0:
            return size
        size = max(min_size, int(size * max_width / width))
        while size > min_size and self.width(text, face, size) > max_width:
            size = max(min_size, int(size * 0.95))
        return size

    def wrap(
        self,
        text: object,
        face: str,
        size: int,
        max_width: int,
        max_lines: int = 0,
        *,
        lang: str | None = None,
    ) -> list[str]:
        """Greedy line filling at word boundaries; overflow ends in an ellipsis.

        Lines break where ICU's line breaker allows (:mod:`line_breaks`): after
        spaces, between the words of Thai, Khmer, Lao and Myanmar (which have
        no spaces), between CJK characters with kinsoku. ``lang``, a BCP-47 tag
        ("th", "ja"), tunes the rules to a language. A stretch with no break
        wider than the line is cut between grapheme clusters, never inside one.
        Widths are the runs' shaped widths, measured in the paragraph's
        direction. Runs of whitespace collapse to one space; none starts or
        ends a line. An isolate (FSI ... PDI) a break falls inside is closed
        at the end of its line and reopened at the start of the next, so no
        line leaves a name's direction open.
        """
        size = int(size)
        key = (text if isinstance(text, str) else clean_text(text), face, size, max_width, max_lines, lang)
        found = self._wrapped.get(key)
        if found is not None:
            # The messages scene wraps its message on every frame: the answer is kept.
            self._wrapped.move_to_end(key)
            return list(found)
        made = self._wrap(key[0], face, size, max_width, max_lines, lang)
        self._wrapped[key] = tuple(made)
        if len(self._wrapped) > 512:
            self._wrapped.popitem(last=False)
        return made

    def _wrap(
        self, text: str, face: str, size: int, max_width: int, max_lines: int, lang: str | None
    ) -> list[str]:
        # An empty isolate (a template's name left blank) draws nothing and would only keep
        # the space before it at the end of a line.
        paragraph = " ".join(_EMPTY_ISOLATE.sub("", clean_text(text)).split())
        base = paragraph_level(paragraph)
        spans = isolate_spans(paragraph)

        def line(start: int, end: int) -> str:
            return isolated_slice(paragraph, start, end, spans) if spans else paragraph[start:end]

        segments = self._measured(paragraph, tuple(self.breaks(paragraph, lang)), face, size, base)
        ranges = self._fill(paragraph, segments, face, size, max_width, base, line)
        lines = [line(a, b) for a, b in ranges]
        if max_lines and len(lines) > max_lines:
            start, end = ranges[max_lines - 1]
            ends = [start + e for e in (*cluster_starts(paragraph[start:end])[1:], end - start)]

            def cut(i: int) -> str:
                stop = ends[i] if i >= 0 else start
                while stop > start and paragraph[stop - 1] == " ":
                    stop -= 1
                return line(start, stop) + "\u2026"

            lo, hi = -1, len(ends) - 1
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if self._layout(cut(mid), face, size, base).width <= max_width:
                    lo = mid
                else:
                    hi = mid - 1
            lines = [*lines[: max_lines - 1], cut(lo)]
        return lines

    def _measured(
        self, paragraph: str, ends: tuple[int, ...], face: str, size: int, base: int
    ) -> list[_Segment]:
        """Each segment between break opportunities with its width, alone and with its spaces.

        A word of Thai, Khmer or Chinese is many segments in one font: it is
        laid out once and its segments measured with that font alone (one
        shaping call each), as cheap as cutting it between clusters was. Kept
        per paragraph and size: fitting wraps the same text at many widths.
        """
        key = (paragraph, ends, face, size, base)
        found = self._measures.get(key)
        if found is not None:
            self._measures.move_to_end(key)
            return found
        measured: list[_Segment] = []
        first = 0  # the first segment of the current space-delimited word
        bounds = list(itertools.pairwise((0, *ends)))
        for i, (_, end) in enumerate(bounds):
            if end < len(paragraph) and paragraph[end - 1] != " ":
                continue
            measured.extend(self._measure_word(paragraph, bounds[first : i + 1], face, size, base))
            first = i + 1
        self._measures[key] = measured
        if len(self._measures) > 64:
            self._measures.popitem(last=False)
        return measured

    def _measure_word(
        self, paragraph: str, bounds: list[tuple[int, int]], face: str, size: int, base: int
    ) -> list[_Segment]:
        """The segments of one space-delimited word (the last may end in a space), measured."""
        start, end = bounds[0][0], bounds[-1][1]
        word_end = end - 1 if paragraph[end - 1] == " " else end
        lay = self._layout(paragraph[start:word_end], face, size, base)
        run = lay.runs[0] if len(lay.runs) == 1 else None
        if run is None or run.text != paragraph[start:word_end] or self.fonts.scale(run.file, size) != 1.0:
            # Several fonts, scripts or directions: each segment is laid out as a line would be.
            out = []
            for a, b in bounds:
                b_word = b - 1 if paragraph[b - 1] == " " else b
                alone = self._layout(paragraph[a:b_word], face, size, base).width
                spaced = self._layout(paragraph[a:b], face, size, base).width if b_word < b else alone
                out.append(_Segment(a, b, b_word, alone, spaced))
            return out
        font = self.fonts.load(run.file, size)
        _shape_as(font, run.script, run.rtl)
        space = int(font.size(" ")[0]) if word_end < end else 0
        if len(bounds) == 1:
            return [_Segment(start, end, word_end, lay.width, lay.width + space)]
        out = []
        for a, b in bounds:
            b_word = min(b, word_end)
            alone = int(font.size(paragraph[a:b_word])[0]) if b_word > a else 0
            out.append(_Segment(a, b, b_word, alone, alone + (space if b_word < b else 0)))
        return out

    def _fill(
        self,
        paragraph: str,
        segments: list[_Segment],
        face: str,
        size: int,
        max_width: int,
        base: int,
        line: Callable[[int, int], str],
    ) -> list[tuple[int, int]]:
        """Lines as (start, end) offsets in ``paragraph``, filled greedily from measured segments.

        The sum of segments is an estimate (kerning and shaping across a
        boundary), so the line itself decides, and segments that do not fit
        after all go back to start the next line. No segment is ever dropped;
        one wider than a line is cut between clusters.
        """
        lines: list[tuple[int, int]] = []
        current: list[_Segment] = []
        estimate = 0  # the width of the current segments, each with the space that follows it
        queue = deque(segments)

        def flush() -> None:
            back: list[_Segment] = []
            first = current[0].start
            while (
                len(current) > 1
                and self._layout(line(first, current[-1].word_end), face, size, base).width > max_width
            ):
                back.append(current.pop())
            lines.append((first, current[-1].word_end))
            queue.extendleft(back)  # (the last popped goes in first: the queue keeps their order)
            current.clear()

        while queue or current:
            if not queue:
                # The last line: the segments the line itself cannot hold after all (flush
                # gives them back) go round again and start the next one; none is dropped.
                flush()
                estimate = 0
                continue
            seg = queue.popleft()
            if current and estimate + seg.alone <= max_width:
                current.append(seg)
                estimate += seg.spaced
                continue
            if current:
                queue.appendleft(seg)
                flush()
                estimate = 0
                continue
            if seg.alone > max_width:
                *whole, rest = self._split_word(
                    paragraph[seg.start : seg.word_end], face, size, max_width, base
                )
                start = seg.start
                for piece in whole:
                    lines.append((start, start + len(piece)))
                    start += len(piece)
                alone = self._layout(rest, face, size, base).width
                space = seg.spaced - seg.alone
                seg = _Segment(start, seg.end, seg.word_end, alone, alone + space)
            current.append(seg)
            estimate = seg.spaced
        return lines

    def _split_word(self, word: str, face: str, size: int, max_width: int, base: int) -> list[str]:
        """``word`` cut between clusters into lines that fit; the last piece may take more words.

        The last resort, for a stretch with no break opportunity wider than a
        line (a long name or link at a large size, a word in a narrow column).
        One font and one direction (most such stretches): each
        cluster is measured once and lines are filled greedily, each checked
        once as a whole (linear; a 280-character CJK message in ~3 ms).
        Otherwise: the longest fitting prefix, line after line.
        """
        starts = cluster_starts(word)
        lay = self._layout(word, face, size, base)
        if not (
            len(starts) > 1
            and len(lay.runs) == 1
            and lay.runs[0].text == word
            and self.fonts.scale(lay.runs[0].file, size) == 1.0
        ):
            pieces = []
            while len(cluster_starts(word)) > 1 and self._layout(word, face, size, base).width > max_width:
                cut = self._longest_prefix(word, face, size, max_width, base)
                if cut >= len(word):
                    break
                pieces.append(word[:cut])
                word = word[cut:]
            return [*pieces, word]
        run = lay.runs[0]
        font = self.fonts.load(run.file, size)
        _shape_as(font, run.script, run.rtl)
        bounds = [*starts, len(word)]
        widths = [int(font.size(word[a:b])[0]) for a, b in itertools.pairwise(bounds)]
        pieces, first, filled, i = [], 0, 0, 0
        while i < len(widths):
            if filled + widths[i] <= max_width or i == first:
                filled += widths[i]
                i += 1
                continue
            cut = i
            while cut > first + 1 and (
                word[bounds[cut]] in NO_LINE_START or word[bounds[cut] - 1] in NO_LINE_END
            ):
                cut -= 1  # kinsoku, as in _longest_prefix
            while cut > first + 1 and font.size(word[bounds[first] : bounds[cut]])[0] > max_width:
                cut -= 1  # the sum of advances was an estimate: the line decides
            pieces.append(word[bounds[first] : bounds[cut]])
            first, filled = cut, sum(widths[cut:i])
        return [*pieces, word[bounds[first] :]]

    def _longest_prefix(self, word: str, face: str, size: int, max_width: int, base: int) -> int:
        """Where to cut ``word``: the longest run of whole clusters that fits (at least one)."""
        ends = [*cluster_starts(word)[1:], len(word)]
        lay = self._layout(word, face, size, base)
        if (
            len(lay.runs) == 1
            and lay.runs[0].text == word
            and self.fonts.scale(lay.runs[0].file, size) == 1.0
        ):
            # One font, one direction: measure prefixes with that font alone (cheap).
            run = lay.runs[0]
            font = self.fonts.load(run.file, size)
            _shape_as(font, run.script, run.rtl)

            def measure(s: str) -> int:
                return int(font.size(s)[0])
        else:

            def measure(s: str) -> int:
                return self._layout(s, face, size, base).width

        lo, hi = 0, len(ends) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if measure(word[: ends[mid]]) <= max_width:
                lo = mid
            else:
                hi = mid - 1
        # Kinsoku (CJK line-breaking rules): a line may not start with closing
        # punctuation or a small kana, nor end with an opening bracket. Give the
        # line back a cluster or two rather than break the rule (never below one).
        while lo > 0 and (
            word[ends[lo] : ends[lo] + 1] in NO_LINE_START or word[ends[lo] - 1] in NO_LINE_END
        ):
            lo -= 1
        return ends[lo]

    # --- blocks of lines -----------------------------------------------------------------

    def block_height(self, lines: list[str], face: str, size: int, leading: float = 1.0) -> int:
        """The height ``render_lines`` gives these lines, without drawing them."""
        cleaned = [clean_text(line, 500) for line in lines] or [""]
        return self._block(cleaned, face, int(size), leading, paragraph_level(" ".join(cleaned)))[1]

    def _block(
        self, lines: list[str], face: str, size: int, leading: float, base: int
    ) -> tuple[list[int], int]:
        """Each line's top in the block, and the block's height."""
        layouts = [self._layout(line, face, size, base) for line in lines]
        primary = self.fonts.load(self.fonts.primary(face), size)
        step = max(1, int(primary.get_linesize() * leading))
        # Baselines one step apart; a line in a taller font (Arabic, Devanagari) hangs from its own.
        tops = [i * step + primary.get_ascent() - lay.ascent for i, lay in enumerate(layouts)]
        shift = -min(0, *tops)
        height = max(t + max(1, lay.height) for t, lay in zip(tops, layouts, strict=True)) + shift
        return [t + shift for t in tops], height

    def render_lines(
        self,
        lines: list[str],
        face: str,
        size: int,
        colour: Colour,
        *,
        align: str = "start",
        leading: float = 1.0,
        bg: Colour | None = None,
    ) -> pygame.Surface:
        """Several lines into one surface (transparent, or opaque on ``bg``), ready to blit.

        ``align`` is "left", "center", "right", or "start"/"end" of the
        paragraph's direction: by default a right-to-left message is set flush
        right, as its readers expect, and everything else flush left.
        """
        key = ("block", tuple(lines), face, int(size), (colour[0], colour[1], colour[2]), align, leading, bg)
        return self.cache.memo(key, lambda: self._compose(lines, face, int(size), colour, align, leading, bg))

    def _compose(
        self,
        lines: list[str],
        face: str,
        size: int,
        colour: Colour,
        align: str,
        leading: float,
        bg: Colour | None,
    ) -> pygame.Surface:
        cleaned = [clean_text(line, 500) for line in lines] or [""]
        base = paragraph_level(" ".join(cleaned))
        if align in ("start", "end"):
            align = "right" if (align == "start") == (base == 1) else "left"
        rendered = [self._render_line(line, face, size, colour, None, base) for line in cleaned]
        tops, height = self._block(cleaned, face, size, leading, base)
        width = max(s.get_width() for s in rendered)
        block = pygame.Surface((max(1, width), max(1, height)), 0 if bg else pygame.SRCALPHA)
        block.fill(bg or (0, 0, 0, 0))
        # Lines are composed with alpha even on an opaque block: with tight
        # leading a line's box overlaps the descenders of the line above.
        for top, surf in zip(tops, rendered, strict=True):
            x = {"left": 0, "center": (width - surf.get_width()) // 2}.get(align, width - surf.get_width())
            block.blit(surf, (x, top))
        if pygame.display.get_init() and pygame.display.get_surface() is not None:
            block = block.convert() if bg is not None else block.convert_alpha()
        return block
