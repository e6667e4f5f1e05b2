"""Video playback on one core: decode + scale per frame, draw per display frame, memory, GO to first frame.

    .venv/bin/python benchmarks/video.py [--seconds 3] [--cases 1080p30,1080p30+audio,1080p60,4k30] [--cores 1]

Each case encodes a clip of moving colour bars with noise (H.264, made here
with PyAV, so nothing is downloaded), pins the process to ``--cores`` cores
(FFmpeg's threads see only those), then:

- decodes and scales every frame as fast as it can, as the decoder thread
  does (``decode+scale``: ms per frame, p50/p99);
- plays it in real time through the video scene on a 60 Hz frame loop, the
  decoder thread sharing the core with the frame loop: ``draw`` is what the
  frame loop spends per frame (scene update + draw), ``shown`` the share of
  the video's frames that reached the screen (the rest were late and dropped);
- ``memory``: the process's resident memory while playing, over what it
  was before the scene started;
- ``GO to frame``: to the first frame of the video on screen, from entering
  the scene (``cold``: what a GO does when the cue was not preloaded) and from
  the first frame after GO when the scene was entered half a second before
  (``preloaded``: the director enters the preview cue ahead of time).

``1080p30+audio`` is the 1080p30 case with a sine on an AAC track, played
with ``audio = true``: the sound's thread (decode, resample, feed the mixer)
shares the core too, so its row against the 1080p30 row is what sound costs
the frame loop. The sound goes to SDL's ``disk`` driver writing to /dev/null
(it plays in real time, as a sound card does) unless ``SDL_AUDIODRIVER`` names
another.

Aim: the frame loop inside its budget (16.7 ms a frame at 1080p, 33 ms at 4K)
and, where the core can decode the stream at all, every frame shown.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("SDL_AUDIODRIVER", "disk")
os.environ.setdefault("SDL_DISKAUDIOFILE", "/dev/null")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import av
import numpy as np
import pygame

import scenes  # noqa: F401  (registers the built-in scenes)
from benchmarks._server import table
from projector.core.state import ShowState
from projector.display.assets import Assets
from projector.display.media_cache import MediaCache
from projector.display.stats import percentile
from projector.display.video_decoder import fitted_size
from scenes.video import VideoScene

CASES = {
    "1080p30": ((1920, 1080), 30, (1920, 1080)),
    "1080p30+audio": ((1920, 1080), 30, (1920, 1080)),
    "1080p60": ((1920, 1080), 60, (1920, 1080)),
    "4k30": ((3840, 2160), 30, (3840, 2160)),
}
DISPLAY_HZ = 60
HEADERS = [
    "case",
    "decode+scale ms p50/p99",
    "frame interval ms",
    "frame loop ms p50/p99",
    "budget ms",
    "frames shown",
    "memory",
    "GO to frame cold / preloaded",
]


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def encode(path: Path, size: tuple[int, int], fps: int, seconds: float, sound: bool = False) -> None:
    """Bars that slide, with noise on top: a stream the encoder cannot make trivially small.

    ``sound``: and a 440 Hz sine on an AAC stereo track at 48 kHz, as long as the picture.
    """
    w, h = size
    rng = np.random.default_rng(7)
    noise = rng.integers(0, 40, (h, w, 3), dtype=np.uint8)
    palette = np.array(
        [[235, 235, 235], [255, 221, 0], [0, 200, 200], [0, 200, 0], [200, 0, 200], [200, 0, 0]], np.uint8
    )
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.time_base = Fraction(1, fps)
        stream.options = {"preset": "veryfast", "crf": "23"}
        track = out.add_stream("aac", rate=48_000, layout="stereo") if sound else None
        for i in range(round(seconds * fps)):
            x = (np.arange(w) + 13 * i) % w
            row = palette[(x * len(palette) // w)]
            frame = np.repeat(row[np.newaxis], h, axis=0)
            frame = frame + np.roll(noise, 3 * i, axis=1)
            picture = av.VideoFrame.from_ndarray(frame, format="rgb24")
            picture.pts = i
            for packet in stream.encode(picture):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
        if track is not None:
            for first in range(0, round(seconds * 48_000), 1024):
                wave = (0.5 * np.sin(2 * np.pi * 440 * np.arange(first, first + 1024) / 48_000)).astype(
                    np.float32
                )
                chunk = av.AudioFrame.from_ndarray(np.stack([wave, wave]), format="fltp", layout="stereo")
                chunk.sample_rate, chunk.pts = 48_000, first
                for packet in track.encode(chunk):
                    out.mux(packet)
            for packet in track.encode():
                out.mux(packet)


def decode_times(path: Path, box: tuple[int, int]) -> list[float]:
    """Milliseconds per frame to decode and scale to the drawing size, as fast as the core goes."""
    times: list[float] = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        size = fitted_size((stream.codec_context.width, stream.codec_context.height), box, "contain")
        began = time.perf_counter()
        for frame in container.decode(stream):
            frame.to_ndarray(width=size[0], height=size[1], format="rgb24", interpolation="BILINEAR")
            now = time.perf_counter()
            times.append((now - began) * 1000)
            began = now
    return times


def play(
    assets: Assets, media: str, seconds: float, fps: int, preload: float = 0.0, sound: bool = False
) -> tuple[list[float], float, float, int]:
    """(frame-loop ms per display frame, GO to first frame ms, memory MB, frames shown) in real time.

    ``preload``: seconds between entering the scene and GO, as the director enters the
    preview cue ahead of time (the decoder has its first frames ready by then).
    """
    screen = pygame.display.get_surface()
    assert screen is not None, "set_mode first"
    before = rss_mb()
    scene = VideoScene()
    scene.enter(ShowState(), assets, {"media": media, "audio": sound})
    time.sleep(preload)
    began = time.perf_counter()
    first: float | None = None
    frames: list[float] = []
    peak = before
    shown = 0
    last_surface = None
    period = 1 / DISPLAY_HZ
    next_at = time.perf_counter()
    previous = next_at
    while True:
        now = time.perf_counter()
        t0 = now
        scene.update(ShowState(), now - previous)
        previous = now
        scene.draw(screen)
        t1 = time.perf_counter()
        surface = scene._surface
        if surface is not None and surface is not last_surface:
            last_surface = surface
            shown += 1
            if first is None:
                first = (t1 - began) * 1000
        if first is not None:
            frames.append((t1 - t0) * 1000)
        peak = max(peak, rss_mb())
        if scene.finished or now - began > seconds + 5:
            break
        next_at += period
        time.sleep(max(0.0, next_at - time.perf_counter()))
    expected = round(seconds * fps)
    del scene
    return frames, first if first is not None else float("nan"), peak - before, min(shown, expected)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--cores", type=int, default=1)
    parser.add_argument("--row", action="store_true", help="measure one case, print its row as JSON")
    args = parser.parse_args()
    names = args.cases.split(",")
    if not args.row:
        # One process a case: the memory column is then that case's alone, not what an
        # earlier case left allocated.
        printed: list[list[object]] = []
        for name in names:
            command = [sys.executable, __file__, "--row", "--cases", name, "--seconds", str(args.seconds)]
            # A fixed mmap threshold: glibc then hands big freed blocks (an encoder's, a frame's)
            # back at once, so resident memory while playing is the player's, not leftovers.
            env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": str(128 * 1024)}
            done = subprocess.run(
                [*command, "--cores", str(args.cores)], capture_output=True, text=True, check=True, env=env
            )
            printed.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(
            f"H.264 (moving bars + noise), {args.seconds:g} s a case, pinned to {args.cores} core(s), 60 Hz frame loop"
        )
        print(table(HEADERS, printed))
        return
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, sorted(os.sched_getaffinity(0))[: args.cores])
    pygame.display.init()
    folder = Path(tempfile.mkdtemp(prefix="bench-video-"))
    rows: list[list[object]] = []
    try:
        for name in names:
            size, fps, display = CASES[name]
            sound = name.endswith("+audio")
            clip = folder / f"{name}.mp4"
            encode(clip, size, fps, args.seconds, sound)
            media = hashlib.sha256(clip.read_bytes()).hexdigest()
            cache_root = folder / f"cache-{name}"
            (cache_root / "media").mkdir(parents=True)
            shutil.copy(clip, cache_root / "media" / media)
            cache = MediaCache(cache_root)
            while cache.path(media) is None:
                time.sleep(0.01)
            pygame.display.set_mode(display)
            assets = Assets(display, media_cache=cache)
            assets.audio = sound
            frames, first, memory, shown = play(assets, media, args.seconds, fps, sound=sound)
            decoded = decode_times(clip, display)
            preloaded = play(assets, media, 0.5, fps, preload=0.5, sound=sound)[1]
            cache.close()
            budget = 33.0 if display[1] >= 2160 else 16.7
            rows.append(
                [
                    name,
                    f"{percentile(decoded, 50):.1f} / {percentile(decoded, 99):.1f}",
                    f"{1000 / fps:.1f}",
                    f"{percentile(frames, 50):.1f} / {percentile(frames, 99):.1f}",
                    f"{budget}",
                    f"{shown}/{round(args.seconds * fps)}",
                    f"{memory:.0f} MB",
                    f"{first:.0f} / {preloaded:.0f} ms",
                ]
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(rows[0]))


if __name__ == "__main__":
    main()
