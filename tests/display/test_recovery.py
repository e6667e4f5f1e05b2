"""A display facing real faults: bad portrait files, a server killed and restarted, a flood."""

from __future__ import annotations

import contextlib
import itertools
import json
import struct
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
import zlib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import pygame
import pytest
from PIL import Image
from websockets.asyncio.server import ServerConnection

from projector.core.model import Case
from projector.display import DisplayOptions
from projector.display.assets import Assets
from projector.display.frame_info import FrameInfo
from projector.display.media_cache import STATE_FILE, MediaCache
from projector.display.output.mode import OutputMode
from projector.display.run import run_display
from scenes.portrait import PortraitScene
from tests.display.fake_server import FakeServer
from tests.display.screens import live_options, sample_state, surface
from tests.display.test_link import snapshot, totals
from tests.server.test_process import ServerProcess, create_token
from tests.tmpfs import mounted_tmpfs

SMALL = (320, 180)


def huge_png(path: Path, width: int = 30_000, height: int = 30_000) -> None:
    """A tiny file whose header claims a picture far beyond any limit."""
    Image.new("L", (8, 8)).save(path)
    data = bytearray(path.read_bytes())
    ihdr = 8 + 8  # signature, then length + "IHDR"
    data[ihdr : ihdr + 8] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[12 : ihdr + 13]))
    data[ihdr + 13 : ihdr + 17] = struct.pack(">I", crc)
    path.write_bytes(bytes(data))


def bad_media(tmp_path: Path) -> dict[str, Case]:
    cases = {}

    def case(case_id: str, write: Callable[[Path], object] | None) -> None:
        folder = tmp_path / case_id
        folder.mkdir()
        if write is not None:
            write(folder / "portrait.png")
        cases[case_id] = Case(
            case_id, case_id.title(), "TR", "A story.", "Write now.", portrait="portrait.png"
        )

    def good(p: Path) -> None:
        Image.new("RGB", (600, 800), (120, 90, 60)).save(p)

    def truncated(p: Path) -> None:
        good(p)
        p.write_bytes(p.read_bytes()[:300])

    case("good", good)
    case("missing", None)
    case("truncated", truncated)
    case("not-an-image", lambda p: p.write_text("#!/bin/sh\necho pwned\n"))
    case("enormous", huge_png)
    return cases


def test_bad_portrait_files_leave_the_case_on_screen_with_text(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cases = bad_media(tmp_path)
    state = replace(sample_state(), cases=MappingProxyType(cases))
    assets = Assets(SMALL, name="t", media_dir=tmp_path)  # the real PortraitLoader
    assets.set_cases(state.cases)
    size = (120, 160)
    results = {}
    deadline = time.monotonic() + 20
    for case_id in cases:
        assets.portrait(case_id, size)
    while time.monotonic() < deadline and any(assets.portrait_pending(c, size) for c in cases):
        for case_id in cases:
            results[case_id] = assets.portrait(case_id, size)
        time.sleep(0.02)
    for case_id in cases:
        results[case_id] = assets.portrait(case_id, size)
    assert results["good"] is not None and results["good"].get_size() == size
    for bad in ("missing", "truncated", "not-an-image", "enormous"):
        assert results[bad] is None, bad
    logged = caplog.text
    for bad in ("truncated", "not-an-image", "enormous"):
        assert logged.count(f"portrait of {bad}") == 1, logged  # reported once, not every frame
    # and the scene still draws the case, name and all
    for case_id in cases:
        scene = PortraitScene()
        scene.enter(state, assets, {"case": case_id})
        for _ in range(3):
            scene.update(state, 1 / 60)
        scene.draw(surface(SMALL))
    assets.close()


def post(base: str, token: str, count: int) -> int:
    body = json.dumps({"id": uuid.uuid4().hex, "channel": "letter", "country": "TR", "count": count}).encode()
    request = urllib.request.Request(
        base + "/api/v1/actions",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        return int(json.loads(r.read())["rev"])


def test_a_display_survives_its_server_being_killed_and_restarted(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data")
    display_token = create_token(server.data_dir, "display")
    ingest = create_token(server.data_dir, "ingest")
    server.start()
    frames: list[FrameInfo] = []
    seen = threading.Condition()
    deadline = time.monotonic() + 60

    def on_frame(info: FrameInfo) -> bool:
        with seen:
            frames.append(info)
            seen.notify_all()
        return (info.total == 8 and info.connected) or time.monotonic() > deadline

    def wait_for(predicate: Callable[[FrameInfo], bool]) -> None:
        with seen:
            assert seen.wait_for(lambda: bool(frames) and predicate(frames[-1]), timeout=30), frames[-1:]

    def operator() -> None:
        wait_for(lambda f: f.connected)
        post(server.base, ingest, 5)
        wait_for(lambda f: f.total == 5)
        server.kill()  # SIGKILL: no goodbye
        wait_for(lambda f: not f.connected)
        time.sleep(1.0)
        server.start()
        post(server.base, ingest, 3)

    thread = threading.Thread(target=operator, daemon=True)
    thread.start()
    try:
        code = run_display(
            DisplayOptions(
                server=server.base,
                token=display_token,
                name="facade",
                mode=OutputMode.HEADLESS,
                realtime=True,
                size=SMALL,
                scene="totals",
                on_frame=on_frame,
                backoff=(0.05, 0.3),
                media=None,
            )
        )
    finally:
        server.kill()
    assert code == 0
    assert frames[-1].total == 8 and frames[-1].connected
    offline = [f for f in frames if not f.connected and f.total == 5]
    assert len(offline) > 30, "kept rendering the last state while the server was down"
    displayed = [f.displayed for f in frames if f.displayed is not None]
    assert displayed == sorted(displayed), "the counter never ran backwards"


@pytest.mark.parametrize("events", [20_000])
def test_a_flood_of_events_never_stalls_the_display(tmp_path: Path, events: int) -> None:
    async def flood(ws: ServerConnection, n: int) -> None:
        await ws.send(snapshot(0, 1))
        for i in range(events):
            await ws.send(totals(i + 1, i + 2))
        await ws.wait_closed()

    server = FakeServer(flood).start()
    frames: list[FrameInfo] = []
    deadline = time.monotonic() + 60

    def on_frame(info: FrameInfo) -> bool:
        frames.append(info)
        return info.total == events or time.monotonic() > deadline

    try:
        run_display(live_options(server.url, on_frame, size=SMALL))
    finally:
        server.stop()
    assert frames[-1].total == events
    gaps = [b.time - a.time for a, b in itertools.pairwise(frames)]
    assert max(gaps) < 0.5, f"a frame took {max(gaps) * 1000:.0f} ms while the flood was drained"


# --- a venue's bad luck (issue 19): the display starts and shows what it can -------------------------


def saved_show(tmp_path: Path) -> bytes:
    """The show file a display left in its cache folder on a previous night."""
    cache = MediaCache(tmp_path / "previous")
    cache.save_state(sample_state(total=777_000, rev=42))
    cache.close()
    return (tmp_path / "previous" / STATE_FILE).read_bytes()


def test_a_read_only_cache_folder_still_plays_the_saved_show(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    frames: list[FrameInfo] = []
    show = saved_show(tmp_path)
    with mounted_tmpfs(tmp_path / "ro", "ro,size=1m", fill={f"cache/{STATE_FILE}": show}) as disk:
        opts = DisplayOptions(
            server="http://127.0.0.1:9",  # the venue's network is down too
            token="t", mode=OutputMode.HEADLESS, size=SMALL, frames=30, media=None,
            cache=disk / "cache", wait_for_snapshot=0.5, backoff=(0.05, 0.1),
            on_frame=frames.append,
        )  # fmt: skip
        assert run_display(opts) == 0
    assert len(frames) == 30
    assert {f.rev for f in frames} == {42} and frames[-1].scene != "ident"  # the show, from the cache
    assert "cannot be created" in caplog.text  # said in the log: pictures cannot be fetched


def test_a_full_cache_disk_does_not_stop_the_show(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    frames: list[FrameInfo] = []
    with mounted_tmpfs(tmp_path / "full", "size=64k") as disk:
        ballast = disk / "ballast"
        with contextlib.suppress(OSError), ballast.open("wb") as f:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
        opts = DisplayOptions(
            mode=OutputMode.HEADLESS, size=SMALL, frames=90, media=None, state=sample_state(rev=7),
            cache=disk / "cache", on_frame=frames.append,
        )  # fmt: skip
        assert run_display(opts) == 0
    assert len(frames) == 90 and frames[-1].rev == 7 and frames[-1].scene != "fallback"


def test_no_monitor_connected_still_starts_at_a_usual_size(monkeypatch: pytest.MonkeyPatch) -> None:
    # The console's driver is up and sees no screen (a projector switched on later): a fake at the edge.
    monkeypatch.setattr(pygame.display, "get_desktop_sizes", lambda: [])
    sizes: list[tuple[int, int]] = []

    def on_frame(info: FrameInfo) -> bool:
        assert info.output is not None
        sizes.append(info.output.get_size())
        return False

    opts = DisplayOptions(
        mode=OutputMode.FULLSCREEN, frames=5, media=None, state=sample_state(), on_frame=on_frame
    )
    assert run_display(opts) == 0
    assert sizes == [(1920, 1080)] * 5


def test_a_video_driver_that_cannot_start_is_one_line_and_exit_1(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "projector.cli", "display", "--frames", "3", "--server", "http://127.0.0.1:9"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"SDL_VIDEODRIVER": "no-such-driver", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    # The service restarts it (Restart=always) until a screen can be driven; never a traceback.
    assert done.returncode == 1
    assert (
        done.stderr.startswith("projector display: no usable video device") and "Traceback" not in done.stderr
    )
    assert done.stderr.count("\n") == 1
