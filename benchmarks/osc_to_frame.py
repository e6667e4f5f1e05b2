"""An OSC /projector/go to the first frame of the new cue on a connected display.

    python benchmarks/osc_to_frame.py [--gos 100]

A real server process with OSC on (UDP, loopback) and a display in this
process (headless, paced in real time at 60 fps), instrumented through
``on_frame``. A looping show alternates two cues with cuts; a driver thread
sends ``/projector/go`` with python-osc's SimpleUDPClient every 150-300 ms and
waits for the server's ``/projector/ok``. The latency is from sending the
packet to the first presented frame showing the new cue's scene.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
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

from pythonosc.udp_client import SimpleUDPClient

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


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gos", type=int, default=100)
    args = parser.parse_args()
    frames: list[FrameInfo] = []
    gos: list[tuple[float, float, str]] = []
    refused = 0
    started = threading.Event()
    port = free_udp_port()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        display = create_token(data_dir, "display")
        operator = create_token(data_dir, "operator")
        with BenchServer(data_dir, osc_port=port) as server:

            def driver() -> None:
                nonlocal refused
                started.wait(30)
                call_api(server.base, operator, "PUT", "/api/v1/show", SHOW)
                time.sleep(0.5)
                client = SimpleUDPClient("127.0.0.1", port)
                program = None
                for _ in range(args.gos):
                    sent = time.monotonic()
                    client.send_message("/projector/go", [])
                    answer = next(client.get_messages(2.0), None)
                    acked = time.monotonic()
                    if answer is None or answer.address != "/projector/ok":
                        refused += 1
                        continue
                    program = 0 if program is None else 1 - program
                    gos.append((sent, acked, SHOW["cues"][program]["scene"]))
                    time.sleep(random.uniform(0.15, 0.3))
                client.close()

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
    delays, acks = [], []
    for sent, acked, scene in gos:
        first = next((f for f in frames if f.time >= sent and f.scene == scene), None)
        if first is not None:
            delays.append((first.time - sent) * 1000)
            acks.append((acked - sent) * 1000)
    q = statistics.quantiles(delays, n=100)
    qa = statistics.quantiles(acks, n=100)
    span = frames[-1].time - frames[0].time
    print(
        table(
            ["measure", "value", "aim"],
            [
                [
                    "OSC GOs sent / refused / seen on the display",
                    f"{len(gos) + refused} / {refused} / {len(delays)}",
                    "",
                ],
                ["display frame rate", f"{len(frames) / span:.1f} fps", "60"],
                ["OSC packet -> /projector/ok, p50 / p99", f"{qa[49]:.2f} / {qa[98]:.2f} ms", ""],
                ["OSC packet -> first frame of the new scene, p50", f"{q[49]:.1f} ms", ""],
                [
                    "OSC packet -> first frame of the new scene, p99",
                    f"{q[98]:.1f} ms",
                    "<= 36.7 ms (a frame + 20 ms)",
                ],
                ["OSC packet -> first frame of the new scene, max", f"{max(delays):.1f} ms", ""],
            ],
        )
    )


if __name__ == "__main__":
    main()
