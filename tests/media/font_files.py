"""Font files for the tests, made from the packaged OFL fonts with fontTools: renamed, relicensed,
cut down to one script, or with more glyphs than a display should take."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.subset import Options, Subsetter
from fontTools.ttLib import TTFont
from fontTools.ttLib.tables._c_m_a_p import CmapSubtable


def packaged(package: str, name: str) -> bytes:
    """A packaged font's bytes, e.g. ``packaged("fontpkg_anton", "Anton-Regular.ttf")``."""
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.origin is not None, f"{package} is a dependency"
    return (Path(spec.origin).parent / "files" / name).read_bytes()


def anton() -> bytes:
    return packaged("fontpkg_anton", "Anton-Regular.ttf")


def noto_italic() -> bytes:
    """Noto Sans Italic: OFL, and nothing like Anton on screen (light, slanted, wide)."""
    return packaged("fontpkg_noto_sans", "NotoSans-Italic[wdth,wght].ttf")


def _saved(font: TTFont) -> bytes:
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def renamed(data: bytes, family: str) -> bytes:
    """``data`` with another family name (IDs 1, 4, 16): another upload, with its own hash."""
    font = TTFont(io.BytesIO(data))
    for record in font["name"].names:
        if record.nameID in (1, 4, 16):
            record.string = family
    return _saved(font)


def relicensed(data: bytes, description: str | None, url: str | None = None) -> bytes:
    """``data`` with its licence lines (IDs 13, 14) rewritten, or removed where None."""
    font = TTFont(io.BytesIO(data))
    table = font["name"]
    table.names = [r for r in table.names if r.nameID not in (13, 14)]
    for name_id, text in ((13, description), (14, url)):
        if text is not None:
            table.setName(text, name_id, 3, 1, 0x409)
    return _saved(font)


def only(data: bytes, text: str) -> bytes:
    """``data`` cut down to the glyphs of ``text`` (no Latin letters unless ``text`` has them)."""
    font = TTFont(io.BytesIO(data))
    options = Options()
    options.name_IDs = ["*"]
    subsetter = Subsetter(options)
    subsetter.populate(text=text)
    subsetter.subset(font)
    return _saved(font)


def many_glyphs(count: int) -> bytes:
    """An OFL font with ``count`` glyphs, every Latin letter and digit a square."""
    names = [".notdef", *(f"g{i}" for i in range(1, count))]
    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder(names)
    chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    fb.setupCharacterMap({ord(ch): f"g{i + 1}" for i, ch in enumerate(chars)})
    pen = TTGlyphPen(None)
    pen.moveTo((100, 0))
    pen.lineTo((100, 700))
    pen.lineTo((500, 700))
    pen.lineTo((500, 0))
    pen.closePath()
    square = pen.glyph()
    fb.setupGlyf({name: square for name in names})
    fb.setupHorizontalMetrics({name: (600, 100) for name in names})
    fb.setupHorizontalHeader(ascent=800, descent=-200)
    fb.setupNameTable(
        {
            "familyName": "Many",
            "styleName": "Regular",
            "licenseDescription": "This Font Software is licensed under the SIL Open Font License, Version 1.1.",
        }
    )
    fb.setupOS2()
    fb.setupPost()
    return _saved(fb.font)


def huge_cmap(points: int) -> bytes:
    """An OFL font whose character map also names ``points`` code points in one format 13 group
    (a "last resort" table: every one of them drawn with one glyph)."""
    font = TTFont(io.BytesIO(many_glyphs(100)))
    table = CmapSubtable.newSubtable(13)
    table.platformID, table.platEncID, table.language = 3, 10, 0
    table.cmap = {**font.getBestCmap(), **{cp: "g1" for cp in range(0x20000, 0x20000 + points)}}
    font["cmap"].tables.append(table)
    return _saved(font)
