"""How closely several displays switch on the same cue: the spread of their first frames.

    python benchmarks/sync_spread.py [--displays 4] [--switches 100] [--plain 50] [--size 640x360]

A real server process and N headless display *processes* on this machine
(realtime, paced at 60 fps, each estimating the server's clock over its
websocket). A looping show alternates two cues; a driver jumps to the other
cue scheduled 250 ms ahead (``{"in": 0.25}``), ``--switches`` times, then
sends ``--plain`` GOs with no time at all (each display switches when it hears
of it). For every switch, each display logs ``time.time()`` at the first frame
that shows the new scene; all processes read the same machine clock, so the
spread (latest minus earliest) is the real one. Aim: <= one frame (16.7 ms)
at p99 for scheduled switches.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from projector.display.output.mode import OutputMode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import scenes  # noqa: F401  (registers the built-in scenes: the display never imports them)
from benchmarks._server import ROOT, BenchServer, call_api, create_token, table
from projector.display.frame_info import FrameInfo
from projector.display.options import DisplayOptions, parse_size
from projector.display.run import run_display

CUES = [("a", "totals"), ("b", "ident")]
SHOW = {
    "id": "sync",
    "loop": True,
    "cues": [{"id": cid, "scene": scene, "transition": "cut"} for cid, scene in CUES],
}
LEAD = 0.25
GAP = 0.35


def worker(ns: argparse.Namespace) -> None:
    """One display process: log (time.time(), scene) whenever the scene on screen changes."""
    log: list[tuple[float, str]] = []
    last = [""]

    def on_frame(info: FrameInfo) -> None:
        if info.scene != last[0]:
            log.append((time.time(), info.scene))
            last[0] = info.scene

    run_display(
        DisplayOptions(
            server=ns.server, token=ns.token, name=ns.worker, mode=OutputMode.HEADLESS, realtime=True, fps=60,
            size=parse_size(ns.size), media=None, on_frame=on_frame, offline_mark=False,
        )
    )  # fmt: skip
    Path(ns.out).write_text(json.dumps(log))


def spreads(
    logs: list[list[tuple[float, str]]], switches: list[tuple[float, str]]
) -> tuple[list[float], list[float]]:
    """Per switch: spread of first frames (ms), and delay of the last one after the reference time (ms)."""
    out: list[float] = []
    late: list[float] = []
    for i, (ref, scene) in enumerate(switches):
        until = switches[i + 1][0] if i + 1 < len(switches) else float("inf")
        seen = [next((t for t, s in log if ref - 0.1 <= t < until and s == scene), None) for log in logs]
        firsts = [f for f in seen if f is not None]
        if len(firsts) < len(seen):  # a display never showed it: no spread to measure
            continue
        out.append((max(firsts) - min(firsts)) * 1000)
        late.append((max(firsts) - ref) * 1000)
    return out, late


def q(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--displays", type=int, default=4)
    parser.add_argument("--switches", type=int, default=100)
    parser.add_argument("--plain", type=int, default=50)
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--worker")
    parser.add_argument("--server")
    parser.add_argument("--token")
    parser.add_argument("--out")
    ns = parser.parse_args()
    if ns.worker:
        worker(ns)
        return
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        display = create_token(data_dir, "display")
        operator = create_token(data_dir, "operator")
        with BenchServer(data_dir) as server:
            procs = [
                subprocess.Popen(
                    [
                        sys.executable,
                        __file__,
                        "--worker",
                        f"d{i}",
                        "--server",
                        server.base,
                        "--token",
                        display,
                        "--out",
                        f"{tmp}/d{i}.json",
                        "--size",
                        ns.size,
                    ],
                    cwd=ROOT,
                )
                for i in range(ns.displays)
            ]
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                listed = call_api(server.base, operator, "GET", "/api/v1/displays")["displays"]
                synced = [d for d in listed if d["connected"] and d.get("clock_offset_ms") is not None]
                if len(synced) == ns.displays:
                    break
                time.sleep(0.5)
            else:
                raise SystemExit("the displays did not connect and report a clock estimate")
            offsets = [d["clock_offset_ms"] for d in synced]
            call_api(server.base, operator, "PUT", "/api/v1/show", SHOW)
            call_api(server.base, operator, "POST", "/api/v1/cue/go", {})
            time.sleep(1.0)
            scheduled: list[tuple[float, str]] = []
            program = 0
            for _ in range(ns.switches):
                program = 1 - program
                state = call_api(
                    server.base, operator, "POST", "/api/v1/cue/jump", {"cue": CUES[program][0], "in": LEAD}
                )
                scheduled.append((state["program_at"], CUES[program][1]))
                time.sleep(GAP)
            plain: list[tuple[float, str]] = []
            for _ in range(ns.plain):
                sent = time.time()
                state = call_api(server.base, operator, "POST", "/api/v1/cue/go", {})
                plain.append((sent, CUES[state["program"]][1]))
                time.sleep(GAP)
            time.sleep(0.5)
            for p in procs:
                p.send_signal(signal.SIGTERM)
            for p in procs:
                p.wait(30)
        logs = [
            [tuple(e) for e in json.loads(Path(f"{tmp}/d{i}.json").read_text())] for i in range(ns.displays)
        ]
    load = os.getloadavg()[0]
    s_spread, s_late = spreads(logs, scheduled)
    p_spread, p_late = spreads(logs, plain)
    rows = [
        ["displays (processes) / size", f"{ns.displays} / {ns.size} @ 60 fps", ""],
        ["machine load average (1 min) at the end", f"{load:.1f} on {os.cpu_count()} cores", ""],
        ["clock offsets reported (ms)", ", ".join(f"{o:+.2f}" for o in offsets), ""],
        ["scheduled switches seen on every display", f"{len(s_spread)} / {len(scheduled)}", ""],
        ["scheduled: spread p50 / p99 / max", f"{q(s_spread, 50):.2f} / {q(s_spread, 99):.2f} / {max(s_spread):.2f} ms",
         "p99 <= 16.7 ms"],
        ["scheduled: switches within one frame", f"{sum(x <= 1000 / 60 for x in s_spread)} / {len(s_spread)}", ""],
        ["scheduled: last display after `at`, p50 / p99", f"{q(s_late, 50):.1f} / {q(s_late, 99):.1f} ms", ""],
    ]  # fmt: skip
    if p_spread:
        rows += [
            ["plain GO switches seen on every display", f"{len(p_spread)} / {len(plain)}", ""],
            ["plain GO: spread p50 / p99 / max", f"{q(p_spread, 50):.2f} / {q(p_spread, 99):.2f} / {max(p_spread):.2f} ms", ""],
            ["plain GO: request -> last display, p50 / p99", f"{q(p_late, 50):.1f} / {q(p_late, 99):.1f} ms", ""],
        ]  # fmt: skip
    print(table(["measure", "value", "aim"], rows))


if __name__ == "__main__":
    main()
