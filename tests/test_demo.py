"""`projector demo` end to end, headless: server, feed and display in one command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageChops, ImageStat

ROOT = Path(__file__).resolve().parent.parent
YELLOW = (255, 221, 0)


def yellow_share(image: Image.Image) -> float:
    """Fraction of pixels close to the campaign yellow."""
    r, g, b = image.split()
    mask = ImageChops.multiply(
        ImageChops.multiply(
            r.point(lambda v: 255 if v > 200 else 0), g.point(lambda v: 255 if 170 < v < 245 else 0)
        ),
        b.point(lambda v: 255 if v < 80 else 0),
    )
    return ImageStat.Stat(mask).mean[0] / 255


def test_demo_runs_headless_and_renders_real_frames(tmp_path: Path):
    out = tmp_path / "frames"
    frames = 120
    result = subprocess.run(
        [
            sys.executable, "-m", "projector.cli", "demo", "--headless", "--frames", str(frames),
            "--size", "640x360", "--rotation", "1", "--out", str(out), "--port", "0",
            "--data-dir", str(tmp_path / "data"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env={"SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert "operator login:  admin / " in result.stdout
    assert "display 'demo' connected" in result.stderr
    paths = sorted(out.glob("frame-*.png"))
    assert len(paths) == frames
    images = [Image.open(p).convert("RGB") for p in paths]
    assert all(im.size == (640, 360) for im in images)
    # never a black screen by accident: every frame has something lit
    assert all(max(ImageStat.Stat(im).extrema[c][1] for c in range(3)) > 100 for im in images)
    # the campaign's yellow is on screen (headline, progress bar, call to action)
    assert max(yellow_share(im) for im in images) > 0.01
    # it moves: frames far apart differ (counter, rotation, transitions)
    assert ImageChops.difference(images[0], images[-1]).getbbox() is not None
