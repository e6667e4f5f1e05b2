"""Wrapping a 280-character message at word boundaries (ICU) against the old cluster cutting.

    python benchmarks/text_layout_locales.py

Body face at 32 px, 900 px wide, per script. "Cold" is wrap + render_lines
of a message nothing of which is cached (fonts already open; ICU's answer
for the message not cached either). "Cached" is the same call again on the
same renderer, which is what the messages scene does on every frame.
"Re-wrap" is wrap alone at a width not asked before, the message's layouts
cached: what fitting's search over widths costs per step. "Old" is the same
filler given break opportunities after spaces only, so that what has no
spaces is cut between grapheme clusters: the wrapping before ICU
(``line_breaks.space_breaks``). "Mid-word" counts line breaks that fall
inside a word by ICU's word breaker, with the message wrapped at 300, 450,
600, 750 and 900 px. "ICU" is the line breaker's own cost for the message,
uncached. Medians of 9 cold runs and of 200 ICU calls; means of 2,000 cached
calls and of 200 re-wraps.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pygame
from icu4py.breakers import WordBreaker

from benchmarks._server import table
from projector.display.text import line_breaks
from projector.display.text.fonts import FontBook
from projector.display.text.line_breaks import break_opportunities, space_breaks
from projector.display.text.renderer import TextRenderer

#: name -> (BCP-47 tag, sentences repeated to 280 characters). Long enough not to repeat within
#: a message's lines, which would let the layout cache flatter either wrapping.
PHRASES: dict[str, tuple[str, str]] = {
    "Latin": (
        "en",
        "Free Tarek now! We stand with every prisoner of conscience. Everyone has the right to "
        "freedom of opinion and expression. Write a letter today; words can open cell doors. ",
    ),
    "Turkish": (
        "tr",
        "Ayşe, yalnız değilsin! İfade özgürlüğü herkesin hakkıdır. Vicdan mahkûmları derhal "
        "serbest bırakılmalı. Bugün bir mektup yaz, sesini duyur. ",
    ),
    "Arabic": (
        "ar",
        "حرية لطارق الآن، نحن معك منذ 2019 ولن ننساك أبدا. لكل شخص الحق في حرية الرأي والتعبير. "
        "أطلقوا سراح سجناء الرأي فورا. ",
    ),
    "Thai": (
        "th",
        "ผู้ต้องขังทางความคิดถูกคุมขังเพราะความเชื่อของพวกเขา เราอยู่กับคุณเสมอ "
        "ทุกคนมีสิทธิในเสรีภาพแห่งความคิดเห็นและการแสดงออก ปล่อยตัวนักโทษการเมืองทั้งหมดทันที ",
    ),
    "Khmer": (
        "km",
        "ពួកគេត្រូវបានឃុំខ្លួនដោយសារតែជំនឿរបស់ពួកគេ យើងទាំងអស់នៅទីនេះ "
        "មនុស្សគ្រប់រូបមានសិទ្ធិមានសេរីភាពក្នុងការគិតនិងការបញ្ចេញមតិ សូមដោះលែងអ្នកទោសនយោបាយទាំងអស់ ",
    ),
    "Myanmar": (
        "my",
        "နိုင်ငံရေးအကျဉ်းသားများကိုလွှတ်ပေးပါ ကျွန်ုပ်တို့သည်သင်နှင့်အတူရှိသည် လူတိုင်းတွင်လွတ်လပ်စွာထင်မြင်ယူဆခွင့်ရှိသည် တရားမျှတမှုကိုတောင်းဆိုသည် ",
    ),
    "CJK (Chinese)": (
        "zh",
        "我们与你同在，自由属于每一个人。良心犯因其信仰而被关押。人人有权享有主张和发表意见的自由。立即释放所有政治犯！",
    ),
    "Devanagari": (
        "hi",
        "हम तुम्हारे साथ हैं, आज़ादी अभी। अंतरात्मा के बंदियों को रिहा करो। "
        "हर व्यक्ति को विचार और अभिव्यक्ति की स्वतंत्रता का अधिकार है। ",
    ),
}
#: Chinese breaks between any two characters; a word the line ends inside is no fault there.
NO_WORD_SPACING = {"CJK (Chinese)"}
WHITE = (255, 255, 255)
Breaker = Callable[[str, str | None], Sequence[int]]
WIDTHS = (300, 450, 600, 750, 900)


def mid_word_breaks(lines: list[str], text: str, lang: str) -> int:
    """Line breaks in ``text`` (wrapped into ``lines``) that do not fall on a word boundary."""
    paragraph = " ".join(text.split())
    bounds = {end for _, end in WordBreaker(paragraph, lang).segments()}
    at, count = 0, 0
    for line in lines[:-1]:
        at = paragraph.index(line, at) + len(line)
        count += at not in bounds
    return count


def measure(book: FontBook, message: str, lang: str, breaks: Breaker) -> tuple[float, float, float, int, int]:
    """Cold ms and cached µs of wrap + render_lines, re-wrap µs, lines, and breaks inside words."""
    inside = 0
    for width in WIDTHS:
        renderer = TextRenderer(book)
        renderer.breaks = breaks
        inside += mid_word_breaks(renderer.wrap(message, "body", 32, width, lang=lang), message, lang)
    colds = []
    lines: list[str] = []
    for i in range(9):
        rotated = message[i:] + message[:i]
        renderer = TextRenderer(book)
        renderer.breaks = breaks
        line_breaks._cached_breaks.cache_clear()
        t = time.perf_counter()
        lines = renderer.wrap(rotated, "body", 32, 900, lang=lang)
        renderer.render_lines(lines, "body", 32, WHITE)
        colds.append((time.perf_counter() - t) * 1000)
    t = time.perf_counter()
    for _ in range(2000):
        again = renderer.wrap(rotated, "body", 32, 900, lang=lang)
        renderer.render_lines(again, "body", 32, WHITE)
    cached_us = (time.perf_counter() - t) / 2000 * 1e6
    t = time.perf_counter()
    for width in range(700, 900):
        renderer.wrap(rotated, "body", 32, width, lang=lang)
    rewrap_us = (time.perf_counter() - t) / 200 * 1e6
    return statistics.median(colds), cached_us, rewrap_us, len(lines), inside


def icu_cost_us(message: str, lang: str) -> float:
    times = []
    for _ in range(200):
        line_breaks._cached_breaks.cache_clear()
        t = time.perf_counter()
        break_opportunities(message, lang)
        times.append((time.perf_counter() - t) * 1e6)
    return statistics.median(times)


def main() -> None:
    pygame.display.init()
    pygame.font.init()
    pygame.display.set_mode((1, 1))
    rows: list[list[object]] = []
    for name, (lang, phrase) in PHRASES.items():
        message = (phrase * 20)[:280]
        book = FontBook()
        warm = TextRenderer(book)
        warm.render_lines(warm.wrap(message, "body", 32, 900), "body", 32, WHITE)  # open the fonts
        new_cold, new_cached, new_rewrap, new_lines, new_mid = measure(
            book, message, lang, break_opportunities
        )
        old_cold, old_cached, old_rewrap, old_lines, old_mid = measure(book, message, lang, space_breaks)
        rows.append(
            [
                name,
                f"{new_cold:.2f} ms",
                f"{old_cold:.2f} ms",
                f"{new_cached:.1f} µs",
                f"{old_cached:.1f} µs",
                f"{new_rewrap:.0f} µs",
                f"{old_rewrap:.0f} µs",
                f"{icu_cost_us(message, lang):.0f} µs",
                f"{new_lines} / {old_lines}",
                "–" if name in NO_WORD_SPACING else f"{new_mid} / {old_mid}",
            ]
        )
    print(
        table(
            [
                "script",
                "cold, words",
                "cold, old",
                "cached, words",
                "cached, old",
                "re-wrap, words",
                "re-wrap, old",
                "ICU",
                "lines new / old",
                "mid-word new / old",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()
