"""Show control over HTTP: the cue list, GO and friends, TOML files, restarts, auto-follow."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest

from projector.server.config import Config
from projector.server.services import SERVICES
from tests.conftest import RunningServer, recv_json, start_server

SHOW = {
    "id": "facade",
    "name": "Facade night",
    "cues": [
        {"id": "open", "scene": "totals", "transition": "cut", "label": "Opening total", "safe": True},
        {
            "id": "ayse",
            "scene": "portrait",
            "params": {"case": "ayse"},
            "transition": "crossfade",
            "duration": 0.3,
        },
        {"id": "wall", "scene": "messages", "transition": "wipe", "duration": 0.2},
    ],
}


async def call(
    live: RunningServer,
    method: str,
    path: str,
    body: object = None,
    token: str | None = "operator",
    **kw: Any,
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {live.tokens[token]}"} if token else {}
    async with live.session.request(method, live.base + path, json=body, headers=headers, **kw) as r:
        ctype = r.headers.get("Content-Type", "")
        return r.status, (await r.json() if "json" in ctype else await r.text())


async def test_load_a_show_and_run_it_with_go_back_jump_blackout_and_panic(live: RunningServer) -> None:
    status, state = await call(live, "PUT", "/api/v1/show", SHOW)
    assert status == 200 and state["program"] is None and state["preview"] == 0
    status, state = await call(live, "POST", "/api/v1/cue/go")  # a Stream Deck button: no body
    assert (status, state["program"], state["preview"]) == (200, 0, 1)
    status, state = await call(live, "POST", "/api/v1/cue/go", {"expected": 0})
    assert state["program"] == 1
    await asyncio.sleep(0.35)  # the crossfade's 0.3 s
    status, state = await call(live, "POST", "/api/v1/cue/back")
    assert state["program"] == 0
    status, state = await call(live, "POST", "/api/v1/cue/jump", {"cue": "wall"})
    assert (state["program"], state["preview"]) == (2, None)
    status, body = await call(live, "POST", "/api/v1/cue/go")
    assert status == 409 and body["error"]["code"] in ("end_of_show", "in_transition")
    status, state = await call(live, "POST", "/api/v1/cue/blackout")
    assert state["blackout"] is True
    status, state = await call(live, "POST", "/api/v1/cue/blackout", {"on": True})
    assert state["blackout"] is True
    status, state = await call(live, "POST", "/api/v1/cue/panic")
    assert state["blackout"] is False and state["program"] == 0
    status, scenes = await call(live, "GET", "/api/v1/scenes")
    assert {"totals", "portrait", "messages", "blackout"} <= set(scenes["scenes"])


@pytest.mark.parametrize(
    ("show", "field"),
    [
        ({"cues": [{"id": "1", "scene": "fireworks"}]}, "cues[0].scene"),
        ({"cues": [{"id": "1", "scene": "totals", "transition": "spin"}]}, "cues[0].transition"),
        ({"cues": [{"id": "1", "scene": "totals", "duration": -2}]}, "cues[0].duration"),
        ({"cues": [{"id": "1", "scene": "video", "params": {"audio": "on"}}]}, "cues[0].params.audio"),
        ({"cues": []}, "cues"),
    ],
)
async def test_bad_shows_are_refused_and_the_old_one_stays(
    live: RunningServer, show: dict[str, Any], field: str
) -> None:
    await call(live, "PUT", "/api/v1/show", SHOW)
    await call(live, "POST", "/api/v1/cue/go")
    status, body = await call(live, "PUT", "/api/v1/show", show)
    assert status == 422 and body["error"]["field"] == field
    status, state = await call(live, "GET", "/api/v1/show")
    assert state["show"]["id"] == "facade" and state["program"] == 0


async def test_cue_commands_with_bad_input_or_no_show(live: RunningServer) -> None:
    status, body = await call(live, "POST", "/api/v1/cue/go")
    assert (status, body["error"]["code"]) == (409, "no_show")
    await call(live, "PUT", "/api/v1/show", SHOW)
    status, body = await call(live, "POST", "/api/v1/cue/jump", {"cue": "nowhere"})
    assert (status, body["error"]["code"]) == (409, "unknown_cue")
    status, body = await call(live, "POST", "/api/v1/cue/jump", {})
    assert (status, body["error"]["field"]) == (422, "cue")
    status, body = await call(live, "POST", "/api/v1/cue/blackout", {"on": "yes"})
    assert (status, body["error"]["field"]) == (422, "on")
    status, body = await call(live, "POST", "/api/v1/cue/go", {"expected": "first"})
    assert (status, body["error"]["field"]) == (422, "expected")
    status, body = await call(live, "POST", "/api/v1/cue/go", token=None)
    assert status == 401
    status, body = await call(live, "POST", "/api/v1/cue/go", token="ingest")
    assert status == 403


async def test_two_operators_press_go_at_once_and_one_wins(live: RunningServer) -> None:
    await call(live, "PUT", "/api/v1/show", SHOW)
    await call(live, "POST", "/api/v1/cue/go")
    results = await asyncio.gather(
        call(live, "POST", "/api/v1/cue/go", {"expected": 0}),
        call(live, "POST", "/api/v1/cue/go", {"expected": 0}),
    )
    assert sorted(status for status, _ in results) == [200, 409]
    assert next(b for s, b in results if s == 409)["error"]["code"] == "conflict"
    assert (await call(live, "GET", "/api/v1/show"))[1]["program"] == 1


async def test_go_during_a_transition_is_refused(live: RunningServer) -> None:
    slow = {"cues": [{"id": "a", "scene": "totals", "duration": 5}, {"id": "b", "scene": "messages"}]}
    await call(live, "PUT", "/api/v1/show", slow)
    await call(live, "POST", "/api/v1/cue/go")
    status, body = await call(live, "POST", "/api/v1/cue/go")
    assert status == 409 and body["error"]["code"] == "in_transition"


async def test_toml_round_trip_and_bad_files(live: RunningServer) -> None:
    await call(live, "PUT", "/api/v1/show", SHOW)
    status, text = await call(live, "GET", "/api/v1/show.toml")
    assert status == 200 and 'scene = "portrait"' in text
    await call(live, "DELETE", "/api/v1/show")
    headers = {"Authorization": f"Bearer {live.tokens['operator']}", "Content-Type": "application/toml"}
    async with live.session.post(live.base + "/api/v1/show.toml", data=text.encode(), headers=headers) as r:
        assert r.status == 200
        assert [c["id"] for c in (await r.json())["show"]["cues"]] == ["open", "ayse", "wall"]
    for bad, code in ((b"cues = [", 400), (b'[[cues]]\nid = "x"\nscene = "nope"\n', 422), (b"\xff\xfe", 400)):
        async with live.session.post(live.base + "/api/v1/show.toml", data=bad, headers=headers) as r:
            assert r.status == code


async def test_auto_follow_moves_on_by_itself_and_hold_stops_it(live: RunningServer) -> None:
    timed = {
        "cues": [
            {"id": "a", "scene": "totals", "transition": "cut", "hold": 0.3},
            {"id": "b", "scene": "messages"},
        ]
    }
    await call(live, "PUT", "/api/v1/show", timed)
    await call(live, "POST", "/api/v1/cue/go")
    await call(live, "POST", "/api/v1/cue/hold")
    await asyncio.sleep(0.5)
    assert (await call(live, "GET", "/api/v1/show"))[1]["program"] == 0
    await call(live, "POST", "/api/v1/cue/resume")
    await asyncio.sleep(0.6)
    assert (await call(live, "GET", "/api/v1/show"))[1]["program"] == 1


async def test_displays_get_the_show_and_every_cue_change(live: RunningServer) -> None:
    ws = await live.display()
    await recv_json(ws)
    await call(live, "PUT", "/api/v1/show", SHOW)
    kinds = [(await recv_json(ws))["type"] for _ in range(2)]
    assert kinds == ["show", "cue"]
    await call(live, "POST", "/api/v1/cue/go")
    frame = await recv_json(ws)
    assert frame["type"] == "cue" and frame["program"] == 0 and frame["preview"] == 1
    await call(live, "POST", "/api/v1/cue/blackout")
    assert (await recv_json(ws)) | {"rev": 0} == {"v": 1, "type": "blackout", "on": True, "rev": 0}
    await ws.close()


async def test_a_restarted_server_puts_the_screens_back(config: Config, live: RunningServer) -> None:
    await call(live, "PUT", "/api/v1/show", SHOW)
    await call(live, "POST", "/api/v1/cue/jump", {"cue": "ayse"})
    await call(live, "POST", "/api/v1/cue/blackout", {"on": True})
    await asyncio.sleep(0.1)  # saves go through the store's queue
    await live.session.close()
    await live.runner.cleanup()
    again = await start_server(config)
    try:
        _status, state = await call(again, "GET", "/api/v1/show")
    finally:
        await again.session.close()
        await again.runner.cleanup()
    assert state["show"]["id"] == "facade" and state["program"] == 1 and state["blackout"] is True


async def test_a_viewer_session_can_look_but_not_operate(live: RunningServer) -> None:
    await call(live, "PUT", "/api/v1/show", SHOW)
    store = live.app[SERVICES].store
    await store.call(lambda s: s.create_user("vera", "viewer-password-1", "viewer", time.time()))
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        async with browser.post(
            live.base + "/api/v1/login", json={"username": "vera", "password": "viewer-password-1"}
        ) as r:
            csrf = (await r.json())["csrf_token"]
        async with browser.get(live.base + "/api/v1/show") as r:
            assert r.status == 200
        async with browser.post(live.base + "/api/v1/cue/go", json={}, headers={"X-CSRF-Token": csrf}) as r:
            assert r.status == 403 and (await r.json())["error"]["code"] == "forbidden"


async def test_auto_follow_waits_for_the_record_celebration_on_a_totals_cue(live: RunningServer) -> None:
    """The record is beaten while a totals cue holds: the next cue comes after the celebration."""
    _, totals = await live.get("/api/v1/totals")
    status, _ = await call(live, "PUT", "/api/v1/campaign", {"record": totals["total"] + 5})
    assert status == 200
    timed = {
        "cues": [
            {"id": "a", "scene": "totals", "transition": "cut", "hold": 0.5, "params": {"celebration": 0.5}},
            {"id": "b", "scene": "messages"},
        ]
    }
    await call(live, "PUT", "/api/v1/show", timed)
    await call(live, "POST", "/api/v1/cue/go")
    status, _ = await live.post(
        "/api/v1/actions", {"id": "beat-it", "channel": "letter", "country": "FR", "count": 10}
    )
    assert status == 200
    beaten = time.time()
    _, totals = await live.get("/api/v1/totals")
    assert totals["record_beaten_at"] is not None
    await asyncio.sleep(1.5)  # the hold (0.5 s) is over, the celebration is not
    assert (await call(live, "GET", "/api/v1/show"))[1]["program"] == 0
    while time.time() - beaten < 4.0 + 0.5 + 2.0:
        if (await call(live, "GET", "/api/v1/show"))[1]["program"] == 1:
            break
        await asyncio.sleep(0.1)
    assert (await call(live, "GET", "/api/v1/show"))[1]["program"] == 1
    assert time.time() - beaten >= 4.0 + 0.5 - 0.2  # not before the counter landed and the celebration ran
