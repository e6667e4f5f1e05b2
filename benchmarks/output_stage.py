"""Output-stage time per frame: corner-pin, mesh, masks and blends at 1080p and 4K, per path.

Measures what the projection-mapping stage adds to a display frame (scene in,
output pixels out), with the mapping set once beforehand as on a show night.
The software path is timed for each warp method OpenCV offers ("auto" is the
one the display uses); the OpenGL path is timed on whatever context EGL gives
(on a machine without a GPU that is Mesa's llvmpipe, a software rasteriser,
and the row says so). GL times include the scene upload and a glFinish, so
they are what a frame waits for.

    .venv/bin/python benchmarks/output_stage.py [--frames 200] [--sizes 1920x1080,3840x2160] [--threads N]
        [--clock wall|cpu] [--no-gl]

``--clock cpu`` measures the CPU time of the calling thread with OpenCV and
llvmpipe held to that one thread: what a frame costs on one core, whatever
else the machine is running (wall times on a shared machine are noise).
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ["SDL_VIDEODRIVER"] = "dummy"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cv2
import numpy as np
import pygame

from projector.core.mapping import OutputMapping, parse_mapping, regular_mesh
from projector.display.output.output_stage import AUTO_METHOD, SoftwareOutput
from projector.display.stats import percentile

BUDGET_MS = 6.0  # corner-pin + masks + blend at 1080p, from the issue


def mappings(size: tuple[int, int]) -> dict[str, OutputMapping]:
    """The cases, scaled to the output: a facade-like pin, a bent 16x16 mesh, two windows, blends."""
    w, h = size
    pin = [[0.05 * w, 0.04 * h], [0.96 * w, 0.01 * h], [0.99 * w, 0.97 * h], [0.02 * w, 0.93 * h]]
    mesh = [
        [[u + 0.01 * np.sin(6 * v), v + 0.008 * np.sin(5 * u)] for u, v in row]
        for row in regular_mesh(16, 16)
    ]
    windows = [
        [[0.30 * w, 0.30 * h], [0.42 * w, 0.31 * h], [0.42 * w, 0.55 * h], [0.30 * w, 0.54 * h]],
        [[0.60 * w, 0.32 * h], [0.72 * w, 0.31 * h], [0.73 * w, 0.56 * h], [0.61 * w, 0.56 * h]],
    ]
    blend = {"left": round(0.12 * w), "right": round(0.12 * w), "gamma": [2.2, 2.2, 2.2]}
    base: dict[str, object] = {"name": "bench", "size": [w, h]}
    cases: dict[str, dict[str, object]] = {
        "identity": {},
        "corner-pin": {"corners": pin},
        "16x16 mesh": {"corners": pin, "mesh": [[[float(u), float(v)] for u, v in row] for row in mesh]},
        "masks+blend": {"masks": windows, "blend": blend},
        "corner-pin+masks+blend": {"corners": pin, "masks": windows, "blend": blend},
        "... +brightness+black level": {
            "corners": pin,
            "masks": windows,
            "blend": blend,
            "brightness": 0.9,
            "black_level": 0.03,
        },
    }
    return {name: parse_mapping({**base, **extra}) for name, extra in cases.items()}


def scene(size: tuple[int, int]) -> pygame.Surface:
    surf = pygame.Surface(size).convert()
    rng = np.random.default_rng(1)
    pygame.surfarray.blit_array(surf, rng.integers(0, 256, (size[0], size[1], 3), dtype=np.uint8))
    return surf


CLOCK: Callable[[], float] = time.perf_counter


def timed(frame: Callable[[], None], frames: int) -> tuple[float, float]:
    for _ in range(10):
        frame()
    times = []
    for _ in range(frames):
        started = CLOCK()
        frame()
        times.append((CLOCK() - started) * 1000)
    return percentile(times, 50), percentile(times, 99)


def software_rows(
    size: tuple[int, int], frames: int, threads: int | None
) -> list[tuple[str, str, float, float]]:
    src, target = scene(size), pygame.Surface(size).convert()
    rows = []
    for method in ("auto", "matrix", "fixed", "float"):
        for case, m in mappings(size).items():
            if method != "auto" and (
                case in ("identity", "masks+blend") or (method == "matrix" and "mesh" in case)
            ):
                continue  # no warp to compare, or a method that cannot draw a mesh
            stage = SoftwareOutput(size, m, threads=threads, method=method)
            p50, p99 = timed(functools.partial(stage.render, src, target), frames)
            rows.append((f"software ({method})", case, p50, p99))
    return rows


def gl_rows(size: tuple[int, int], frames: int) -> list[tuple[str, str, float, float]]:
    try:
        from projector.display.output.output_gl import GLOutput, is_software_renderer

        stage = GLOutput.offscreen(size)
    except Exception as exc:
        print(f"OpenGL path not measured: {exc}", file=sys.stderr)
        return []
    label = "opengl: " + stage.renderer.split(" (")[0]
    if is_software_renderer(stage.renderer):
        label += " (software GL)"
    src = scene(size)
    rows = []
    for case, m in mappings(size).items():
        stage.set_mapping(m)

        def frame() -> None:
            stage.render(src)
            stage.ctx.finish()

        p50, p99 = timed(frame, max(20, frames // 4))
        rows.append((label, case, p50, p99))
    stage.release()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--sizes", default="1920x1080,3840x2160")
    parser.add_argument("--threads", type=int, default=None, help="OpenCV threads (default: OpenCV's)")
    parser.add_argument("--no-gl", action="store_true")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    args = parser.parse_args()
    if args.clock == "cpu":
        global CLOCK
        CLOCK = time.thread_time
        args.threads = 1
        os.environ["LP_NUM_THREADS"] = "0"  # llvmpipe rasterises in the calling thread
    pygame.display.init()
    pygame.display.set_mode((1, 1))
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    results: dict[tuple[int, int], list[tuple[str, str, float, float]]] = {}
    for size in sizes:
        rows = software_rows(size, args.frames, args.threads)  # type: ignore[arg-type]
        if not args.no_gl:
            rows += gl_rows(size, args.frames)  # type: ignore[arg-type]
        results[size] = rows  # type: ignore[index]
    header = f"{'path':<36} | {'case':<28}" + "".join(f" | {w}x{h} p50 ms |  p99 ms" for w, h in sizes)
    print(header)
    print("-" * len(header))
    first = results[sizes[0]]  # type: ignore[index]
    for i, (path, case, _, _) in enumerate(first):
        line = f"{path:<36} | {case:<28}"
        for size in sizes:
            _, _, p50, p99 = results[size][i]  # type: ignore[index]
            line += f" | {p50:>17.2f} | {p99:>7.2f}"
        print(line)
    clock = "CPU time of one thread (1 OpenCV thread)" if args.clock == "cpu" else "wall time"
    print(
        f"\n{clock}; {args.frames} frames per software row (GL: a quarter); OpenCV {cv2.__version__} with "
        f"{cv2.getNumThreads()} threads, auto = {AUTO_METHOD}; numpy {np.__version__}; "
        f"pygame-ce {pygame.version.ver}; {os.cpu_count()} CPUs. Budget: corner-pin+masks+blend "
        f"<= {BUDGET_MS:g} ms at 1080p."
    )


if __name__ == "__main__":
    main()
