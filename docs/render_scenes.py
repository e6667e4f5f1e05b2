"""Render every scene headless, the way a display would, into docs/scenes/*.png.

    python docs/render_scenes.py [--size 1920x1080] [--out docs/scenes]
    python docs/render_scenes.py --shapes     # docs/scenes/tower.png, tower-tr.png, banner.png, rtl.png


Uses the demo dossiers and the demo feed's messages; each picture is the last
of a few seconds of frames (portraits faded in, counters settled), scaled to
half size for the README.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image

import scenes as builtin_scenes  # noqa: F401  (registers the built-in scenes: the display never imports them)
from media.dossier import DEMO_DIR, load_dossiers
from projector.cli.feed import MESSAGES
from projector.core.model import Campaign, CaseText, Totals
from projector.core.state import Message, ShowState
from projector.display.options import DisplayOptions, parse_size
from projector.display.output.mode import OutputMode
from projector.display.run import run_display

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


def frame(
    scene: str, params: dict[str, str], size: tuple[int, int], state: ShowState, **kw: object
) -> Image.Image:
    """The last of three seconds of frames (portraits faded in, counters settled)."""
    with tempfile.TemporaryDirectory() as tmp:
        frames = 180
        run_display(
            DisplayOptions(
                server=None, name="facade-left", mode=OutputMode.HEADLESS, frames=frames, out=Path(tmp), size=size,
                scene=scene, scene_params=params, state=state, media=DEMO_DIR, realtime=True, **kw,  # type: ignore[arg-type]
            )
        )  # fmt: skip
        return Image.open(Path(tmp) / f"frame-{frames:05d}.png").convert("RGB")


def render(scene: str, params: dict[str, str], size: tuple[int, int], out: Path, state: ShowState) -> None:
    image = frame(scene, params, size, state)
    image.resize((size[0] // 2, size[1] // 2), Image.Resampling.LANCZOS).save(
        out / f"{scene}.png", optimize=True
    )


def sheet(pictures: list[Image.Image], across: bool, scale: float, gap: int = 12) -> Image.Image:
    """Pictures side by side (or one under the other), scaled, on the README's dark grey."""
    small = [
        p.resize((int(p.width * scale), int(p.height * scale)), Image.Resampling.LANCZOS) for p in pictures
    ]
    w = sum(p.width for p in small) + gap * (len(small) - 1) if across else max(p.width for p in small)
    h = max(p.height for p in small) if across else sum(p.height for p in small) + gap * (len(small) - 1)
    out = Image.new("RGB", (w, h), (60, 60, 60))
    at = 0
    for p in small:
        out.paste(p, (at, 0) if across else (0, at))
        at += (p.width if across else p.height) + gap
    return out


#: A right-to-left night: an Arabic campaign name, Arabic messages, a case told in Arabic.
RTL_ASK = "اكتبوا إلى النائب العام: أطلقوا سراح طارق وأسقطوا كل التهم الموجهة إليه."
RTL_STORY = "طالب اعتُقل بسبب منشور على الإنترنت، ومحتجز منذ أكثر من عام دون محاكمة."


def rtl_state() -> ShowState:
    base = demo_state()
    tarek = base.cases["tarek-abdelhady"]
    translations = {**tarek.translations, "ar": CaseText(RTL_STORY, RTL_ASK)}
    cases = {**base.cases, "tarek-abdelhady": replace(tarek, translations=MappingProxyType(translations))}
    arabic = [m for m in MESSAGES if m[0] in ("ar", "fa", "ur")]
    wall = tuple(
        Message(f"r{i}", text, name, country, lang) for i, (lang, name, country, text) in enumerate(arabic)
    )
    return replace(
        base,
        campaign=replace(base.campaign, name="اكتب من أجل الحقوق 2026"),
        cases=MappingProxyType(cases),
        wall=wall,
    )


def render_shapes(out: Path) -> None:
    state = demo_state()
    scenes = [
        ("totals", {}),
        ("portrait", {"case": "alesia-karpovich"}),
        ("messages", {}),
        ("qr", SHOTS["qr"]),
    ]
    tower = [frame(name, params, (1080, 1920), state) for name, params in scenes]
    sheet(tower, across=True, scale=0.3).save(out / "tower.png", optimize=True)
    banner = [frame(name, params, (3840, 1080), state) for name, params in scenes]
    sheet(banner, across=False, scale=0.3).save(out / "banner.png", optimize=True)
    facade = [
        frame("totals", {"variant": "facade"}, (1920, 1080), state),
        frame("portrait", {"case": "alesia-karpovich", "variant": "facade"}, (1920, 1080), state),
    ]
    sheet(facade, across=True, scale=0.4).save(out / "facade.png", optimize=True)
    turkish = [frame(name, params, (1080, 1920), state, locale="tr-TR") for name, params in scenes]
    sheet(turkish, across=True, scale=0.3).save(out / "tower-tr.png", optimize=True)
    rtl = rtl_state()
    arabic = [
        frame("messages", {}, (1920, 1080), rtl, locale="ar"),
        frame("portrait", {"case": "tarek-abdelhady"}, (1920, 1080), rtl, locale="ar"),
        frame("totals", {}, (1080, 1920), rtl, locale="ar"),
    ]
    top = sheet(arabic[:2], across=False, scale=0.4)
    sheet([top, arabic[2].resize((int(1080 * top.height / 1920), top.height))], across=True, scale=1.0).save(
        out / "rtl.png", optimize=True
    )
    for name in ("tower", "tower-tr", "banner", "facade", "rtl"):
        print(out / f"{name}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=parse_size, default=(1920, 1080))
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "scenes")
    parser.add_argument(
        "--shapes", action="store_true", help="the scenes on a tower, a banner, a facade, in Arabic"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.shapes:
        render_shapes(args.out)
        return
    for scene, params in SHOTS.items():
        render(scene, params, args.size, args.out, demo_state())
        print(args.out / f"{scene}.png")


if __name__ == "__main__":
    main()
