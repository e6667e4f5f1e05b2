"""The display loop, headless: PNG output, the link end to end, gaps, keys and signals."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pygame
import pytest
from websockets.asyncio.server import ServerConnection

import projector.display.app as app_module
from projector.core.calibration import parse_outputs
from projector.core.protocol import Resync, Snapshot, Status, You
from projector.core.safe_area import Box, SafeArea, usable_rect
from projector.core.wire import encode
from projector.display import DisplayOptions
from projector.display.app import DisplayApp, submit_url_for
from projector.display.frame_info import FrameInfo
from projector.display.output.mode import OutputMode
from projector.display.run import run_display
from tests.display.fake_server import FakeServer
from tests.display.screens import lit_pixels, live_options, sample_state
from tests.display.test_link import GARBAGE, snapshot, totals

SMALL = (320, 180)


def test_headless_writes_n_pngs_of_the_requested_size(tmp_path: Path) -> None:
    infos: list[FrameInfo] = []
    opts = DisplayOptions(
        state=sample_state(4321),
        mode=OutputMode.HEADLESS,
        frames=3,
        out=tmp_path,
        size=SMALL,
        on_frame=infos.append,
        media=None,
    )
    assert run_display(opts) == 0
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["frame-00001.png", "frame-00002.png", "frame-00003.png"]
    image = pygame.image.load(str(tmp_path / files[-1]))
    assert image.get_size() == SMALL and lit_pixels(image) > 500
    assert [i.index for i in infos] == [1, 2, 3]
    assert infos[0].scene == "totals" and infos[0].total == 4321 and infos[0].displayed == 4321


def test_headless_advances_the_clock_a_60th_per_frame_so_output_is_deterministic(tmp_path: Path) -> None:
    runs = []
    for name in ("a", "b"):
        out = tmp_path / name
        run_display(
            DisplayOptions(
                state=sample_state(), mode=OutputMode.HEADLESS, frames=2, out=out, size=SMALL, media=None
            )
        )
        runs.append(pygame.image.tobytes(pygame.image.load(str(out / "frame-00002.png")), "RGB"))
    assert runs[0] == runs[1]


def test_without_a_snapshot_the_ident_card_shows_never_black(tmp_path: Path) -> None:
    infos: list[FrameInfo] = []
    run_display(
        DisplayOptions(
            mode=OutputMode.HEADLESS, frames=2, out=tmp_path, size=SMALL, on_frame=infos.append, media=None
        )
    )
    assert {i.scene for i in infos} == {"ident"}
    assert lit_pixels(pygame.image.load(str(tmp_path / "frame-00002.png"))) > 500


def test_a_pinned_unknown_scene_shows_the_fallback(tmp_path: Path) -> None:
    infos: list[FrameInfo] = []
    opts = DisplayOptions(
        state=sample_state(),
        scene="nope",
        mode=OutputMode.HEADLESS,
        frames=2,
        size=SMALL,
        on_frame=infos.append,
        media=None,
    )
    assert run_display(opts) == 0
    assert infos[-1].scene == "fallback"


class Show:
    """Server script: a snapshot, events and garbage, then a drop; the second server comes back higher."""

    def __init__(self) -> None:
        self.first_done = threading.Event()

    async def first(self, ws: ServerConnection, n: int) -> None:
        await ws.send(snapshot(100, 1))
        await ws.send(totals(150, 2))
        for junk in GARBAGE:
            await ws.send(junk)
        await ws.send(totals(175, 3))
        await asyncio.sleep(1.0)
        self.first_done.set()

    async def second(self, ws: ServerConnection, n: int) -> None:
        await ws.send(snapshot(500, 10))
        await ws.wait_closed()


def test_the_display_keeps_the_last_state_while_offline_and_comes_back(
    tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setattr(app_module, "OFFLINE_GRACE", 0.2)
    show = Show()
    server = FakeServer(show.first).start()
    servers = [server]

    def restart_later() -> None:
        show.first_done.wait(10)
        server.stop()
        time.sleep(1.0)  # offline for a second
        servers.append(FakeServer(show.second, port=server.port).start())

    threading.Thread(target=restart_later, daemon=True).start()
    infos: list[FrameInfo] = []
    deadline = time.monotonic() + 20

    def on_frame(info: FrameInfo) -> bool:
        infos.append(info)
        return (info.total == 500 and info.connected) or time.monotonic() > deadline

    opts = DisplayOptions(
        server=server.url,
        token="t",
        name="facade",
        mode=OutputMode.HEADLESS,
        realtime=True,
        size=SMALL,
        out=tmp_path,
        scene="totals",
        on_frame=on_frame,
        status_interval=0.2,
        backoff=(0.05, 0.2),
        media=None,
    )
    try:
        assert run_display(opts) == 0
    finally:
        for s in servers:
            s.stop()
    assert infos[-1].total == 500 and infos[-1].displayed is not None
    offline = [i for i in infos if not i.connected and i.total == 175]
    assert len(offline) > 20, "the display kept rendering the last state while offline"
    statuses = [f for f in server.received if isinstance(f, Status)]
    assert statuses and statuses[-1].scene == "totals" and statuses[-1].rev == 3
    # The offline mark: grey in the top-right corner only while offline (after the grace period).
    late_offline = [i for i in offline if i.time - offline[0].time > 0.4]
    online = [i for i in infos if i.connected and i.total == 175]
    corner = pygame.Rect(SMALL[0] - 30, 0, 30, 30)

    def mark(info: FrameInfo) -> int:
        image = pygame.image.load(str(tmp_path / f"frame-{info.index:05d}.png"))
        return lit_pixels(image.subsurface(corner), threshold=30)

    assert late_offline and mark(late_offline[-1]) > 5
    assert online and mark(online[-1]) == 0


async def gap(ws: ServerConnection, n: int) -> None:
    if n == 1:
        await ws.send(snapshot(100, 5))
        await ws.send(totals(900, 9))  # revs 6..8 never arrived
    else:
        await ws.send(snapshot(900, 9))
    await ws.wait_closed()


def test_a_gap_in_revs_asks_the_server_for_a_snapshot() -> None:
    server = FakeServer(gap).start()
    deadline = time.monotonic() + 10
    infos: list[FrameInfo] = []

    def on_frame(info: FrameInfo) -> bool:
        infos.append(info)
        return any(isinstance(f, Resync) for f in server.received) or time.monotonic() > deadline

    opts = live_options(server.url, on_frame, token="", scene="blackout")
    try:
        run_display(opts)
    finally:
        server.stop()
    resyncs = [f for f in server.received if isinstance(f, Resync)]
    assert resyncs and resyncs[0].rev == 5
    assert all(i.total != 900 or i.rev == 9 for i in infos)  # the gapped event was not applied


def test_kiosk_ignores_escape_and_window_close_but_quits_on_ctrl_shift_q() -> None:
    def on_frame(info: FrameInfo) -> bool:
        if info.index == 2:
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_ESCAPE, mod=0))
            pygame.event.post(pygame.event.Event(pygame.QUIT))
        if info.index == 5:
            mods = pygame.KMOD_LCTRL | pygame.KMOD_LSHIFT
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_q, mod=mods))
        return info.index > 50

    app = DisplayApp(DisplayOptions(state=sample_state(), size=SMALL, fps=240, on_frame=on_frame, media=None))
    assert app.run() == 0
    assert app.frames_drawn == 6


def test_windowed_mode_quits_on_window_close() -> None:
    def on_frame(info: FrameInfo) -> bool:
        if info.index == 2:
            pygame.event.post(pygame.event.Event(pygame.QUIT))
        return info.index > 50

    app = DisplayApp(
        DisplayOptions(
            state=sample_state(), mode=OutputMode.WINDOW, size=SMALL, fps=240, on_frame=on_frame, media=None
        )
    )
    assert app.run() == 0 and app.frames_drawn == 3


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_stop_the_display_cleanly(sig: int) -> None:
    before = signal.getsignal(sig)

    def on_frame(info: FrameInfo) -> bool:
        if info.index == 3:
            os.kill(os.getpid(), sig)
        return info.index > 100

    app = DisplayApp(
        DisplayOptions(
            state=sample_state(), mode=OutputMode.HEADLESS, size=SMALL, on_frame=on_frame, media=None
        )
    )
    assert app.run() == 0
    assert app.frames_drawn < 10
    assert signal.getsignal(sig) == before  # handlers restored


# --- the safe area and the message form's address (issue 12) -------------------------------------------

WINDOWS = SafeArea(0.05, 0.0, 0.1, 0.0, (Box(0.1, 0.2, 0.2, 0.3),))
FORM = "https://act.example.org/submit"


def you_frames(frames: list[You], gap: float = 0.4) -> Any:
    """Server script: a snapshot saying who the display is, then ``frames``, ``gap`` seconds apart."""

    async def script(ws: ServerConnection, n: int) -> None:
        await ws.send(encode(Snapshot(sample_state(100, rev=1), time.time(), You("facade"))))
        for frame in frames:
            await asyncio.sleep(gap)
            await ws.send(encode(frame))
        await ws.wait_closed()

    return script


def test_a_safe_area_from_the_server_reaches_the_assets_and_the_scene_is_entered_again() -> None:
    frames = [
        You("facade", safe_area=WINDOWS, submit_url=FORM),
        You("facade", safe_area=WINDOWS, submit_url=FORM),  # the same again: nothing to lay out
        You("facade", latency_ms=20.0),  # cleared; the form is the display's own server's again
    ]
    server = FakeServer(you_frames(frames)).start()
    seen: list[tuple[Any, SafeArea, str | None]] = []  # (the scene object, safe area, form) per frame
    after: list[bool] = []  # per frame: the last frame had arrived
    deadline = time.monotonic() + 20
    app: DisplayApp

    def on_frame(info: FrameInfo) -> bool:
        assert app.director is not None
        seen.append((app.director.scene, app.director.assets.safe_area, app.director.assets.submit_url))
        after.append(app.you == frames[-1])
        return sum(after) > 5 or time.monotonic() > deadline

    app = DisplayApp(live_options(server.url, on_frame, token=""))
    try:
        assert app.run() == 0
    finally:
        server.stop()
    own = f"http://127.0.0.1:{server.port}/submit"
    assert seen[0][1:] == (SafeArea(), own)  # before the server says anything: its own server's form
    assert (WINDOWS, FORM) in [s[1:] for s in seen]
    assert seen[-1][1:] == (SafeArea(), own)
    # The scene was entered again exactly when the safe area changed: twice (set, cleared),
    # and not for the repeated frame in between.
    changes = [i for i in range(1, len(seen)) if seen[i][1] != seen[i - 1][1]]
    assert len(changes) == 2, changes
    assert all(seen[i][0] is not seen[i - 1][0] for i in changes)
    assert all(s[0] is seen[changes[0]][0] for s in seen[changes[0] : changes[1]])


def test_an_outputs_safe_area_is_moved_onto_its_slice_of_the_canvas() -> None:
    """Two outputs side by side: the right one's margin becomes a keep-out box on the canvas's right half."""
    found: dict[str, Any] = {}
    app: DisplayApp

    def on_frame(info: FrameInfo) -> bool:
        assert app.director is not None
        assets = app.director.assets
        if info.index == 2:
            found["before"] = (app.director.scene, assets.submit_url)
            you = You(
                "pair",
                safe_area=SafeArea(top=0.1),
                output_safe_areas=(("right", SafeArea(right=0.5)), ("gone", SafeArea(left=0.3))),
            )
            app._set_you(you, assets)
            found["after"] = (app.director.scene, assets.safe_area, assets.submit_url)
        return info.index >= 3

    app = DisplayApp(
        DisplayOptions(
            state=sample_state(),
            mode=OutputMode.HEADLESS,
            outputs=parse_outputs("left:0,0,160x180;right:160,0,160x180"),
            scene="totals",
            on_frame=on_frame,
            media=None,
        )
    )
    assert app.run() == 0
    scene, area, form = found["after"]
    assert found["before"][1] is None and form is None  # no server: no form to point at
    assert scene is not found["before"][0]
    assert area.top == 0.1 and area.right == 0.0
    assert area.avoid == (Box(0.75, 0.0, 0.25, 1.0),)  # the right output's right half; "gone" is not driven
    assert usable_rect((320, 180), area) == (0, 18, 240, 162)


@pytest.mark.parametrize(
    ("server", "form"),
    [
        (None, None),
        ("ws://10.0.0.5:8080/ws", "http://10.0.0.5:8080/submit"),
        ("http://10.0.0.5:8080", "http://10.0.0.5:8080/submit"),
        ("wss://act.example.org/projector/ws", "https://act.example.org/projector/submit"),
        ("https://act.example.org/projector", "https://act.example.org/projector/submit"),
        ("10.0.0.5:8080", "http://10.0.0.5:8080/submit"),
        ("ftp://nope", None),
    ],
)
def test_the_display_derives_the_message_form_from_its_server(server: str | None, form: str | None) -> None:
    assert submit_url_for(server) == form
