"""Request bodies are read strictly (projector/server/web/errors.py), against a running server."""

from __future__ import annotations

import pytest

from tests.conftest import RunningServer, recv_json


async def post_raw(live: RunningServer, path: str, raw: str, token: str | None) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {live.tokens[token]}"
    async with live.session.post(live.base + path, data=raw.encode(), headers=headers) as r:
        return r.status, await r.json()


@pytest.mark.parametrize(
    ("path", "raw", "token", "key"),
    [
        ("/api/v1/messages", '{"text": "free them all", "text": "something else"}', None, "text"),
        (
            "/api/v1/actions",
            '{"id": "a1", "channel": "letter", "country": "FR", "count": 1, "count": 500}',
            "ingest",
            "count",
        ),
        (
            "/api/v1/actions",
            '{"actions": [{"id": "a2", "id": "a3", "channel": "sms", "country": "FR"}]}',
            "ingest",
            "id",
        ),
    ],
)
async def test_a_key_named_twice_is_refused_with_400_naming_it(
    live: RunningServer, path: str, raw: str, token: str | None, key: str
) -> None:
    status, body = await post_raw(live, path, raw, token)
    assert status == 400, body
    assert body["error"]["code"] == "duplicate_key"
    assert repr(key) in body["error"]["message"] and body["error"]["field"] == key
    assert (await live.get("/api/v1/totals"))[1]["total"] == 0
    assert (await live.get("/api/v1/messages?status=pending", token="operator"))[1]["messages"] == []


async def test_the_same_key_in_two_objects_is_fine(live: RunningServer) -> None:
    raw = '{"actions": [{"id": "b1", "channel": "sms", "country": "FR"}, {"id": "b2", "channel": "sms", "country": "FR"}]}'
    status, body = await post_raw(live, "/api/v1/actions", raw, "ingest")
    assert status == 200 and body["accepted"] == 2, body


async def test_a_duplicate_is_refused_where_constants_are_read_too(live: RunningServer) -> None:
    """The bodies read with ``constants=True`` (mappings, safe areas) go through the same check."""
    ws = await live.display("wall")
    assert (await recv_json(ws))["type"] == "snapshot"
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {live.tokens['operator']}"}
    raw = '{"latency_ms": 10, "latency_ms": NaN}'
    async with live.session.put(live.base + "/api/v1/displays/wall", data=raw, headers=headers) as r:
        status, body = r.status, await r.json()
    assert status == 400 and body["error"]["code"] == "duplicate_key", body
    assert "'latency_ms'" in body["error"]["message"]
    async with live.session.put(
        live.base + "/api/v1/displays/wall", data='{"latency_ms": 10}', headers=headers
    ) as r:
        assert r.status == 200, await r.text()
    await ws.close()
