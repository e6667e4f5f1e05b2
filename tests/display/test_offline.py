"""The issue's "done when": a display runs a show with an uploaded portrait, the server goes away,
the display process restarts, and the show plays from its cache alone, picture and all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pygame
import pytest
from PIL import Image, ImageChops, ImageStat

from media.dossier import DEMO_DIR
from media.pipeline import Treatment, prepare_portrait
from projector.display import DisplayOptions
from projector.display.frame_info import FrameInfo
from projector.display.output.mode import OutputMode
from projector.display.run import run_display
from scenes.portrait import PortraitScene
from tests.server.test_process import ROOT, ServerProcess, create_token

SIZE = (480, 270)
PORTRAIT = DEMO_DIR / "itzel-ramirez" / "portrait.png"


def call(
    base: str, token: str, method: str, path: str, body: object = None, raw: bytes | None = None
) -> dict[str, Any]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    ctype = "image/png" if raw is not None else "application/json"
    request = urllib.request.Request(
        base + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": ctype},
    )
    with urllib.request.urlopen(request, timeout=20) as r:
        answer: dict[str, Any] = json.loads(r.read())
        return answer


def set_up_show(base: str, operator: str) -> tuple[str, list[float]]:
    """An uploaded portrait, a case in two languages, and a one-cue show on program."""
    media = call(base, operator, "POST", "/api/v1/media?name=itzel.png", raw=PORTRAIT.read_bytes())
    focus = media["focus"]
    case = {
        "name": "Itzel Ramírez",
        "country": "MX",
        "lang": "en",
        "story": "Community radio host threatened for reporting on land grabs.",
        "ask": "Write to the governor: protect Itzel.",
        "translations": {
            "es": {"story": "Locutora amenazada por informar.", "ask": "Escribe al gobernador."}
        },
        "portrait": media["hash"],
        "focus": focus,
    }
    call(base, operator, "PUT", "/api/v1/cases/itzel", case)
    show = {
        "id": "night",
        "name": "Night",
        "cues": [{"id": "itzel", "scene": "portrait", "params": {"case": "itzel"}, "transition": "cut"}],
    }
    call(base, operator, "PUT", "/api/v1/show", show)
    call(base, operator, "POST", "/api/v1/cue/go", {})
    return media["hash"], focus


def panel_difference(frame: Image.Image, focus: list[float]) -> float:
    """Mean difference between the frame's portrait panel and the portrait as the pipeline treats it."""
    panel = PortraitScene.panel_size(SIZE)
    fx, fy = focus
    expected = prepare_portrait(PORTRAIT, panel, Treatment(), (fx, fy)).convert("RGB")
    actual = frame.convert("RGB").crop((0, 0, *panel))
    return sum(ImageStat.Stat(ImageChops.difference(expected, actual)).mean) / 3


def test_the_show_plays_from_the_cache_after_a_restart_with_the_server_down(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data")
    display_token = create_token(server.data_dir, "display")
    operator = create_token(server.data_dir, "operator")
    cache = tmp_path / "cache"
    server.start()
    try:
        media_hash, focus = set_up_show(server.base, operator)
        deadline = time.monotonic() + 60
        shown: list[FrameInfo] = []

        def on_frame(info: FrameInfo) -> bool:
            shown.append(info)
            cached = (cache / "media" / media_hash).is_file()
            return (cached and info.scene == "portrait" and len(shown) > 60) or time.monotonic() > deadline

        code = run_display(
            DisplayOptions(
                server=server.base,
                token=display_token,
                name="facade",
                mode=OutputMode.HEADLESS,
                realtime=True,
                size=SIZE,
                on_frame=on_frame,
                media=None,
                cache=cache,
            )
        )
        assert code == 0
        assert (cache / "media" / media_hash).is_file(), "the first run cached the portrait"
        assert shown[-1].scene == "portrait" and shown[-1].connected
    finally:
        server.kill()  # the venue's network is gone, and so is the server
    assert (cache / "show.json").is_file()

    out = tmp_path / "frames"
    began = time.monotonic()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "projector.cli",
            "display",
            "--headless",
            "--frames",
            "900",  # 15 s of show time, flat out: the portrait is decoded on a worker meanwhile
            "--out",
            str(out),
            "--size",
            f"{SIZE[0]}x{SIZE[1]}",
            "--server",
            server.base,
            "--token",
            display_token,
            "--name",
            "facade",
            "--cache",
            str(cache),
            "--languages",
            "es,en",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SDL_VIDEODRIVER": "dummy", "PROJECTOR_DISPLAY_TOKEN": ""},
    )
    took = time.monotonic() - began
    assert run.returncode == 0, run.stderr[-3000:]
    assert "playing the saved show" in run.stderr, run.stderr[-3000:]
    frames = sorted(out.glob("frame-*.png"))
    assert len(frames) == 900
    last = Image.open(frames[-1])
    assert last.size == SIZE
    # The portrait is on screen, from the cache, exactly as the pipeline treats it (not the placeholder).
    assert panel_difference(last, focus) < 6.0
    placeholder = Image.new("RGB", PortraitScene.panel_size(SIZE), (14, 14, 18))
    crop = last.convert("RGB").crop((0, 0, *PortraitScene.panel_size(SIZE)))
    assert sum(ImageStat.Stat(ImageChops.difference(placeholder, crop)).mean) / 3 > 20
    assert took < 60


@pytest.fixture(autouse=True)
def _quit_pygame() -> Iterator[None]:
    yield
    pygame.display.quit()
