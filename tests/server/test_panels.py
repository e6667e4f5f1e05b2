"""The panel hub: its push task stops when asked; one panel that never reads holds up no other."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import socket
import time
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from projector.server import panels as panels_module
from projector.server.config import Config
from projector.server.services import SERVICES, build_services
from tests.conftest import RunningServer


async def test_close_stops_the_push_task_even_when_a_change_arrives_with_the_cancel(tmp_path: Path) -> None:
    panels = build_services(replace(Config(), data_dir=tmp_path)).panels
    panels.start()
    for _ in range(20):
        await asyncio.sleep(0.01)
        # A change and the shutdown at the same moment: on 3.11 asyncio.wait_for swallowed
        # this cancel and close() then waited forever (a hung server shutdown).
        panels.dirty.set()
        closing = asyncio.ensure_future(panels.close())
        done, _ = await asyncio.wait({closing}, timeout=1.0)
        assert done, "close() did not finish: the push task ignored its cancel"
        panels.start()
    await panels.close()


async def test_a_panel_that_never_reads_holds_up_no_other_and_is_dropped(
    live: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(panels_module, "SEND_TIMEOUT", 2.0)
    headers = {"Authorization": f"Bearer {live.tokens['operator']}"}
    # A big show makes every push ~150 kB, so a socket nobody reads fills its buffers in seconds.
    cues = [{"id": f"c{i}", "scene": "totals", "label": "x" * 200} for i in range(500)]
    async with live.session.put(live.base + "/api/v1/show", json={"cues": cues}, headers=headers) as r:
        assert r.status == 200
    port = int(live.base.rsplit(":", 1)[1])
    loop = asyncio.get_running_loop()
    stuck = socket.socket()
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.setblocking(False)
    await loop.sock_connect(stuck, ("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    await loop.sock_sendall(
        stuck,
        (
            "GET /api/v1/panel/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Authorization: Bearer {live.tokens['operator']}\r\n\r\n"
        ).encode(),
    )
    assert (await loop.sock_recv(stuck, 12)).startswith(b"HTTP/1.1 101")  # and never reads again
    hub = live.app[SERVICES].panels
    try:
        async with live.session.ws_connect(live.base + "/api/v1/panel/ws", headers=headers) as good:
            await good.receive(timeout=5)
            arrivals: list[float] = []
            totals: list[int] = []
            ingest = {"Authorization": f"Bearer {live.tokens['ingest']}"}
            started = time.monotonic()
            sent = 0
            while time.monotonic() - started < 8:
                action = {"id": uuid.uuid4().hex, "channel": "sms", "country": "KE"}
                async with live.session.post(live.base + "/api/v1/actions", json=action, headers=ingest) as r:
                    assert r.status in (200, 202)
                sent += 1
                with contextlib.suppress(TimeoutError):
                    while True:
                        msg = await good.receive(timeout=0.05)
                        arrivals.append(time.monotonic())
                        totals.append(json.loads(msg.data)["totals"]["total"])
            gaps = [b - a for a, b in itertools.pairwise([started, *arrivals])]
            assert max(gaps) < 1.5, f"the good panel waited {max(gaps):.1f} s behind the stuck one"
            assert totals[-1] >= sent - 5
            deadline = time.monotonic() + 15
            while len(hub.panels) > 1 and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            assert len(hub.panels) == 1, "the panel that never reads was not dropped"
    finally:
        stuck.close()
