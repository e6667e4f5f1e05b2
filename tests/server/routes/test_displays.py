"""The display websocket against a real server: what a hello may be called, and how many
displays the server remembers (issue 15: a public screen's server meets hostile clients)."""

from __future__ import annotations

import pytest
import websockets

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
