"""Fonts and text: packaged fonts, per-string fallback, safe strings, bounded caches."""

from __future__ import annotations

import pygame
from hypothesis import given, settings
from hypothesis import strategies as st

from projector.display.text.digits import Digits
from projector.display.text.fonts import FontBook, font_coverage, installed_faces
from projector.display.text.renderer import (
    SurfaceCache,
    TextRenderer,
    clean_text,
)


def test_packaged_fonts_are_found_and_their_coverage_is_read() -> None:
    faces = installed_faces()
    assert faces["display"] and faces["body"]
    anton = faces["display"][0].path
    assert "Anton" in anton.name
    covered = font_coverage(anton)
    assert ord("A") in covered and ord("7") in covered and ord("Ж") not in covered
    assert ord("Ж") in font_coverage(faces["body"][0].path)


def test_a_string_the_headline_face_cannot_show_falls_back_to_a_broad_font() -> None:
    book = FontBook()
    assert "Anton" in book.pick("display", "AYŞE KARAMAN").path.name  # type: ignore[union-attr]
    assert "NotoSans" in book.pick("display", "Алеся Карпович").path.name  # type: ignore[union-attr]


def test_clean_text_removes_what_sdl_would_choke_on() -> None:
    assert clean_text("a\x00b\x1bc") == "abc"
    assert clean_text("line\nbreak\ttab") == "line break tab"
    assert clean_text("\ud800x") == "\ufffdx"
    assert clean_text(None) == "" and clean_text(12) == "12"
    assert len(clean_text("x" * 10_000, 100)) == 100


_RENDERER: list[TextRenderer] = []


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet=st.characters(codec=None), max_size=120))
def test_rendering_never_raises(text: str) -> None:
    if not _RENDERER:
        _RENDERER.append(TextRenderer(FontBook()))
    renderer = _RENDERER[0]
    for face in ("display", "body", "strong"):
        surf = renderer.render(text, face, 24, (255, 255, 255))
        assert surf.get_width() >= 1
        renderer.render(text, face, 24, (255, 255, 255), (0, 0, 0))
    renderer.wrap(text, "body", 20, 100, 3)


def test_wrap_breaks_words_longer_than_a_line_and_ends_overflow_with_an_ellipsis() -> None:
    renderer = TextRenderer(FontBook())
    lines = renderer.wrap("a" * 300, "body", 20, 100)
    assert len(lines) > 3 and all(renderer.width(line, "body", 20) <= 100 for line in lines)
    capped = renderer.wrap("word " * 100, "body", 20, 200, max_lines=2)
    assert len(capped) == 2 and capped[-1].endswith("\u2026")


def test_fit_size_fits() -> None:
    renderer = TextRenderer(FontBook())
    size = renderer.fit_size("A VERY LONG CAMPAIGN NAME INDEED", "display", 300, 200)
    assert renderer.width("A VERY LONG CAMPAIGN NAME INDEED", "display", size) <= 300


def test_the_render_cache_is_bounded_by_pixels() -> None:
    cache = SurfaceCache(max_pixels=10_000)
    for i in range(50):
        cache.put(i, pygame.Surface((50, 50)))
    assert cache.pixels <= 10_000 and len(cache) == 4
    renderer = TextRenderer(FontBook(), max_pixels=200_000)
    first = renderer.render("hello", "body", 30, (255, 255, 255))
    assert renderer.render("hello", "body", 30, (255, 255, 255)) is first
    for i in range(500):
        renderer.render(f"line {i}", "body", 30, (255, 255, 255))
    assert renderer.cache.pixels <= 200_000


def test_digits_have_one_advance_and_opaque_glyphs_are_cropped_to_their_ink() -> None:
    renderer = TextRenderer(FontBook())
    digits = Digits(renderer, "display", 120, (255, 255, 255), bg=(0, 0, 0))
    widths = {g.get_width() for g in digits.glyphs.values()}
    assert max(widths) == digits.advance
    assert digits.width("1,111") == digits.width("8,888")
    line_height = renderer.render("0", "display", 120, (255, 255, 255)).get_height()
    assert digits.height < line_height  # no empty ascent/descent box to paint over neighbours
    # A locale's own separators: a narrow no-break space (French), a dot (Turkish); marks take no room.
    assert digits.width("1\u202f111") == digits.width("8\u202f888") > digits.width("1111")
    assert digits.width("\u200e1.234") == digits.width("1.234")


def test_warming_loads_each_font_of_a_face_once_and_then_has_nothing_left() -> None:
    book = FontBook()
    steps = book.warm_steps([("strong", [30, 40])])
    files = {(f.path, size) for f, size, _ in steps}
    assert files == {(f.path, size) for size in (30, 40) for f in book.chain("strong")}
    assert all(sample for _, _, sample in steps)
    for f, size, sample in steps:
        book.warm(f, size, sample)
    assert book.warm_steps([("strong", [30, 40])]) == []


WORDS = (
    "Free",
    "Tarek",
    "2026",
    "الحرية",
    "لطارق",
    "اكتب",
    "Алеся",
    "держись",
    "自由",
    "ราโมน",
    "!",
    "1,234",
)


@settings(max_examples=120, deadline=None)
@given(
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=14),
    st.integers(60, 1100),
    st.sampled_from([24, 77]),
)
def test_wrapping_keeps_every_word_in_order(words: list[str], width: int, size: int) -> None:
    """No word is lost or moved: the lines, joined, are the text (bar the spaces at the breaks).

    A word once went missing when the last line could not hold it after all
    ("اكتب من أجل الحقوق 2026" lost its "2026" at 1020 px)."""
    renderer = TextRenderer(FontBook())
    text = " ".join(words)
    lines = renderer.wrap(text, "display", size, width)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_a_line_the_last_word_does_not_fit_on_after_all_moves_it_to_a_new_line() -> None:
    renderer = TextRenderer(FontBook())
    # The sum of the words (883 px in real bold) says the line fits; the line itself is 907 px.
    # (It was 1020 px when the Arabic was synthetic bold, which made every letter wider.)
    assert renderer.wrap("اكتب من أجل الحقوق 2026", "display", 77, 894) == ["اكتب من أجل الحقوق", "2026"]
