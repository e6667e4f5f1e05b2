"""Every variant of 100 portraits, serial and on every core: ``python benchmarks/media_variants.py``.

What a campaign pays when it imports its dossiers (``projector cases import``
then ``projector media prepare``, or the server's background batch): 100
distinct portraits (the demo drawings, flipped, cropped and tinted so each has
its own hash) x 5 variants (a 480 px thumbnail, duotone at 1080p and 4K,
cutout and natural at 1080p), each cover-cropped around its face. The
uploads' own cost (check, clean, hash, face search) is measured too.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageOps

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._server import table
from media.dossier import DEMO_DIR
from media.library import MediaLibrary
from media.variants import VARIANTS, jobs_for, prepare


def portraits(count: int) -> list[bytes]:
    """``count`` different JPEG photos made from the demo drawings (1200x1500, like a phone crop)."""
    sources = [Image.open(p).convert("RGB") for p in sorted(DEMO_DIR.glob("*/portrait.png"))]
    out = []
    for i in range(count):
        im = sources[i % len(sources)]
        if (i // len(sources)) % 2:
            im = ImageOps.mirror(im)
        k = i // (2 * len(sources))
        if k:
            im = im.crop((k * 7, k * 5, im.width - k * 3, im.height - k * 9)).resize((1200, 1500))
            im = Image.blend(im, Image.new("RGB", im.size, (k * 11 % 255, 40, 90)), 0.04)
        buffer = io.BytesIO()
        im.save(buffer, "JPEG", quality=90)
        out.append(buffer.getvalue())
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--portraits", type=int, default=100)
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="parallel run (default: every core)"
    )
    args = parser.parse_args(argv)
    print(
        f"{args.portraits} portraits x {len(VARIANTS)} variants; {os.cpu_count()} cores; "
        f"Python {platform.python_version()} {platform.machine()}"
    )
    photos = portraits(args.portraits)
    rows = []
    with tempfile.TemporaryDirectory(prefix="projector-bench-") as tmp:
        library = MediaLibrary(Path(tmp) / "media")
        ingest_ms = []
        began = time.perf_counter()
        pictures = []
        for i, data in enumerate(photos):
            t = time.perf_counter()
            item = library.ingest(data, f"p{i}.jpg")
            ingest_ms.append((time.perf_counter() - t) * 1000)
            pictures.append((item.hash, item.faces.focus))
        ingest_s = time.perf_counter() - began
        faces = sum(1 for _, f in pictures if f != (0.5, 0.4))
        rows.append(
            [
                "upload: check, clean, hash, face search",
                f"{len(photos)}",
                f"{ingest_s:.1f} s",
                f"{statistics.median(ingest_ms):.0f} ms",
                f"{len(photos) / ingest_s:.1f}/s",
            ]
        )
        for label, workers in (
            ("variants, 1 process", 1),
            (f"variants, {args.workers} processes", args.workers),
        ):
            for path in library.variants_root.rglob("*"):
                if path.is_file():
                    path.unlink()
            jobs = jobs_for(library.root, pictures)
            began = time.perf_counter()
            result = prepare(jobs, workers=workers)
            took = time.perf_counter() - began
            assert result.failed == 0, result.errors
            rows.append(
                [
                    label,
                    f"{len(jobs)}",
                    f"{took:.1f} s",
                    f"{took / len(jobs) * 1000:.0f} ms",
                    f"{len(jobs) / took:.1f}/s",
                ]
            )
        size = sum(p.stat().st_size for p in library.variants_root.rglob("*") if p.is_file())
    print(table(["work", "items", "wall time", "per item", "rate"], rows))
    print(f"faces found in {faces} of {len(pictures)} portraits; variants on disk: {size / 2**20:.0f} MiB")
    serial, parallel = (float(r[2].split()[0]) for r in rows[1:])
    print(f"speed-up on {args.workers} processes: {serial / parallel:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
