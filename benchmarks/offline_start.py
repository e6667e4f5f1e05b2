"""A display's start-up from its cache with the server down: ``python benchmarks/offline_start.py``.

The night's situation after a power cut: the laptop reboots, the venue's
network (and so the server) is gone. A display that ran the show before has
its cache (the pictures and ``show.json``); it must start and play the show
from that alone. Measured, with the server stopped:

- ``projector display`` launched as a process: from launch to the first frame
  written (headless, so "written" is a PNG on disk, like a flip on screen);
- in the display itself: from start to the first frame, and to the first
  frame with the portrait on screen (decoded and treated from the cache).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from projector.display.output.mode import OutputMode

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import scenes  # noqa: F401  (registers the built-in scenes: the display never imports them)
from benchmarks._server import ROOT, BenchServer, call_api, create_token, table, upload_jpeg
from benchmarks.media_variants import portraits
from projector.display import DisplayOptions
from projector.display.app import DisplayApp

SIZE = (1920, 1080)


def fill_cache(data_dir: Path, cache: Path, cases: int) -> tuple[str, str]:
    """Run the server with a show of ``cases`` portraits and a display until its cache holds them all."""
    operator = create_token(data_dir, "operator")
    display = create_token(data_dir, "display")
    with BenchServer(data_dir) as server:
        for i, photo in enumerate(portraits(cases)):
            media = upload_jpeg(server.base, operator, f"p{i}.jpg", photo)
            case = {
                "name": f"Case Number {i}",
                "country": "KE",
                "story": "A story.",
                "ask": "Write a letter.",
            }
            case.update(portrait=media["hash"], focus=media["focus"])
            call_api(server.base, operator, "PUT", f"/api/v1/cases/case-{i}", case)
        show = {
            "id": "night",
            "name": "Night",
            "cues": [{"id": "c0", "scene": "portrait", "params": {"case": "case-0"}, "transition": "cut"}],
        }
        call_api(server.base, operator, "PUT", "/api/v1/show", show)
        call_api(server.base, operator, "POST", "/api/v1/cue/go", {})
        app: DisplayApp | None = None

        def full(info: object) -> bool:
            assert app is not None and app.media_cache is not None
            return app.media_cache.counts() == (cases, 0)

        opts = DisplayOptions(
            server=server.base, token=display, name="bench", mode=OutputMode.HEADLESS, realtime=True, size=SIZE,
            on_frame=full, media=None, cache=cache,
        )  # fmt: skip
        app = DisplayApp(opts)
        assert app.run() == 0
        return server.base, display


def launch(base: str, token: str, cache: Path | None, out: Path) -> float:
    """Seconds from launching ``projector display`` until its first frame is on disk."""
    out.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "projector.cli",
        "display",
        "--headless",
        "--frames",
        "1",
        "--out",
        str(out),
    ]
    command += ["--size", f"{SIZE[0]}x{SIZE[1]}", "--server", base, "--token", token, "--name", "bench"]
    if cache is not None:
        command += ["--cache", str(cache)]
    began = time.perf_counter()
    subprocess.run(
        command, cwd=ROOT, check=True, capture_output=True, env={**os.environ, "SDL_VIDEODRIVER": "dummy"}
    )
    took = time.perf_counter() - began
    assert (out / "frame-00001.png").is_file()
    return took


def in_process(base: str, token: str, cache: Path) -> tuple[float, float, str]:
    """(start -> first frame, start -> portrait on screen, the scene) inside one display."""
    began = time.perf_counter()
    marks: dict[str, float] = {}
    seen = ["?"]  # the scene the portrait showed in
    app: DisplayApp | None = None

    def on_frame(info: object) -> bool:
        now = time.perf_counter() - began
        marks.setdefault("first", now)
        scene = app.director.scene if app is not None and app.director is not None else None
        if getattr(scene, "photo", None) is not None:
            marks["portrait"] = now
            seen[0] = str(getattr(info, "scene", ""))
            return True
        return now > 20

    opts = DisplayOptions(
        server=base, token=token, name="bench", mode=OutputMode.HEADLESS, realtime=True, size=SIZE,
        on_frame=on_frame, media=None, cache=cache,
    )  # fmt: skip
    app = DisplayApp(opts)
    app.run()
    return marks["first"], marks.get("portrait", float("nan")), seen[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="projector-bench-") as tmp:
        cache = Path(tmp) / "cache"
        base, token = fill_cache(Path(tmp) / "data", cache, args.cases)
        # The server is stopped now (BenchServer's exit): nothing answers on its port.
        size = sum(p.stat().st_size for p in cache.rglob("*") if p.is_file())
        cached = [launch(base, token, cache, Path(tmp) / f"out-{i}") for i in range(args.repeat)]
        inside = [in_process(base, token, cache) for _ in range(args.repeat)]
    rows = [
        ["launch -> first frame, from the cache (the show)", f"{statistics.median(cached):.2f} s", f"{min(cached):.2f} s"],
        ["in the display: start -> first frame", f"{statistics.median(i[0] for i in inside) * 1000:.0f} ms", f"{min(i[0] for i in inside) * 1000:.0f} ms"],
        ["in the display: start -> portrait on screen", f"{statistics.median(i[1] for i in inside) * 1000:.0f} ms", f"{min(i[1] for i in inside) * 1000:.0f} ms"],
    ]  # fmt: skip
    print(
        f"{args.cases} cases cached ({size / 2**20:.1f} MiB), server stopped, {SIZE[0]}x{SIZE[1]}, headless"
    )
    print(table(["measure", "median", "best"], rows))
    print(f"scene on screen: {inside[-1][2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
