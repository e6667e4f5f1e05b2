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
from projector.core.protocol import Resync, Status
from projector.display import DisplayOptions, run_display
from projector.display.app import DisplayApp, FrameInfo
from tests.display.fake_server import FakeServer
from tests.display.screens import lit_pixels, sample_state
from tests.display.test_link import GARBAGE, snapshot, totals

SMALL = (320, 180)


def test_headless_writes_n_pngs_of_the_requested_size(tmp_path: Path) -> None:
    infos: list[FrameInfo] = []
    opts = DisplayOptions(
        state=sample_state(4321),
        headless=True,
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
            DisplayOptions(state=sample_state(), headless=True, frames=2, out=out, size=SMALL, media=None)
        )
        runs.append(pygame.image.tobytes(pygame.image.load(str(out / "frame-00002.png")), "RGB"))
    assert runs[0] == runs[1]


def test_without_a_snapshot_the_ident_card_shows_never_black(tmp_path: Path) -> None:
    infos: list[FrameInfo] = []
    run_display(
        DisplayOptions(headless=True, frames=2, out=tmp_path, size=SMALL, on_frame=infos.append, media=None)
    )
    assert {i.scene for i in infos} == {"ident"}
    assert lit_pixels(pygame.image.load(str(tmp_path / "frame-00002.png"))) > 500


def test_a_pinned_unknown_scene_shows_the_fallback(tmp_path: Path) -> None:
    infos: list[FrameInfo] = []
    opts = DisplayOptions(
        state=sample_state(),
        scene="nope",
        headless=True,
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
        headless=True,
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

    opts = DisplayOptions(
        server=server.url,
        headless=True,
        realtime=True,
        size=SMALL,
        scene="blackout",
        on_frame=on_frame,
        media=None,
    )
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
            state=sample_state(), windowed=True, size=SMALL, fps=240, on_frame=on_frame, media=None
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
        DisplayOptions(state=sample_state(), headless=True, size=SMALL, on_frame=on_frame, media=None)
    )
    assert app.run() == 0
    assert app.frames_drawn < 10
    assert signal.getsignal(sig) == before  # handlers restored
