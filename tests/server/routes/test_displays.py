"""The display websocket against a real server: what a hello may be called, and how many
displays the server remembers (issue 15: a public screen's server meets hostile clients)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace
from pathlib import Path

import pytest
import websockets

from projector.server.config import Config
from projector.server.services import SERVICES
from tests.conftest import RunningServer, recv_json


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("lobby/left", "hello.name: must not contain control characters or '/'"),
        ("lobby\x07", "hello.name: must not contain control characters or '/'"),
        (" lobby", "hello.name: must not start or end with a space"),
        ("x" * 101, None),
    ],
)
async def test_a_hello_name_a_rename_would_refuse_is_refused(
    live: RunningServer, name: str, message: str | None
) -> None:
    ws = await live.display(name)
    error = await recv_json(ws)
    assert error["type"] == "error" and error["code"] == "bad_field"
    assert error["message"] == message if message is not None else error["message"].startswith("hello.name")
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await recv_json(ws)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1002
    # Nothing of it is kept: the panel's list never shows a name it could not edit.
    status, body = await live.get("/api/v1/displays", "operator")
    assert status == 200 and body["displays"] == []


async def test_a_good_hello_name_still_connects(live: RunningServer) -> None:
    ws = await live.display("Lobby — left (2)")
    assert (await recv_json(ws))["type"] == "snapshot"
    status, body = await live.get("/api/v1/displays", "operator")
    assert status == 200 and [d["name"] for d in body["displays"]] == ["Lobby — left (2)"]
    await ws.close()


@pytest.fixture
def config(tmp_path: Path) -> Config:
    # A small cap and a short expiry, so a test of a few seconds sees both at work.
    return replace(
        Config(),
        data_dir=tmp_path / "data",
        port=0,
        max_unknown_displays=20,
        unknown_display_ttl=2.0,
    )


async def _names(live: RunningServer) -> list[str]:
    status, body = await live.get("/api/v1/displays", "operator")
    assert status == 200
    return [d["name"] for d in body["displays"]]


async def _hello_and_go(live: RunningServer, name: str) -> None:
    ws = await live.display(name)
    assert (await recv_json(ws))["type"] == "snapshot"
    await ws.close()


async def test_displays_from_hellos_are_bounded_and_an_operator_named_one_is_kept(
    live: RunningServer,
) -> None:
    await _hello_and_go(live, "stage")
    status, _ = await live.put_json("/api/v1/displays/stage", {"name": "Main stage"})
    assert status == 200
    # A flood of made-up names, ten at a time: the list never holds more than the cap,
    # the operator's display and the ten connected at that moment.
    for batch in range(15):
        await asyncio.gather(*(_hello_and_go(live, f"flood-{batch}-{i}") for i in range(10)))
        names = await _names(live)
        assert len(names) <= 20 + 1 + 10, len(names)
        assert "Main stage" in names
    # Once they have all gone: at most the cap (the newest ones) besides the named display...
    deadline = time.monotonic() + 5
    while len(names := await _names(live)) > 21 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert len(names) <= 21 and "Main stage" in names
    assert "flood-0-0" not in names and any(n.startswith("flood-14-") for n in names)
    # ...and after the expiry (2 s here) and one sweep, only the display someone set up.
    deadline = time.monotonic() + 6
    while (names := await _names(live)) != ["Main stage"] and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    assert names == ["Main stage"]
    # The outputs each hello stored went with them; the operator's display keeps its own.
    store = live.app[SERVICES].store
    assert await store.call(lambda s: s.get_setting("outputs/stage")) is not None
    for _ in range(50):
        left = await store.call(
            lambda s: [s.get_setting(f"outputs/flood-{b}-{i}") for b in range(15) for i in range(10)]
        )
        if not any(left):
            break
        await asyncio.sleep(0.1)
    assert not any(left)
    assert not live.app[SERVICES].mappings.displays.keys() - {"stage"}
    # A connected display is never forgotten, however long ago it said hello.
    ws = await live.display("still-here")
    assert (await recv_json(ws))["type"] == "snapshot"
    await asyncio.sleep(3.5)
    assert sorted(await _names(live)) == ["Main stage", "still-here"]
    await ws.close()
