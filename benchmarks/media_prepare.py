"""How long a portrait takes to prepare, cold and from the cache: ``python benchmarks/media_prepare.py``.

A display asks for portraits ahead of time on worker threads, so this is not a
frame budget; it says how far ahead a scene must ask, and how much a restart
with a warm cache saves. Three columns per case:

- cold: no cache at all (decode, crop, treat);
- miss: cold plus writing the cache file, when called directly (PortraitLoader
  hands the picture over first and writes the file afterwards, so a display
  waits for "cold");
- warm: a cache hit (hash the source, read the cached PNG).

Every demo portrait is one sample (times ``--repeat``); the table gives the
median and the worst, in milliseconds, on one thread.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import PIL

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from media.dossier import DEMO_DIR, load_dossiers
from media.pipeline import Treatment, prepare_portrait

SIZES = ((1920, 1080), (3840, 2160))
STYLES = ("duotone", "cutout", "natural")


def timed(fn: Callable[[], object]) -> float:
    began = time.perf_counter()
    fn()
    return (time.perf_counter() - began) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="samples per portrait (default 1)")
    args = parser.parse_args(argv)

    dossiers = [d for d in load_dossiers(DEMO_DIR) if d.portrait_path is not None]
    print(
        f"{len(dossiers)} demo portraits x {args.repeat}; Pillow {PIL.__version__}, "
        f"Python {platform.python_version()}, {platform.machine()} {platform.processor() or ''}".rstrip()
    )
    header = f"{'size':>9}  {'treatment':<9} {'cold p50':>9} {'cold max':>9} {'miss p50':>9} {'warm p50':>9} {'warm max':>9}"
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory(prefix="projector-bench-") as tmp:
        for size in SIZES:
            for style in STYLES:
                treatment = Treatment(style=style)  # type: ignore[arg-type]
                cold: list[float] = []
                miss: list[float] = []
                warm: list[float] = []
                for n in range(args.repeat):
                    cache = Path(tmp) / f"{size[0]}-{style}-{n}"
                    for d in dossiers:
                        assert d.portrait_path is not None
                        job = partial(prepare_portrait, d.portrait_path, size, treatment, d.focus)
                        cold.append(timed(job))
                        miss.append(timed(partial(job, cache_dir=cache)))
                        warm.append(timed(partial(job, cache_dir=cache)))
                label = f"{size[0]}x{size[1]}"
                print(
                    f"{label:>9}  {style:<9} {statistics.median(cold):9.0f} {max(cold):9.0f} "
                    f"{statistics.median(miss):9.0f} {statistics.median(warm):9.0f} {max(warm):9.0f}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
