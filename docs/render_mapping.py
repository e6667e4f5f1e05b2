"""Render the projection-mapping pictures of the README, headless, into docs/mapping/*.png.

    python docs/render_mapping.py [--out docs/mapping]

* ``straight.png`` / ``mapped.png``: a scene as the display draws it, and the same frame as the
  projector gets it through a corner-pin, two window masks and a right-edge blend (a real
  ``projector display`` run each, the mapping kept in its cache folder as a display keeps it).
* ``grid-mapped.png``: the grid pattern through the same mapping (circles turn to ellipses,
  lines stay straight: the corner-pin is a perspective).
* ``overlap-left.png`` / ``overlap-right.png`` / ``overlap-wall.png``: the overlap pattern on two
  outputs whose slices overlap by 480 px, each blending that edge, and the two on the wall.
* ``wall-unblended.png`` / ``wall-blended.png``: the light two projectors put on a wall (their
  outputs added in linear light, gamma 2.2), without and with the edge blend.

Pictures are scaled down for the README.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import pygame
from PIL import Image

import scenes  # noqa: F401  (registers the built-in scenes: the display never imports them)
from docs.render_scenes import demo_state
from media.dossier import DEMO_DIR
from projector.core.calibration import parse_outputs
from projector.core.mapping import parse_mapping
from projector.display.options import DisplayOptions
from projector.display.output.mode import OutputMode
from projector.display.output.outputs import MAPPINGS_FILE, OutputSet
from projector.display.run import run_display

W, H = 1920, 1080
OVERLAP = 480
TWO = f"left:0,0,{W}x{H};right:{W - OVERLAP},0,{W}x{H}"
FACADE = {
    "name": "main",
    "size": [W, H],
    # A projector low and to the left: the picture leans and narrows to the right.
    "corners": [[150, 118], [1800, 36], [1876, 1050], [96, 962]],
    "masks": [
        [[1236, 300], [1476, 292], [1482, 640], [1242, 648]],
        [[1536, 288], [1740, 280], [1746, 628], [1542, 636]],
    ],
    "blend": {"right": 300, "curve": 2.0, "gamma": 2.2},
}
BLENDS = {
    "left": {"name": "left", "size": [W, H], "blend": {"right": OVERLAP}},
    "right": {"name": "right", "size": [W, H], "blend": {"left": OVERLAP}},
}


def render(
    out: Path, *, scene: str, params: dict[str, str], outputs: str | None, kept: Mapping[str, object]
) -> Path:
    """One headless display run (5 s of frames); the folder with its last frame(s)."""
    cache = out / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    (cache / MAPPINGS_FILE).write_text(json.dumps(kept))
    opts = DisplayOptions(
        state=demo_state(),
        mode=OutputMode.HEADLESS,
        frames=300,
        out=out / "frames",
        size=(W, H),
        scene=scene,
        scene_params=params,
        media=DEMO_DIR,
        cache=cache,
        outputs=parse_outputs(outputs) if outputs else None,
    )
    if run_display(opts) != 0:
        raise SystemExit("the display failed")
    return out / "frames"


def save(image: Image.Image, path: Path, width: int) -> None:
    image = image.convert("RGB")
    image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS).save(
        path, optimize=True
    )
    print(path)


def light(path: Path) -> np.ndarray:
    return (np.asarray(Image.open(path).convert("RGB"), np.float64) / 255) ** 2.2


def wall(left: Path, right: Path) -> Image.Image:
    """Two projectors' light on one wall: added where they overlap, back to pixel values."""
    a, b = light(left), light(right)
    total = np.zeros((H, 2 * W - OVERLAP, 3))
    total[:, :W] += a
    total[:, W - OVERLAP :] += b
    return Image.fromarray((np.clip(total, 0, 1) ** (1 / 2.2) * 255).round().astype(np.uint8))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "mapping")
    parser.add_argument("--patterns-only", action="store_true", help="only the test-pattern pictures (quick)")
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    if args.patterns_only:
        patterns(out)
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        portrait = {"case": "ayse-karaman"}
        frames = render(work / "straight", scene="portrait", params=portrait, outputs=None, kept={})
        save(Image.open(frames / "frame-00300.png"), out / "straight.png", 960)
        frames = render(
            work / "mapped", scene="portrait", params=portrait, outputs=None, kept={"main": FACADE}
        )
        save(Image.open(frames / "frame-00300.png"), out / "mapped.png", 960)

        frames = render(work / "unblended", scene="totals", params={}, outputs=TWO, kept={})
        save(
            wall(frames / "frame-00300-left.png", frames / "frame-00300-right.png"),
            out / "wall-unblended.png",
            960,
        )
        frames = render(work / "blended", scene="totals", params={}, outputs=TWO, kept=BLENDS)
        save(
            wall(frames / "frame-00300-left.png", frames / "frame-00300-right.png"),
            out / "wall-blended.png",
            960,
        )

    patterns(out)


def patterns(out: Path) -> None:
    """The test patterns, straight from the outputs' stages (no scene to wait for)."""

    def grab(outputs: OutputSet, name: str) -> Image.Image:
        picture = outputs.picture(name)
        assert picture is not None
        return Image.frombytes("RGB", picture.get_size(), pygame.image.tobytes(picture, "RGB"))

    single = OutputSet.open(parse_outputs(f"main:0,0,{W}x{H}"), mode=OutputMode.HEADLESS)
    single.set_mapping("main", parse_mapping(FACADE))
    single.set_pattern("main", "grid")
    single.render(single.surface())
    save(grab(single, "main"), out / "grid-mapped.png", 960)
    single.close()

    outputs = OutputSet.open(parse_outputs(TWO), mode=OutputMode.HEADLESS)
    for name, wire in BLENDS.items():
        outputs.set_mapping(name, parse_mapping(wire))
        outputs.set_pattern(name, "overlap")
    outputs.render(outputs.surface())
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("left", "right"):
            picture = grab(outputs, name)
            save(picture, out / f"overlap-{name}.png", 640)
            picture.save(Path(tmp) / f"{name}.png")
        save(wall(Path(tmp) / "left.png", Path(tmp) / "right.png"), out / "overlap-wall.png", 960)
    outputs.close()


if __name__ == "__main__":
    main()
