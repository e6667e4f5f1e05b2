"""The panel's server side: its websocket, displays and thumbnails, the chart, users, static files."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import random
import time
from pathlib import Path

import aiohttp
import pytest
from PIL import Image

from projector.server import panels, thumbnail_cap
from projector.server.panels import STREAMS, THUMBNAIL_WIDTH
from projector.server.routes import panel as http_panel
from projector.server.services import SERVICES
from projector.server.thumbnail_cap import STREAM_EVERY
from tests.conftest import RunningServer, recv_json

SHOW = {
    "cues": [
        {"id": "a", "scene": "totals", "transition": "cut"},
        {"id": "b", "scene": "messages", "transition": "cut"},
    ]
}


def auth(live: RunningServer, token: str = "operator") -> dict[str, str]:
    return {"Authorization": f"Bearer {live.tokens[token]}"}


async def test_the_panel_socket_pushes_state_on_connect_and_on_change(
    live: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with live.session.ws_connect(live.base + "/api/v1/panel/ws", headers=auth(live, "operator")) as ws:
        first = json.loads((await ws.receive(timeout=5)).data)
        assert first["type"] == "state" and first["show"] is None and "totals" in first
        async with live.session.put(live.base + "/api/v1/show", json=SHOW, headers=auth(live)) as r:
            assert r.status == 200
        async with live.session.post(live.base + "/api/v1/cue/go", headers=auth(live)) as r:
            assert r.status == 200
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            msg = json.loads((await ws.receive(timeout=5)).data)
            if msg["program"] == 0:
                break
        assert msg["show"]["cues"][0]["id"] == "a" and msg["preview"] == 1


async def test_the_panel_socket_needs_a_login_and_the_same_origin(live: RunningServer) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await live.session.ws_connect(live.base + "/api/v1/panel/ws")
    assert info.value.status == 401
    headers = {**auth(live, "operator"), "Origin": "https://evil.example"}
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await live.session.ws_connect(live.base + "/api/v1/panel/ws", headers=headers)
    assert info.value.status == 403


def jpeg() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (32, 18), (255, 221, 0)).save(buffer, "JPEG")
    return base64.b64encode(buffer.getvalue()).decode()


async def test_displays_are_listed_with_last_seen_and_thumbnails_while_a_panel_watches(
    live: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(panels, "REFRESH_INTERVAL", 0.2)
    ws = await live.display("lobby", capabilities=("thumbnail",))
    hello = await recv_json(ws)
    assert hello["type"] == "snapshot"
    async with live.session.ws_connect(live.base + "/api/v1/panel/ws", headers=auth(live, "operator")):
        while True:  # the server asks for a thumbnail once a panel is watching
            frame = await recv_json(ws)
            if frame["type"] == "thumbnail_request":
                break
        assert frame["width"] == THUMBNAIL_WIDTH
        await ws.send(json.dumps({"v": 1, "type": "thumbnail", "format": "jpeg", "data": "not base64!"}))
        assert (await recv_json(ws))["code"] == "bad_field"
        await ws.send(json.dumps({"v": 1, "type": "thumbnail", "format": "jpeg", "data": jpeg()}))
        for _ in range(50):
            async with live.session.get(
                live.base + "/api/v1/displays/lobby/thumbnail.jpg", headers=auth(live)
            ) as r:
                if r.status == 200:
                    assert r.content_type == "image/jpeg"
                    assert Image.open(io.BytesIO(await r.read())).size == (32, 18)
                    break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError("the thumbnail never arrived")
    await ws.close()
    await asyncio.sleep(0.1)
    async with live.session.get(live.base + "/api/v1/displays", headers=auth(live)) as r:
        (lobby,) = (await r.json())["displays"]
    assert lobby["name"] == "lobby" and lobby["connected"] is False and lobby["last_seen"]
    async with live.session.get(live.base + "/api/v1/displays/nobody/thumbnail.jpg", headers=auth(live)) as r:
        assert r.status == 404


async def test_actions_per_hour_for_the_chart(live: RunningServer) -> None:
    await live.post(
        "/api/v1/actions", {"actions": [{"id": f"h{i}", "channel": "sms", "country": "KE"} for i in range(7)]}
    )
    async with live.session.get(live.base + "/api/v1/actions/per_hour?hours=3", headers=auth(live)) as r:
        hours = (await r.json())["hours"]
    assert len(hours) == 3 and hours[-1]["by_channel"] == {"sms": 7}
    for bad in ("0", "abc", "100000"):
        async with live.session.get(
            live.base + f"/api/v1/actions/per_hour?hours={bad}", headers=auth(live)
        ) as r:
            assert r.status == 422


async def test_admins_create_users_and_nobody_else_can(live: RunningServer) -> None:
    body = {"username": "olga", "password": "a-long-password", "role": "operator"}
    async with live.session.post(live.base + "/api/v1/users", json=body, headers=auth(live, "operator")) as r:
        assert r.status == 403
    async with live.session.post(live.base + "/api/v1/users", json=body, headers=auth(live, "admin")) as r:
        assert r.status == 201
    async with live.session.post(live.base + "/api/v1/users", json=body, headers=auth(live, "admin")) as r:
        assert r.status == 409
    for bad, field in (
        ({**body, "username": "x2", "role": "god"}, "role"),
        ({**body, "username": "x3", "password": "short"}, "password"),
    ):
        async with live.session.post(live.base + "/api/v1/users", json=bad, headers=auth(live, "admin")) as r:
            assert r.status == 422 and (await r.json())["error"]["field"] == field
    async with live.session.get(live.base + "/api/v1/users", headers=auth(live, "admin")) as r:
        assert {u["username"] for u in (await r.json())["users"]} == {"admin", "olga"}


async def test_static_panel_files_with_a_strict_content_security_policy(
    live: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    static = tmp_path / "static"
    static.mkdir()
    (static / "index.html").write_text("<!doctype html><title>panel</title>")
    (static / "panel.js").write_text("export {}")
    monkeypatch.setattr(http_panel, "STATIC_DIR", static)
    async with live.session.get(live.base + "/panel", allow_redirects=False) as r:
        assert r.status == 302 and r.headers["Location"] == "/panel/"
    async with live.session.get(live.base + "/panel/") as r:
        assert r.status == 200 and "script-src 'self'" in r.headers["Content-Security-Policy"]
    async with live.session.get(live.base + "/panel/panel.js") as r:
        assert r.status == 200
    for bad in ("/panel/..%2fserver.py", "/panel/%2e%2e/server.py", "/panel/nothing.js"):
        async with live.session.get(live.base + bad) as r:
            assert r.status == 404, bad


async def test_a_display_that_connects_while_a_panel_watches_is_asked_for_its_picture_at_once(
    live: RunningServer,
) -> None:
    async with live.session.ws_connect(
        live.base + "/api/v1/panel/ws", headers=auth(live, "operator")
    ) as panel:
        await panel.receive(timeout=5)
        await asyncio.sleep(0.3)  # the panel's first thumbnail round has passed
        ws = await live.display("late", capabilities=("thumbnail",))
        assert (await recv_json(ws))["type"] == "snapshot"
        assert (await recv_json(ws, timeout=1.0))["type"] == "thumbnail_request"
        await ws.close()


async def test_the_public_message_form_is_served_without_login(live: RunningServer) -> None:
    async with live.session.get(live.base + "/submit") as r:
        assert r.status == 200 and "message of solidarity" in await r.text()
        assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    for asset in ("/panel/submit.js", "/panel/submit.css"):
        async with live.session.get(live.base + asset) as r:
            assert r.status == 200, asset


def noise_jpeg(seed: int, size: tuple[int, int] = (320, 180)) -> str:
    """A picture that does not compress (about 20 KB): a few of these go over a display's cap."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, random.Random(seed).randbytes(size[0] * size[1] * 3)).save(
        buffer, "JPEG", quality=90
    )
    return base64.b64encode(buffer.getvalue()).decode()


async def test_pictures_over_a_displays_cap_are_dropped_not_queued(
    live: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(thumbnail_cap, "MAX_BYTES_PER_SECOND", 10_000)
    monkeypatch.setattr(thumbnail_cap, "BURST_BYTES", 50_000)
    ws = await live.display("flood", capabilities=("thumbnail",))
    assert (await recv_json(ws))["type"] == "snapshot"
    pictures = [noise_jpeg(i) for i in range(20)]
    sizes = [len(base64.b64decode(p)) for p in pictures]
    started = time.monotonic()
    for data in pictures:
        await ws.send(json.dumps({"v": 1, "type": "thumbnail", "format": "jpeg", "data": data}))
    hub = live.app[SERVICES].hub
    (conn,) = [c for c in hub.clients if c.name == "flood"]
    await ws.send(json.dumps({"v": 1, "type": "ping", "id": 1, "client_time": 0.0}))
    while (await recv_json(ws))["type"] != "pong":  # answered after every picture before it
        pass
    elapsed = time.monotonic() - started
    kept_bytes = sum(sizes[: len(pictures) - conn.thumbnails_dropped])
    assert conn.thumbnails_dropped > 0
    assert kept_bytes <= 50_000 + 10_000 * elapsed + max(sizes)
    assert not conn.buffer  # nothing queued for it either
    await ws.close()


async def test_a_panel_starts_the_picture_stream_and_the_last_one_to_go_stops_it(live: RunningServer) -> None:
    ws = await live.display("stream", capabilities=("thumbnail", STREAMS))
    assert (await recv_json(ws))["type"] == "snapshot"

    async def next_request() -> dict[str, object]:
        while True:
            frame = await recv_json(ws, timeout=3.0)
            if frame["type"] == "thumbnail_request":
                return frame

    url = live.base + "/api/v1/panel/ws"
    async with live.session.ws_connect(url, headers=auth(live)) as first:
        await first.receive(timeout=5)
        assert (await next_request())["every"] == STREAM_EVERY <= 0.5  # twice a second at least
        async with live.session.ws_connect(url, headers=auth(live)) as second:
            await second.receive(timeout=5)
        with pytest.raises(TimeoutError):  # one panel still watches: no stop
            await asyncio.wait_for(next_request(), 0.5)
    assert (await next_request())["every"] == 0
    await ws.close()


async def test_the_preview_picture_is_kept_with_the_cue_it_was_for(live: RunningServer) -> None:
    async with live.session.put(live.base + "/api/v1/show", json=SHOW, headers=auth(live)) as r:
        assert r.status == 200
    async with live.session.post(live.base + "/api/v1/cue/go", headers=auth(live)) as r:
        assert r.status == 200
    ws = await live.display("pv", capabilities=("thumbnail", STREAMS))
    assert (await recv_json(ws))["type"] == "snapshot"
    frame = {"v": 1, "type": "thumbnail", "format": "jpeg", "data": jpeg(), "preview": True}
    await ws.send(json.dumps(frame))
    for _ in range(100):
        async with live.session.get(live.base + "/api/v1/displays", headers=auth(live)) as r:
            (pv,) = (await r.json())["displays"]
        if pv["preview_thumbnail_at"]:
            break
        await asyncio.sleep(0.02)
    assert pv["preview_for"] == 1 and pv["thumbnail_at"] is None  # a preview is not the program
    async with live.session.get(live.base + "/api/v1/displays/pv/preview.jpg", headers=auth(live)) as r:
        assert r.status == 200 and r.content_type == "image/jpeg"
    await ws.send(json.dumps({**frame, "preview": "yes"}))
    assert (await recv_json(ws))["message"] == "thumbnail.preview: expected true or false"
    async with live.session.get(live.base + "/api/v1/displays/nobody/preview.jpg", headers=auth(live)) as r:
        assert r.status == 404
    async with live.session.get(live.base + "/api/v1/displays/pv/preview.jpg") as r:
        assert r.status == 401
    await ws.close()
