"""The fleet over HTTP and the display websocket: groups, rename, latency, identify, reload, retire,
targets checked at load time, scheduled cues, clock pongs, health in the list and in /metrics."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import RunningServer, recv_json


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
