"""Pictures of what is on air: bytes per second per display while a panel watches, and what they cost.

Two tables:

1. Bytes per second per display while watched (the stream the server asks for:
   a picture every ``STREAM_EVERY`` s, skipped when unchanged, within the
   display's byte budget), for an idle totals scene, the totals climbing, the
   busy message wall, video-like motion (every picture differs) and a blackout; plus the preview picture (one every
   ``PREVIEW_EVERY`` s). Simulated time: the scene is drawn frame by frame at
   30 fps on a fake clock, so the figure does not depend on this machine's speed.
2. What one picture costs at 1080p and 4K: the render thread's part (the
   nearest-neighbour sample, the only thing the frame loop waits for) and the
   worker thread's (box downscale, hash, JPEG), p50/p99, beside the one-step
   smoothscale the display used before (on the render thread).

    .venv/bin/python benchmarks/thumbnails.py [--seconds 20] [--samples 100]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

os.environ["SDL_VIDEODRIVER"] = "dummy"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pygame

import scenes  # noqa: F401  (registers the built-in scenes)
from benchmarks.scenes import Load, sample_state
from projector.core.protocol import Thumbnail
from projector.core.state import ShowState
from projector.display.assets import Assets
from projector.display.director import Director
from projector.display.stats import percentile
from projector.display.thumbnails import (
    PREVIEW_EVERY,
    Picture,
    PictureSender,
    ThumbnailSchedule,
    encode,
    sample,
)
from projector.server.panels import THUMBNAIL_WIDTH
from projector.server.thumbnail_cap import MAX_BYTES_PER_SECOND, STREAM_EVERY

FPS = 30


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def motion(surface: pygame.Surface, frame: int, rng: random.Random) -> None:
    """A frame of video-like motion (what ``benchmarks/video.py`` encodes): moving colour bars, noise."""
    w, h = surface.get_size()
    bars = 8
    for i in range(bars):
        x = (i * w // bars + frame * 12) % w
        colour = ((i * 97 + frame) % 256, (i * 53) % 256, (255 - i * 31 - frame) % 256)
        surface.fill(colour, pygame.Rect(x, 0, w // bars + 1, h))
    for _ in range(400):
        v = rng.randrange(256)
        surface.fill((v, v, v), pygame.Rect(rng.randrange(w), rng.randrange(h), 8, 8))


def stream(scene: str, size: tuple[int, int], seconds: float, busy: bool) -> tuple[float, float, float]:
    """(pictures per second, bytes per second on the wire, mean bytes per picture) for one scene."""
    rng = random.Random(1)
    surface = pygame.Surface(size).convert()
    assets = Assets(size, name="bench", media_dir=None)
    state = sample_state()
    if scene == "blackout":
        state = ShowState(rev=1, campaign=state.campaign, totals=state.totals, blackout=True)
    load = Load(state)
    director = Director(assets, pinned="totals" if scene == "video" else scene, rotation=3600)
    clock = FakeClock()
    sent: list[Thumbnail] = []
    sender = PictureSender(sent.append, clock)
    schedule = ThumbnailSchedule()
    schedule.request(THUMBNAIL_WIDTH, None, STREAM_EVERY)
    for _ in range(FPS):  # a second to settle: the scene entered, first renders done
        director.update(load.next() if busy else state, 1 / FPS)
        director.draw(surface)
    sent.clear()
    sender.bytes_sent = 0
    for frame in range(int(seconds * FPS)):
        clock.now = frame / FPS
        if scene == "video":
            motion(surface, frame, rng)
        else:
            director.update(load.next() if busy else state, 1 / FPS)
            director.draw(surface)
        if schedule.program_due(clock.now) is not None:
            sender.offer(Picture(sample(surface, THUMBNAIL_WIDTH), THUMBNAIL_WIDTH))
    assets.close()
    n = len(sent)
    return n / seconds, sender.bytes_sent / seconds, sender.bytes_sent / n if n else 0.0


def timings(size: tuple[int, int], samples: int) -> dict[str, tuple[float, float]]:
    """p50/p99 ms of the render thread's sample, the worker's encode, and the old smoothscale."""
    surface = pygame.Surface(size).convert()
    assets = Assets(size, name="bench", media_dir=None)
    director = Director(assets, pinned="messages", rotation=3600)
    load = Load(sample_state())
    for _ in range(10):
        director.update(load.next(), 1 / FPS)
    director.draw(surface)
    height = round(size[1] * THUMBNAIL_WIDTH / size[0])
    runs: dict[str, list[float]] = {"sample": [], "encode": [], "smoothscale": []}
    for _ in range(samples):
        started = time.perf_counter()
        small = sample(surface, THUMBNAIL_WIDTH)
        runs["sample"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        encode(Picture(small, THUMBNAIL_WIDTH))
        runs["encode"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        pygame.transform.smoothscale(surface, (THUMBNAIL_WIDTH, height))
        runs["smoothscale"].append((time.perf_counter() - started) * 1000)
    assets.close()
    return {name: (percentile(t, 50), percentile(t, 99)) for name, t in runs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="simulated seconds per scene")
    parser.add_argument("--samples", type=int, default=100, help="pictures timed per resolution")
    args = parser.parse_args()
    pygame.display.init()
    pygame.font.init()
    pygame.display.set_mode((1, 1))
    size = (1920, 1080)

    rows = [
        ("totals, idle", "totals", False),
        ("totals, climbing", "totals", True),
        ("messages wall, busy", "messages", True),
        ("video-like motion", "video", True),
        ("blackout", "blackout", False),
    ]
    _, _, preview_bytes = stream("totals", size, 1.0, False)
    preview_rate = preview_bytes * 4 / 3 / PREVIEW_EVERY  # base64 on the wire, one every PREVIEW_EVERY
    print(f"Bytes per second per display while watched ({size[0]}x{size[1]}, {THUMBNAIL_WIDTH} px JPEG,")
    print(
        f"a picture every {STREAM_EVERY:g} s when changed; the server's cap is {MAX_BYTES_PER_SECOND:,} B/s)"
    )
    header = (
        f"{'scene':<22} | pictures/s | bytes/picture | bytes/s | with preview (1 per {PREVIEW_EVERY:g} s)"
    )
    print(header)
    print("-" * len(header))
    for label, scene, busy in rows:
        rate, per_second, per_picture = stream(scene, size, args.seconds, busy)
        print(
            f"{label:<22} | {rate:>10.2f} | {per_picture:>13,.0f} | {per_second:>7,.0f}"
            f" | {per_second + preview_rate:>10,.0f}"
        )

    print(f"\nWhat one picture costs ({args.samples} pictures of the message wall, one core)")
    header = f"{'resolution':<10} | {'step':<48} | p50 ms | p99 ms"
    print(header)
    print("-" * len(header))
    for size in ((1920, 1080), (3840, 2160)):
        result = timings(size, args.samples)
        label = f"{size[0]}x{size[1]}"
        for name, what in (
            ("sample", "render thread: nearest sample at 2x (new)"),
            ("encode", "worker thread: box 2x, hash, JPEG (new)"),
            ("smoothscale", "render thread: smoothscale (before, every 5 s)"),
        ):
            p50, p99 = result[name]
            print(f"{label:<10} | {what:<48} | {p50:>6.2f} | {p99:>6.2f}")
    print(f"\npygame-ce {pygame.version.ver}, dummy SDL driver")


if __name__ == "__main__":
    main()
