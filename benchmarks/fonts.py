"""What an uploaded headline font costs: the server's check, and the display's first use.

Per font (the packaged OFL fonts, uploaded as a campaign would): its size and glyph count,
the time ``media.fonts.check_font`` takes on upload (off the server's loop), and on a display
the time ``FontBook.add_upload`` takes at the scene entry that first finds the file in the
media cache (it reads the character map and opens the font once, on the render thread), then
the first headline drawn in it at 1080p (240 px). Each is the best of ``--repeat`` runs, with
the display's caches cleared between runs.

    .venv/bin/python benchmarks/fonts.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

os.environ["SDL_VIDEODRIVER"] = "dummy"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pygame

from media.fonts import check_font
from projector.display.text.fonts import FontBook
from projector.display.text.renderer import TextRenderer

FONTS = (
    ("fontpkg_anton", "Anton-Regular.ttf"),
    ("fontpkg_noto_sans_thai", "NotoSansThai[wdth,wght].ttf"),
    ("fontpkg_noto_sans", "NotoSans[wdth,wght].ttf"),
    ("fontpkg_noto_sans", "NotoSans-Italic[wdth,wght].ttf"),
)
HEADLINE = "RELEASE AYŞE NOW 1,234,567"


def _path(package: str, name: str) -> Path:
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / "files" / name


def _checked(data: bytes, name: str) -> float:
    start = time.perf_counter()
    check_font(data, name)
    return time.perf_counter() - start


def _copy(folder: Path, data: bytes) -> Path:
    """A fresh file each run: the display's per-file caches start cold."""
    copy = folder / f"font-{time.perf_counter_ns()}"
    copy.write_bytes(data)
    return copy


def _added(folder: Path, data: bytes) -> float:
    copy = _copy(folder, data)
    book = FontBook()
    start = time.perf_counter()
    book.add_upload("upload:x", copy)
    return time.perf_counter() - start


def _drawn(folder: Path, data: bytes) -> float:
    book = FontBook()
    book.add_upload("upload:x", _copy(folder, data))
    text = TextRenderer(book)
    start = time.perf_counter()
    text.render(HEADLINE, "upload:x", 240, (255, 255, 255))
    return time.perf_counter() - start


def _best(repeat: int, run: Callable[[], float]) -> float:
    return min(run() for _ in range(repeat)) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pygame.display.init()
    pygame.font.init()
    print(
        "| font | KB | glyphs | check on upload (ms) | add_upload on the display (ms) | first headline 240 px (ms) |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for package, name in FONTS:
            data = _path(package, name).read_bytes()
            info = check_font(data, name)
            times = [
                _best(args.repeat, partial(_checked, data, name)),
                _best(args.repeat, partial(_added, folder, data)),
                _best(args.repeat, partial(_drawn, folder, data)),
            ]
            cells = " | ".join(f"{t:.1f}" for t in times)
            print(f"| {info.family} {info.style} | {len(data) // 1024:,} | {info.glyphs:,} | {cells} |")


if __name__ == "__main__":
    main()
