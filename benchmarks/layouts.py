"""Frame time of each shipped layout (the ``layout`` scene) at 1080p and 4K, on SDL's dummy driver.

Measures what one display frame costs on the main thread (scene update + draw)
while the totals climb every frame as on a busy campaign night, so the live
numbers and the countdown re-render as they would. Prints p50/p99 per layout
and resolution against the budget (16.7 ms at 1080p, 33 ms at 4K). With
``--png DIR`` it also saves one frame of each layout at each size (to look at).

    .venv/bin/python benchmarks/layouts.py [--frames 300] [--sizes 1920x1080,3840x2160] [--png DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ["SDL_VIDEODRIVER"] = "dummy"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pygame

from benchmarks.scenes import BUDGET_MS, Load, sample_state
from media.dossier import DEMO_DIR
from projector.core.model import Totals
from projector.core.shipped_layouts import SHIPPED
from projector.core.state import ShowState
from projector.display.assets import Assets
from projector.display.stats import percentile
from scenes.layout import LayoutScene

#: Where a campaign night's actions come from (by_country), for the leaderboard.
COUNTRIES = {"DE": 412_334, "FR": 388_120, "TR": 301_853, "BR": 288_401, "MX": 190_002, "NG": 97_331}


def night() -> ShowState:
    state = sample_state()
    t = state.totals
    by_case = {case_id: 12_000 + 3_000 * i for i, case_id in enumerate(state.cases)}
    return ShowState(
        rev=state.rev,
        campaign=state.campaign,
        totals=Totals.of(t.total, t.by_channel, by_case, COUNTRIES),
        cases=state.cases,
        wall=state.wall,
    )


def _assets(size: tuple[int, int]) -> Assets:
    try:
        return Assets(size, name="bench", media_dir=DEMO_DIR)
    except Exception:
        return Assets(size, name="bench", media_dir=None)


def _settle(scene: LayoutScene, load: Load, surface: pygame.Surface) -> None:
    """Frames until pictures (portraits) have arrived, at most 20 s: the measure is of a settled screen."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        scene.update(load.next(), 0.3)
        scene.draw(surface)
        if all(p.surface is not None for p in scene.regions if p.region.kind == "portrait"):
            return
        time.sleep(0.05)


def run(size: tuple[int, int], frames: int, png: Path | None) -> list[tuple[str, float, float]]:
    surface = pygame.Surface(size).convert()
    assets = _assets(size)
    rows = []
    for name in SHIPPED:
        load = Load(night())
        scene = LayoutScene()
        scene.enter(load.state, assets, {"layout": name})
        _settle(scene, load, surface)
        if png is not None:
            png.mkdir(parents=True, exist_ok=True)
            pygame.image.save(surface, str(png / f"{name}-{size[0]}x{size[1]}.png"))
        times = []
        for _ in range(frames):
            state = load.next()
            started = time.perf_counter()
            scene.update(state, 1 / 60)
            scene.draw(surface)
            times.append((time.perf_counter() - started) * 1000)
        rows.append((name, percentile(times, 50), percentile(times, 99)))
    assets.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--sizes", default="1920x1080,3840x2160")
    parser.add_argument("--png", type=Path, default=None, help="save one frame of each layout here")
    args = parser.parse_args()
    pygame.display.init()
    pygame.font.init()
    pygame.display.set_mode((1, 1))
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    results = {size: run(size, args.frames, args.png) for size in sizes}  # type: ignore[arg-type]
    header = f"{'layout':<17}" + "".join(
        f" | {w}x{h} p50 ms | p99 ms (budget {BUDGET_MS.get(h, 16.7):g})" for w, h in sizes
    )
    print(header)
    print("-" * len(header))
    for i, name in enumerate(SHIPPED):
        line = f"{name:<17}"
        for size in sizes:
            _, p50, p99 = results[size][i]
            ok = "ok" if p99 <= BUDGET_MS.get(size[1], 16.7) else "OVER"
            line += f" | {p50:>17.2f} | {p99:>7.2f} {ok:<17}"
        print(line)
    print(f"\n{args.frames} frames per row, the totals climbing every frame; dummy SDL driver, one core")


if __name__ == "__main__":
    main()
