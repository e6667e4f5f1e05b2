"""Fonts: which files exist, which characters each covers, and the fallback chain.

Packaged fonts (``fontpkg-*`` on PyPI) come first so every display draws the
same glyphs as the machine that was tested; system fonts are scanned once, on
first need, for scripts no package covers. Coverage is read from each font's
own character map: SDL reports a glyph for characters a font lacks (the
.notdef box), so asking SDL is not enough.

Every weight on screen is a real font file. The packaged fonts are variable
and SDL_ttf draws only their default instance (regular), so a bold face uses a
static instance cut at wght 700 (:mod:`projector.display.text.font_instances`);
a system font in a bold line is its family's bold file. SDL_ttf's synthetic
bold is never used: it widens every glyph, marks included, which tears Thai,
Khmer and Myanmar words apart and merges Arabic dots.
"""

from __future__ import annotations

import importlib.util
import io
import logging
import os
import re
import struct
import time
import unicodedata
from array import array
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Container, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

import pygame

from projector.core.model import UPLOADED_FONT_PREFIX
from projector.display.text.font_instances import BOLD, Instances, shared_instances, weight_axis

log = logging.getLogger(__name__)

Colour = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class FontFile:
    """One font file in a face chain.

    ``weight`` is the wght at which a static instance is cut from the variable
    font ``path`` (:data:`BOLD` for bold faces); None draws the file as it is
    (a variable font's default instance, or a static file such as a system
    font's Bold). ``fixed`` marks a bitmap font (colour emoji): SDL_ttf draws
    it at its one strike size, and we scale what it draws to the line.
    """

    path: Path
    weight: int | None = None
    fixed: bool = False


#: (package, file inside it, weight to cut an instance at, None for the file as it is).
#: Packages that are not installed are skipped.
_NOTO = ("fontpkg_noto_sans", "files/NotoSans[wdth,wght].ttf")
_EXTRA_SCRIPTS = (
    ("fontpkg_noto_sans_arabic", "files/NotoSansArabic[wdth,wght].ttf"),
    ("fontpkg_noto_sans_devanagari", "files/NotoSansDevanagari[wdth,wght].ttf"),
    ("fontpkg_noto_sans_thai", "files/NotoSansThai[wdth,wght].ttf"),
    ("fontpkg_noto_sans_khmer", "files/NotoSansKhmer[wdth,wght].ttf"),
)
FACE_SOURCES: dict[str, tuple[tuple[str, str, int | None], ...]] = {
    # Condensed, heavy, tall: numbers and headlines legible from across a street. Anton is
    # drawn heavy at its only weight; what it lacks falls back to bold Noto.
    "display": (("fontpkg_anton", "files/Anton-Regular.ttf", None), (*_NOTO, BOLD)),
    # The brand kit's other headline font (``font = "noto-sans"``): wider, rounder, calmer.
    "display-sans": ((*_NOTO, BOLD),),
    # Broad coverage for supporters' words and stories.
    "body": ((*_NOTO, None), *((p, f, None) for p, f in _EXTRA_SCRIPTS)),
    "strong": ((*_NOTO, BOLD), *((p, f, BOLD) for p, f in _EXTRA_SCRIPTS)),
}
#: What an uploaded headline font must have to be used (the server checked all letters and digits).
UPLOAD_NEEDS = "AZaz09"
#: Uploaded faces a display keeps at once: a kit uses one; an operator trying fonts, a few.
MAX_UPLOADED_FACES = 4
#: A font this heavy (OS/2 usWeightClass) is bold: what a bold face takes from the system.
BOLD_AT_LEAST = 600


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
        for package, relative, weight in sources:
            path = _package_file(package, relative)
            if path is not None:
                files.append(FontFile(path, weight))
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
    """Every code point a whole font file (``data``) maps to a glyph."""
    tables = _table_directory(data, 0)
    if b"cmap" not in tables:
        raise ValueError("no cmap table")
    points: set[int] = set()
    for first, last in _cmap_ranges(data, tables[b"cmap"][0]):
        points.update(range(first, last + 1))
    return points


def _table_directory(data: bytes, at: int) -> dict[bytes, tuple[int, int]]:
    """Table tag -> (offset, length) from the sfnt header at ``at``."""
    num_tables = struct.unpack_from(">H", data, at + 4)[0]
    tables = {}
    for i in range(num_tables):
        tag, _, offset, length = struct.unpack_from(">4sIII", data, at + 12 + 16 * i)
        tables[tag] = (offset, length)
    return tables


def _cmap_ranges(data: bytes, cmap_offset: int) -> list[tuple[int, int]]:
    """Sorted, merged (first, last) code point ranges of the cmap table at ``cmap_offset``.

    Ranges rather than sets: a scan of a few hundred system fonts stays a few
    hundred kilobytes and well under a second.
    """
    count = struct.unpack_from(">H", data, cmap_offset + 2)[0]
    subtables: dict[int, int] = {}
    for i in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", data, cmap_offset + 4 + 8 * i)
        if (platform, encoding) in ((3, 10), (0, 4), (0, 6), (3, 1), (0, 3)):
            fmt = struct.unpack_from(">H", data, cmap_offset + offset)[0]
            subtables.setdefault(fmt, cmap_offset + offset)
    ranges: list[tuple[int, int]] = []
    if 12 in subtables:
        start = subtables[12]
        groups = struct.unpack_from(">I", data, start + 12)[0]
        for g in range(groups):
            first, last, _ = struct.unpack_from(">III", data, start + 16 + 12 * g)
            if first <= min(last, 0x10FFFF):
                ranges.append((first, min(last, 0x10FFFF)))
    elif 4 in subtables:
        ranges = _format4_ranges(data, subtables[4])
    else:
        raise ValueError("no usable cmap subtable")
    ranges.sort()
    merged: list[tuple[int, int]] = []
    for first, last in ranges:
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(last, merged[-1][1]))
        else:
            merged.append((first, last))
    return merged


def _format4_ranges(data: bytes, start: int) -> list[tuple[int, int]]:
    segs = struct.unpack_from(">H", data, start + 6)[0] // 2
    ends = struct.unpack_from(f">{segs}H", data, start + 14)
    starts = struct.unpack_from(f">{segs}H", data, start + 16 + 2 * segs)
    deltas = struct.unpack_from(f">{segs}h", data, start + 16 + 4 * segs)
    range_base = start + 16 + 6 * segs
    offsets = struct.unpack_from(f">{segs}H", data, range_base)
    ranges: list[tuple[int, int]] = []
    for i in range(segs):
        first, last = starts[i], min(ends[i], 0xFFFE)
        if first > last:
            continue
        if offsets[i] == 0:
            # glyph = cp + delta (mod 2**16): only one code point can land on glyph 0.
            zero = (-deltas[i]) & 0xFFFF
            if first <= zero <= last:
                ranges += [r for r in ((first, zero - 1), (zero + 1, last)) if r[0] <= r[1]]
            else:
                ranges.append((first, last))
            continue
        addr = range_base + 2 * i + offsets[i]
        glyphs = struct.unpack_from(f">{last - first + 1}H", data, addr)
        run = None
        for k, glyph in enumerate(glyphs):
            if glyph and (glyph + deltas[i]) & 0xFFFF:
                run = first + k if run is None else run
            elif run is not None:
                ranges.append((run, first + k - 1))
                run = None
        if run is not None:
            ranges.append((run, last))
    return ranges


class Coverage(Container[int]):
    """A font's code points as sorted ranges: small, and ``cp in coverage`` by bisection."""

    __slots__ = ("_ends", "_starts")

    def __init__(self, ranges: Iterable[tuple[int, int]]) -> None:
        pairs = list(ranges)
        self._starts = array("L", (a for a, _ in pairs))
        self._ends = array("L", (b for _, b in pairs))

    def __contains__(self, cp: object) -> bool:
        if not isinstance(cp, int):
            return False
        i = bisect_right(self._starts, cp) - 1
        return i >= 0 and cp <= self._ends[i]


# --- system fonts: scanned once, on first need ---------------------------------------------

#: Where Linux distributions and users put fonts; tests may point this elsewhere.
FONT_DIRS: tuple[str, ...] = (
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "~/.local/share/fonts",
    "~/.fonts",
)
#: Bounds on the scan, so a machine with a huge font collection cannot stall the show.
SCAN_MAX_FILES = 3000
#: A bound for a machine with thousands of fonts; the scan runs on a thread at display
#: start (0.3 s for 311 fonts here), so a busy CPU must not cut it short.
SCAN_MAX_SECONDS = 15.0
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")
_VARIANTS = ("Bold", "Italic", "Oblique", "Light", "Thin", "Black", "Medium", "Semi", "Extra", "Heavy")
_STYLED = ("Condensed", "Narrow", "Display", "Looped", "Rashi", "Kufi", "Nastaliq", "Unjoined", "Math")


@dataclass(frozen=True, slots=True)
class SystemFont:
    """A system font and the code points it covers; ``emoji`` fonts only ever draw emoji.

    ``family`` (typographic family name) and ``weight`` (OS/2 usWeightClass)
    find a regular font's bold sibling for bold faces.
    """

    path: Path
    coverage: Coverage
    emoji: bool = False
    fixed: bool = False
    family: str = ""
    weight: int = 400


def _system_rank(path: Path) -> tuple[int, int, str]:
    """Plain text faces first: Regular over Bold/Italic, Sans over Serif, Mono, UI and display cuts.

    Noto is preferred too, as the packaged fonts are Noto: a Hebrew word then
    sits in a design that matches the Latin around it.
    """
    name = path.stem
    penalty = 6 * any(word in name for word in _VARIANTS)
    penalty += 3 * ("Serif" in name) + 3 * ("Mono" in name) + 3 * bool(re.search(r"UI(?![a-z])", name))
    penalty += 2 * any(word in name for word in _STYLED)
    penalty -= ("Sans" in name) + ("Noto" in name)
    return (penalty, len(name), str(path))


def _read_font(path: Path) -> SystemFont | None:
    """A font's coverage (face 0 of a collection), reading only its header and cmap table.

    Bitmap-only fonts are kept only if they are colour emoji (CBDT, sbix):
    SDL_ttf draws those at one strike size, and we scale them to the line.
    """
    with path.open("rb") as fh:
        head = fh.read(12)
        if head[:4] == b"ttcf":
            fh.seek(12)
            fh.seek(struct.unpack(">I", fh.read(4))[0])
            head = fh.read(12)
        num_tables = struct.unpack_from(">H", head, 4)[0]
        directory = head + fh.read(16 * num_tables)
    tables = _table_directory(directory, 0)
    scalable = bool({b"glyf", b"CFF ", b"CFF2"} & tables.keys())
    colour = bool({b"CBDT", b"sbix", b"COLR"} & tables.keys())
    if b"cmap" not in tables or not (scalable or colour):
        return None
    with path.open("rb") as fh:
        cmap = _read_table(fh, tables[b"cmap"])
        ranges = _cmap_ranges(cmap, 0)
        if not ranges:
            return None
        weight = 400
        if b"OS/2" in tables:
            weight = struct.unpack_from(">H", _read_table(fh, (tables[b"OS/2"][0], 6)), 4)[0]
        family = _family_name(_read_table(fh, tables[b"name"])) if b"name" in tables else ""
    emoji = colour or "Emoji" in path.stem
    return SystemFont(path, Coverage(ranges), emoji=emoji, fixed=not scalable, family=family, weight=weight)


def _read_table(fh: BinaryIO, where: tuple[int, int]) -> bytes:
    fh.seek(where[0])
    return fh.read(where[1])


def _family_name(table: bytes) -> str:
    """The typographic family (name ID 16, else 1) from a name table: "Noto Sans Myanmar".

    Regular and Bold files of a family share it, which is how a bold face finds
    the bold file of the system font that covers a script.
    """
    count, strings = struct.unpack_from(">HH", table, 2)
    best: tuple[tuple[bool, bool], str] | None = None
    for i in range(count):
        platform, encoding, language, name_id, length, offset = struct.unpack_from(">6H", table, 6 + 12 * i)
        if name_id not in (1, 16):
            continue
        raw = table[strings + offset : strings + offset + length]
        if platform in (0, 3):
            text = raw.decode("utf-16-be", "replace")
        elif platform == 1 and encoding == 0:
            text = raw.decode("latin-1")
        else:
            continue
        rank = (name_id == 16, platform == 3 and language == 0x409)
        if best is None or rank > best[0]:
            best = (rank, text.strip())
    return best[1] if best else ""


#: Coverage of each scanned system font by path (empty until the scan has run).
_SYSTEM_COVERAGE: dict[Path, Coverage] = {}


@lru_cache(maxsize=1)
def system_fonts() -> tuple[SystemFont, ...]:
    """Scalable fonts in :data:`FONT_DIRS`, best first (see :func:`_system_rank`).

    Runs once per process, the first time a character is not in any packaged
    font; bounded by :data:`SCAN_MAX_FILES` and :data:`SCAN_MAX_SECONDS`.
    """
    began = time.monotonic()
    paths: list[Path] = []
    for folder in FONT_DIRS:
        root = Path(folder).expanduser()
        if not root.is_dir():
            continue
        for dirpath, _, names in os.walk(root):
            paths += [Path(dirpath, n) for n in names if n.lower().endswith(_FONT_SUFFIXES)]
            if len(paths) >= SCAN_MAX_FILES:
                break
    fonts: list[SystemFont] = []
    for path in sorted(paths[:SCAN_MAX_FILES], key=_system_rank):
        if time.monotonic() - began > SCAN_MAX_SECONDS:
            log.warning("font scan stopped after %.1f s at %d fonts", SCAN_MAX_SECONDS, len(fonts))
            break
        try:
            font = _read_font(path)
        except (OSError, struct.error, ValueError):
            continue
        if font is not None:
            fonts.append(font)
    log.info("%d system fonts scanned in %.0f ms", len(fonts), 1000 * (time.monotonic() - began))
    _SYSTEM_COVERAGE.clear()
    _SYSTEM_COVERAGE.update((font.path, font.coverage) for font in fonts)
    return tuple(fonts)


_EMOJI_RANGES = ((0x2300, 0x23FF), (0x2600, 0x27BF), (0x2B00, 0x2BFF), (0x1F000, 0x1FAFF))


def looks_like_emoji(needed: frozenset[int]) -> bool:
    """Pictographs (and keycaps) that a colour emoji font should draw when there is one."""
    return any(cp == 0x20E3 or any(a <= cp <= b for a, b in _EMOJI_RANGES) for cp in needed)


_INVISIBLE = {"Cf", "Zs", "Zl", "Zp", "Mn", "Me"}


def _visible_points(text: str) -> set[int]:
    return {ord(ch) for ch in text if unicodedata.category(ch) not in _INVISIBLE}


#: Characters a font need not have: HarfBuzz draws spaces from the font's space and hides
#: default-ignorables (ZWJ, ZWNJ, soft hyphen) that the font lacks.
NEED_NOT = frozenset({"Zs", "Cf"})


# --- fonts ----------------------------------------------------------------------------


#: Letters most messages use, per script, measured ahead by :meth:`FontBook.warm`.
WARM_SAMPLE = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?'\"-()—–…"
    "àáâäãåçèéêëìíîïñòóôöõøùúûüýÿßğışĞİŞœæþðÞÐăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯіїєґ"
    "αβγδεζηθικλμνξοπρστυφχψωάέήίόύώΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩ"
    "ابتثجحخدذرزسشصضطظعغفقكلمنهويىةءأإآؤئ،؟پچژگکی"
    "אבגדהוזחטיכלמנסעפצקרשתךםןףץ"
    "अआइईउऊएऐओऔकखगघङचछजझञटठडढणतथदधनपफबभमयरलवशषसहािीुूेैोौंः्"
    "กขคงจฉชซญดตถทธนบปผพฟภมยรลวศสหอฮะาิีึืุูเแโใไ่้๊๋็์"
    "កខគឃងចឆជឈញដឋឌឍណតថទធនបផពភមយរលវសហឡអាិីឹឺុូួើឿៀេែៃោៅំះ្"
)


#: System font families already reported as having no bold file (reported once per process).
_NO_BOLD_REPORTED: set[str] = set()


class FontBook:
    """Fonts by face and pixel size, and the fallback chain that finds a font for any character.

    A face's chain is its own packaged fonts, then the other packaged fonts (at
    the weight of the face's fallback), then system fonts (for a bold face,
    the bold file of the family that covers the script, so a Hebrew word in a
    bold line is bold too). The first font that covers a character wins.

    ``instances`` holds the bold instances cut from the variable fonts (the
    process's shared cache by default).
    """

    def __init__(
        self, faces: dict[str, tuple[FontFile, ...]] | None = None, instances: Instances | None = None
    ) -> None:
        if not pygame.font.get_init():
            pygame.font.init()
        # A copy: uploaded faces are added to this book's own (``add_upload``), never to the shared dict.
        self.faces = dict(installed_faces() if faces is None else faces)
        self.instances = shared_instances() if instances is None else instances
        self._fonts: OrderedDict[tuple[Path | None, int, int | None], pygame.font.Font] = OrderedDict()
        self._chains: dict[str, tuple[FontFile, ...]] = {}
        self._choices: dict[tuple[str, frozenset[int]], FontFile | None] = {}
        self._system_first: dict[tuple[int, bool], int] = {}
        #: Uploaded faces whose file would not open (tried once each).
        self._refused_uploads: set[str] = set()
        #: Code points no font has: left out of every line and reported once each.
        self.missing: set[int] = set()
        # Each bold face's first cut font (Noto Sans Bold: Latin, Greek, Cyrillic) is needed by
        # almost every display and is the slowest to cut (~6 s cold): start it now, in the
        # background, then every other script's (~3 s more, once per machine), so an operator
        # who switches a display to Arabic or Khmer later finds them cut (benchmarks/locales.py:
        # a switch that had to cut one in the frame took 0.6-1 s).
        wanted = [(f.path, f.weight) for files in self.faces.values() for f in files if f.weight is not None]
        firsts = [
            next((f.path, f.weight) for f in files if f.weight is not None)
            for files in self.faces.values()
            if any(f.weight is not None for f in files)
        ]
        for path, weight in dict.fromkeys([*firsts, *wanted]):
            self.instances.request(path, weight)

    def add_upload(self, face: str, path: Path) -> bool:
        """Make ``face`` (``upload:<hash>``) draw with the uploaded font at ``path``, the house
        headline fonts behind it; False (logged once) when the file will not do.

        The server checked the font before storing it and the media cache checked its hash;
        here it is opened once more, so a display that cannot read it keeps the house face
        rather than the SDL default. The chain behind it (Anton, bold Noto, then every other
        packaged script at bold) draws what the upload lacks: Arabic, Khmer, Thai.
        """
        if face in self.faces:
            return True
        if face in self._refused_uploads:
            return False
        coverage = font_coverage(path)
        try:
            pygame.font.Font(str(path), 24).size("Aa0")
        except (OSError, pygame.error, ValueError) as exc:
            self._refused_uploads.add(face)
            log.warning("uploaded font %s could not be opened (%s); headlines keep the house face", path, exc)
            return False
        if not all(ord(ch) in coverage for ch in UPLOAD_NEEDS):
            self._refused_uploads.add(face)
            log.warning("uploaded font %s has no Latin letters; headlines keep the house face", path)
            return False
        uploads = [name for name in self.faces if name.startswith(UPLOADED_FONT_PREFIX)]
        for old in uploads[: max(0, len(uploads) - MAX_UPLOADED_FACES + 1)]:
            self._forget(old)
        self.faces[face] = (FontFile(path), *self.faces.get("display", ()))
        return True

    def _forget(self, face: str) -> None:
        """Drop a face and what was chosen for it (its opened fonts leave the LRU in time)."""
        self.faces.pop(face, None)
        self._chains.pop(face, None)
        for key in [k for k in self._choices if k[0] == face]:
            del self._choices[key]

    def font_source(self, file: FontFile | None) -> Path | bytes | None:
        """What pygame opens for ``file``: a path (the file, or its cut instance) or an instance's bytes.

        Cuts the instance first if it is not cut yet (see :class:`Instances`).
        """
        if file is None:
            return None
        if file.weight is None:
            return file.path
        return self.instances.get(file.path, file.weight)

    def load(self, file: FontFile | None, size: int) -> pygame.font.Font:
        """The font for ``file`` at ``size`` px (None: the SDL default font), cached.

        A fixed (bitmap) font is opened at its own strike; see :meth:`scale`.
        """
        size = 0 if file is not None and file.fixed else max(4, min(int(size), 2000))
        key = (file.path, size, file.weight) if file else (None, size, None)
        font = self._fonts.get(key)
        if font is not None:
            self._fonts.move_to_end(key)
            return font
        try:
            source = self.font_source(file)
            # Each font reads its own stream: SDL_ttf keeps reading glyphs from it.
            font = pygame.font.Font(io.BytesIO(source) if isinstance(source, bytes) else source, size)
        except (OSError, pygame.error):
            log.exception("could not open font %s; using the SDL default", file)
            font = pygame.font.Font(None, size)
        self._fonts[key] = font
        if len(self._fonts) > 96:
            self._fonts.popitem(last=False)
        return font

    def scale(self, file: FontFile | None, size: int) -> float:
        """How much to scale what ``file`` draws so that its em matches ``size`` px (1 unless fixed)."""
        if file is None or not file.fixed:
            return 1.0
        # Colour emoji strikes are about 1.17 em tall (Noto Color Emoji: 128 px for 109 ppem).
        return 1.17 * size / max(1, self.load(file, size).get_height())

    def primary(self, face: str) -> FontFile | None:
        """The face's own first font: the one that sets its line height."""
        chain = self.chain(face)
        return chain[0] if chain else None

    def chain(self, face: str) -> tuple[FontFile, ...]:
        """The face's packaged fonts, then every other packaged font (system fonts come after)."""
        chain = self._chains.get(face)
        if chain is None:
            own = self.faces.get(face) or self.faces.get("body") or ()
            weight = own[-1].weight if own else None
            seen = {f.path for f in own}
            extra = []
            for files in self.faces.values():
                for f in files:
                    if f.path not in seen:
                        seen.add(f.path)
                        # A static font (Anton) has no other weight to cut: it stays as it is.
                        cut = weight is not None and weight_axis(f.path) is not None
                        extra.append(FontFile(f.path, weight if cut else None, f.fixed))
            chain = self._chains[face] = (*own, *extra)
        return chain

    def warm(self, file: FontFile, size: int, sample: str = WARM_SAMPLE) -> None:
        """Open ``file`` at ``size`` and measure the sample characters it has, so
        their glyphs are loaded before a message needs them (the first
        measurement of a glyph is what costs)."""
        font = self.load(file, size)
        coverage = self.coverage(file)
        text = "".join(ch for ch in sample if ord(ch) in coverage)
        if text:
            try:
                font.size(text)
            except (pygame.error, ValueError, UnicodeError):
                log.debug("could not warm %s at %d", file, size)

    def warm_steps(
        self, plan: Iterable[tuple[str, Iterable[int]]], chunk: int = 6
    ) -> list[tuple[FontFile, int, str]]:
        """Small pieces of work that load each face's packaged fonts at its sizes
        (``plan``: (face, sizes) pairs) with the sample glyphs each font has, for
        :meth:`warm` to do one per frame, in list order.

        The first measurement of a glyph at a size costs; a scene that will draw
        text in any script (the wall) pays it ahead, a little each frame, so the
        frame a message arrives on does not."""
        opening, rest = [], []
        for face, size in ((face, size) for face, sizes in plan for size in sizes):
            for f in self.chain(face):
                if (f.path, size, f.weight) in self._fonts:
                    continue
                if f.weight is not None:
                    # Cut in the background now, so the frame that warms it seldom waits.
                    self.instances.request(f.path, f.weight)
                coverage = self.coverage(f)
                text = "".join(ch for ch in WARM_SAMPLE if ord(ch) in coverage)
                chunks = [(f, size, text[i : i + chunk]) for i in range(0, max(1, len(text)), chunk)]
                opening.append(chunks[0])
                rest.extend(chunks[1:])
        # A font's first use at a size is the dear part (HarfBuzz reads its tables:
        # ~25 ms for a large variable font); those go first, so the few long frames
        # come together while the scene has just entered rather than minutes later.
        return opening + rest

    def coverage(self, file: FontFile | None) -> Container[int]:
        """The code points ``file`` has (the SDL default font: printable ASCII)."""
        if file is None:
            return frozenset(range(0x20, 0x7F))
        system = _SYSTEM_COVERAGE.get(file.path)
        return system if system is not None else font_coverage(file.path)

    def covers(self, file: FontFile | None, needed: Iterable[int]) -> bool:
        coverage = self.coverage(file)
        if isinstance(coverage, frozenset):
            return coverage.issuperset(needed)
        return all(cp in coverage for cp in needed)

    def choose(self, face: str, needed: frozenset[int]) -> FontFile | None:
        """The first font in the face's chain that has every code point in ``needed``; None if none.

        System fonts are scanned the first time a packaged font falls short.
        """
        key = (face, needed)
        if key in self._choices:
            return self._choices[key]
        chain = self.chain(face)
        own = self.faces.get(face) or self.faces.get("body") or ()
        # The weight of the face's fallback (its last own font), as the chain's packaged fonts take.
        weight = own[-1].weight if own else None
        found: FontFile | None = None
        if not needed:
            found = chain[0] if chain else None
        elif looks_like_emoji(needed) and (index := self._system_index(needed, emoji=True)) is not None:
            emoji = system_fonts()[index]
            found = FontFile(emoji.path, fixed=emoji.fixed)
        else:
            found = next((f for f in chain if self.covers(f, needed)), None)
            if found is None and (index := self._system_index(needed, emoji=False)) is not None:
                found = self._system_file(index, needed, weight)
        if len(self._choices) > 8192:
            self._choices.clear()
        self._choices[key] = found
        return found

    def _system_file(self, index: int, needed: frozenset[int], weight: int | None) -> FontFile:
        """System font ``index`` for a face of ``weight``: for a bold face, its family's bold file.

        The bold file must cover ``needed`` too; the weight nearest ``weight``
        wins, then the usual ranking. With no bold file, the regular one is
        used (and reported once): never SDL's synthetic bold.
        """
        fonts = system_fonts()
        font = fonts[index]
        if weight is None or weight < BOLD_AT_LEAST or font.weight >= BOLD_AT_LEAST:
            return FontFile(font.path)
        family = font.family.casefold()
        bold = [
            f
            for f in fonts
            if family
            and f.family.casefold() == family
            and not f.emoji
            and f.weight >= BOLD_AT_LEAST
            and all(cp in f.coverage for cp in needed)
        ]
        if bold:
            return FontFile(min(bold, key=lambda f: abs(f.weight - weight)).path)
        if font.family not in _NO_BOLD_REPORTED:
            _NO_BOLD_REPORTED.add(font.family)
            log.warning(
                "no bold file of %r (%s) for U+%04X…; bold text in it is drawn at its regular weight",
                font.family,
                font.path.name,
                min(needed),
            )
        return FontFile(font.path)

    def _system_index(self, needed: frozenset[int], emoji: bool) -> int | None:
        """The best system font with all of ``needed``: emoji fonts for emoji, text fonts for text."""
        fonts = system_fonts()
        firsts = []
        for cp in needed:
            first = self._system_first.get((cp, emoji))
            if first is None:
                candidates = (i for i, f in enumerate(fonts) if f.emoji == emoji and cp in f.coverage)
                first = self._system_first[(cp, emoji)] = next(candidates, -1)
            if first < 0:
                return None
            firsts.append(first)
        for i in range(max(firsts), len(fonts)):
            if fonts[i].emoji == emoji and all(cp in fonts[i].coverage for cp in needed):
                return i
        return None

    def report_missing(self, cp: int, context: str) -> None:
        """Log a character no font has, once per character, and remember it for the panel."""
        if cp in self.missing:
            return
        self.missing.add(cp)
        name = unicodedata.name(chr(cp), "unnamed")
        log.warning("no font has U+%04X %s; left out of %r", cp, name, context[:60])

    def pick(self, face: str, text: str = "") -> FontFile | None:
        """The first file of the face's own chain that covers all of ``text`` (or the best one).

        Whole-string choice, for callers that need one font (e.g. to read its
        metrics); drawing goes through runs, one font per run.
        """
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
        return self.load(self.pick(face, text), size)
