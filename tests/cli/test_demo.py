"""`projector demo` end to end, headless: server, feed and display."""

from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import time
import unicodedata
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageStat

from projector.cli.demo import DEMO_CYCLE, DemoSecrets, add_demo_arguments, demo_server, display_options
from projector.display.app import DisplayApp
from projector.display.frame_info import FrameInfo

ROOT = Path(__file__).resolve().parents[2]
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


def test_demo_runs_headless_and_renders_real_frames(tmp_path: Path) -> None:
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


# ------------------------------------------------------------------------------ two minutes of a night

DEMO_SECONDS = 120.0
#: Frames a second: low, to keep the CPU for the server and the feed; a scene's
#: clock still runs in real time (each frame gets the real time since the last).
FPS = 8


def script(text: str) -> str:
    """The script of a message's first letter: LATIN, ARABIC, CJK, ..."""
    letter = next(ch for ch in text if ch.isalpha())
    return unicodedata.name(letter, "UNKNOWN").split()[0]


def test_two_minutes_of_the_demo_stay_inside_the_rules_and_fill_the_wall(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The demo as it runs for a viewer: its defaults, two real minutes, no error in its log.

    Why two minutes of wall-clock time, and not compressed: the feed, the
    server's moderation rules (flood and duplicate windows), the display's
    rotation and the wall's reading times all run on the real clock. A feed
    with a shorter message interval, or a display rendering flat out with a
    simulated clock, would test some other demo. So this runs the real pieces
    in one process (``demo_server``: the seeded database, the server and the
    feed at the demo's defaults; ``display_options``: the demo's display with
    its cycle and 12 s rotation), and changes only what costs CPU without
    changing what is shown: a small headless frame paced in real time at a
    low frame rate. Then it checks what the display held and drew.
    """
    caplog.set_level(logging.INFO)
    parser = argparse.ArgumentParser()
    add_demo_arguments(parser)
    ns = parser.parse_args(
        ["--headless", "--size", "640x360", "--port", "0", "--data-dir", str(tmp_path / "data")]
    )
    assert ns.rotation == 12.0 and ns.cycle == DEMO_CYCLE and ns.rate == 40.0  # the demo's defaults

    scenes: set[str] = set()
    wall: dict[str, str] = {}  # id -> text, every approved message the display held
    spotlit: set[str] = set()  # ids in the wall's spotlight, on screen
    drawn: set[str] = set()  # ids drawn by the wall: the spotlight and the cards beneath it
    first_frame: list[float] = []
    with demo_server(ns) as running:

        def watch(info: FrameInfo) -> bool:
            first_frame[:] = first_frame or [info.time]
            state = app.replica.state
            for message in state.wall if state is not None else ():
                wall[message.id] = message.text
            scenes.add(info.scene)
            if info.spotlight is not None:
                spotlit.add(info.spotlight)
                # the latest few beneath it, drawn as small cards (read as FrameInfo reads ``spot``)
                scene = app.director.scene if app.director is not None else None
                drawn.update(getattr(scene, "grid", ()), (info.spotlight,))
            return info.time - first_frame[0] >= DEMO_SECONDS

        options = display_options(ns, running.base, running.demo, running.data_dir)
        assert options.cycle == DEMO_CYCLE and options.rotation == 12.0
        app = DisplayApp(replace(options, realtime=True, fps=FPS, on_frame=watch))
        began = time.monotonic()
        assert app.run() == 0
        took = time.monotonic() - began
        request = urllib.request.Request(
            f"{running.base}/api/v1/messages?status=rejected&limit=1000",
            headers={"Authorization": f"Bearer {running.demo.operator}"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            rejected = json.load(answer)["messages"]

    assert DEMO_SECONDS <= took < DEMO_SECONDS + 20
    problems = [
        f"{r.levelname} {r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.ERROR
        or (r.levelno >= logging.WARNING and r.name.startswith("projector.cli.feed"))
    ]
    assert not problems, "\n".join(problems)

    assert scenes >= set(DEMO_CYCLE), scenes  # every scene of the rotation, the QR code's included
    held = set(wall.values())
    on_screen = {wall[i] for i in drawn}
    in_spotlight = {wall[i] for i in spotlit}
    scripts = {script(t) for t in on_screen}
    print(
        f"\n{len(held)} distinct messages reached the display's wall, {len(on_screen)} were drawn by the"
        f" wall scene ({len(in_spotlight)} in its spotlight), in scripts {sorted(scripts)}"
    )
    assert len(held) >= 10, held
    assert len(on_screen) >= 10, on_screen  # not the same three again and again
    assert len(in_spotlight) >= 3, in_spotlight  # the spotlight moves on to new messages
    assert len(scripts) >= 4, scripts
    # the planned refusals happened, and were the rules' and the moderator's, not a flood's
    by_rules = [m for m in rejected if m["decided_by"] == "rules"]
    by_moderator = [m for m in rejected if m["decided_by"] not in ("rules", None)]
    assert any("blocked word" in m["notes"] for m in by_rules), rejected
    assert by_moderator, rejected
    assert not any("flood" in m["notes"] for m in rejected), rejected


def test_the_demo_display_takes_a_locale_from_the_flag_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = DemoSecrets(admin_password="p", ingest="i", operator="o", display="d")

    def options(*args: str) -> str | None:
        parser = argparse.ArgumentParser()
        add_demo_arguments(parser)
        return display_options(parser.parse_args(list(args)), "http://x", secrets, tmp_path).locale

    monkeypatch.delenv("PROJECTOR_LOCALE", raising=False)
    assert options() is None  # the campaign's language decides
    assert options("--locale", "ar") == "ar"
    monkeypatch.setenv("PROJECTOR_LOCALE", "tr-TR")
    assert options() == "tr-TR"
    assert options("--locale", "fr") == "fr"
