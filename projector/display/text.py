"""Fonts and text rendering for scenes (basic: one font per string).

Fonts come from Python packages (``fontpkg-*``), so every display renders the
same glyphs as the machine that was tested; the SDL default font is the last
resort when none is installed. Each *face* is a chain of font files: for a
string, the first file whose character map covers every character wins, so
a Cyrillic name set in the Latin-only headline face still renders (in the
broad-coverage fallback) instead of as boxes. Bidi, per-run shaping and
reporting missing glyphs belong to the full text stage (see DESIGN.md,
"Text"); this module keeps the API it will grow into.

Rendering text is the most expensive thing a scene does, so everything is
cached: fonts by (file, size), rendered lines by (text, face, size, colour)
in a bounded LRU.
"""

from __future__ import annotations

import importlib.util
import logging
import struct
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path

import pygame

log = logging.getLogger(__name__)

Colour = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class FontFile:
    """One font file in a face chain; ``bold`` asks SDL_ttf for synthetic emboldening."""

    path: Path
    bold: bool = False


#: (package, file inside it, synthetic bold). Packages that are not installed are skipped.
_NOTO = ("fontpkg_noto_sans", "files/NotoSans[wdth,wght].ttf")
_EXTRA_SCRIPTS = (
    ("fontpkg_noto_sans_arabic", "files/NotoSansArabic[wdth,wght].ttf"),
    ("fontpkg_noto_sans_devanagari", "files/NotoSansDevanagari[wdth,wght].ttf"),
    ("fontpkg_noto_sans_thai", "files/NotoSansThai[wdth,wght].ttf"),
    ("fontpkg_noto_sans_khmer", "files/NotoSansKhmer[wdth,wght].ttf"),
)
FACE_SOURCES: dict[str, tuple[tuple[str, str, bool], ...]] = {
    # Condensed, heavy, tall: numbers and headlines legible from across a street.
    "display": (("fontpkg_anton", "files/Anton-Regular.ttf", False), (*_NOTO, True)),
    # Broad coverage for supporters' words and stories.
    "body": ((*_NOTO, False), *((p, f, False) for p, f in _EXTRA_SCRIPTS)),
    "strong": ((*_NOTO, True), *((p, f, True) for p, f in _EXTRA_SCRIPTS)),
}


def _package_file(package: str, relative: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / relative
    if path.is_file():
        return path
    # A new release may rename the file: take any font in the package's files/.
    found = sorted(Path(spec.origin).parent.glob("files/*.[ot]tf"))
    upright = [p for p in found if "Italic" not in p.name]
    candidates = upright or found
    return candidates[0] if candidates else None


@lru_cache(maxsize=1)
def installed_faces() -> dict[str, tuple[FontFile, ...]]:
    """The face chains, with only the font files that are actually installed."""
    faces: dict[str, tuple[FontFile, ...]] = {}
    for face, sources in FACE_SOURCES.items():
        files = []
        for package, relative, bold in sources:
            path = _package_file(package, relative)
            if path is not None:
                files.append(FontFile(path, bold))
        if not files:
            log.warning("no font installed for face %r; using the SDL default font", face)
        faces[face] = tuple(files)
    return faces


# --- character coverage, from the font's own cmap table ----------------------------------


@lru_cache(maxsize=32)
def font_coverage(path: Path) -> frozenset[int]:
    """Code points the font maps to a glyph (cmap formats 4 and 12).

    SDL_ttf has no "has glyph" query in pygame-ce 2.5, and metrics() reports
    the .notdef box as if it were a glyph, so we read the table ourselves.
    An unreadable font reports nothing covered, which only demotes it.
    """
    try:
        data = path.read_bytes()
        return frozenset(_parse_cmap(data))
    except (OSError, struct.error, ValueError):
        log.warning("could not read the character map of %s", path)
        return frozenset()


def _parse_cmap(data: bytes) -> set[int]:
    num_tables = struct.unpack_from(">H", data, 4)[0]
    cmap_offset = None
    for i in range(num_tables):
        tag, _, offset, _ = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        if tag == b"cmap":
            cmap_offset = offset
    if cmap_offset is None:
        raise ValueError("no cmap table")
    count = struct.unpack_from(">H", data, cmap_offset + 2)[0]
    subtables: dict[int, int] = {}
    for i in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", data, cmap_offset + 4 + 8 * i)
        if (platform, encoding) in ((3, 10), (0, 4), (0, 6), (3, 1), (0, 3)):
            fmt = struct.unpack_from(">H", data, cmap_offset + offset)[0]
            subtables.setdefault(fmt, cmap_offset + offset)
    if 12 in subtables:
        start = subtables[12]
        groups = struct.unpack_from(">I", data, start + 12)[0]
        points: set[int] = set()
        for g in range(groups):
            first, last, _ = struct.unpack_from(">III", data, start + 16 + 12 * g)
            points.update(range(first, min(last, 0x10FFFF) + 1))
        return points
    if 4 in subtables:
        start = subtables[4]
        segs = struct.unpack_from(">H", data, start + 6)[0] // 2
        ends = struct.unpack_from(f">{segs}H", data, start + 14)
        starts = struct.unpack_from(f">{segs}H", data, start + 16 + 2 * segs)
        deltas = struct.unpack_from(f">{segs}h", data, start + 16 + 4 * segs)
        range_base = start + 16 + 6 * segs
        offsets = struct.unpack_from(f">{segs}H", data, range_base)
        points = set()
        for i in range(segs):
            for cp in range(starts[i], ends[i] + 1):
                if cp == 0xFFFF:
                    continue
                if offsets[i] == 0:
                    glyph = (cp + deltas[i]) & 0xFFFF
                else:
                    addr = range_base + 2 * i + offsets[i] + 2 * (cp - starts[i])
                    glyph = struct.unpack_from(">H", data, addr)[0]
                    if glyph:
                        glyph = (glyph + deltas[i]) & 0xFFFF
                if glyph:
                    points.add(cp)
        return points
    raise ValueError("no usable cmap subtable")


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


_INVISIBLE = {"Cf", "Zs", "Zl", "Zp", "Mn", "Me"}


def _visible_points(text: str) -> set[int]:
    return {ord(ch) for ch in text if unicodedata.category(ch) not in _INVISIBLE}


# --- fonts ----------------------------------------------------------------------------


class FontBook:
    """Fonts by face and pixel size, picked per string from the face's chain."""

    def __init__(self, faces: dict[str, tuple[FontFile, ...]] | None = None) -> None:
        if not pygame.font.get_init():
            pygame.font.init()
        self.faces = installed_faces() if faces is None else faces
        self._fonts: OrderedDict[tuple[Path | None, int, bool], pygame.font.Font] = OrderedDict()

    def _load(self, file: FontFile | None, size: int) -> pygame.font.Font:
        size = max(4, min(int(size), 2000))
        key = (file.path if file else None, size, file.bold if file else False)
        font = self._fonts.get(key)
        if font is not None:
            self._fonts.move_to_end(key)
            return font
        try:
            font = pygame.font.Font(file.path if file else None, size)
        except (OSError, pygame.error):
            log.exception("could not open font %s; using the SDL default", file)
            font = pygame.font.Font(None, size)
        if file is not None and file.bold:
            font.bold = True
        self._fonts[key] = font
        if len(self._fonts) > 96:
            self._fonts.popitem(last=False)
        return font

    def pick(self, face: str, text: str = "") -> FontFile | None:
        """The first file of the face chain that covers ``text`` (or the best one)."""
        chain = self.faces.get(face) or self.faces.get("body") or ()
        if not chain:
            return None
        if not text:
            return chain[0]
        needed = _visible_points(text)
        best, best_missing = chain[0], None
        for file in chain:
            missing = len(needed - font_coverage(file.path))
            if missing == 0:
                return file
            if best_missing is None or missing < best_missing:
                best, best_missing = file, missing
        return best

    def font(self, face: str, size: int, text: str = "") -> pygame.font.Font:
        return self._load(self.pick(face, text), size)


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


class TextRenderer:
    """Rendered text, cached: lines, blocks of lines and ink boxes."""

    def __init__(self, fonts: FontBook, max_pixels: int = 48_000_000) -> None:
        self.fonts = fonts
        self.cache = SurfaceCache(max_pixels)
        self._ink: dict[tuple[str, str, int], pygame.Rect] = {}

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
        line = clean_text(text, 500)
        key = ("line", line, face, int(size), (colour[0], colour[1], colour[2]), bg)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        font = self.fonts.font(face, size, line)
        try:
            surf = font.render(line, True, colour, bg) if line.strip() else None
        except (pygame.error, ValueError, UnicodeError):
            log.warning("could not render %r in face %s", line[:40], face)
            surf = None
        if surf is None:
            surf = pygame.Surface((1, max(1, font.get_height())), 0 if bg else pygame.SRCALPHA)
            surf.fill(bg or (0, 0, 0, 0))
        if pygame.display.get_init() and pygame.display.get_surface() is not None:
            surf = surf.convert() if bg is not None else surf.convert_alpha()
        return self.cache.put(key, surf)

    def width(self, text: str, face: str, size: int) -> int:
        line = clean_text(text, 500)
        try:
            return int(self.fonts.font(face, size, line).size(line)[0])
        except (pygame.error, ValueError, UnicodeError):
            return 0

    def line_height(self, face: str, size: int, text: str = "") -> int:
        return int(self.fonts.font(face, size, text).get_linesize())

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

    def wrap(self, text: object, face: str, size: int, max_width: int, max_lines: int = 0) -> list[str]:
        """Greedy word wrap; words longer than a line are broken; overflow ends in an ellipsis."""
        words = clean_text(text).split()
        lines: list[str] = []
        current = ""
        for word in words:
            trial = f"{current} {word}" if current else word
            if self.width(trial, face, size) <= max_width:
                current = trial
                continue
            if current:
                lines.append(current)
            current = word
            while self.width(current, face, size) > max_width and len(current) > 1:
                cut = self._longest_prefix(current, face, size, max_width)
                lines.append(current[:cut])
                current = current[cut:]
        if current:
            lines.append(current)
        if max_lines and len(lines) > max_lines:
            last = lines[max_lines - 1]
            while last and self.width(last + "\u2026", face, size) > max_width:
                last = last[:-1]
            lines = [*lines[: max_lines - 1], last.rstrip() + "\u2026"]
        return lines

    def _longest_prefix(self, word: str, face: str, size: int, max_width: int) -> int:
        lo, hi = 1, len(word)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.width(word[:mid], face, size) <= max_width:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def render_lines(
        self,
        lines: list[str],
        face: str,
        size: int,
        colour: Colour,
        *,
        align: str = "left",
        leading: float = 1.0,
        bg: Colour | None = None,
    ) -> pygame.Surface:
        """Several lines into one surface (transparent, or opaque on ``bg``), ready to blit."""
        key = ("block", tuple(lines), face, int(size), (colour[0], colour[1], colour[2]), align, leading, bg)
        return self.cache.memo(key, lambda: self._compose(lines, face, size, colour, align, leading, bg))

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
        rendered = [self.render(line, face, size, colour) for line in lines] or [
            self.render("", face, size, colour)
        ]
        step = max(1, int(self.line_height(face, size) * leading))
        width = max(s.get_width() for s in rendered)
        height = step * (len(rendered) - 1) + rendered[-1].get_height()
        block = pygame.Surface((max(1, width), max(1, height)), 0 if bg else pygame.SRCALPHA)
        block.fill(bg or (0, 0, 0, 0))
        # Lines are composed with alpha even on an opaque block: with tight
        # leading a line's box overlaps the descenders of the line above.
        for i, surf in enumerate(rendered):
            x = {"left": 0, "center": (width - surf.get_width()) // 2}.get(align, width - surf.get_width())
            block.blit(surf, (x, i * step))
        if pygame.display.get_init() and pygame.display.get_surface() is not None:
            block = block.convert() if bg is not None else block.convert_alpha()
        return block


class Digits:
    """Tabular digits: every digit glyph in a cell of the same width.

    A counter rendered as one string shifts sideways as "1" becomes "7"
    (proportional figures); each digit drawn centred in a fixed cell keeps a
    running total still, so the eye reads the number, not the wobble.

    With ``bg`` the glyphs are opaque (several times faster to blit than
    per-pixel alpha: it is what keeps a 4K counter in budget) and cropped to
    the band their ink covers, so their boxes never paint over neighbours.
    """

    def __init__(
        self,
        text: TextRenderer,
        face: str,
        size: int,
        colour: Colour,
        separator: str = ",",
        bg: Colour | None = None,
    ) -> None:
        chars = "0123456789" + separator
        inks = [text.ink(ch, face, size) for ch in chars]
        #: Where the ink band starts inside a full line box (blit() takes line-box coordinates).
        self.top = min(r.top for r in inks if r.height) if any(r.height for r in inks) else 0
        bottom = max((r.bottom for r in inks if r.height), default=1)
        self.height = max(1, bottom - self.top)

        def band(ch: str) -> pygame.Surface:
            line = text.render(ch, face, size, colour, bg)
            rect = pygame.Rect(0, self.top, line.get_width(), self.height).clip(line.get_rect())
            return line.subsurface(rect).copy()

        key = (face, int(size), (colour[0], colour[1], colour[2]), bg)
        self.glyphs = {ch: text.cache.memo(("digit", ch, *key), partial(band, ch)) for ch in "0123456789"}
        self.advance = max(g.get_width() for g in self.glyphs.values())
        self.separator = separator
        self.sep = text.cache.memo(("digit", separator, *key), partial(band, separator))
        self.sep_advance = self.sep.get_width()

    def width(self, number: str) -> int:
        return sum(self.advance if ch.isdigit() else self.sep_advance for ch in number)

    def blit(self, surface: pygame.Surface, number: str, x: int, y: int) -> None:
        """Draw ``number`` (digits and separators, as from ``format_int``); x, y: the line box's top-left."""
        y += self.top
        for ch in number:
            glyph = self.glyphs.get(ch)
            if glyph is None:
                surface.blit(self.sep, (x, y))
                x += self.sep_advance
            else:
                surface.blit(glyph, (x + (self.advance - glyph.get_width()) // 2, y))
                x += self.advance


def format_int(value: int, separator: str = ",") -> str:
    """Thousands grouping; the separator will come from the display's locale later."""
    return f"{max(0, int(value)):,}".replace(",", separator)
