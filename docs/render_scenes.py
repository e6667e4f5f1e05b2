"""Render every scene headless, the way a display would, into docs/scenes/*.png.

    python docs/render_scenes.py [--size 1920x1080] [--out docs/scenes]

Uses the demo dossiers and the demo feed's messages; each picture is the last
of a few seconds of frames (portraits faded in, counters settled), scaled to
half size for the README.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from types import MappingProxyType

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image

from media.dossier import DEMO_DIR, load_dossiers
from projector.core.model import Campaign, Totals
from projector.core.state import Message, ShowState
from projector.display.options import DisplayOptions, parse_size, run_display
from projector.feed import MESSAGES

SHOTS = {
    "totals": {},
    "portrait": {"case": "ayse-karaman"},
    "messages": {},
    "ident": {},
    "fallback": {},
    "ticker": {},
    "qr": {"url": "https://example.org/submit", "title": "Send your message of solidarity"},
}


#: The wall in the pictures: several scripts at once, as on a campaign night.
WALL_LANGUAGES = ("en", "es", "fr", "tr", "hi", "ru", "km", "ar", "ko", "ja")


def demo_state(record_beaten: bool = False) -> ShowState:
    cases = {d.case.id: d.case for d in load_dossiers(DEMO_DIR)}
    # Oldest first: the last one is in the spotlight, the three before it beneath.
    picked = [next(m for m in MESSAGES if m[0] == lang) for lang in WALL_LANGUAGES]
    wall = tuple(
        Message(f"m{i}", text, name, country, lang) for i, (lang, name, country, text) in enumerate(picked)
    )
    by_channel = {
        "letter": 321_059,
        "email": 675_837,
        "sms": 146_720,
        "fax": 15_786,
        "tweet": 209_306,
        "signature": 531_745,
    }
    return ShowState(
        rev=1,
        campaign=Campaign("Write for Rights 2026", goal=2_300_000, record=1_900_000),
        totals=Totals.of(sum(by_channel.values()), by_channel, {}, {}),
        record_beaten_at=1.0 if record_beaten else None,
        cases=MappingProxyType(cases),
        wall=wall,
    )


def render(scene: str, params: dict[str, str], size: tuple[int, int], out: Path, state: ShowState) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        frames = 180
        run_display(
            DisplayOptions(
                server=None, name="facade-left", headless=True, frames=frames, out=Path(tmp), size=size,
                scene=scene, scene_params=params, state=state, media=DEMO_DIR,
            )
        )  # fmt: skip
        image = Image.open(Path(tmp) / f"frame-{frames:05d}.png")
        image.resize((size[0] // 2, size[1] // 2), Image.LANCZOS).save(out / f"{scene}.png", optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=parse_size, default=(1920, 1080))
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "scenes")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for scene, params in SHOTS.items():
        render(scene, params, args.size, args.out, demo_state())
        print(args.out / f"{scene}.png")


if __name__ == "__main__":
    main()
