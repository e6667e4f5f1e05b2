"""GO on one node to the first frame on a display connected to another (issue 17).

    python benchmarks/nodes_go.py [--gos 100]

A throwaway PostgreSQL cluster (durable defaults, loopback TCP), two real ``projector serve``
nodes on it (A and B), and a real display in this process connected to B (headless, paced in
real time at 60 fps, instrumented through ``on_frame``). A looping show alternates two cues
with cuts; a driver thread presses GO (``POST /api/v1/cue/go``) every 150-300 ms, alternately
on A and on B, so the same run measures the way across nodes (A's decision under the event
log's lock, its commit and ``NOTIFY``, B's follower reading the log, B's hub) beside the way
within B. The latency is from sending the GO request to the first presented frame showing the
new cue's scene. Aim: p99 <= one frame (16.7 ms) + 30 ms across nodes.

Beside the real display, a light display (``benchmarks/_nodes.py``) on B notes when each cue
event arrives: GO to the cue event's receipt, without the frame pacing and drawing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import scenes  # noqa: F401  (registers the built-in scenes: the display never imports them)
from benchmarks._nodes import LightDisplay, Node, Seen, fresh_database, hello, postgres, quantile
from benchmarks._server import call_api, create_token, table
from benchmarks.go_to_frame import SHOW  # the same show as on one node
from projector.display.frame_info import FrameInfo
from projector.display.options import DisplayOptions
from projector.display.output.mode import OutputMode
from projector.display.run import run_display


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--gos", type=int, default=100, help="GOs in all, half on each node")
    args = parser.parse_args()
    frames: list[FrameInfo] = []
    gos: list[tuple[float, str, str, int]] = []
    started = threading.Event()
    light = Seen()
    done = threading.Event()
    with postgres() as cluster, tempfile.TemporaryDirectory(prefix="projector-bench-") as tmp:
        url = fresh_database(cluster)
        data = Path(tmp)
        display = create_token(data / "a", "display", database=url)
        operator = create_token(data / "a", "operator", database=url)
        with Node(data / "a", url) as a, Node(data / "b", url) as b:

            async def watch() -> None:
                d = LightDisplay([("127.0.0.1", b.port)], 0, hello(display, "light"), light)
                d.start()
                await d.connected
                while not done.is_set():
                    await asyncio.sleep(0.05)
                d.close()

            watcher = threading.Thread(target=asyncio.run, args=(watch(),))
            watcher.start()

            def driver() -> None:
                started.wait(30)
                call_api(a.base, operator, "PUT", "/api/v1/show", SHOW)
                time.sleep(0.5)
                for k in range(args.gos):
                    where, base = ("other node (A)", a.base) if k % 2 == 0 else ("same node (B)", b.base)
                    sent = time.monotonic()
                    state = call_api(base, operator, "POST", "/api/v1/cue/go", {})
                    scene = SHOW["cues"][state["program"]]["scene"]
                    gos.append((sent, scene, where, state["rev"]))
                    time.sleep(random.uniform(0.15, 0.3))
                time.sleep(0.5)
                done.set()

            thread = threading.Thread(target=driver)
            thread.start()

            def on_frame(info: FrameInfo) -> bool:
                frames.append(info)
                if info.connected:
                    started.set()
                return not thread.is_alive()

            run_display(
                DisplayOptions(
                    server=b.base, token=display, name="bench", mode=OutputMode.HEADLESS, realtime=True,
                    size=(1920, 1080), on_frame=on_frame, media=None,
                )
            )  # fmt: skip
            thread.join()
            watcher.join(10)
    delays: dict[str, list[float]] = {}
    receipts: dict[str, list[float]] = {}
    for sent, scene, where, rev in gos:
        first = next((f for f in frames if f.time >= sent and f.scene == scene), None)
        if first is not None:
            delays.setdefault(where, []).append((first.time - sent) * 1000)
        cue = next((t for t, r in light.cues if r == rev), None)
        if cue is not None:
            receipts.setdefault(where, []).append((cue - sent) * 1000)
    span = frames[-1].time - frames[0].time
    rows: list[list[object]] = [
        ["GOs pressed / seen on the display", f"{len(gos)} / {sum(len(d) for d in delays.values())}", ""],
        ["display frame rate", f"{len(frames) / span:.1f} fps", "60"],
    ]
    for where in ("other node (A)", "same node (B)"):
        d = delays.get(where, [])
        aim = "<= 46.7 ms (a frame + 30 ms)" if where.startswith("other") else ""
        rows.append([f"GO on the {where} -> first frame on B, p50", f"{quantile(d, 0.5):.1f} ms", ""])
        rows.append([f"GO on the {where} -> first frame on B, p99", f"{quantile(d, 0.99):.1f} ms", aim])
        rows.append(
            [f"GO on the {where} -> first frame on B, max", f"{max(d, default=float('nan')):.1f} ms", ""]
        )
        r = receipts.get(where, [])
        rows.append(
            [
                f"GO on the {where} -> cue event at a light display on B, p50 / p99",
                f"{quantile(r, 0.5):.1f} / {quantile(r, 0.99):.1f} ms ({len(r)} GOs)",
                "",
            ]
        )
    print(table(["measure", "value", "aim"], rows))


if __name__ == "__main__":
    main()
