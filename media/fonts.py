"""Uploaded fonts for the brand kit: checked by content before a display ever opens one.

A font file is a program's worth of tables that a display's FreeType and
HarfBuzz will read on a public building, so an upload is checked here with
fontTools (which parses tables and never runs the hinting instructions in
them) before it is stored:

- a bare TrueType or OpenType file (``true``/``0x00010000``/``OTTO``), not a
  collection, WOFF or WOFF2 (those are packed: the operator uploads the TTF/OTF
  the family ships);
- within the limits: file size, table count, each table inside the file, glyph count,
  the code points its character map names (read before fontTools expands them);
- it parses: its header, metrics, names, character map and every Latin letter's
  and digit's glyph decompile;
- it maps the Latin letters and the digits (a headline font that cannot write
  the campaign's name or a total is no headline font) and names its family;
- its licence is the SIL Open Font License, as its ``name`` table says (ID 13,
  the licence description, or ID 14, the licence URL): a campaign projects
  the font on a building, in public, and only an OFL font may be used so by anyone.

The file is stored as it came (its hash is what a display checks); what the
check found (:class:`FontInfo`) is read again from the file when fonts are listed.
"""

from __future__ import annotations

import io
import re
import string
import struct
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTFont

from media.pipeline import MediaError

__all__ = [
    "MAX_FONT_BYTES",
    "MAX_FONT_GLYPHS",
    "MAX_FONT_TABLES",
    "FontInfo",
    "check_font",
    "font_info",
    "is_ofl",
]

#: The largest font file taken: a Latin headline family is well under 1 MB, a broad
#: variable family (Noto Sans, all weights and widths) about 2.3 MB.
MAX_FONT_BYTES = 8 * 1024 * 1024
#: Glyphs in one font: a broad family has 4,000-5,000; 65,535 (the format's limit) is a CJK
#: font far larger than a headline needs, and each glyph costs memory on every display.
MAX_FONT_GLYPHS = 20_000
#: Tables in one font: real fonts have 10-30.
MAX_FONT_TABLES = 64
#: Code points the character map's grouped subtables may name in all (Unicode assigns about 150,000).
MAX_CMAP_POINTS = 300_000
#: What a headline font must map: the Latin letters and the digits.
REQUIRED_CHARACTERS = string.ascii_letters + string.digits

_SFNT = {b"\x00\x01\x00\x00": "font/ttf", b"true": "font/ttf", b"OTTO": "font/otf"}
_PACKED = {b"wOFF": "WOFF", b"wOF2": "WOFF2", b"ttcf": "a font collection (TTC)"}
#: How an OFL font says so in its name table (IDs 13 and 14), case-insensitive.
_OFL = re.compile(
    r"SIL\s+Open\s+Font\s+Licen[cs]e|Open\s+Font\s+Licen[cs]e|\bOFL\b|scripts\.sil\.org/OFL|openfontlicense\.org",
    re.IGNORECASE,
)
#: How much of a licence line an error or a listing quotes.
QUOTE = 120


@dataclass(frozen=True, slots=True)
class FontInfo:
    """What the check found: the family and style names, the licence line, the glyph count."""

    mime: str
    family: str
    style: str
    licence: str
    glyphs: int


def is_ofl(text: str) -> bool:
    """Whether a licence description or URL names the SIL Open Font License."""
    return bool(_OFL.search(text))


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE else text[: QUOTE - 1] + "…"


def _kind(data: bytes, label: str) -> str:
    magic = data[:4]
    if magic in _PACKED:
        raise MediaError(label, f"unsupported font file: {_PACKED[magic]}; upload the TTF or OTF file")
    mime = _SFNT.get(magic)
    if mime is None:
        raise MediaError(label, "not a font: a TrueType (.ttf) or OpenType (.otf) file is expected")
    return mime


def _check_directory(data: bytes, label: str) -> None:
    """The table directory, read before fontTools is given the bytes: a sane count, each table inside."""
    try:
        (count,) = struct.unpack_from(">H", data, 4)
        if count == 0 or count > MAX_FONT_TABLES:
            raise MediaError(label, f"a font with {count} tables (at most {MAX_FONT_TABLES})")
        for i in range(count):
            tag, _, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
            if offset + length > len(data):
                name = tag.decode("latin-1")
                raise MediaError(label, f"damaged font: its {name!r} table runs past the end of the file")
    except struct.error:
        raise MediaError(label, "damaged font: the table directory is cut short") from None


def _check_cmap(data: bytes, label: str) -> None:
    """The character map's grouped subtables (formats 8, 12, 13) map a sane number of code points.

    fontTools expands each group into a dictionary entry per code point: a few kilobytes of
    overlapping whole-Unicode groups would cost minutes and gigabytes. Unicode has about 150,000
    assigned characters, so more than :data:`MAX_CMAP_POINTS` in all subtables is no real font.
    """
    try:
        (count,) = struct.unpack_from(">H", data, 4)
        entries = (struct.unpack_from(">4sIII", data, 12 + 16 * i) for i in range(count))
        cmap = next((offset for tag, _, offset, _ in entries if tag == b"cmap"), None)
        if cmap is None:
            return  # reported as a missing table once fontTools has the file
        (subtables,) = struct.unpack_from(">H", data, cmap + 2)
        points = 0  # across all subtables: a real font repeats its map two or three times at most
        for i in range(subtables):
            (where,) = struct.unpack_from(">I", data, cmap + 4 + 8 * i + 4)
            start = cmap + where
            (fmt,) = struct.unpack_from(">H", data, start)
            if fmt not in (8, 12, 13):
                continue
            groups_at = start + (12 + 8192 if fmt == 8 else 12)
            (groups,) = struct.unpack_from(">I", data, groups_at)
            if groups * 12 > len(data):
                raise MediaError(label, "damaged font: its character map runs past the end of the file")
            for g in range(groups):
                first, last = struct.unpack_from(">II", data, groups_at + 4 + 12 * g)
                points += max(0, last - first + 1)
                if points > MAX_CMAP_POINTS:
                    raise MediaError(
                        label, f"the font's character map names more than {MAX_CMAP_POINTS:,} characters"
                    )
    except struct.error:
        raise MediaError(label, "damaged font: its character map is cut short") from None


def _name(font: TTFont, *ids: int) -> str:
    """The first of ``ids`` the name table has (Windows English first, as fontTools ranks them)."""
    table = font["name"]
    for name_id in ids:
        found = table.getDebugName(name_id)
        if found and found.strip():
            return " ".join(found.split())
    return ""


def _licence(font: TTFont, label: str) -> str:
    """The licence line (ID 13, else ID 14) if it names the OFL; else a ``MediaError`` quoting it."""
    lines = {13: "", 14: ""}
    for record in font["name"].names:
        if record.nameID in lines:
            try:
                text = record.toUnicode()
            except UnicodeDecodeError:
                continue
            if is_ofl(text):
                return _quote(text)
            lines[record.nameID] = lines[record.nameID] or text
    said = next(((i, t) for i, t in lines.items() if t.strip()), None)
    if said is None:
        raise MediaError(
            label,
            "the font names no licence (name IDs 13 and 14 are empty); "
            "only fonts under the SIL Open Font License are taken",
        )
    raise MediaError(
        label,
        f"the font's licence is not the SIL Open Font License (name ID {said[0]} says: {_quote(said[1])})",
    )


def _check_glyphs(font: TTFont, cmap: dict[int, str], label: str) -> None:
    """Every required character's glyph decompiles (a broken outline fails here, not on a wall)."""
    if "glyf" in font:
        glyf = font["glyf"]
        for ch in REQUIRED_CHARACTERS:
            glyph = glyf[cmap[ord(ch)]]
            if glyph.numberOfContours == 0:
                raise MediaError(label, f"the font draws nothing for {ch!r}")
    elif "CFF " in font:
        charstrings = font["CFF "].cff.topDictIndex[0].CharStrings
        for ch in REQUIRED_CHARACTERS:
            charstrings[cmap[ord(ch)]].decompile()
    elif "CFF2" in font:
        font["CFF2"].cff.topDictIndex[0].CharStrings[cmap[ord("A")]].decompile()
    else:
        raise MediaError(label, "the font has no outlines (no glyf, CFF or CFF2 table)")


def font_info(data: bytes, label: str = "upload") -> FontInfo:
    """Check ``data`` as above: its :class:`FontInfo`, or a ``MediaError`` naming what is wrong."""
    if len(data) > MAX_FONT_BYTES:
        raise MediaError(label, f"{len(data):,} bytes exceeds the {MAX_FONT_BYTES:,} byte font limit")
    if len(data) < 12:
        raise MediaError(label, "not a font: a TrueType (.ttf) or OpenType (.otf) file is expected")
    mime = _kind(data, label)
    _check_directory(data, label)
    _check_cmap(data, label)
    try:
        font = TTFont(io.BytesIO(data), lazy=True, recalcBBoxes=False, recalcTimestamp=False)
        missing = [t for t in ("head", "maxp", "name", "cmap", "hhea", "hmtx") if t not in font]
        if missing:
            raise MediaError(label, f"damaged font: no {missing[0]!r} table")
        glyphs = int(font["maxp"].numGlyphs)
        if glyphs > MAX_FONT_GLYPHS:
            raise MediaError(label, f"{glyphs:,} glyphs exceeds the {MAX_FONT_GLYPHS:,} glyph limit")
        font["head"]
        font["hhea"]
        cmap = font.getBestCmap() or {}
        lacking = [ch for ch in REQUIRED_CHARACTERS if ord(ch) not in cmap]
        if lacking:
            raise MediaError(
                label, f"the font has no Latin letters or digits (it lacks {''.join(lacking[:12])!r})"
            )
        family = _name(font, 16, 1)
        if not family:
            raise MediaError(label, "the font names no family (name IDs 1 and 16 are empty)")
        style = _name(font, 17, 2) or "Regular"
        licence = _licence(font, label)
        _check_glyphs(font, cmap, label)
        font["hmtx"]
    except MediaError:
        raise
    except Exception as exc:  # a malformed table fails in whatever way its parser meets it
        raise MediaError(label, f"damaged font: {_quote(str(exc)) or type(exc).__name__}") from None
    return FontInfo(mime, family, style, licence, glyphs)


def check_font(data: bytes, name: str = "upload") -> FontInfo:
    """:func:`font_info` with the upload's file name (never a path) as the label."""
    return font_info(data, Path(name.replace("\\", "/")).name or "upload")
