"""Show control persists a cue, then shows it (projector/server/show_control.py).

Three ways to see the order: in process, the store's write is done before the hub
broadcasts; a store that fails leaves the screens and the show as they were (503); and
a real server process killed the instant it acknowledged a GO comes back on that cue.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from projector.server.services import SERVICES
from projector.store.base import Store
from projector.store.records import StoreError
from tests.conftest import RunningServer, recv_json
from tests.server.routes.test_show import SHOW as FACADE
from tests.server.routes.test_show import call
from tests.server.test_process import ServerProcess, create_token
from tests.video_files import make_video


async def test_the_cue_is_stored_before_any_screen_is_told(
    live: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (await call(live, "PUT", "/api/v1/show", FACADE))[0] == 200
    order: list[str] = []
    writer, hub = live.app[SERVICES].store, live.app[SERVICES].hub
    real_call, real_publish = writer.call, hub.publish

    async def call_and_note(fn: Callable[[Store], Any]) -> Any:
        result = await real_call(fn)
        order.append("stored")
        return result

    def publish_and_note(events: Any) -> None:
        order.append("broadcast")
        real_publish(events)

    monkeypatch.setattr(writer, "call", call_and_note)
    monkeypatch.setattr(hub, "publish", publish_and_note)
    status, state = await call(live, "POST", "/api/v1/cue/go", {})
    assert status == 200 and state["program"] == 0
    assert order == ["stored", "broadcast"]
    stored = await real_call(lambda s: s.get_setting("cue_state"))
    assert stored is not None and '"program": 0' in stored


async def test_a_cue_the_store_cannot_keep_is_not_shown(
    live: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert (await call(live, "PUT", "/api/v1/show", FACADE))[0] == 200
    ws = await live.display("facade")
    assert (await recv_json(ws))["type"] == "snapshot"
    writer = live.app[SERVICES].store

    async def full_disk(fn: Callable[[Store], Any]) -> Any:
        raise StoreError("database or disk is full")

    monkeypatch.setattr(writer, "call", full_disk)
    status, body = await call(live, "POST", "/api/v1/cue/go", {})
    assert status == 503, body
    assert body["error"]["code"] == "store_failed"
    assert "not stored" in body["error"]["message"]
    assert live.app[SERVICES].show.state.program is None
    with pytest.raises(asyncio.TimeoutError):
        await recv_json(ws, timeout=0.5)  # no cue frame went out
    monkeypatch.undo()
    status, state = await call(live, "POST", "/api/v1/cue/go", {})
    assert status == 200 and state["program"] == 0


async def test_a_server_killed_right_after_acknowledging_go_restarts_on_that_cue(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data")
    operator = create_token(server.data_dir, "operator")
    headers = {"Authorization": f"Bearer {operator}"}
    server.start()
    try:
        async with aiohttp.ClientSession() as http:
            async with http.put(server.base + "/api/v1/show", json=FACADE, headers=headers) as r:
                assert r.status == 200
            for expected in (0, 1):
                async with http.post(server.base + "/api/v1/cue/go", json={}, headers=headers) as r:
                    assert r.status == 200
                    assert (await r.json())["program"] == expected
            server.kill()  # SIGKILL the moment the second GO was acknowledged
        server.start()
        async with (
            aiohttp.ClientSession() as http,
            http.get(server.base + "/api/v1/show", headers=headers) as r,
        ):
            state = await r.json()
        assert state["program"] == 1
    finally:
        server.kill()


async def test_a_video_cue_that_holds_until_its_end_follows_on_when_the_video_ends(
    live: RunningServer, tmp_path: Path
) -> None:
    """``hold = "end"``: the server's auto-follow timer takes the length the upload measured."""
    video = make_video(tmp_path / "short.mp4", seconds=1.0, fps=30)
    headers = {"Authorization": f"Bearer {live.tokens['operator']}"}
    async with live.session.post(
        live.base + "/api/v1/media/videos",
        data=video.read_bytes(),
        headers=headers,
    ) as r:
        assert r.status == 201
        media = (await r.json())["hash"]
    show = {
        "id": "film-night",
        "cues": [
            {"id": "film", "scene": "video", "params": {"media": media}, "hold": "end", "transition": "cut"},
            {"id": "after", "scene": "totals", "transition": "cut"},
        ],
    }
    status, body = await call(live, "PUT", "/api/v1/show", show)
    assert status == 200, body
    assert body["show"]["cues"][0]["hold"] == "end"
    loop = asyncio.get_running_loop()
    started = loop.time()
    status, state = await call(live, "POST", "/api/v1/cue/go")
    assert status == 200 and state["program"] == 0
    show_state = live.app[SERVICES].show
    while show_state.state.program == 0:
        assert loop.time() - started < 5, "the show never followed on"
        await asyncio.sleep(0.02)
    took = loop.time() - started
    assert show_state.state.program == 1
    assert 0.9 <= took <= 1.6, f"followed on after {took:.2f} s for a 1.0 s video"


async def test_hold_end_is_refused_where_no_end_comes(live: RunningServer) -> None:
    for cue, words in (
        ({"id": "a", "scene": "totals", "hold": "end"}, "totals has no end"),
        ({"id": "a", "scene": "video", "hold": "end", "params": {"loop": True}}, "loops"),
    ):
        status, body = await call(live, "PUT", "/api/v1/show", {"id": "s", "cues": [cue]})
        assert status == 422 and body["error"]["field"] == "cues[0].hold", body
        assert words in body["error"]["message"]
