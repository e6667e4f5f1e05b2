"""A display's cold prefetch of a 50-case show over loopback: ``python benchmarks/media_prefetch.py``.

The real server process holds 50 cases with a portrait each (distinct JPEGs
of 1200x1500, made from the demo drawings). A display's media cache (the
code ``projector display`` runs) starts empty and is told the show needs all
50: the time until every picture is downloaded, checked against its hash and
in place, one after another on the cache's worker thread.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._server import BenchServer, call_api, create_token, table, upload_jpeg
from benchmarks.media_variants import portraits
from projector.display.media_cache import MediaCache


def prefetch(root: Path, base: str, token: str, hashes: list[str]) -> tuple[float, MediaCache]:
    cache = MediaCache(root, server=base, token=token, retry=(0.01, 0.05))
    began = time.perf_counter()
    cache.want(hashes)
    while cache.counts() != (len(hashes), 0):
        time.sleep(0.002)
    took = time.perf_counter() - began
    cache.close()
    return took, cache


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="projector-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        operator = create_token(data_dir, "operator")
        display = create_token(data_dir, "display")
        with BenchServer(data_dir) as server:
            hashes, total = [], 0
            for i, photo in enumerate(portraits(args.cases)):
                media = upload_jpeg(server.base, operator, f"p{i}.jpg", photo)
                hashes.append(media["hash"])
                total += media["bytes"]
                case = {
                    "name": f"Case {i}",
                    "country": "TR",
                    "portrait": media["hash"],
                    "focus": media["focus"],
                }
                call_api(server.base, operator, "PUT", f"/api/v1/cases/case-{i}", case, timeout=60)
            # Let the server's background variant batch finish: it would compete for the two cores.
            while call_api(server.base, operator, "GET", "/api/v1/media/progress")["running"]:
                time.sleep(0.5)
            rows = []
            times = [
                prefetch(Path(tmp) / f"cold-{n}", server.base, display, hashes)[0] for n in range(args.repeat)
            ]
            best, median = min(times), statistics.median(times)
            rows.append(
                [
                    "cold prefetch",
                    f"{median * 1000:.0f} ms",
                    f"{best * 1000:.0f} ms",
                    f"{median / len(hashes) * 1000:.1f} ms",
                    f"{total / median / 2**20:.0f} MiB/s",
                ]
            )
    print(
        f"{args.cases} cases, {total / 2**20:.1f} MiB of portraits, server and display on one machine (loopback)"
    )
    print(table(["what", "median", "best", "per picture", "throughput"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
