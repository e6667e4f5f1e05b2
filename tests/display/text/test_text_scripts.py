"""Every script on the wall: runs, bidi, font fallback, shaping, wrapping, and no boxes.

The golden pictures in ``golden/`` were looked at by a person (Arabic joined
and right to left, Khmer and Devanagari marks in place, no boxes). To make
them again after a deliberate change of fonts or layout:

    PROJECTOR_UPDATE_GOLDEN=1 .venv/bin/pytest tests/display/text/test_text_scripts.py

and look at every picture before committing it.
"""

from __future__ import annotations

import logging
import os
import unicodedata
from pathlib import Path

import pygame
import pytest

from projector.display.text import bidi_runs
from projector.display.text import fonts as fonts_module
from projector.display.text.bidi_runs import clusters, embedding_levels, fallback_levels, paragraph_level
from projector.display.text.fonts import FontBook, _system_rank, system_fonts
from projector.display.text.renderer import Layout, TextRenderer
from tests.display.screens import side_by_side

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("PROJECTOR_UPDATE_GOLDEN") == "1"
WHITE, BLACK = (255, 255, 255), (0, 0, 0)
SIZE = 32
#: Per channel, what anti-aliasing may move; and how many pixels may move further.
TOLERANCE, ALLOWED_FRACTION = 40, 0.002

#: name -> (face, text, font file a system-font script's reference was drawn with, or None).
SAMPLES: dict[str, tuple[str, str, str | None]] = {
    "latin_turkish": ("body", "Ayşe, İstanbul", None),
    "latin_icelandic": ("body", "Þú ert ekki ein", None),
    "latin_vietnamese": ("body", "Chúng tôi ở bên bạn", None),
    "cyrillic": ("body", "Держись! Мы с тобой.", None),
    "greek": ("body", "Είμαστε μαζί σου", None),
    "arabic": ("body", "حرية لطارق", None),
    "devanagari": ("body", "हम तुम्हारे साथ हैं", None),
    "khmer": ("body", "ស្មារតីរឹងមាំ Roya", None),
    "thai": ("body", "เราอยู่กับคุณ", None),
    "mixed_arabic_latin_digits": ("body", "Free Tarek! حرية لطارق 2024", None),
    "display_latin_arabic": ("display", "FREE TAREK حرية", None),
    "hebrew": ("body", "אנחנו איתך, דנה", "NotoSansHebrew-Regular.ttf"),
    "ethiopic": ("body", "ከጎንሽ ነን", "NotoSansEthiopic-Regular.ttf"),
    "myanmar": ("body", "မင်းနဲ့အတူရှိတယ်", "NotoSansMyanmar-Regular.ttf"),
    "cjk_chinese": ("body", "我们与你同在，自由！", "NotoSansCJK-Regular.ttc"),
    "cjk_japanese": ("body", "あなたは一人じゃない", "NotoSansCJK-Regular.ttc"),
    "cjk_korean": ("body", "우리는 당신과 함께합니다", "NotoSansCJK-Regular.ttc"),
    "emoji": ("body", "Ayşe \u270a\U0001f3fd \u2764\ufe0f", "NotoColorEmoji.ttf"),
}
ARABIC_PARAGRAPH = "حرية لطارق الآن، نحن معك منذ 2019 ولن ننساك أبدا"


@pytest.fixture(scope="module")
def renderer() -> TextRenderer:
    return TextRenderer(FontBook())


def _letters(text: str) -> frozenset[int]:
    return frozenset(ord(ch) for ch in text if unicodedata.category(ch)[0] in "LM")


def _require_system_font(renderer: TextRenderer, text: str, font_file: str | None) -> None:
    """Skip, naming the package, when this machine has no font for the sample's script at all."""
    if font_file is None:
        return
    book = renderer.fonts
    if any(book.choose("body", frozenset((cp,))) is None for cp in _letters(text)):
        pytest.skip(f"no font covers {text!r}: install Debian's fonts-noto-core (has {font_file})")


def _differing_pixels(a: pygame.Surface, b: pygame.Surface, tolerance: int) -> int:
    """Pixels where some channel differs by more than ``tolerance`` (|a - b| by two subtractions)."""
    a, b = a.convert(), b.convert()
    up, down = a.copy(), b.copy()
    up.blit(b, (0, 0), special_flags=pygame.BLEND_RGB_SUB)
    down.blit(a, (0, 0), special_flags=pygame.BLEND_RGB_SUB)
    up.blit(down, (0, 0), special_flags=pygame.BLEND_RGB_ADD)
    close = pygame.mask.from_threshold(up, (0, 0, 0), (tolerance + 1, tolerance + 1, tolerance + 1, 255))
    return a.get_width() * a.get_height() - close.count()


def _assert_matches_golden(actual: pygame.Surface, name: str) -> None:
    path = GOLDEN / f"{name}.png"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        pygame.image.save(actual, str(path))
        return
    assert path.is_file(), f"no reference picture {path}; make it with PROJECTOR_UPDATE_GOLDEN=1"
    expected = pygame.image.load(str(path))
    if expected.get_size() != actual.get_size():
        shown = side_by_side(expected, actual, f"text-{name}")
        raise AssertionError(f"{name}: size {actual.get_size()} != {expected.get_size()}; see {shown}")
    bad = _differing_pixels(expected, actual, TOLERANCE)
    if bad > ALLOWED_FRACTION * actual.get_width() * actual.get_height():
        shown = side_by_side(expected, actual, f"text-{name}")
        raise AssertionError(f"{name}: {bad} pixels differ by more than {TOLERANCE}; see {shown}")


# --- golden pictures ------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SAMPLES))
def test_each_script_looks_like_its_reference(renderer: TextRenderer, name: str) -> None:
    face, text, font_file = SAMPLES[name]
    _require_system_font(renderer, text, font_file)
    if font_file is not None:
        used = {run.file.path.name for run in renderer.layout(text, face, SIZE).runs if run.file}
        if font_file not in used:
            pytest.skip(f"the reference was drawn with {font_file}; this machine uses {sorted(used)}")
    _assert_matches_golden(renderer.render(text, face, SIZE, WHITE, BLACK), name)


def test_an_arabic_paragraph_wraps_right_to_left_and_flush_right(renderer: TextRenderer) -> None:
    lines = renderer.wrap(ARABIC_PARAGRAPH, "body", SIZE, 320)
    assert len(lines) >= 2 and all(renderer.layout(x, "body", SIZE, 1).width <= 320 for x in lines)
    block = renderer.render_lines(lines, "body", SIZE, WHITE, bg=BLACK)
    _assert_matches_golden(block, "arabic_paragraph")


# --- runs and direction -----------------------------------------------------------------


def _describe(layout: Layout) -> list[tuple[str, str, bool]]:
    return [(run.text, run.script, run.rtl) for run in layout.runs]


def test_mixed_latin_and_arabic_split_into_an_ltr_and_an_rtl_run(renderer: TextRenderer) -> None:
    layout = renderer.layout("Free Tarek! حرية لطارق", "body", SIZE)
    assert layout.direction == "ltr"
    assert _describe(layout) == [("Free Tarek! ", "Latn", False), ("حرية لطارق", "Arab", True)]
    latin, arabic = layout.runs
    assert "Arabic" in arabic.file.path.name and "Arabic" not in latin.file.path.name  # type: ignore[union-attr]
    assert latin.x == 0 and arabic.x == latin.width and layout.width == latin.width + arabic.width


def test_an_arabic_paragraph_is_rtl_and_digits_keep_their_order(renderer: TextRenderer) -> None:
    assert renderer.direction("حرية لطارق 2024") == "rtl" and renderer.direction("Free Tarek") == "ltr"
    assert renderer.direction("  2024 حرية") == "rtl"  # the first strong character decides
    layout = renderer.layout("حرية 2024 لطارق", "body", SIZE)
    # Visual order, left to right: the last word, the number (read left to right), the first word.
    assert [run.text.strip() for run in layout.runs] == ["لطارق", "2024", "حرية"]
    assert [run.rtl for run in layout.runs] == [True, False, True]


def _lower_ink(block: pygame.Surface) -> pygame.Rect:
    """The ink of the second of two lines set with double leading (the lower half of the block)."""
    half = block.get_height() // 2
    return block.subsurface((0, half, block.get_width(), block.get_height() - half)).get_bounding_rect()


def test_rtl_lines_are_right_aligned_in_a_block(renderer: TextRenderer) -> None:
    short, long = "حرية", "حرية لطارق الآن ونحن معك"
    block = renderer.render_lines([long, short], "body", SIZE, WHITE, leading=2.0)
    second = _lower_ink(block)
    assert second.left > block.get_width() // 2 and block.get_width() - second.right <= 4
    # Explicit alignment still wins, and a Latin block keeps its old flush-left default.
    left = renderer.render_lines([long, short], "body", SIZE, WHITE, align="left", leading=2.0)
    assert _lower_ink(left).left <= 4
    latin = renderer.render_lines(["a long line here", "short"], "body", SIZE, WHITE, leading=2.0)
    assert _lower_ink(latin).left <= 4 and _lower_ink(latin).right < latin.get_width() // 2


def test_a_latin_line_inside_an_rtl_paragraph_is_set_flush_right(renderer: TextRenderer) -> None:
    lines = ["حرية لطارق الآن", "Free Tarek"]  # line two alone would read LTR; the paragraph is Arabic
    assert paragraph_level(" ".join(lines)) == 1 and paragraph_level(lines[1]) == 0
    block = renderer.render_lines(lines, "body", SIZE, WHITE, leading=2.0)
    assert block.get_width() - _lower_ink(block).right <= 4
    mixed = renderer.layout("Free Tarek حرية", "body", SIZE, base=1)  # in an RTL paragraph the Latin,
    words = [run.text.strip() for run in mixed.runs if run.text.strip()]  # read first, stands at the right
    assert words == ["حرية", "Free Tarek"]


# --- fonts: no boxes, missing characters reported ---------------------------------------


@pytest.mark.parametrize("name", list(SAMPLES))
def test_every_character_drawn_is_in_the_font_of_its_run(renderer: TextRenderer, name: str) -> None:
    face, text, font_file = SAMPLES[name]
    _require_system_font(renderer, text, font_file)
    layout = renderer.layout(text, face, SIZE)
    drawn = "".join(run.text for run in layout.runs)
    assert _letters(drawn) == _letters(text), "a letter was dropped although a font has it"
    for run in layout.runs:
        coverage = renderer.fonts.coverage(run.file)
        # Variation selectors pick a glyph form; the shaper consumes them, never draws them.
        tofu = [
            ch
            for ch in run.text
            if unicodedata.category(ch) not in ("Zs", "Cf")
            and not 0xFE00 <= ord(ch) <= 0xFE0F
            and ord(ch) not in coverage
        ]
        assert not tofu, f"{run.file}: would draw boxes for {tofu}"


def test_a_character_no_font_has_is_left_out_and_reported_once(caplog: pytest.LogCaptureFixture) -> None:
    renderer = TextRenderer(FontBook())
    for unknown in ("\U0010fffd", "\u0378"):  # private use, unassigned
        with caplog.at_level(logging.WARNING, logger="projector.display.text.renderer"):
            caplog.clear()
            with_it = renderer.render(f"abc{unknown} def", "body", SIZE, WHITE, BLACK)
            renderer.render(f"again {unknown}", "body", SIZE, WHITE, BLACK)
            renderer.wrap(f"{unknown} once more", "body", SIZE, 200)
        without = renderer.render("abc def", "body", SIZE, WHITE, BLACK)
        assert pygame.image.tobytes(with_it, "RGB") == pygame.image.tobytes(without, "RGB")
        reports = [r for r in caplog.records if f"U+{ord(unknown):04X}" in r.getMessage()]
        assert len(reports) == 1
        assert ord(unknown) in renderer.missing
    assert renderer.width("\U0010fffd", "body", SIZE) == 0


def test_emoji_without_an_emoji_font_are_dropped_not_boxed(monkeypatch: pytest.MonkeyPatch) -> None:
    # A machine without system fonts: only the packaged ones, none of which has emoji.
    monkeypatch.setattr(fonts_module, "system_fonts", lambda: ())
    renderer = TextRenderer(FontBook())
    assert renderer.fonts.choose("body", frozenset((0x270A,))) is None
    layout = renderer.layout("Держись, Ayşe! \u270a", "body", SIZE)
    assert "\u270a" not in "".join(run.text for run in layout.runs)
    assert 0x270A in renderer.missing


def test_emoji_come_from_a_colour_font_scaled_to_the_line(renderer: TextRenderer) -> None:
    emoji_fonts = {font.path for font in system_fonts() if font.emoji}
    if not emoji_fonts:
        pytest.skip("no colour emoji font on this machine (Debian: fonts-noto-color-emoji)")
    layout = renderer.layout("Ayşe \u270a", "body", SIZE)
    assert layout.runs[-1].text == "\u270a" and layout.runs[-1].file.path in emoji_fonts  # type: ignore[union-attr]
    line = renderer.render("Ayşe \u270a", "body", SIZE, WHITE, BLACK)
    plain = renderer.render("Ayşe", "body", SIZE, WHITE, BLACK)
    assert line.get_height() <= plain.get_height() * 1.2  # not the 128 px strike
    fist = line.subsurface((layout.runs[-1].x, 0, layout.runs[-1].width, line.get_height()))
    colours = {
        tuple(fist.get_at((x, y)))[:3] for x in range(fist.get_width()) for y in range(fist.get_height())
    }
    assert any(len({r, g, b}) > 1 for r, g, b in colours), "drawn in colour, not as white text"


def test_system_fonts_are_scanned_only_when_a_packaged_font_falls_short() -> None:
    system_fonts.cache_clear()
    renderer = TextRenderer(FontBook())
    for text in ("Stay strong", "Держись", "حرية لطارق 2024", "हम साथ हैं", "เรา", "ស្មារតី"):
        renderer.render(text, "body", SIZE, WHITE)
    assert system_fonts.cache_info().currsize == 0
    renderer.render("אנחנו", "body", SIZE, WHITE)
    assert system_fonts.cache_info().currsize == 1


def test_regular_sans_system_fonts_come_before_bold_serif_ui_and_mono() -> None:
    names = [
        "NotoSerifHebrew-Regular.ttf",
        "NotoSansHebrew-Bold.ttf",
        "DejaVuSansMono.ttf",
        "NotoRashiHebrew-Regular.ttf",
        "NotoSansArabicUI-Regular.ttf",
        "NotoSansHebrew-Regular.ttf",
        "DejaVuSans.ttf",
    ]
    ranked = sorted((Path("/fonts", n) for n in names), key=_system_rank)
    assert ranked[0].name == "NotoSansHebrew-Regular.ttf" and ranked[1].name == "DejaVuSans.ttf"
    assert ranked[-1].name == "NotoSansHebrew-Bold.ttf"
    scanned = [font.path for font in system_fonts()]
    assert scanned == sorted(scanned, key=_system_rank)


# --- wrapping by clusters ------------------------------------------------------------------


def test_cjk_lines_do_not_start_with_closing_punctuation_or_end_with_opening_brackets(
    renderer: TextRenderer,
) -> None:
    text = "我们与你同在，自由属于每一个人。「自由」を、あなたに。ちょっと待ってください。"
    _require_system_font(renderer, text, "NotoSansCJK-Regular.ttc")
    for width in range(140, 300, 8):
        lines = renderer.wrap(text, "body", SIZE, width)
        assert "".join(lines) == text
        for line in lines:
            assert line[0] not in "，。、」』）ゃっょー", (width, lines)
            assert line[-1] not in "「『（", (width, lines)
            assert renderer.width(line, "body", SIZE) <= width


@pytest.mark.parametrize(
    "text",
    [
        "เราอยู่กับคุณเสมอไม่ว่าจะเกิดอะไรขึ้นอิสรภาพสำหรับทุกคน",
        "ស្មារតីរឹងមាំយើងនៅជាមួយអ្នកជានិច្ចសេរីភាពសម្រាប់ទាំងអស់គ្នា",
        "हमतुम्हारेसाथहैंआज़ादीअभीक्षत्रियस्वतंत्रता",
    ],
)
def test_text_without_spaces_breaks_between_clusters(renderer: TextRenderer, text: str) -> None:
    lines = renderer.wrap(text, "body", SIZE, 150)
    assert len(lines) > 1 and "".join(lines) == text
    for line in lines:
        assert renderer.width(line, "body", SIZE) <= 150
        assert unicodedata.category(line[0]) not in ("Mn", "Mc", "Me")  # no mark without its base
        assert not line.endswith(("\u17d2", "\u094d"))  # no coeng or virama cut from its consonant


def test_wrapped_lines_fit_and_keep_every_word(renderer: TextRenderer) -> None:
    text = "Free Tarek! حرية لطارق 2024. Держись, Ayşe! ស្មារតីរឹងមាំ Roya हम तुम्हारे साथ हैं"
    lines = renderer.wrap(text, "body", SIZE, 260)
    assert " ".join(lines) == text
    base = paragraph_level(text)
    assert all(renderer.layout(line, "body", SIZE, base).width <= 260 for line in lines)
    capped = renderer.wrap(ARABIC_PARAGRAPH * 3, "body", SIZE, 260, max_lines=2)
    assert len(capped) == 2 and capped[-1].endswith("\u2026")


# --- the pure half: clusters and levels -------------------------------------------------------


def test_clusters_keep_marks_conjuncts_and_emoji_sequences_whole() -> None:
    assert clusters("ស្មា") == ["ស្មា"]
    assert clusters("क्षत्रि") == ["क्ष", "त्रि"]
    assert clusters("o\u031b\u0309n") == ["o\u031b\u0309", "n"]
    assert clusters("👍🏽👨\u200d👩\u200d👧🇺🇦🇹🇷") == ["👍🏽", "👨\u200d👩\u200d👧", "🇺🇦", "🇹🇷"]


@pytest.mark.parametrize(
    "text",
    ["Free Tarek! حرية لطارق", "حرية لطارق 2024 الآن", "אנחנו איתך, דנה", "10$ حرية", "٣ حرية ١٢٣ abc"],
)
def test_the_fallback_bidi_agrees_with_the_library(text: str) -> None:
    base = paragraph_level(text)
    assert fallback_levels(text, base) == embedding_levels(text, base)


def test_layout_works_without_the_bidi_library(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bidi_runs, "_lib_display", None)
    monkeypatch.setattr(bidi_runs, "_lib_base_level", None)
    renderer = TextRenderer(FontBook())
    assert renderer.direction("حرية لطارق") == "rtl"
    layout = renderer.layout("حرية 2024 لطارق", "body", SIZE)
    assert [run.text.strip() for run in layout.runs] == ["لطارق", "2024", "حرية"]
