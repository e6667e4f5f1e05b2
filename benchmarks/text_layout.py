"""Laying out and rendering a 280-character message in each script, cold and cached.

    python benchmarks/text_layout.py

Body face at 32 px, 900 px wide. "Cold" is wrap + render_lines of a message
nothing of which is cached (fonts already open); "cached" is the same call
again, which is what a scene does on later frames (it should not even do that:
scenes keep the surface). Median of 9 cold runs, mean of 2,000 cached calls.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pygame

from benchmarks._server import table
from projector.display.text.fonts import FontBook, system_fonts
from projector.display.text.renderer import TextRenderer

PHRASES = {
    "Latin (tr, is, vi)": "Ayşe, İstanbul: Þú ert ekki ein. Chúng tôi ở bên bạn. ",
    "Cyrillic": "Держись, мы с тобой! Свобода слова для всех. ",
    "Greek": "Είμαστε μαζί σου, ελευθερία τώρα! ",
    "Arabic": "حرية لطارق الآن، نحن معك 2024 ",
    "Arabic + Latin + digits": "Free Tarek! حرية لطارق 2024 Держись ",
    "Hebrew": "אנחנו איתך, דנה. חופש עכשיו ",
    "Devanagari": "हम तुम्हारे साथ हैं, आज़ादी अभी ",
    "Thai": "เราอยู่กับคุณเสมอ อิสรภาพ ",
    "Khmer": "ស្មារតីរឹងមាំ យើងនៅជាមួយអ្នក ",
    "Myanmar": "မင်းနဲ့အတူရှိတယ် လွတ်လပ်ခွင့် ",
    "Ethiopic": "ከጎንሽ ነን ነፃነት አሁን ",
    "Chinese": "我们与你同在，自由属于每一个人。",
    "Japanese": "あなたは一人じゃない、自由を。",
    "Korean": "우리는 당신과 함께합니다 자유를 ",
    "Latin + emoji": "Stay strong ✊🏽 we are with you ❤️ ",
}
WHITE = (255, 255, 255)


def main() -> None:
    pygame.display.init()
    pygame.font.init()
    pygame.display.set_mode((1, 1))
    started = time.perf_counter()
    fonts = system_fonts()
    scan_ms = (time.perf_counter() - started) * 1000
    rows = []
    for name, phrase in PHRASES.items():
        message = (phrase * 20)[:280]
        book = FontBook()
        warm = TextRenderer(book)
        warm.render_lines(warm.wrap("warm " + phrase, "body", 32, 900), "body", 32, WHITE)  # open the fonts
        colds = []
        for i in range(9):
            rotated = message[i:] + message[:i]
            renderer = TextRenderer(book)
            t = time.perf_counter()
            lines = renderer.wrap(rotated, "body", 32, 900)
            renderer.render_lines(lines, "body", 32, WHITE)
            colds.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        for _ in range(2000):
            renderer.render_lines(lines, "body", 32, WHITE)
        cached_us = (time.perf_counter() - t) / 2000 * 1e6
        missing = len(renderer.missing)
        rows.append([name, f"{statistics.median(colds):.2f} ms", f"{cached_us:.1f} µs", len(lines), missing])
    print(table(["script", "cold wrap + render", "cached", "lines", "characters no font has"], rows))
    print(
        f"\nsystem font scan, once per process and only when needed: {scan_ms:.0f} ms for {len(fonts)} fonts"
    )


if __name__ == "__main__":
    main()
