"""The font book's uploaded faces: a good upload heads its face's chain with the house fonts behind
it, a file a display cannot use is refused once (the house face stays), and only a few are kept."""

from __future__ import annotations

from pathlib import Path

from projector.display.text.fonts import MAX_UPLOADED_FACES, FontBook, installed_faces
from tests.display.screens import ensure_display
from tests.media.font_files import anton, only, packaged, renamed


def test_an_upload_heads_its_chain_with_the_house_headline_fonts_behind(tmp_path: Path) -> None:
    ensure_display()
    path = tmp_path / "font"
    path.write_bytes(renamed(anton(), "Banner"))
    book = FontBook()
    assert book.add_upload("upload:one", path)
    assert book.faces["upload:one"] == (book.faces["upload:one"][0], *installed_faces()["display"])
    assert book.faces["upload:one"][0].path == path
    # The shared table of installed faces is not touched: another book has no such face.
    assert "upload:one" not in FontBook().faces and "upload:one" not in installed_faces()
    chain_paths = [f.path.name for f in book.chain("upload:one")]
    assert any("Arabic" in name for name in chain_paths) and any("Khmer" in name for name in chain_paths)


def test_a_file_a_display_cannot_use_is_refused_once(tmp_path: Path) -> None:
    ensure_display()
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"\x00\x01\x00\x00" + bytes(64))
    arabic_only = tmp_path / "arabic"
    arabic_only.write_bytes(
        only(packaged("fontpkg_noto_sans_arabic", "NotoSansArabic[wdth,wght].ttf"), "سلام")
    )
    book = FontBook()
    assert not book.add_upload("upload:garbage", garbage)
    assert not book.add_upload("upload:arabic", arabic_only)
    garbage.unlink()
    assert not book.add_upload("upload:garbage", garbage)  # remembered, not tried again
    assert "upload:garbage" not in book.faces and "upload:arabic" not in book.faces


def test_only_a_few_uploaded_faces_are_kept(tmp_path: Path) -> None:
    ensure_display()
    book = FontBook()
    for i in range(MAX_UPLOADED_FACES + 2):
        path = tmp_path / f"font{i}"
        path.write_bytes(renamed(anton(), f"Banner {i}"))
        assert book.add_upload(f"upload:{i}", path)
        book.chain(f"upload:{i}")
    kept = [name for name in book.faces if name.startswith("upload:")]
    assert kept == [f"upload:{i}" for i in range(2, MAX_UPLOADED_FACES + 2)]
    assert "upload:0" not in book._chains
