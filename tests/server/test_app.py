"""The HTTP API and the display websocket, against a real server on a free port."""

from __future__ import annotations

import asyncio
import json
import stat
import time
import uuid
from typing import Any

import aiohttp
import pytest
import websockets

from projector.server.app import ADMIN_PASSWORD_FILE
from projector.server.config import Config
from projector.server.routes import displays
from projector.server.routes.displays import WS_MAX_MESSAGE
from projector.server.services import SERVICES
from projector.store.base import Store
from projector.store.sqlite import SqliteStore
from tests.conftest import RunningServer, recv_json, start_server


def action(**kw: Any) -> dict[str, Any]:
    return {"id": uuid.uuid4().hex, "channel": "letter", "country": "TR", **kw}


async def test_first_run_creates_admin_login_in_a_private_file(live: RunningServer, config: Config) -> None:
    path = config.data_dir / ADMIN_PASSWORD_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    async with live.session.post(
        live.base + "/api/v1/login", json={"username": "admin", "password": live.admin_password}
    ) as r:
        assert r.status == 200
        body = await r.json()
    assert body["role"] == "admin" and body["csrf_token"]


async def test_post_one_and_a_batch_then_read_totals(live: RunningServer) -> None:
    status, body = await live.post("/api/v1/actions", action(count=1800, source="university"))
    assert status == 200 and body["accepted"] == 1 and body["duplicates"] == 0
    batch = [action(channel=c, country=k) for c, k in [("email", "FR"), ("sms", "KE"), ("tweet", "BR")]]
    status, body = await live.post("/api/v1/actions", {"actions": batch})
    assert (status, body["accepted"]) == (200, 3)
    status, totals = await live.get("/api/v1/totals")
    assert status == 200
    assert totals["total"] == 1803
    assert totals["by_channel"] == {"letter": 1800, "email": 1, "sms": 1, "tweet": 1}
    assert totals["by_country"]["TR"] == 1800
    assert totals["goal"] == 1000 and totals["record"] == 100
    assert totals["record_beaten_at"].endswith("Z")
    assert totals["rev"] == body["rev"]


async def test_a_repeated_id_counts_once(live: RunningServer) -> None:
    a = action(count=5)
    assert (await live.post("/api/v1/actions", a))[1]["accepted"] == 1
    status, body = await live.post("/api/v1/actions", {"actions": [a, action(), a]})
    assert status == 200 and body == {"accepted": 1, "duplicates": 2, "rev": body["rev"]}
    assert (await live.get("/api/v1/totals"))[1]["total"] == 6


async def test_a_batch_of_ten_thousand_is_accepted_and_one_more_refused(live: RunningServer) -> None:
    rows = [action(channel="signature", country="DE") for _ in range(10_000)]
    status, body = await live.post("/api/v1/actions", {"actions": rows})
    assert (status, body["accepted"]) == (200, 10_000)
    status, body = await live.post("/api/v1/actions", {"actions": [*rows, action()]})
    assert status == 422 and body["error"]["field"] == "actions"
    assert (await live.get("/api/v1/totals"))[1]["total"] == 10_000


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"id": "x", "channel": "pigeon", "country": "TR"}, 422, "invalid", "channel"),
        ({"id": "x", "channel": "letter", "country": "ZZ"}, 422, "invalid", "country"),
        ({"id": "x", "channel": "letter", "country": "TR", "case": "nobody"}, 422, "invalid", "case"),
        ({"id": "x", "channel": "letter", "country": "TR", "count": 0}, 422, "invalid", "count"),
        ({"id": "x", "channel": "letter", "country": "TR", "count": -3}, 422, "invalid", "count"),
        ({"id": "x", "channel": "letter", "country": "TR", "count": 10**12}, 422, "invalid", "count"),
        ({"id": "x", "channel": "letter", "country": "TR", "count": "12"}, 422, "invalid", "count"),
        ({"id": 12, "channel": "letter", "country": "TR"}, 422, "invalid", "id"),
        (
            {"actions": [{"id": "ok", "channel": "letter", "country": "TR"}, {"id": "bad"}]},
            422,
            "invalid",
            "actions[1].channel",
        ),
    ],
)
async def test_bad_actions_get_a_json_error_naming_the_field_and_nothing_is_counted(
    live: RunningServer, body: dict[str, Any], status: int, code: str, field: str
) -> None:
    await live.post("/api/v1/actions", action(count=7))
    got_status, got = await live.post("/api/v1/actions", body)
    assert got_status == status
    assert got["error"]["code"] == code and got["error"]["field"] == field and got["error"]["message"]
    assert (await live.get("/api/v1/totals"))[1]["total"] == 7


async def raw_post(
    live: RunningServer, data: bytes, content_type: str = "application/json", token: str | None = "ingest"
) -> tuple[int, Any]:
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {live.tokens.get(token, token)}"
    async with live.session.post(live.base + "/api/v1/actions", data=data, headers=headers) as r:
        return r.status, await r.json()


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code"),
    [
        (b'{"id": "x", "channel": ', "application/json", 400, "malformed_json"),
        (
            b'{"id": "\xff\xfe", "channel": "letter", "country": "TR"}',
            "application/json",
            400,
            "invalid_utf8",
        ),
        (b'{"id": "x", "count": NaN}', "application/json", 400, "malformed_json"),
        (b"id=x&channel=letter", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    ],
)
async def test_malformed_bodies(
    live: RunningServer, data: bytes, content_type: str, status: int, code: str
) -> None:
    got_status, got = await raw_post(live, data, content_type)
    assert (got_status, got["error"]["code"]) == (status, code)


async def test_an_oversized_body_is_refused_with_413(live: RunningServer) -> None:
    status, body = await raw_post(live, b'{"pad": "' + b"x" * (9 * 1024 * 1024) + b'"}')
    assert status == 413 and body["error"]["code"] == "too_large"


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, "unauthorized"),
        ({"Authorization": "Bearer pj_not-a-real-token"}, 401, "unauthorized"),
        ({"Authorization": "Basic YWRtaW46YWRtaW4="}, 401, "unauthorized"),
        ({"Authorization": "Bearer "}, 401, "unauthorized"),
        ("display", 403, "forbidden"),
    ],
)
async def test_tokens_missing_wrong_or_under_scoped(
    live: RunningServer, headers: dict[str, str] | str, status: int, code: str
) -> None:
    if headers == "display":
        headers = {"Authorization": f"Bearer {live.tokens['display']}"}
    assert isinstance(headers, dict)
    async with live.session.post(live.base + "/api/v1/actions", json=action(), headers=headers) as r:
        assert r.status == status
        assert (await r.json())["error"]["code"] == code
    assert (await live.get("/api/v1/totals"))[1]["total"] == 0


async def test_a_revoked_token_stops_working(live: RunningServer) -> None:
    assert (await live.post("/api/v1/actions", action()))[0] == 200
    _status, listing = await live.get("/api/v1/tokens", token="admin")
    ingest_id = next(t["id"] for t in listing["tokens"] if t["scope"] == "ingest")
    async with live.session.delete(
        f"{live.base}/api/v1/tokens/{ingest_id}", headers={"Authorization": f"Bearer {live.tokens['admin']}"}
    ) as r:
        assert r.status == 200
    assert (await live.post("/api/v1/actions", action()))[0] == 401


async def login(
    live: RunningServer, session: aiohttp.ClientSession, username: str = "admin", password: str | None = None
) -> tuple[int, Any]:
    async with session.post(
        live.base + "/api/v1/login", json={"username": username, "password": password or live.admin_password}
    ) as r:
        return r.status, await r.json()


async def test_operator_session_needs_csrf_and_manual_tally_records_who(live: RunningServer) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        status, me = await login(live, browser)
        assert status == 200
        tally = {"id": "uni-1", "channel": "letter", "country": "GB", "count": 1800}
        async with browser.post(live.base + "/api/v1/actions", json=tally) as r:
            assert r.status == 403 and (await r.json())["error"]["code"] == "csrf"
        async with browser.post(
            live.base + "/api/v1/actions", json=tally, headers={"X-CSRF-Token": me["csrf_token"]}
        ) as r:
            assert r.status == 200
    store = live.app[SERVICES].store

    def entered_by_of(s: Store) -> object:
        assert isinstance(s, SqliteStore)
        return s._conn.execute("SELECT entered_by FROM actions WHERE id = 'uni-1'").fetchone()[0]

    entered_by = await store.call(entered_by_of)
    assert entered_by == "admin"


async def test_wrong_password_and_viewer_limits(live: RunningServer) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        status, body = await login(live, browser, password="wrong")
        assert status == 401 and body["error"]["code"] == "bad_credentials"
    store = live.app[SERVICES].store
    await store.call(lambda s: s.create_user("val", "viewer-password", "viewer", time.time()))
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        status, me = await login(live, browser, "val", "viewer-password")
        assert me["role"] == "viewer"
        async with browser.get(live.base + "/api/v1/messages") as r:
            assert r.status == 200
        async with browser.put(
            live.base + "/api/v1/campaign", json={"goal": 5}, headers={"X-CSRF-Token": me["csrf_token"]}
        ) as r:
            assert r.status == 403 and (await r.json())["error"]["code"] == "forbidden"


async def test_campaign_and_cases_are_read_publicly_and_written_by_operators(live: RunningServer) -> None:
    case = {"name": "Ayşe Yılmaz", "country": "TR", "story": "Jailed for reporting", "ask": "Write"}
    async with live.session.put(live.base + "/api/v1/cases/ayse", json=case) as r:
        assert r.status == 401
    async with live.session.put(
        live.base + "/api/v1/cases/ayse",
        json=case,
        headers={"Authorization": f"Bearer {live.tokens['operator']}"},
    ) as r:
        assert r.status == 200
    async with live.session.put(
        live.base + "/api/v1/cases/Bad Id",
        json=case,
        headers={"Authorization": f"Bearer {live.tokens['operator']}"},
    ) as r:
        assert r.status == 422 and (await r.json())["error"]["field"] == "id"
    _status, cases = await live.get("/api/v1/cases")
    assert [c["id"] for c in cases["cases"]] == ["ayse"]
    assert (await live.post("/api/v1/actions", action(case="ayse", count=3)))[0] == 200
    assert (await live.get("/api/v1/totals"))[1]["by_case"] == {"ayse": 3}
    async with live.session.put(
        live.base + "/api/v1/campaign",
        json={"goal": 2_300_000, "record": 1_900_000},
        headers={"Authorization": f"Bearer {live.tokens['operator']}"},
    ) as r:
        assert r.status == 200
    assert (await live.get("/api/v1/campaign"))[1]["goal"] == 2_300_000
    async with live.session.put(
        live.base + "/api/v1/campaign",
        json={"goal": -1},
        headers={"Authorization": f"Bearer {live.tokens['operator']}"},
    ) as r:
        assert r.status == 422 and (await r.json())["error"]["field"] == "goal"


async def test_totals_survive_a_restart_exactly(config: Config, live: RunningServer) -> None:
    await live.post(
        "/api/v1/actions", {"actions": [action(channel="fax", country="MX", count=4) for _ in range(50)]}
    )
    before = (await live.get("/api/v1/totals"))[1]
    await live.session.close()
    await live.runner.cleanup()
    again = await start_server(config)
    try:
        after = (await again.get("/api/v1/totals"))[1]
    finally:
        await again.session.close()
        await again.runner.cleanup()
    for key in ("total", "by_channel", "by_case", "by_country", "record_beaten_at"):
        assert after[key] == before[key]
    # a second run must not create another admin password
    assert again.admin_password == live.admin_password


async def test_healthz_metrics_and_openapi(live: RunningServer) -> None:
    await live.post("/api/v1/actions", action(channel="sms", count=3))
    assert (await live.get("/healthz"))[1]["status"] == "ok"
    async with live.session.get(live.base + "/metrics") as r:
        text = await r.text()
    assert 'projector_actions_total{channel="sms"} 3.0' in text
    assert "projector_displays_connected" in text and "projector_broadcast_lag_seconds" in text
    _status, doc = await live.get("/api/v1/openapi.json")
    assert doc["openapi"].startswith("3.") and "/api/v1/actions" in doc["paths"]


async def test_unknown_route_and_method_are_json_errors(live: RunningServer) -> None:
    async with live.session.get(live.base + "/api/v1/nothing") as r:
        assert r.status == 404 and (await r.json())["error"]["code"] == "not_found"
    async with live.session.delete(live.base + "/api/v1/totals") as r:
        assert r.status == 405 and (await r.json())["error"]["code"] == "method_not_allowed"


# --- display websocket -----------------------------------------------------------------------------


async def test_display_gets_snapshot_then_coalesced_totals_ending_on_the_latest(live: RunningServer) -> None:
    ws = await live.display()
    snap = await recv_json(ws)
    assert snap["type"] == "snapshot" and snap["totals"]["total"] == 0 and snap["v"] == 1
    for _ in range(60):
        await live.post("/api/v1/actions", action())
    frames = []
    while True:
        frame = await recv_json(ws)
        if frame["type"] == "totals":
            frames.append(frame)
            if frame["total"] == 60:
                break
    # 60 actions in well under 3 s at <= 20 updates/s: fewer frames than actions,
    # revs never go backwards, and merged frames say where they start.
    assert len(frames) < 60
    assert [f["rev"] for f in frames] == sorted(f["rev"] for f in frames)
    assert any("from" in f for f in frames)
    await ws.close()


async def test_display_sees_record_beaten_and_messages(live: RunningServer) -> None:
    ws = await live.display()
    await recv_json(ws)
    await live.post("/api/v1/actions", action(count=101))
    kinds = {(await recv_json(ws))["type"] for _ in range(2)}
    assert kinds == {"totals", "record_beaten"}
    status, sub = await live.post(
        "/api/v1/messages", {"name": "Léa", "country": "FR", "text": "Tenez bon !"}, token=None
    )
    assert status == 202
    status, _ = await live.post(f"/api/v1/messages/{sub['id']}/approve", {}, token="operator")
    assert status == 200
    frame = await recv_json(ws)
    assert frame["type"] == "message_shown" and frame["message"]["text"] == "Tenez bon !"
    await ws.close()


async def test_display_ping_status_and_resync(live: RunningServer) -> None:
    ws = await live.display()
    await recv_json(ws)
    await ws.send(json.dumps({"v": 1, "type": "ping", "id": 3, "client_time": 12.5}))
    pong = await recv_json(ws)
    assert pong["type"] == "pong" and pong["id"] == 3 and abs(pong["server_time"] - time.time()) < 5
    await ws.send(
        json.dumps({"v": 1, "type": "status", "fps": 60.0, "frame_p99_ms": 9.1, "scene": "totals", "rev": 0})
    )
    await ws.send(json.dumps({"v": 1, "type": "resync", "rev": 0}))
    assert (await recv_json(ws))["type"] == "snapshot"
    _status, displays = await live.get("/api/v1/displays", token="operator")
    (d,) = displays["displays"]
    assert d["name"] == "test-display" and d["scene"] == "totals" and d["fps"] == 60.0
    await ws.close()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (b"\x01\x02", "binary_frame"),
        ("{oops", "malformed"),
        ('{"v": 1, "type": "teleport"}', "unknown_type"),
        ('{"v": 9, "type": "status"}', "unsupported_version"),
        ('{"v": 1, "type": "status", "fps": "fast"}', "bad_field"),
        (
            '{"v": 1, "type": "totals", "rev": 9, "total": 5, "by_channel": {}, "by_case": {}, "by_country": {}}',
            "unexpected_type",
        ),
        ('{"v":1,"type":"hello","name":"x","token":"t","protocol":1,"resolution":[1,1]}', "unexpected"),
        ("x" * (2 * 1024 * 1024), "too_big"),
    ],
)
async def test_bad_frames_from_a_display_get_an_error_and_the_link_survives(
    live: RunningServer, frame: str, code: str
) -> None:
    ws = await live.display()
    await recv_json(ws)
    await ws.send(frame)
    error = await recv_json(ws)
    assert error["type"] == "error" and error["code"] == code and error["message"]
    await live.post("/api/v1/actions", action())
    assert (await recv_json(ws))["type"] == "totals"
    await ws.close()


async def test_a_frame_beyond_the_transport_limit_closes_with_1009(live: RunningServer) -> None:
    ws = await live.display()
    await recv_json(ws)
    # The server may close while the client is still sending: either call sees it.
    with pytest.raises(websockets.ConnectionClosed) as info:
        await ws.send("x" * (WS_MAX_MESSAGE + 10))
        await asyncio.wait_for(ws.recv(), 5)
    assert info.value.rcvd is not None
    assert info.value.rcvd.code == 1009


@pytest.mark.parametrize(
    ("hello", "code", "close_code"),
    [
        ({"token": "pj_wrong"}, "unauthorized", 1008),
        ({"token": "ingest"}, "forbidden", 1008),
        ({"protocol": 7}, "unsupported_protocol", 1002),
        ({"type": "status"}, "expected_hello", 1002),
        ({"resolution": "big"}, "bad_field", 1002),
    ],
)
async def test_bad_handshakes_are_refused_with_a_reason(
    live: RunningServer, hello: dict[str, Any], code: str, close_code: int
) -> None:
    frame = {
        "v": 1,
        "type": "hello",
        "name": "x",
        "token": live.tokens["display"],
        "protocol": 1,
        "resolution": [800, 600],
        "fps": 1.0,
        "frame_p99_ms": 1.0,
        "scene": "s",
        "rev": 0,
    }
    frame.update(hello)
    if frame["token"] in live.tokens:
        frame["token"] = live.tokens[frame["token"]]
    async with websockets.connect(live.ws_url) as ws:
        await ws.send(json.dumps(frame))
        error = await recv_json(ws)
        assert error["type"] == "error" and error["code"] == code
        with pytest.raises(websockets.ConnectionClosed) as info:
            await asyncio.wait_for(ws.recv(), 5)
        assert info.value.rcvd is not None
        assert info.value.rcvd.code == close_code


async def test_silent_display_is_dropped_after_the_hello_timeout(
    live: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(displays, "HELLO_TIMEOUT", 0.2)
    async with websockets.connect(live.ws_url) as ws:
        error = await recv_json(ws)
        assert error["code"] == "hello_timeout"
