"""Line breaks fall between words in every script, those written without spaces included.

Thai, Khmer, Lao and Myanmar put no spaces between words; cutting their
lines between any two letters cuts words in half, which a reader sees at
once. Each sentence here is wrapped at every width from its widest word to
beyond its whole length, and every break must fall on a word boundary.
"""

from __future__ import annotations

import itertools
import unicodedata

import pytest
from icu4py.breakers import WordBreaker

from projector.display.text import line_breaks
from projector.display.text.fonts import FontBook
from projector.display.text.line_breaks import break_opportunities, segments, space_breaks
from projector.display.text.renderer import NO_LINE_END, TextRenderer, clean_text

SIZE = 32

#: (BCP-47 tag, sentence): what a wall shows, in scripts without spaces between words.
SENTENCES = [
    ("th", "ผู้ต้องขังทางความคิดถูกคุมขังเพราะความเชื่อของพวกเขา"),
    ("th", "ทุกคนมีสิทธิในเสรีภาพแห่งความคิดเห็นและการแสดงออก"),
    ("th", "ปล่อยตัวนักโทษการเมืองทั้งหมดทันที เราอยู่กับคุณเสมอ"),
    ("km", "ពួកគេត្រូវបានឃុំខ្លួនដោយសារតែជំនឿរបស់ពួកគេ យើងទាំងអស់នៅទីនេះ"),
    ("km", "មនុស្សគ្រប់រូបមានសិទ្ធិមានសេរីភាពក្នុងការគិតនិងការបញ្ចេញមតិ"),
    ("km", "សូមដោះលែងអ្នកទោសនយោបាយទាំងអស់"),
]
#: The same in scripts whose fonts come from the system (Debian: fonts-noto-core).
SYSTEM_FONT_SENTENCES = [
    ("my", "နိုင်ငံရေးအကျဉ်းသားများကိုလွှတ်ပေးပါ ကျွန်ုပ်တို့သည်သင်နှင့်အတူရှိသည်"),
    ("my", "လူတိုင်းတွင်လွတ်လပ်စွာထင်မြင်ယူဆခွင့်ရှိသည်"),
    ("lo", "ພວກເຮົາຢູ່ກັບເຈົ້າສະເໝີ ທຸກຄົນມີສິດເສລີພາບໃນການສະແດງຄວາມຄິດເຫັນ"),
    ("lo", "ປ່ອຍຕົວນັກໂທດການເມືອງ"),
]
#: Two sentences cut into words by hand (not by ICU): the breaks may fall only between these.
WORDS_BY_HAND = {
    "ผู้ต้องขังทางความคิดถูกคุมขังเพราะความเชื่อของพวกเขา": [
        "ผู้", "ต้อง", "ขัง", "ทาง", "ความ", "คิด", "ถูก", "คุม", "ขัง", "เพราะ", "ความ", "เชื่อ",
        "ของ", "พวก", "เขา",
    ],
    "ពួកគេត្រូវបានឃុំខ្លួនដោយសារតែជំនឿរបស់ពួកគេ យើងទាំងអស់នៅទីនេះ": [
        "ពួកគេ", "ត្រូវ", "បាន", "ឃុំខ្លួន", "ដោយសារតែ", "ជំនឿ", "របស់", "ពួកគេ", " ", "យើង",
        "ទាំងអស់", "នៅ", "ទីនេះ",
    ],
}  # fmt: skip


@pytest.fixture(scope="module")
def renderer() -> TextRenderer:
    return TextRenderer(FontBook())


def _break_offsets(lines: list[str], paragraph: str) -> list[int]:
    """Where in ``paragraph`` each line but the last ends; fails if a character was lost or moved.

    Lines are consecutive pieces of the paragraph; the one space a break
    falls on is dropped, nothing else.
    """
    at, offsets = 0, []
    for line in lines:
        assert paragraph.startswith(line, at), (line, paragraph[at:], lines)
        at += len(line)
        offsets.append(at)
        if at < len(paragraph) and paragraph[at] == " ":
            at += 1
    assert at == len(paragraph), ("text lost at the end", paragraph[at:], lines)
    return offsets[:-1]


def _word_boundaries(paragraph: str, lang: str) -> set[int]:
    bounds = {end for _, end in WordBreaker(paragraph, lang).segments()}
    # A break on a space leaves the word before it whole (the line ends before the space).
    return bounds | {i for i, ch in enumerate(paragraph) if ch == " "}


def _mid_word_breaks(lines: list[str], paragraph: str, words: set[int]) -> list[int]:
    return [at for at in _break_offsets(lines, paragraph) if at not in words]


def _widest_word(renderer: TextRenderer, paragraph: str, lang: str) -> int:
    return max(renderer.width(word, "body", SIZE) for word in WordBreaker(paragraph, lang) if word.strip())


def _require_font(renderer: TextRenderer, text: str) -> None:
    letters = frozenset(ord(ch) for ch in text if unicodedata.category(ch)[0] in "LM")
    if any(renderer.fonts.choose("body", frozenset((cp,))) is None for cp in letters):
        pytest.skip(f"no font for {text[:12]!r}: install Debian's fonts-noto-core")


def _assert_breaks_between_words(renderer: TextRenderer, lang: str, sentence: str) -> None:
    words = _word_boundaries(sentence, lang)
    full = renderer.width(sentence, "body", SIZE)
    widths = range(_widest_word(renderer, sentence, lang), full + 40, 7)
    seen_lines = set()
    for width in widths:
        for hint in (lang, None):  # the dictionaries are chosen by script, with or without a hint
            lines = renderer.wrap(sentence, "body", SIZE, width, lang=hint)
            assert not _mid_word_breaks(lines, sentence, words), (width, hint, lines)
            assert all(renderer.layout(line, "body", SIZE).width <= width for line in lines), (width, lines)
            seen_lines.add(len(lines))
    assert len(seen_lines) >= 3, "the widths tried should give several different wraps"


# --- every line break falls between words ------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "sentence"), SENTENCES, ids=[f"{lang}-{i}" for i, (lang, _) in enumerate(SENTENCES)]
)
def test_thai_and_khmer_lines_break_between_words(renderer: TextRenderer, lang: str, sentence: str) -> None:
    _assert_breaks_between_words(renderer, lang, sentence)


@pytest.mark.parametrize(
    ("lang", "sentence"),
    SYSTEM_FONT_SENTENCES,
    ids=[f"{lang}-{i}" for i, (lang, _) in enumerate(SYSTEM_FONT_SENTENCES)],
)
def test_myanmar_and_lao_lines_break_between_words(renderer: TextRenderer, lang: str, sentence: str) -> None:
    _require_font(renderer, sentence)
    _assert_breaks_between_words(renderer, lang, sentence)


@pytest.mark.parametrize("sentence", list(WORDS_BY_HAND), ids=["th", "km"])
def test_breaks_fall_between_words_a_person_marked(renderer: TextRenderer, sentence: str) -> None:
    words = WORDS_BY_HAND[sentence]
    assert "".join(words) == sentence
    bounds = set(itertools.accumulate(len(w) for w in words)) | {
        i for i, ch in enumerate(sentence) if ch == " "
    }
    widest = max(renderer.width(w, "body", SIZE) for w in words)
    for width in range(widest, renderer.width(sentence, "body", SIZE), 5):
        lines = renderer.wrap(sentence, "body", SIZE, width)
        assert not _mid_word_breaks(lines, sentence, bounds), (width, lines)


@pytest.mark.parametrize(
    ("lang", "sentence"), SENTENCES[:4], ids=[f"{lang}-{i}" for i, (lang, _) in enumerate(SENTENCES[:4])]
)
def test_the_check_catches_the_old_cutting_between_clusters(
    renderer: TextRenderer, lang: str, sentence: str
) -> None:
    """Wrapped at spaces only, and cut between clusters (as before ICU), these lines break words."""
    old = TextRenderer(renderer.fonts)
    old.breaks = space_breaks
    words = _word_boundaries(sentence, lang)
    widths = range(_widest_word(renderer, sentence, lang), renderer.width(sentence, "body", SIZE), 7)
    assert any(_mid_word_breaks(old.wrap(sentence, "body", SIZE, w), sentence, words) for w in widths)


def test_a_word_wider_than_the_line_is_still_cut_between_clusters(renderer: TextRenderer) -> None:
    lang, sentence = SENTENCES[0]
    narrow = _widest_word(renderer, sentence, lang) - 10
    lines = renderer.wrap(sentence, "body", SIZE, narrow)
    _break_offsets(lines, sentence)  # nothing lost
    for line in lines:
        assert renderer.width(line, "body", SIZE) <= narrow
        assert unicodedata.category(line[0]) not in ("Mn", "Mc", "Me")  # no mark without its base


def test_a_mixed_latin_and_thai_line_breaks_at_spaces_and_between_thai_words(renderer: TextRenderer) -> None:
    text = "Free Tarek! เราอยู่กับคุณเสมอ Amnesty ผู้ต้องขังทางความคิดถูกคุมขังเพราะความเชื่อของพวกเขา Ayşe"
    words = _word_boundaries(text, "th")
    mixed = False
    for width in range(_widest_word(renderer, text, "th"), renderer.width(text, "body", SIZE) + 20, 11):
        lines = renderer.wrap(text, "body", SIZE, width, lang="th")
        assert not _mid_word_breaks(lines, text, words), (width, lines)
        for latin in ("Free", "Tarek!", "Amnesty", "Ayşe"):
            assert any(latin in line for line in lines), (latin, lines)  # never cut
        mixed |= any(
            any(ch.isascii() and ch.isalpha() for ch in line)
            and any("\u0e00" <= ch <= "\u0e7f" for ch in line)
            for line in lines
        )
    assert mixed, "some width should set Latin and Thai on one line"


def test_a_280_character_message_never_loses_a_character(renderer: TextRenderer) -> None:
    parts = [s for _, s in SENTENCES] + ["Free Tarek! 2026", "Держись, Ayşe!"]
    message = "  ".join(parts) + "\n\tเราอยู่กับคุณ"
    message = message[:280]
    assert len(message) == 280
    paragraph = " ".join(clean_text(message).split())
    for width in (120, 200, 333, 480, 640, 900, 1500):
        lines = renderer.wrap(message, "body", SIZE, width)
        _break_offsets(lines, paragraph)
        assert all(line == line.strip() and line for line in lines)


def test_overflow_ends_in_an_ellipsis_that_fits(renderer: TextRenderer) -> None:
    lang, sentence = SENTENCES[3]
    capped = renderer.wrap(sentence * 3, "body", SIZE, 300, max_lines=2, lang=lang)
    assert len(capped) == 2 and capped[-1].endswith("\u2026")
    assert all(renderer.width(line, "body", SIZE) <= 300 for line in capped)


# --- CJK: kinsoku from ICU's rules ----------------------------------------------------------------

CJK = "我们与你同在，自由属于每一个人。「自由」を、あなたに。ちょっと待ってください。"


@pytest.mark.parametrize("lang", [None, "ja", "zh", "ja-JP"])
def test_cjk_lines_keep_kinsoku(renderer: TextRenderer, lang: str | None) -> None:
    _require_font(renderer, CJK)
    for width in range(100, 420, 6):
        lines = renderer.wrap(CJK, "body", SIZE, width, lang=lang)
        assert "".join(lines) == CJK
        for line in lines:
            assert line[0] not in "，。、」』）ゃゅょっャュョッー", (width, lang, lines)
            assert line[-1] not in NO_LINE_END, (width, lang, lines)
            assert renderer.width(line, "body", SIZE) <= width


# --- the break finder on its own ----------------------------------------------------------------


def test_break_opportunities_end_each_segment_with_its_spaces() -> None:
    text = "Free Tarek!  เราอยู่กับคุณ 2,024.5"
    ends = break_opportunities(text, "th")
    assert ends[-1] == len(text) and list(ends) == sorted(set(ends))
    assert segments(text, "th") == ["Free ", "Tarek!  ", "เรา", "อยู่", "กับ", "คุณ ", "2,024.5"]
    assert break_opportunities("") == () and segments("") == []


def test_offsets_are_python_indices_even_past_the_basic_plane() -> None:
    text = "a😀 b𠀀c d"  # ICU counts UTF-16 units; these two characters are two units each
    assert "".join(segments(text)) == text
    assert all(0 < end <= len(text) for end in break_opportunities(text))
    assert segments(text)[-1] == "d"


def test_a_language_hint_never_raises_and_japanese_is_strict() -> None:
    text = "ちょっと待って"
    for hint in ("", "xx-!!", "a" * 200, "zh-Hant-TW", "ja-u-lb-loose", "th_TH", None):
        assert "".join(segments(text, hint)) == text
    assert "ち" not in segments(text, "ja")  # "ょ" may not start a line, in Japanese too
    assert segments(text, "ja-u-lb-loose")[:2] == ["ち", "ょ"]  # (unless asked for)


def test_breaks_are_cached_in_a_bounded_cache() -> None:
    info = line_breaks._cached_breaks.cache_info()
    assert info.maxsize is not None and info.maxsize <= 1024
    text = "ปล่อยตัวนักโทษการเมืองทั้งหมดทันที"
    assert break_opportunities(text, "th") is break_opportunities(text, "th")


def test_the_fallback_breaks_only_after_spaces() -> None:
    assert space_breaks("Free  Tarek now") == (6, 12, 15)
    assert space_breaks("เราอยู่กับคุณ") == (len("เราอยู่กับคุณ"),)
    assert space_breaks("") == ()


def test_wrap_takes_a_language_hint_and_callers_without_it_keep_working(renderer: TextRenderer) -> None:
    text = "Write for rights: ผู้ต้องขังทางความคิด"
    assert renderer.wrap(text, "body", SIZE, 260) == renderer.wrap(text, "body", SIZE, 260, lang="th")
    assert renderer.wrap(text, "body", SIZE, 260, 1, lang="th")[0].endswith("\u2026")
