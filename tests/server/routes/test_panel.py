"""The panel's server side: its websocket, displays and thumbnails, the chart, users, static files."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import time

import aiohttp
import pytest
from PIL import Image

from projector.server import panels
from projector.server.panels import THUMBNAIL_WIDTH
from projector.server.routes import panel as http_panel
from tests.conftest import RunningServer, recv_json

SHOW = {
    "cues": [
        {"id": "a", "scene": "totals", "transition": "cut"},
        {"id": "b", "scene": "messages", "transition": "cut"},
    ]
}


def auth(live: RunningServer, token: str = "operator") -> dict[str, str]:
    return {"Authorization": f"Bearer {live.tokens[token]}"}


async def test_the_panel_socket_pushes_state_on_connect_and_on_change(live: RunningServer, monkeypatch):
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


async def test_the_panel_socket_needs_a_login_and_the_same_origin(live: RunningServer):
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
    live: RunningServer, monkeypatch
):
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


async def test_actions_per_hour_for_the_chart(live: RunningServer):
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


async def test_admins_create_users_and_nobody_else_can(live: RunningServer):
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
    live: RunningServer, tmp_path, monkeypatch
):
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
):
    async with live.session.ws_connect(
        live.base + "/api/v1/panel/ws", headers=auth(live, "operator")
    ) as panel:
        await panel.receive(timeout=5)
        await asyncio.sleep(0.3)  # the panel's first thumbnail round has passed
        ws = await live.display("late", capabilities=("thumbnail",))
        assert (await recv_json(ws))["type"] == "snapshot"
        assert (await recv_json(ws, timeout=1.0))["type"] == "thumbnail_request"
        await ws.close()


async def test_the_public_message_form_is_served_without_login(live: RunningServer):
    async with live.session.get(live.base + "/submit") as r:
        assert r.status == 200 and "message of solidarity" in await r.text()
        assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    for asset in ("/panel/submit.js", "/panel/submit.css"):
        async with live.session.get(live.base + asset) as r:
            assert r.status == 200, asset
