"""Frame time of every scene and transition at 1080p and 4K, on SDL's dummy driver.

Measures what one display frame costs on the main thread (director.update +
director.draw, transitions included) while the state changes every frame as
on a busy campaign night: the total climbs, messages arrive. Prints p50/p99
per scene and resolution against the budget (16.7 ms at 1080p, 33 ms at 4K).

    .venv/bin/python benchmarks/scenes.py [--frames 300] [--sizes 1920x1080,3840x2160]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

os.environ["SDL_VIDEODRIVER"] = "dummy"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pygame

import scenes  # noqa: F401  (registers the built-in scenes: the display never imports them)
from media.dossier import DEMO_DIR, load_dossiers
from projector.core.model import Campaign, Case, Totals
from projector.core.state import Message, ShowState
from projector.display.assets import Assets
from projector.display.director import Director
from projector.display.stats import percentile
from scenes.portrait import PortraitScene

BUDGET_MS = {1080: 16.7, 2160: 33.0}
SCENES = ("totals", "portrait", "messages", "ident", "fallback", "blackout")
MESSAGES = (
    "Stay strong. The whole world is watching and we will not stop writing.",
    "Solidarité totale depuis Lyon ! Libérez-les tous.",
    "Держись! Мы с тобой.",
    "We wrote 400 letters in our school today. You are not alone.",
    "Free them now! Justice cannot wait.",
)


def _demo_cases() -> dict[str, Case]:
    try:
        return {d.case.id: d.case for d in load_dossiers(DEMO_DIR)}
    except Exception:
        case = Case("demo-case", "Ayşe Karaman", "TR", "Journalist jailed for her reporting.", "Write now.")
        return {case.id: case}


def sample_state() -> ShowState:
    wall = tuple(Message(f"m{i}", text, f"Supporter {i}", "DE") for i, text in enumerate(MESSAGES))
    by_channel = {"letter": 912_334, "email": 1_402_556, "sms": 388_120, "fax": 2_014, "tweet": 201_853}
    return ShowState(
        rev=1,
        campaign=Campaign("Write for Rights 2025", goal=5_000_000, record=3_900_000),
        totals=Totals.of(3_412_877, by_channel, {}, {}),
        cases=MappingProxyType(_demo_cases()),
        wall=wall,
    )


class Load:
    """A busy night: the total climbs every frame, a message arrives every second."""

    def __init__(self, state: ShowState) -> None:
        self.state = state
        self.rng = random.Random(1)
        self.frame = 0

    def next(self) -> ShowState:
        self.frame += 1
        s = self.state
        add = self.rng.randint(1, 40)
        by_channel = dict(s.totals.by_channel)
        by_channel["email"] = by_channel.get("email", 0) + add
        totals = Totals.of(s.totals.total + add, by_channel, s.totals.by_case, s.totals.by_country)
        wall = s.wall
        if self.frame % 60 == 0:
            text = MESSAGES[self.frame // 60 % len(MESSAGES)]
            wall = (*wall, Message(f"n{self.frame}", text, "Someone", "FR"))[-60:]
        self.state = replace(s, rev=s.rev + 1, totals=totals, wall=wall)
        return self.state


def _warm_portraits(assets: Assets, state: ShowState) -> None:
    deadline = time.monotonic() + 20
    size = PortraitScene.panel_size(assets.size)
    for case_id in state.cases:
        assets.portrait(case_id, size)
    while any(assets.portrait_pending(c, size) for c in state.cases) and time.monotonic() < deadline:
        for case_id in state.cases:
            assets.portrait(case_id, size)
        time.sleep(0.02)


def measure(
    director: Director,
    surface: pygame.Surface,
    load: Load,
    frames: int,
    between: Callable[[int], None] | None = None,
) -> list[float]:
    times = []
    for i in range(frames):
        state = load.next()
        started = time.perf_counter()
        if between is not None:
            between(i)
        director.update(state, 1 / 60)
        director.draw(surface)
        times.append((time.perf_counter() - started) * 1000)
    return times


def run(size: tuple[int, int], frames: int) -> list[tuple[str, float, float]]:
    surface = pygame.Surface(size).convert()
    assets = Assets(size, name="bench", media_dir=DEMO_DIR)
    state = sample_state()
    _warm_portraits(assets, state)
    rows = []
    for name in SCENES:
        load = Load(state)
        params = {"case": next(iter(state.cases))} if name == "portrait" else {}
        director = Director(assets, pinned=name, pinned_params=params, rotation=3600)
        measure(director, surface, load, 30)  # enter, first renders, caches
        times = measure(director, surface, load, frames)
        rows.append((name, percentile(times, 50), percentile(times, 99)))

    cycle = [("totals", {}), ("portrait", {"case": next(iter(state.cases))}), ("messages", {})]

    load = Load(state)
    director = Director(assets, pinned="totals", rotation=3600)
    measure(director, surface, load, 5)

    def cut(i: int) -> None:
        if i % 10 == 0:
            name, params = cycle[(i // 10) % len(cycle)]
            director.cut(name, params)

    measure(director, surface, load, 60, cut)  # every scene entered once: caches warm
    times = measure(director, surface, load, frames, cut)
    rows.append(("cut (every 10 frames)", percentile(times, 50), percentile(times, 99)))

    def crossfade(i: int) -> None:
        if not director.transitioning:
            name, params = cycle[i % len(cycle)]
            director.crossfade(name, params, 1.0)

    measure(director, surface, load, 120, crossfade)
    times = measure(director, surface, load, frames, crossfade)
    rows.append(("crossfade (continuous)", percentile(times, 50), percentile(times, 99)))
    for transition in ("cut", "crossfade"):
        # The real rotation (pre-roll, enter, transition), sped up: a new scene every second.
        load = Load(state)
        director = Director(assets, rotation=1.0, fade=0.5, transition=transition)
        measure(director, surface, load, 200)
        times = measure(director, surface, load, frames)
        rows.append((f"rotation, {transition} (1 s)", percentile(times, 50), percentile(times, 99)))
    assets.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--sizes", default="1920x1080,3840x2160")
    args = parser.parse_args()
    pygame.display.init()
    pygame.font.init()
    pygame.display.set_mode((1, 1))
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    results = {size: run(size, args.frames) for size in sizes}  # type: ignore[arg-type]
    header = f"{'scene / transition':<27}" + "".join(
        f" | {w}x{h} p50 ms | p99 ms (budget {BUDGET_MS.get(h, 16.7):g})" for w, h in sizes
    )
    print(header)
    print("-" * len(header))
    names = [r[0] for r in next(iter(results.values()))]
    for i, name in enumerate(names):
        line = f"{name:<27}"
        for size in sizes:
            _, p50, p99 = results[size][i]
            ok = "ok" if p99 <= BUDGET_MS.get(size[1], 16.7) else "OVER"
            line += f" | {p50:>17.2f} | {p99:>7.2f} {ok:<17}"
        print(line)
    print(f"\n{args.frames} frames per row, dummy SDL driver, one core; pygame-ce {pygame.version.ver}")


if __name__ == "__main__":
    main()
