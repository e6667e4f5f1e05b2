"""Uploaded fonts are checked by content: a sound TTF/OTF with the Latin letters, the digits and a
family name, under the SIL Open Font License, within the limits; anything else is refused with the
reason, and a good one is stored byte for byte by its hash."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from media.fonts import MAX_FONT_BYTES, check_font, font_info, is_ofl
from media.library import MediaLibrary
from media.pipeline import MediaError
from tests.media.font_files import (
    anton,
    huge_cmap,
    many_glyphs,
    noto_italic,
    only,
    packaged,
    relicensed,
    renamed,
)


def refused(data: bytes) -> str:
    with pytest.raises(MediaError) as caught:
        font_info(data)
    return caught.value.reason


def test_a_packaged_ofl_font_passes_with_its_names_and_licence() -> None:
    info = font_info(anton())
    assert (info.mime, info.family, info.style) == ("font/ttf", "Anton", "Regular")
    assert info.licence.startswith("This Font Software is licensed under the SIL Open Font License")
    assert info.glyphs == 1373
    italic = font_info(noto_italic())
    assert (italic.family, italic.style) == ("Noto Sans", "Italic")
    assert font_info(renamed(anton(), "Banner Sans")).family == "Banner Sans"


def test_the_licence_may_be_named_by_its_url_alone() -> None:
    for url in ("https://openfontlicense.org", "http://scripts.sil.org/OFL"):
        assert font_info(relicensed(anton(), None, url)).licence == url
    assert is_ofl("Licensed under the OFL-1.1") and is_ofl("SIL OPEN FONT LICENSE")
    assert not is_ofl("Licensed under the MIT licence") and not is_ofl("OFFLINE use only")


def test_a_font_under_another_licence_is_refused_quoting_its_name_table() -> None:
    reason = refused(relicensed(anton(), "Licensed under the Apache License, Version 2.0", None))
    assert reason == (
        "the font's licence is not the SIL Open Font License "
        "(name ID 13 says: Licensed under the Apache License, Version 2.0)"
    )
    reason = refused(relicensed(anton(), None, "https://example.com/eula"))
    assert "(name ID 14 says: https://example.com/eula)" in reason
    # A long commercial licence is quoted, not pasted whole into the panel.
    assert len(refused(relicensed(anton(), "All rights reserved. " * 40))) < 220


def test_a_font_that_names_no_licence_is_refused() -> None:
    assert refused(relicensed(anton(), None)).startswith("the font names no licence (name IDs 13 and 14")


def test_bytes_that_are_not_a_font_are_refused() -> None:
    assert refused(b"\x89PNG\r\n\x1a\n" + bytes(200)).startswith("not a font")
    assert refused(b"garbage").startswith("not a font")
    assert refused(b"wOF2" + bytes(100)).startswith("unsupported font file: WOFF2")
    assert refused(b"ttcf" + bytes(100)).startswith("unsupported font file: a font collection")


def test_a_damaged_font_is_refused_not_raised() -> None:
    data = anton()
    assert "runs past the end of the file" in refused(data[: len(data) // 2])
    assert "cut short" in refused(data[:20])
    # A table directory that claims thousands of tables.
    assert "tables (at most" in refused(data[:4] + b"\x10\x00" + data[6:])
    # Every table there, but the character map's bytes scrambled.
    broken = bytearray(data)
    count = int.from_bytes(data[4:6], "big")
    for i in range(count):
        entry = 12 + 16 * i
        if data[entry : entry + 4] == b"cmap":
            offset = int.from_bytes(data[entry + 8 : entry + 12], "big")
            broken[offset : offset + 64] = b"\xff" * 64
    assert refused(bytes(broken)).startswith(("damaged font", "the font has no Latin"))


def test_a_font_without_latin_letters_is_refused() -> None:
    arabic = only(packaged("fontpkg_noto_sans_arabic", "NotoSansArabic[wdth,wght].ttf"), "سلام عليكم")
    assert refused(arabic).startswith("the font has no Latin letters or digits")


def test_limits_on_size_and_glyphs() -> None:
    assert "exceeds the" in refused(anton() + bytes(MAX_FONT_BYTES))
    assert refused(many_glyphs(20_001)) == "20,001 glyphs exceeds the 20,000 glyph limit"
    assert font_info(many_glyphs(100)).glyphs == 100
    # A character map naming more code points than Unicode has is refused before it is expanded.
    assert refused(huge_cmap(300_001)) == "the font's character map names more than 300,000 characters"
    assert font_info(huge_cmap(1_000)).family == "Many"


def test_the_file_name_labels_the_error_never_a_path() -> None:
    with pytest.raises(MediaError) as caught:
        check_font(b"nope", "C:\\Users\\me\\fonts\\Banner.ttf")
    assert str(caught.value.path) == "Banner.ttf"


def test_the_library_stores_a_font_unchanged_by_its_hash(tmp_path: Path) -> None:
    library = MediaLibrary(tmp_path)
    data = anton()
    first = library.ingest_font(data, "Anton-Regular.ttf")
    assert first.hash == hashlib.sha256(data).hexdigest() and first.new
    assert library.path_of(first.hash).read_bytes() == data
    assert first.info.family == "Anton" and first.bytes == len(data)
    assert not library.ingest_font(data).new
    with pytest.raises(MediaError):
        library.ingest_font(relicensed(data, "Proprietary"))
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [first.hash]
