"""The fleet over HTTP and the display websocket: groups, rename, latency, identify, reload, retire,
targets checked at load time, scheduled cues, clock pongs, health in the list and in /metrics."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import replace
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from projector.server.config import Config
from projector.server.services import SERVICES
from tests.conftest import RunningServer, recv_json, restart, start_server


async def connect(live: RunningServer, name: str) -> Any:
    ws = await live.display(name)
    snap = await recv_json(ws)
    assert snap["type"] == "snapshot", snap
    return ws, snap


async def next_of(ws: Any, kind: str, timeout: float = 5.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        frame = await recv_json(ws, max(0.01, deadline - time.monotonic()))
        if frame["type"] == kind:
            return frame


async def listed(live: RunningServer, name: str) -> dict[str, Any]:
    status, body = await live.get("/api/v1/displays", token="operator")
    assert status == 200
    return next(d for d in body["displays"] if d["name"] == name)


def metric(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return None


async def send_status(ws: Any, **fields: Any) -> None:
    status = {"v": 1, "type": "status", "fps": 60.0, "frame_p99_ms": 4.0, "scene": "totals", "rev": 0}
    await ws.send(json.dumps({**status, **fields}))


async def test_a_display_learns_who_it_is_and_hears_when_an_operator_regroups_and_renames_it(
    live: RunningServer,
) -> None:
    ws, snap = await connect(live, "laptop-3")
    assert snap["you"] == {"name": "laptop-3", "groups": [], "latency_ms": 0.0}
    status, body = await live.put_json(
        "/api/v1/displays/laptop-3", {"groups": ["facade", "istanbul"], "latency_ms": 40}
    )
    assert status == 200, body
    assert await next_of(ws, "you") == {
        "v": 1,
        "type": "you",
        "name": "laptop-3",
        "groups": ["facade", "istanbul"],
        "latency_ms": 40.0,
    }
    status, body = await live.put_json("/api/v1/displays/laptop-3", {"name": "facade-left"})
    assert status == 200 and body["hello_name"] == "laptop-3"
    assert (await next_of(ws, "you"))["name"] == "facade-left"
    entry = await listed(live, "facade-left")
    assert (entry["hello_name"], entry["groups"], entry["latency_ms"]) == (
        "laptop-3",
        ["facade", "istanbul"],
        40.0,
    )
    status, body = await live.get("/api/v1/groups", token="operator")
    assert body["groups"] == [
        {"name": "facade", "displays": ["facade-left"], "declared": False},
        {"name": "istanbul", "displays": ["facade-left"], "declared": False},
    ]
    await ws.close()
    # It comes back under its old hello name, and is still the renamed, regrouped display.
    ws, snap = await connect(live, "laptop-3")
    assert snap["you"]["name"] == "facade-left" and snap["you"]["groups"] == ["facade", "istanbul"]
    await ws.close()


async def test_bad_display_edits_are_refused_naming_the_field(live: RunningServer) -> None:
    ws1, _ = await connect(live, "one")
    ws2, _ = await connect(live, "two")
    cases = [
        ("nobody", {"groups": []}, 404, "unknown_display", None),
        ("one", {"groups": ["has space"]}, 422, "invalid", "groups[0]"),
        ("one", {"groups": "facade"}, 422, "invalid", "groups"),
        ("one", {"latency_ms": 5000}, 422, "invalid", "latency_ms"),
        ("one", {"latency_ms": "fast"}, 422, "invalid", "latency_ms"),
        ("one", {"name": "two"}, 422, "invalid", "name"),
        ("one", {"name": "a/b"}, 422, "invalid", "name"),
        ("one", {"colour": "red"}, 422, "invalid", "colour"),
    ]
    for name, body, code, error, field in cases:
        status, reply = await live.put_json(f"/api/v1/displays/{name}", body)
        assert status == code, (body, reply)
        assert reply["error"]["code"] == error and reply["error"].get("field") == field, reply
    status, reply = await live.put_json("/api/v1/displays/one", {"groups": []}, token="display")
    assert status == 403
    await ws1.close()
    await ws2.close()


async def test_identify_and_reload_reach_the_display_and_not_a_disconnected_one(live: RunningServer) -> None:
    ws, _ = await connect(live, "lobby")
    status, body = await live.post("/api/v1/displays/lobby/identify", {"seconds": 3}, token="operator")
    assert status == 200, body
    assert await next_of(ws, "command") == {"v": 1, "type": "command", "do": "identify", "seconds": 3.0}
    status, body = await live.post("/api/v1/displays/lobby/reload", {}, token="operator")
    assert status == 200
    assert (await next_of(ws, "command"))["do"] == "reload"
    status, body = await live.post("/api/v1/displays/lobby/identify", {"seconds": 0}, token="operator")
    assert status == 422 and body["error"]["field"] == "seconds"
    await ws.close()
    await asyncio.sleep(0.1)
    status, body = await live.post("/api/v1/displays/lobby/identify", {}, token="operator")
    assert status == 409 and body["error"]["code"] == "not_connected"
    status, body = await live.post("/api/v1/displays/ghost/reload", {}, token="operator")
    assert status == 404


async def test_a_retired_display_is_closed_refused_and_can_be_unretired(live: RunningServer) -> None:
    ws, _ = await connect(live, "old-tv")
    status, body = await live.post("/api/v1/displays/old-tv/retire", {}, token="operator")
    assert status == 200, body
    await asyncio.wait_for(ws.wait_closed(), 5)
    assert ws.close_code == 4003
    status, body = await live.get("/api/v1/displays", token="operator")
    assert [d["name"] for d in body["displays"]] == []
    assert [r["name"] for r in body["retired"]] == ["old-tv"]
    ws = await live.display("old-tv")
    refused = await recv_json(ws)
    assert refused["type"] == "error" and refused["code"] == "retired"
    await asyncio.wait_for(ws.wait_closed(), 5)
    status, body = await live.post("/api/v1/displays/old-tv/unretire", {}, token="operator")
    assert status == 200
    ws, _ = await connect(live, "old-tv")
    await ws.close()


SHOW = {
    "id": "night",
    "cues": [
        {"id": "a", "scene": "totals"},
        {"id": "b", "scene": "ident", "target": "group:facade"},
    ],
}


async def test_a_show_naming_an_unknown_group_or_display_is_refused_at_load_time(live: RunningServer) -> None:
    status, body = await live.put_json("/api/v1/show", SHOW)
    assert status == 422 and body["error"]["field"] == "cues[1].target"
    assert "unknown group 'facade'" in body["error"]["message"]
    bad = {**SHOW, "target": "display:nowhere"}
    status, body = await live.put_json("/api/v1/show", bad)
    assert status == 422 and body["error"]["field"] == "target"
    # A declared group exists before any display is in it.
    status, _ = await live.put_json("/api/v1/groups/facade", None)
    assert status == 200
    status, body = await live.put_json("/api/v1/show", SHOW)
    assert status == 200, body
    status, body = await live.get("/api/v1/groups", token="operator")
    assert body["groups"] == [{"name": "facade", "displays": [], "declared": True}]


async def test_cues_can_be_scheduled_and_aimed_and_bad_times_and_targets_are_refused(
    live: RunningServer,
) -> None:
    ws, _ = await connect(live, "f1")
    await live.put_json("/api/v1/displays/f1", {"groups": ["facade"]})
    assert (await live.put_json("/api/v1/show", SHOW))[0] == 200
    before = time.time()
    status, body = await live.post("/api/v1/cue/go", {"in": 0.5}, token="operator")
    assert status == 200, body
    assert before + 0.5 <= body["program_at"] <= time.time() + 0.5
    assert body["program_target"] == "all"
    cue = await next_of(ws, "cue")
    while cue["program"] is None:  # the show's load comes first
        cue = await next_of(ws, "cue")
    assert cue["at"] == body["program_at"] and cue["target"] == "all"
    # A GO before the scheduled cue is on screen would skip it: refused.
    status, body = await live.post("/api/v1/cue/go", {}, token="operator")
    assert status == 409 and body["error"]["code"] == "in_transition"
    at = time.time() + 2
    status, body = await live.post(
        "/api/v1/cue/jump", {"cue": "a", "at": at, "target": "display:f1"}, token="operator"
    )
    assert status == 200 and body["program_at"] == at and body["program_target"] == "display:f1"
    for payload, field in (
        ({"cue": "a", "at": time.time() - 5}, "at"),
        ({"cue": "a", "at": time.time() + 7200}, "at"),
        ({"cue": "a", "in": -1}, "in"),
        ({"cue": "a", "target": "group:nowhere"}, "target"),
        ({"cue": "a", "target": "display:ghost"}, "target"),
        ({"cue": "a", "target": "everyone"}, "target"),
    ):
        status, body = await live.post("/api/v1/cue/jump", payload, token="operator")
        assert status == 422 and body["error"]["field"] == field, (payload, body)
    await ws.close()


async def test_pongs_carry_when_the_ping_arrived_and_when_the_answer_left(live: RunningServer) -> None:
    ws, _ = await connect(live, "clocky")
    sent = time.time()
    await ws.send(json.dumps({"v": 1, "type": "ping", "id": 9, "client_time": sent}))
    pong = await next_of(ws, "pong")
    assert pong["id"] == 9 and pong["client_time"] == sent
    assert sent <= pong["received_at"] <= pong["server_time"] <= time.time()
    await ws.close()


async def test_health_reaches_the_list_and_metrics_and_a_lost_display_raises_an_alert(
    live: RunningServer,
) -> None:
    ws, _ = await connect(live, "facade-left")
    await send_status(
        ws,
        target_fps=60.0,
        dropped=2,
        memory_mb=180.5,
        temperature_c=61.0,
        clock_offset_ms=-0.4,
        rtt_ms=1.2,
        connections=1,
        error="scene 'portrait' failed in draw: boom",
    )
    await asyncio.sleep(0.2)
    entry = await listed(live, "facade-left")
    assert entry["alerts"] == []
    assert (entry["dropped_frames"], entry["memory_mb"], entry["temperature_c"]) == (2, 180.5, 61.0)
    assert (entry["clock_offset_ms"], entry["rtt_ms"], entry["target_fps"]) == (-0.4, 1.2, 60.0)
    assert entry["last_error"] == "scene 'portrait' failed in draw: boom"
    async with live.session.get(live.base + "/metrics") as r:
        metrics = await r.text()
    assert 'projector_display_fps{display="facade-left"} 60.0' in metrics
    assert metric(metrics, "projector_display_memory_bytes", display="facade-left") == 180.5 * 1024 * 1024
    assert metric(metrics, "projector_display_clock_offset_seconds", display="facade-left") == -0.0004
    assert metric(metrics, "projector_display_dropped_frames", display="facade-left") == 2
    await send_status(ws, scene="fallback")
    await asyncio.sleep(0.2)
    entry = await listed(live, "facade-left")
    assert [a["code"] for a in entry["alerts"]] == ["fallback"]
    assert entry["last_error"] == "scene 'portrait' failed in draw: boom"  # kept after a good report
    async with live.session.get(live.base + "/metrics") as r:
        metrics = await r.text()
    assert 'projector_display_alert{alert="fallback",display="facade-left"} 1.0' in metrics
    await ws.close()
    await asyncio.sleep(0.2)
    entry = await listed(live, "facade-left")
    assert [(a["code"], a["level"]) for a in entry["alerts"]] == [("offline", "red")]
    async with live.session.get(live.base + "/metrics") as r:
        metrics = await r.text()
    assert 'projector_display_connected{display="facade-left"} 0.0' in metrics
    assert 'projector_display_alert{alert="offline",display="facade-left"} 1.0' in metrics


async def test_an_old_display_without_health_fields_still_reports(live: RunningServer) -> None:
    ws, _ = await connect(live, "old")
    await send_status(ws)
    await asyncio.sleep(0.2)
    entry = await listed(live, "old")
    assert entry["fps"] == 60.0 and entry["memory_mb"] is None and entry["alerts"] == []
    await ws.close()


async def test_a_bad_health_field_is_answered_with_an_error_frame(live: RunningServer) -> None:
    ws, _ = await connect(live, "bad")
    await send_status(ws, dropped=-3)
    error = await next_of(ws, "error")
    assert error["code"] == "bad_field" and "dropped" in error["message"]
    await ws.close()


# --- safe areas (issue 12) ---------------------------------------------------------------------------

FACADE = {
    "margins": {"top": 0.05, "right": 0.02, "bottom": 0.1, "left": 0.02},
    "avoid": [{"x": 0.1, "y": 0.2, "w": 0.15, "h": 0.3}],
}
NO_MARGINS = {"top": 0.0, "right": 0.0, "bottom": 0.0, "left": 0.0}


async def connect_outputs(live: RunningServer, name: str, outputs: list[str]) -> Any:
    """A display that drives several outputs (each 960x1080), as its hello lists them."""
    ws = await live.display(
        name,
        resolution=(960 * len(outputs), 1080),
        outputs=[{"name": o, "size": [960, 1080]} for o in outputs],
    )
    snap = await recv_json(ws)
    assert snap["type"] == "snapshot", snap
    return ws, snap


async def put_raw(live: RunningServer, path: str, text: str) -> tuple[int, Any]:
    """A PUT of exactly ``text`` as JSON (aiohttp's ``json=None`` would send no body at all)."""
    headers = {"Authorization": f"Bearer {live.tokens['operator']}", "Content-Type": "application/json"}
    async with live.session.put(live.base + path, data=text, headers=headers) as r:
        return r.status, await r.json()


async def viewer_session(live: RunningServer) -> aiohttp.ClientSession:
    await live.app[SERVICES].store.call(
        lambda s: s.create_user("vera", "viewer-password-1", "viewer", time.time())
    )
    browser = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with browser.post(
        live.base + "/api/v1/login", json={"username": "vera", "password": "viewer-password-1"}
    ) as r:
        assert r.status == 200
        browser.headers["X-CSRF-Token"] = (await r.json())["csrf_token"]
    return browser


async def test_a_safe_area_is_stored_listed_and_reaches_the_display_as_a_you_frame(
    live: RunningServer,
) -> None:
    ws, snap = await connect(live, "facade")
    assert "safe_area" not in snap["you"] and "submit_url" not in snap["you"]  # the v1 shape, unchanged
    status, body = await live.put_json("/api/v1/displays/facade", {"safe_area": FACADE})
    assert status == 200, body
    assert body["safe_area"] == FACADE and body["output_safe_areas"] == {}
    you = await next_of(ws, "you")
    assert you["safe_area"] == FACADE and you["name"] == "facade"
    entry = await listed(live, "facade")
    assert entry["safe_area"] == FACADE and entry["output_safe_areas"] == {}
    # Another edit keeps the safe area; null clears it (and so does an empty one).
    status, body = await live.put_json("/api/v1/displays/facade", {"latency_ms": 10})
    assert status == 200 and body["safe_area"] == FACADE
    status, body = await live.put_json("/api/v1/displays/facade", {"safe_area": None})
    assert status == 200 and body["safe_area"] is None
    you = await next_of(ws, "you")
    while "safe_area" in you:  # the latency edit's frame first
        you = await next_of(ws, "you")
    assert (await listed(live, "facade"))["safe_area"] is None
    status, body = await live.put_json("/api/v1/displays/facade", {"safe_area": {"margins": {"top": 0.1}}})
    assert body["safe_area"] == {"margins": {**NO_MARGINS, "top": 0.1}, "avoid": []}
    status, body = await live.put_json("/api/v1/displays/facade", {"safe_area": {}})
    assert status == 200 and body["safe_area"] is None
    status, _ = await live.put_json("/api/v1/displays/facade", {"safe_area": FACADE})
    assert status == 200
    await ws.close()
    # Stored: a server started afresh on the same data tells the display in its snapshot.
    again = await restart(live)
    try:
        ws, snap = await connect(again, "facade")
        assert snap["you"]["safe_area"] == FACADE
        await ws.close()
    finally:
        await again.session.close()
        await again.runner.cleanup()


async def test_bad_safe_areas_are_refused_naming_the_field_and_nothing_changes(live: RunningServer) -> None:
    ws, _ = await connect(live, "facade")
    status, _ = await live.put_json("/api/v1/displays/facade", {"safe_area": FACADE})
    assert status == 200
    await next_of(ws, "you")
    box = {"x": 0.1, "y": 0.1, "w": 0.2, "h": 0.2}
    cases: list[tuple[Any, str]] = [
        ("everywhere", "safe_area"),
        ([0.1, 0.1], "safe_area"),
        ({"margin": {"top": 0.1}}, "safe_area.margin"),
        ({"margins": {"top": 0.1, "middle": 0.2}}, "safe_area.margins.middle"),
        ({"margins": {"top": 0.46}}, "safe_area.margins.top"),
        ({"margins": {"left": -0.01}}, "safe_area.margins.left"),
        ({"margins": {"right": float("nan")}}, "safe_area.margins.right"),
        ({"margins": {"bottom": float("inf")}}, "safe_area.margins.bottom"),
        ({"margins": {"top": "0.1"}}, "safe_area.margins.top"),
        ({"margins": {"top": True}}, "safe_area.margins.top"),
        ({"margins": [0.1, 0.1, 0.1, 0.1]}, "safe_area.margins"),
        ({"avoid": {"x": 0}}, "safe_area.avoid"),
        ({"avoid": [box, {**box, "x": 0.9}]}, "safe_area.avoid[1].w"),
        ({"avoid": [{**box, "y": 0.95, "h": 0.1}]}, "safe_area.avoid[0].h"),
        ({"avoid": [{**box, "w": 0}]}, "safe_area.avoid[0].w"),
        ({"avoid": [{**box, "x": -0.1}]}, "safe_area.avoid[0].x"),
        ({"avoid": [{"x": 0.1, "y": 0.1, "w": 0.2}]}, "safe_area.avoid[0].h"),
        ({"avoid": [{**box, "z": 1}]}, "safe_area.avoid[0].z"),
        ({"avoid": ["window"]}, "safe_area.avoid[0]"),
        ({"avoid": [box] * 17}, "safe_area.avoid"),
    ]
    for bad, field in cases:
        status, reply = await live.put_json("/api/v1/displays/facade", {"safe_area": bad, "latency_ms": 99})
        assert status == 422, (bad, reply)
        assert reply["error"]["code"] == "invalid" and reply["error"]["field"] == field, (bad, reply)
        status, reply = await live.put_json("/api/v1/displays/facade/outputs/main/safe-area", bad)
        assert status == 422 and reply["error"]["field"] == field, (bad, reply)
    status, reply = await live.put_json("/api/v1/displays/facade", {"safe_area": {"avoid": [box] * 16}})
    assert status == 200, reply  # sixteen is the most
    status, reply = await live.put_json("/api/v1/displays/facade", {"safe_area": FACADE})
    assert status == 200
    entry = await listed(live, "facade")
    assert entry["safe_area"] == FACADE and entry["latency_ms"] == 0.0 and entry["output_safe_areas"] == {}
    # Nothing reached the display from the refusals: the next `you` is the one for the 16 boxes.
    you = await next_of(ws, "you")
    assert len(you["safe_area"]["avoid"]) == 16
    await ws.close()


async def test_per_output_safe_areas_are_checked_stored_listed_and_sent(live: RunningServer) -> None:
    ws, _ = await connect_outputs(live, "facade", ["left", "right"])
    path = "/api/v1/displays/facade/outputs/left/safe-area"
    status, body = await live.get(path, token="operator")
    assert status == 200 and body == {"display": "facade", "output": "left", "safe_area": None}
    status, body = await live.put_json(path, FACADE)
    assert status == 200 and body == {"display": "facade", "output": "left", "safe_area": FACADE}
    you = await next_of(ws, "you")
    assert you["output_safe_areas"] == {"left": FACADE} and "safe_area" not in you
    status, body = await live.put_json(
        "/api/v1/displays/facade/outputs/right/safe-area", {"margins": {"right": 0.2}}
    )
    assert status == 200
    you = await next_of(ws, "you")
    assert set(you["output_safe_areas"]) == {"left", "right"}
    entry = await listed(live, "facade")
    assert entry["output_safe_areas"]["left"] == FACADE
    assert entry["output_safe_areas"]["right"]["margins"]["right"] == 0.2
    assert (await live.get(path, token="operator"))[1]["safe_area"] == FACADE
    # An output the display does not have, a bad output name, a display that does not exist.
    status, body = await live.put_json("/api/v1/displays/facade/outputs/middle/safe-area", FACADE)
    assert status == 422 and body["error"]["field"] == "output", body
    assert "left, right" in body["error"]["message"]
    status, body = await live.put_json("/api/v1/displays/facade/outputs/a%20b/safe-area", FACADE)
    assert status == 422 and body["error"]["field"] == "output", body
    status, body = await live.get("/api/v1/displays/facade/outputs/middle/safe-area", token="operator")
    assert status == 404 and body["error"]["code"] == "unknown_output"
    status, body = await live.put_json("/api/v1/displays/nobody/outputs/left/safe-area", FACADE)
    assert status == 404 and body["error"]["code"] == "unknown_display"
    # null clears one output, and leaves the other.
    status, body = await put_raw(live, path, "null")
    assert status == 200 and body["safe_area"] is None
    you = await next_of(ws, "you")
    assert set(you["output_safe_areas"]) == {"right"}
    assert set((await listed(live, "facade"))["output_safe_areas"]) == {"right"}
    # A rename keeps them (they belong to the display, not to its name).
    status, body = await live.put_json("/api/v1/displays/facade", {"name": "facade-2"})
    assert status == 200 and set(body["output_safe_areas"]) == {"right"}
    status, body = await live.get("/api/v1/displays/facade-2/outputs/right/safe-area", token="operator")
    assert status == 200 and body["safe_area"]["margins"]["right"] == 0.2
    await ws.close()


async def test_safe_area_edits_need_an_operator(live: RunningServer) -> None:
    ws, _ = await connect(live, "facade")
    path = "/api/v1/displays/facade/outputs/main/safe-area"
    status, _ = await live.put_json("/api/v1/displays/facade", {"safe_area": FACADE}, token=None)
    assert status == 401
    status, _ = await live.put_json(path, FACADE, token=None)
    assert status == 401
    status, _ = await live.get(path)
    assert status == 401
    status, _ = await live.put_json(path, FACADE, token="display")
    assert status == 403
    status, _ = await live.put_json("/api/v1/displays/facade", {"safe_area": FACADE}, token="ingest")
    assert status == 403
    browser = await viewer_session(live)
    try:
        async with browser.put(live.base + "/api/v1/displays/facade", json={"safe_area": FACADE}) as r:
            assert r.status == 403 and (await r.json())["error"]["code"] == "forbidden"
        async with browser.put(live.base + path, json=FACADE) as r:
            assert r.status == 403
        async with browser.get(live.base + path) as r:
            assert r.status == 200 and (await r.json())["safe_area"] is None  # a viewer may look
    finally:
        await browser.close()
    entry = await listed(live, "facade")
    assert entry["safe_area"] is None and entry["output_safe_areas"] == {}
    await ws.close()


async def test_the_display_is_told_the_public_message_form_when_the_server_has_a_public_url(
    config: Config,
) -> None:
    running = await start_server(replace(config, public_url="https://act.example.org/"))
    try:
        ws, snap = await connect(running, "kiosk")
        assert snap["you"]["submit_url"] == "https://act.example.org/submit"
        await ws.close()
    finally:
        await running.session.close()
        await running.runner.cleanup()


async def test_the_safe_area_operations_are_in_the_openapi_document(live: RunningServer) -> None:
    _, doc = await live.get("/api/v1/openapi.json")
    one = doc["paths"]["/api/v1/displays/{name}/outputs/{output}/safe-area"]
    assert set(one) >= {"get", "put"} and "422" in one["put"]["responses"]
    edit = doc["paths"]["/api/v1/displays/{name}"]["put"]["requestBody"]["content"]["application/json"]
    assert "safe_area" in edit["schema"]["properties"]
