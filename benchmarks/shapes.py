"""Frame time of every scene at every shape, and what laying out and fitting text costs.

Issue 12's figures: each scene (and the facade variants) pinned on a director
at 16:9, a tower, a banner, square and odd sizes, 1080p-class and 4K-class,
while the state changes every frame (``benchmarks/scenes.py``'s busy night).
Prints the frame time p50/p99 against the budget (16.7 ms for up to ~2.5
megapixels, 33 ms above), then the cost of entering each scene (layout and
fitting its words) with cold caches and again with warm ones, then the text
fitter alone, cold and cached.

    .venv/bin/python benchmarks/shapes.py [--frames 120] [--sizes 1920x1080,1080x1920,...]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

os.environ["SDL_VIDEODRIVER"] = "dummy"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pygame

import scenes  # noqa: F401  (registers the built-in scenes: the display never imports them)
from benchmarks.scenes import Load, _warm_portraits, measure, sample_state
from media.dossier import DEMO_DIR
from projector.display.assets import Assets
from projector.display.director import Director
from projector.display.scene import get_scene
from projector.display.stats import percentile
from projector.display.text.fitting import TextFitter
from projector.display.text.fonts import FontBook
from projector.display.text.renderer import TextRenderer

SIZES = (
    (1920, 1080), (3840, 2160),  # 16:9
    (1080, 1920), (2160, 3840),  # towers
    (3840, 1080), (5760, 1080),  # banners (5760: three projectors)
    (1080, 1080), (2160, 2160),  # square
    (1366, 768), (1200, 1600),  # odd
)  # fmt: skip
SCENES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("totals", {}),
    ("totals", {"variant": "facade"}),
    ("portrait", {}),
    ("portrait", {"variant": "facade"}),
    ("messages", {}),
    ("qr", {"url": "https://example.org/submit"}),
    ("ticker", {}),
)
FIT_TEXTS = (
    ("Alesia Karpovich", "display", 900, 400),
    ("WRITE TO THE PROSECUTOR GENERAL OF BELARUS: FREE ALESIA AND EVERY STUDENT JAILED FOR PEACEFUL PROTEST.", "display", 900, 300),
    ("Student sentenced to four years in a penal colony for joining peaceful protests.", "body", 900, 200),
    ("ACTIONS FOR HUMAN RIGHTS", "display", 1000, 200),
    ("الحرية لطارق! نحن معك حتى تعود إلى عائلتك.", "strong", 900, 300),
    ("เขียนจดหมายถึงรัฐมนตรีว่าการกระทรวงยุติธรรมเพื่อเรียกร้องให้ปล่อยตัวเธอทันที", "display", 900, 300),
)  # fmt: skip


def budget(size: tuple[int, int]) -> float:
    return 16.7 if size[0] * size[1] <= 2_600_000 else 33.0


def label(name: str, params: dict[str, Any]) -> str:
    return f"{name} ({params['variant']})" if "variant" in params else name


def frame_times(size: tuple[int, int], frames: int) -> dict[str, tuple[float, float]]:
    surface = pygame.Surface(size).convert()
    assets = Assets(size, name="bench", media_dir=DEMO_DIR)
    state = sample_state()
    _warm_portraits(assets, state)
    rows = {}
    for name, params in SCENES:
        if name == "portrait":
            params = {**params, "case": next(iter(state.cases))}
        load = Load(state)
        director = Director(assets, pinned=name, pinned_params=params, rotation=3600)
        measure(director, surface, load, 30)  # entered, first renders cached
        times = measure(director, surface, load, frames)
        rows[label(name, params)] = (percentile(times, 50), percentile(times, 99))
    assets.close()
    return rows


def enter_times(size: tuple[int, int], repeats: int = 3) -> dict[str, tuple[float, float]]:
    """Entering a scene (layout, fitting, first renders): cold caches, then warm ones."""
    state = sample_state()
    rows = {}
    for name, params in SCENES:
        if name == "portrait":
            params = {**params, "case": next(iter(state.cases))}
        cold: list[float] = []
        warm: list[float] = []
        for _ in range(repeats):
            assets = Assets(size, name="bench", media_dir=None)  # fresh text, layout and fit caches
            for times in (cold, warm):
                scene = get_scene(name)()
                started = time.perf_counter()
                scene.enter(state, assets, params)
                times.append((time.perf_counter() - started) * 1000)
            assets.close()
        rows[label(name, params)] = (statistics.median(cold), statistics.median(warm))
    return rows


def fit_times(repeats: int = 5) -> list[tuple[str, float, float]]:
    fonts = FontBook()
    rows = []
    for words, face, width, height in FIT_TEXTS:
        cold, cached = [], []
        for _ in range(repeats):
            fitter = TextFitter(TextRenderer(fonts))  # new layout and fit caches (fonts stay open)
            started = time.perf_counter()
            fitter.fit(words, face, width, height, 160, 12)
            cold.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            fitter.fit(words, face, width, height, 160, 12)
            cached.append((time.perf_counter() - started) * 1000)
        rows.append((words[:40], statistics.median(cold), statistics.median(cached)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--sizes", default=",".join(f"{w}x{h}" for w, h in SIZES))
    args = parser.parse_args()
    # Entering uses no pictures: the "no portrait" notes would bury the tables.
    logging.getLogger("projector.display.assets").setLevel(logging.ERROR)
    pygame.display.init()
    pygame.font.init()
    pygame.display.set_mode((1, 1))
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    print(f"Frame time, ms (p50 / p99; {args.frames} frames, a busy night's state changes every frame)\n")
    print(f"{'size':<11} | {'budget':>6} | " + " | ".join(f"{label(n, p):<18}" for n, p in SCENES))
    over = []
    for size in sizes:
        rows = frame_times(size, args.frames)  # type: ignore[arg-type]
        cells = []
        for name, (p50, p99) in rows.items():
            mark = "" if p99 <= budget(size) else " OVER"  # type: ignore[arg-type]
            if mark:
                over.append((size, name, p99))
            cells.append(f"{p50:5.1f} / {p99:5.1f}{mark:<5}".ljust(18))
        print(f"{size[0]}x{size[1]:<6} | {budget(size):>6.1f} | " + " | ".join(cells))  # type: ignore[arg-type]
    print(f"\nOver budget at p99: {over or 'none'}\n")
    print("Entering a scene (layout, fitting, first renders), ms: cold caches / warm caches (median of 3)\n")
    print(f"{'size':<11} | " + " | ".join(f"{label(n, p):<18}" for n, p in SCENES))
    for size in sizes:
        rows = enter_times(size)  # type: ignore[arg-type]
        print(
            f"{size[0]}x{size[1]:<6} | "
            + " | ".join(f"{c:6.1f} / {w:5.2f}".ljust(18) for c, w in rows.values())
        )
    print("\nThe text fitter alone (largest size 12..160 px that fits the box whole, balanced), ms\n")
    print(f"{'text':<42} | {'cold':>7} | {'cached':>8}")
    for words, cold, cached in fit_times():
        print(f"{words:<42} | {cold:7.2f} | {cached:8.4f}")
    print(f"\nSDL dummy driver, one thread; pygame-ce {pygame.version.ver}")


if __name__ == "__main__":
    main()
