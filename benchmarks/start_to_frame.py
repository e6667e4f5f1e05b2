"""A display's start and its memory, as a box in a venue runs it: ``python benchmarks/start_to_frame.py``.

    python benchmarks/start_to_frame.py [--runs 3] [--sizes 1920x1080,3840x2160] [--before CHECKOUT]

A real server (``server.py``, the demo's store: 8 cases, a campaign, its
history) and a real ``projector display --headless`` process, as the systemd
unit starts it (``python -m projector.cli display``):

- **start to first frame**: from launching the process to its first frame on
  disk (headless, so "on screen" is a PNG written; the display waits for the
  server's snapshot first, so that frame shows the show). *Cold*: an empty
  cache folder (``--cache``) and an empty font cache (``PROJECTOR_FONT_CACHE``:
  the bold instances cut from the variable fonts), as on a box's first boot.
  *Warm*: both as a previous run left them, as after a power cut.
- **peak memory**: the display process's peak resident set (``ru_maxrss``)
  after it showed every demo case (totals, a portrait, messages, a round for
  each case, one second a scene), at each size.

``--before`` runs the same against another checkout (its ``projector.cli``),
in the same run, for a before/after table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._server import ROOT, BenchServer, table
from projector.cli.demo import seed_store

SIZE = (1920, 1080)
#: Frames of one rotation step at 60 fps (``--rotation 1``): each scene stays one second.
STEP_FRAMES = 60


def display_command(base: str, token: str, size: tuple[int, int], *flags: str) -> list[str]:
    return [
        sys.executable, "-m", "projector.cli", "display", "--server", base, "--token", token,
        "--name", "bench", "--headless", "--size", f"{size[0]}x{size[1]}", *flags,
    ]  # fmt: skip


def first_frame(command: list[str], root: Path, out: Path, env: dict[str, str]) -> float:
    """Seconds from launching ``command`` to its first frame's PNG on disk."""
    out.mkdir(parents=True, exist_ok=True)
    frame = out / "frame-00001.png"
    began = time.perf_counter()
    proc = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    took = None
    while proc.poll() is None:
        if took is None and frame.exists():
            took = time.perf_counter() - began
        time.sleep(0.002)
    _, err = proc.communicate()
    if proc.returncode != 0 or not frame.exists():
        raise RuntimeError(f"the display failed ({proc.returncode}): {err.decode()[-2000:]}")
    return took if took is not None else time.perf_counter() - began


def peak_mib(command: list[str], root: Path, env: dict[str, str]) -> float:
    """The peak resident memory (MiB) of ``command``, run to its end."""
    proc = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()  # the display logs a little: read it so it never blocks on a full pipe
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"the display failed ({proc.returncode}): {err.decode()[-2000:]}")
    return usage.ru_maxrss / 1024


def measure(
    root: Path, base: str, token: str, n_cases: int, runs: int, sizes: list[tuple[int, int]], tmp: Path
) -> dict[str, float]:
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"}
    found: dict[str, float] = {}
    cold: list[float] = []
    warm: list[float] = []
    for run in range(runs):
        cache, fonts = tmp / f"cache-{run}", tmp / f"fonts-{run}"
        env_run = {**env, "PROJECTOR_FONT_CACHE": str(fonts)}
        flags = ("--frames", "1", "--cache", str(cache))
        command = display_command(base, token, SIZE, *flags, "--out", str(tmp / f"cold-{run}"))
        cold.append(first_frame(command, root, tmp / f"cold-{run}", env_run))
        command = display_command(base, token, SIZE, *flags, "--out", str(tmp / f"warm-{run}"))
        warm.append(first_frame(command, root, tmp / f"warm-{run}", env_run))
    found["cold"] = statistics.median(cold)
    found["warm"] = statistics.median(warm)
    # Totals, a portrait, messages: a round per case, and one more.
    frames = STEP_FRAMES * 3 * (n_cases + 1)
    for size in sizes:
        command = display_command(base, token, size, "--frames", str(frames), "--rotation", "1")
        found[f"peak {size[0]}x{size[1]}"] = peak_mib(command, root, env)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="start-ups of each kind (the median is shown)")
    parser.add_argument("--sizes", default="1920x1080,3840x2160", help="sizes for the memory runs")
    parser.add_argument("--before", type=Path, help="another checkout to measure the same way")
    args = parser.parse_args()
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    sized = [(w, h) for w, h in sizes]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        data_dir = tmp / "data"
        data_dir.mkdir()
        demo = seed_store(data_dir / "projector.db")
        with BenchServer(data_dir) as server:
            with urllib.request.urlopen(server.base + "/api/v1/cases") as r:
                n_cases = len(json.loads(r.read())["cases"])
            checkouts = {"this checkout": ROOT}
            if args.before is not None:
                checkouts = {"before": args.before.resolve(), **checkouts}
            results = {
                label: measure(root, server.base, demo.display, n_cases, args.runs, sized, tmp / label)
                for label, root in checkouts.items()
            }
    rows: list[list[object]] = [
        ["start to first frame, cold (no picture, show or font cache)", *(f"{r['cold']:.2f} s" for r in results.values())],
        ["start to first frame, warm (caches from a previous run)", *(f"{r['warm']:.2f} s" for r in results.values())],
    ]  # fmt: skip
    for w, h in sized:
        label = f"display peak RSS, all {n_cases} demo cases shown, {w}x{h}"
        rows.append([label, *(f"{r[f'peak {w}x{h}']:.0f} MiB" for r in results.values())])
    print(f"median of {args.runs} start-ups at {SIZE[0]}x{SIZE[1]}; a real server; headless")
    print(table(["measure", *results], rows))


if __name__ == "__main__":
    main()
