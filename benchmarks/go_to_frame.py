"""GO to the first frame of the new scene on a connected display.

    python benchmarks/go_to_frame.py [--gos 100]

A real server process and a display in this process (headless, paced in real
time at 60 fps), instrumented through ``on_frame``. A looping show alternates
two cues with cuts; a driver thread presses GO (``POST /api/v1/cue/go``) every
150-300 ms. The latency is from sending the GO request to the first presented
frame showing the new cue's scene. Aim: p99 <= one frame (16.7 ms) + 20 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import scenes  # noqa: F401  (registers the built-in scenes: the display never imports them)
from benchmarks._server import BenchServer, call_api, create_token, table
from projector.display.frame_info import FrameInfo
from projector.display.options import DisplayOptions
from projector.display.output.mode import OutputMode
from projector.display.run import run_display

SHOW: dict[str, Any] = {
    "id": "bench",
    "loop": True,
    "cues": [
        {"id": "a", "scene": "totals", "transition": "cut"},
        {"id": "b", "scene": "ident", "transition": "cut"},
    ],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gos", type=int, default=100)
    args = parser.parse_args()
    frames: list[FrameInfo] = []
    gos: list[tuple[float, str]] = []
    started = threading.Event()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        display = create_token(data_dir, "display")
        operator = create_token(data_dir, "operator")
        with BenchServer(data_dir) as server:

            def driver() -> None:
                started.wait(30)
                call_api(server.base, operator, "PUT", "/api/v1/show", SHOW)
                time.sleep(0.5)
                for _ in range(args.gos):
                    sent = time.monotonic()
                    state = call_api(server.base, operator, "POST", "/api/v1/cue/go", {})
                    gos.append((sent, SHOW["cues"][state["program"]]["scene"]))
                    time.sleep(random.uniform(0.15, 0.3))

            thread = threading.Thread(target=driver)
            thread.start()

            def on_frame(info: FrameInfo) -> bool:
                frames.append(info)
                if info.connected:
                    started.set()
                return not thread.is_alive()

            run_display(
                DisplayOptions(
                    server=server.base, token=display, name="bench", mode=OutputMode.HEADLESS, realtime=True,
                    size=(1920, 1080), on_frame=on_frame, media=None,
                )
            )  # fmt: skip
            thread.join()
    delays = []
    for sent, scene in gos:
        first = next((f for f in frames if f.time >= sent and f.scene == scene), None)
        if first is not None:
            delays.append((first.time - sent) * 1000)
    q = statistics.quantiles(delays, n=100)
    span = frames[-1].time - frames[0].time
    print(
        table(
            ["measure", "value", "aim"],
            [
                ["GOs pressed / seen on the display", f"{len(gos)} / {len(delays)}", ""],
                ["display frame rate", f"{len(frames) / span:.1f} fps", "60"],
                ["GO -> first frame of the new scene, p50", f"{q[49]:.1f} ms", ""],
                [
                    "GO -> first frame of the new scene, p99",
                    f"{q[98]:.1f} ms",
                    "<= 36.7 ms (a frame + 20 ms)",
                ],
                ["GO -> first frame of the new scene, max", f"{max(delays):.1f} ms", ""],
            ],
        )
    )


if __name__ == "__main__":
    main()
