"""Action-to-frame latency, display start-up and display memory.

    python benchmarks/action_to_frame.py [--seconds 10]

A real server process; a display in this process (headless, paced in real
time at 60 fps, the totals scene pinned), instrumented through ``on_frame``.
A driver thread posts one action at a time. For each acknowledged POST (its
answer carries the rev of the totals that include it) the latency is from the
acknowledgement to the first presented frame drawn from a state at or after
that rev; the counter re-aims at the new total on that frame (its digits then
count up over about a second, by design). Then, in separate processes: time
from launching ``projector display`` to its first frame written, and the peak
memory of a display that has shown every demo case.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import scenes  # noqa: F401  (registers the built-in scenes: the display never imports them)
from benchmarks._server import ROOT, BenchServer, create_token, table
from projector.cli.demo import seed_store
from projector.display.frame_info import FrameInfo
from projector.display.options import DisplayOptions
from projector.display.output.mode import OutputMode
from projector.display.run import run_display


def post_actions(
    base: str, token: str, seconds: float, acks: list[tuple[float, int]], started: threading.Event
) -> None:
    started.wait(30)
    time.sleep(1.0)  # let the display settle on its first snapshot
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        body = json.dumps({"id": uuid.uuid4().hex, "channel": "email", "country": "FR"}).encode()
        request = urllib.request.Request(
            base + "/api/v1/actions",
            data=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as r:
            rev = json.loads(r.read())["rev"]
        acks.append((time.monotonic(), rev))
        time.sleep(random.uniform(0.05, 0.15))


def latency(seconds: float) -> tuple[list[float], int, float]:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        display_token = create_token(data_dir, "display")
        ingest = create_token(data_dir, "ingest")
        frames: list[FrameInfo] = []
        acks: list[tuple[float, int]] = []
        started = threading.Event()
        with BenchServer(data_dir) as server:
            driver = threading.Thread(target=post_actions, args=(server.base, ingest, seconds, acks, started))
            driver.start()

            def on_frame(info: FrameInfo) -> bool:
                frames.append(info)
                if info.connected:
                    started.set()
                return not driver.is_alive()

            run_display(
                DisplayOptions(
                    server=server.base,
                    token=display_token,
                    name="bench",
                    mode=OutputMode.HEADLESS,
                    realtime=True,
                    size=(1920, 1080),
                    scene="totals",
                    on_frame=on_frame,
                )
            )
            driver.join()
    revs = [f.rev for f in frames]
    delays = []
    for t_ack, rev in acks:
        i = bisect.bisect_left(revs, rev)
        if i < len(frames):
            delays.append(max(0.0, frames[i].time - t_ack) * 1000)
    span = frames[-1].time - frames[0].time
    return sorted(delays), len(acks), len(frames) / span if span else 0.0


def startup_and_memory() -> tuple[float, float, int]:
    """Seconds from launch to the first frame on disk; peak RSS (MiB) after showing every case."""
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        demo = seed_store(data_dir / "projector.db")
        with BenchServer(data_dir) as server:
            with urllib.request.urlopen(server.base + "/api/v1/cases") as r:
                n_cases = len(json.loads(r.read())["cases"])
            cmd = [
                sys.executable,
                "-m",
                "projector.cli",
                "display",
                "--server",
                server.base,
                "--token",
                demo.display,
            ]
            out = Path(tmp) / "out"
            t0 = time.monotonic()
            subprocess.run([*cmd, "--headless", "--frames", "1", "--out", str(out)], cwd=ROOT, check=True,
                           capture_output=True)  # fmt: skip
            first_frame = time.monotonic() - t0
            # Three scenes a round (totals, a portrait, messages): show every case's portrait.
            frames = 60 * 3 * (n_cases + 1)
            subprocess.run([*cmd, "--headless", "--frames", str(frames), "--rotation", "1"], cwd=ROOT, check=True,
                           capture_output=True)  # fmt: skip
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return first_frame, peak, n_cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    delays, n_acks, fps = latency(args.seconds)
    first_frame, peak, n_cases = startup_and_memory()
    q = statistics.quantiles(delays, n=100)
    print(
        table(
            ["measure", "value", "aim"],
            [
                ["actions posted and acknowledged", f"{n_acks}", ""],
                ["display frame rate during the run", f"{fps:.1f} fps", "60"],
                ["ack -> first frame drawn from it, p50", f"{q[49]:.1f} ms", ""],
                ["ack -> first frame drawn from it, p99", f"{q[98]:.1f} ms", "<= 50 ms"],
                ["ack -> first frame drawn from it, max", f"{delays[-1]:.1f} ms", ""],
                [
                    "launch -> first frame written (process start, connect, snapshot)",
                    f"{first_frame:.2f} s",
                    "",
                ],
                [f"display peak RSS after showing all {n_cases} demo cases", f"{peak:.0f} MiB", ""],
            ],
        )
    )


if __name__ == "__main__":
    main()
