"""What a locale costs: the first frame after an operator switches a display's locale.

Issue 13's figure: a display pinned to each scene runs at 1080p; an operator
sets its locale (the ``you`` frame sets ``assets.locale_setting`` and the app
re-enters the scenes at once, ``Director.relayout``). The table gives, per
scene and target locale, the normal frame time (p50), the switch frame (the
relayout and the first frame drawn in the new words), cold (that locale's
words, fonts and layouts never drawn on this display before) and warm (the
same switch again), and how many frames pass before the new words show (the
aim: the next frame, within one frame of the next scene entry).

The cost of laying out text per script with the word breaker is
``benchmarks/text_layout_locales.py``.

    .venv/bin/python benchmarks/locales.py [--frames 60]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path

os.environ["SDL_VIDEODRIVER"] = "dummy"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pygame

import scenes  # noqa: F401  (registers the built-in scenes: the display never imports them)
from benchmarks.scenes import _warm_portraits, sample_state
from media.dossier import DEMO_DIR
from projector.display.assets import Assets
from projector.display.director import Director
from projector.display.text.fonts import FontBook

SCENES = ("totals", "portrait", "messages", "qr", "ticker")
SWITCHES = (("en", "tr-TR"), ("tr-TR", "ar"), ("ar", "km"), ("km", "fr"))


def frame(director: Director, state: object, surface: pygame.Surface) -> float:
    began = time.perf_counter()
    director.update(state, 1 / 60)  # type: ignore[arg-type]
    director.draw(surface)
    return (time.perf_counter() - began) * 1000


def run(scene: str, frames: int, fonts: FontBook) -> list[tuple[str, str, float, float, float, int]]:
    size = (1920, 1080)
    state = sample_state()
    assets = Assets(size, media_dir=DEMO_DIR, fonts=fonts)
    _warm_portraits(assets, state)
    params = {"url": "https://example.org/submit"} if scene == "qr" else {}
    director = Director(assets, pinned=scene, pinned_params=params, fade=0.0)
    surface = pygame.display.get_surface() or pygame.Surface(size)
    rows = []
    assets.locale_setting = SWITCHES[0][0]
    director.relayout()
    for _ in range(frames):
        frame(director, state, surface)
    for before, after in SWITCHES:
        assets.locale_setting = before
        director.relayout()
        normal = statistics.median(frame(director, state, surface) for _ in range(frames))
        switch_times = []
        shown_after = -1
        for _ in range(2):  # cold (first time this display draws that locale), then warm
            assets.locale_setting = before
            director.relayout()
            for _ in range(5):
                frame(director, state, surface)
            began = time.perf_counter()
            assets.locale_setting = after
            director.relayout()  # what the app does when the you frame brings a new locale
            took = frame(director, state, surface) + (time.perf_counter() - began) * 1000
            switch_times.append(took)
            live = director.scene
            shown_after = 1 if getattr(live, "t", assets.locale).tag == assets.locale.tag else -1
        rows.append((before, after, normal, switch_times[0], switch_times[1], shown_after))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=60)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    pygame.init()
    pygame.display.set_mode((1920, 1080))
    fonts = FontBook()
    print("scene    | switch     | frame p50 | switch frame, cold | switch frame, warm | new words on frame")
    print("---------|------------|-----------|--------------------|--------------------|-------------------")
    for scene in SCENES:
        for before, after, normal, cold, warm, shown in run(scene, args.frames, fonts):
            print(
                f"{scene:8} | {before:>5} → {after:<4}| {normal:7.2f} ms | {cold:15.1f} ms | {warm:15.1f} ms"
                f" | {'next' if shown == 1 else 'NOT SHOWN'}"
            )


if __name__ == "__main__":
    main()
