"""Errors are clear ones (projector/server/web/errors.py), against a running server: request bodies
are read strictly, and a full disk is a 503 with Retry-After on every write, never a 500."""

from __future__ import annotations

import errno
import io
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from media.library import MediaLibrary
from projector.server.services import SERVICES
from projector.store.base import Store
from projector.store.records import StoreError, is_disk_full
from projector.store.sqlite import SqliteStore
from tests.conftest import RunningServer, recv_json


async def post_raw(live: RunningServer, path: str, raw: str, token: str | None) -> tuple[int, dict[str, Any]]:
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


# --- a full disk ------------------------------------------------------------------------------

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "COMMIT")


def sqlite_conn(s: Store) -> sqlite3.Connection:
    """The connection of the store under test: the embedded SQLite one."""
    assert isinstance(s, SqliteStore)
    return s._conn


def full_disk_conn(s: Store) -> FullDiskConnection:
    conn: object = sqlite_conn(s)
    assert isinstance(conn, FullDiskConnection)
    return conn


class FullDiskConnection:
    """The store's SQLite connection on a full disk: reads work, every write fails as SQLite's do."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.real = conn

    def _refuse_writes(self, sql: str) -> None:
        if sql.lstrip().split(None, 1)[0].upper() in _WRITES:
            raise sqlite3.OperationalError("database or disk is full")

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self._refuse_writes(sql)
        return self.real.execute(sql, *args)

    def executemany(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self._refuse_writes(sql)
        return self.real.executemany(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 40, 40)).save(out, "PNG")
    return out.getvalue()


CASE = {"name": "Ayşe Yılmaz", "country": "TR", "story": "Jailed for reporting", "ask": "Write"}


async def request(
    live: RunningServer, method: str, path: str, token: str | None, **kw: Any
) -> tuple[int, dict[str, Any], Any]:
    headers = kw.pop("headers", {})
    if token is not None:
        headers["Authorization"] = f"Bearer {live.tokens[token]}"
    async with live.session.request(method, live.base + path, headers=headers, **kw) as r:
        return r.status, await r.json(), r.headers.copy()


async def every_write(live: RunningServer, message_id: str) -> dict[str, tuple[int, dict[str, Any], Any]]:
    """One of each write a person or an integrator makes, with its answer."""
    png = {"data": png_bytes(), "headers": {"Content-Type": "image/png"}}
    return {
        "message": await request(live, "POST", "/api/v1/messages", None, json={"text": "Free them all"}),
        "message edit": await request(
            live, "POST", f"/api/v1/messages/{message_id}/edit", "operator", json={"text": "Free them"}
        ),
        "approve": await request(live, "POST", f"/api/v1/messages/{message_id}/approve", "operator"),
        "case edit": await request(live, "PUT", "/api/v1/cases/ayse", "operator", json=CASE),
        "login": await request(
            live, "POST", "/api/v1/login", None, json={"username": "admin", "password": live.admin_password}
        ),
        "upload": await request(live, "POST", "/api/v1/media?name=face.png", "operator", **png),
        "token": await request(live, "POST", "/api/v1/tokens", "admin", json={"scope": "ingest"}),
        "actions": await request(
            live, "POST", "/api/v1/actions", "ingest", json={"id": "d1", "channel": "sms", "country": "FR"}
        ),
    }


async def test_a_full_disk_is_a_503_with_retry_after_on_every_write_and_passes(
    live: RunningServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    live.app[SERVICES].public_limiter.burst = 1000.0
    status, before, _ = await request(live, "POST", "/api/v1/messages", None, json={"text": "Stay strong"})
    assert status == 202, before
    store = live.app[SERVICES].store
    await store.call(lambda s: setattr(s, "_conn", FullDiskConnection(sqlite_conn(s))))

    def no_space(self: MediaLibrary, path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(MediaLibrary, "_write", no_space)
    with caplog.at_level("INFO"):
        answers = await every_write(live, before["id"])
    for what, (status, body, headers) in answers.items():
        assert status == 503, (what, body)
        assert headers["Retry-After"].isdigit(), what
        code = body["error"]["code"]
        assert code == ("store_failed" if what == "actions" else "storage_full"), (what, body)
        assert "/" not in body["error"]["message"].replace("retry later", ""), (what, body)  # no path
        assert str(live.app[SERVICES].config.data_dir) not in body["error"]["message"]
    assert "Traceback" not in caplog.text and "unhandled error" not in caplog.text
    # Reads still work, and nothing was half-done.
    status, listed, _ = await request(live, "GET", "/api/v1/messages?status=pending", "operator")
    assert status == 200 and [m["text"] for m in listed["messages"]] == ["Stay strong"]
    assert (await live.get("/api/v1/totals"))[1]["total"] == 0
    # Space freed: the same writes go through, nobody restarted anything.
    monkeypatch.undo()
    await store.call(lambda s: setattr(s, "_conn", full_disk_conn(s).real))
    answers = await every_write(live, before["id"])
    assert {what: status for what, (status, _, _) in answers.items()} == {
        "message": 202,
        "message edit": 200,
        "approve": 200,
        "case edit": 200,
        "login": 200,
        "upload": 201,
        "token": 201,
        "actions": 200,
    }


async def test_a_dossier_zip_on_a_full_disk_is_a_503_not_a_bad_archive(
    live: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unpacking writes to a temporary folder: a full disk there is the server's trouble, not the zip's."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("ayse/case.toml", 'id = "ayse"\n')
    real_open = Path.open

    def full_open(self: Path, mode: str = "r", *args: Any, **kw: Any) -> Any:
        if "w" in mode:
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real_open(self, mode, *args, **kw)

    monkeypatch.setattr(Path, "open", full_open)
    headers = {"Content-Type": "application/zip"}
    status, body, got = await request(
        live, "POST", "/api/v1/dossiers.zip", "operator", data=out.getvalue(), headers=headers
    )
    assert status == 503 and body["error"]["code"] == "storage_full", body
    assert "Retry-After" in got and "ayse" not in body["error"]["message"]


def test_disk_full_is_recognised_through_the_store_s_wrapping() -> None:
    cause = sqlite3.OperationalError("database or disk is full")
    wrapped = StoreError("actions not stored: database or disk is full")
    wrapped.__cause__ = cause
    assert is_disk_full(cause) and is_disk_full(wrapped)
    assert is_disk_full(OSError(errno.ENOSPC, "No space left on device", "/srv/x"))
    assert not is_disk_full(sqlite3.OperationalError("database is locked"))
    assert not is_disk_full(OSError(errno.EACCES, "Permission denied"))


async def test_a_store_that_does_not_answer_is_a_503_with_retry_after_never_a_500(
    live: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database gone away (a PostgreSQL restart) met anywhere, not only in ingest: the caller may retry."""
    store = live.app[SERVICES].store

    async def gone(fn: Any) -> Any:
        raise StoreError("the database server closed the connection unexpectedly")

    monkeypatch.setattr(store, "call", gone)
    for method, path, token in (
        ("GET", "/api/v1/messages?status=pending", "operator"),
        ("GET", "/api/v1/moderation/log", "operator"),
        ("GET", "/api/v1/actions/per_hour?hours=2", "operator"),
    ):
        status, body, headers = await request(live, method, path, token)
        assert status == 503, (path, body)
        assert body["error"]["code"] == "store_failed" and headers["Retry-After"] == "30"
        assert "database server" not in body["error"]["message"]  # no internals on the wire
