"""Projection mapping over HTTP and the display websocket: the mapping per output, refused bad
calibrations (422 naming the field, nothing stored, nothing pushed), patterns, pictures, saved
calibrations surviving a restart, and a display's own keyboard calibration."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import time
from typing import Any

import pytest
from PIL import Image

from projector.server.config import Config
from tests.conftest import RunningServer, recv_json, start_server

SIZE = (640, 360)
PIN = [[40.0, 20.0], [600.0, 0.0], [630.0, 350.0], [10.0, 330.0]]
BASE = "/api/v1/displays/facade/outputs"


async def connect(live: RunningServer, name: str = "facade", outputs: Any = None) -> Any:
    """A display that speaks the mapping protocol, with one 640x360 output ``main`` (or ``outputs``)."""
    ws = await live.display(
        name,
        capabilities=("status", "thumbnail", "mapping"),
        resolution=SIZE,
        outputs=outputs if outputs is not None else [{"name": "main", "size": list(SIZE)}],
    )
    assert (await recv_json(ws))["type"] == "snapshot"
    return ws


async def next_frame(ws: Any, kinds: tuple[str, ...], timeout: float = 5.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        frame = await recv_json(ws, max(0.01, deadline - time.monotonic()))
        if frame["type"] in kinds:
            return frame


async def request(
    live: RunningServer, method: str, path: str, body: Any = None, raw: str | None = None
) -> Any:
    headers = {"Authorization": f"Bearer {live.tokens['operator']}"}
    data = raw if raw is not None else (None if body is None else json.dumps(body))
    if data is not None:
        headers["Content-Type"] = "application/json"
    async with live.session.request(method, live.base + path, data=data, headers=headers) as r:
        return r.status, await r.json()


async def current(live: RunningServer, output: str = "main") -> dict[str, Any]:
    status, body = await request(live, "GET", BASE)
    assert status == 200, body
    return next(o for o in body["outputs"] if o["name"] == output)


async def test_a_mapping_is_stored_and_pushed_live_to_the_display(live: RunningServer) -> None:
    ws = await connect(live)
    listed = await current(live)
    assert listed["size"] == list(SIZE) and listed["identity"] is True and listed["pattern"] is None
    status, body = await request(
        live, "PUT", f"{BASE}/main/mapping", {"corners": PIN, "blend": {"right": 64}}
    )
    assert status == 200, body
    assert body["pushed"] is True and body["identity"] is False
    frame = await next_frame(ws, ("mapping",))
    assert frame["output"] == "main" and frame["mapping"]["corners"] == PIN
    assert frame["mapping"]["blend"]["right"] == 64 and frame["mapping"]["name"] == "main"
    assert (await current(live))["mapping"]["corners"] == PIN
    status, body = await request(live, "DELETE", f"{BASE}/main/mapping")
    assert status == 200 and body["identity"] is True
    assert (await next_frame(ws, ("mapping",)))["mapping"] is None
    await ws.close()


BAD = {
    "degenerate corners (three in a line)": (
        {"corners": [[0, 0], [320, 0], [640, 0], [0, 360]]},
        "corners[1]",
    ),
    "self-intersecting corners": ({"corners": [[0, 0], [640, 360], [640, 0], [0, 360]]}, "corners"),
    "a mask with two points": ({"masks": [[[10, 10], [100, 100]]]}, "masks[0]"),
    "overlaps wider than the output": ({"blend": {"left": 400, "right": 300}}, "blend.right"),
    "a blend wider than the output": ({"blend": {"left": 700}}, "blend.left"),
    "a NaN coordinate": (None, "corners[2].x"),
    "a calibration for another resolution": ({"size": [1920, 1080]}, "size"),
}


@pytest.mark.parametrize("case", list(BAD))
async def test_bad_calibrations_are_refused_naming_the_field_and_change_nothing(
    live: RunningServer, case: str
) -> None:
    ws = await connect(live)
    status, _ = await request(live, "PUT", f"{BASE}/main/mapping", {"corners": PIN})
    assert status == 200
    await next_frame(ws, ("mapping",))
    body, field = BAD[case]
    if body is None:  # NaN is not JSON, but a sloppy client sends it: it is a coordinate problem
        raw = '{"corners": [[0, 0], [640, 0], [NaN, 360], [0, 360]]}'
        status, reply = await request(live, "PUT", f"{BASE}/main/mapping", raw=raw)
    else:
        status, reply = await request(live, "PUT", f"{BASE}/main/mapping", body)
    assert status == 422, reply
    assert reply["error"]["field"] == field, reply
    assert len(reply["error"]["message"]) > 10
    assert (await current(live))["mapping"]["corners"] == PIN  # the last good one stays
    # Nothing was pushed: the next frame the display gets is the pattern asked for after.
    status, _ = await request(live, "POST", f"{BASE}/main/pattern", {"pattern": "grid"})
    assert status == 200
    frame = await next_frame(ws, ("mapping", "pattern"))
    assert frame == {"v": 1, "type": "pattern", "output": "main", "pattern": "grid"}
    await ws.close()


async def test_patterns_unknown_outputs_and_displays_and_permissions(live: RunningServer) -> None:
    ws = await connect(live)
    status, reply = await request(live, "POST", f"{BASE}/main/pattern", {"pattern": "zebra"})
    assert status == 422 and reply["error"]["field"] == "pattern"
    status, reply = await request(live, "POST", f"{BASE}/main/pattern", {"pattern": "overlap"})
    assert status == 200 and reply["pattern"] == "overlap"
    assert (await next_frame(ws, ("pattern",)))["pattern"] == "overlap"
    assert (await current(live))["pattern"] == "overlap"
    status, reply = await request(live, "PUT", f"{BASE}/left/mapping", {"corners": PIN})
    assert (
        status == 404 and reply["error"]["code"] == "unknown_output" and "main" in reply["error"]["message"]
    )
    status, reply = await request(live, "GET", "/api/v1/displays/nobody/outputs")
    assert status == 404 and reply["error"]["code"] == "unknown_display"
    async with live.session.put(
        live.base + f"{BASE}/main/mapping",
        json={"corners": PIN},
        headers={"Authorization": f"Bearer {live.tokens['ingest']}"},
    ) as r:
        assert r.status == 403
    await ws.close()


async def test_a_display_that_reconnects_gets_its_mappings_and_patterns_after_the_snapshot(
    live: RunningServer,
) -> None:
    outputs = [{"name": "left", "size": [640, 360]}, {"name": "right", "size": [800, 600]}]
    ws = await connect(live, outputs=outputs)
    _, body = await request(live, "GET", BASE)
    assert [(o["name"], o["size"]) for o in body["outputs"]] == [("left", [640, 360]), ("right", [800, 600])]
    assert (await request(live, "PUT", f"{BASE}/left/mapping", {"corners": PIN}))[0] == 200
    assert (await request(live, "POST", f"{BASE}/right/pattern", {"pattern": "bars"}))[0] == 200
    await ws.close()
    ws = await connect(live, outputs=outputs)
    frames = [await next_frame(ws, ("mapping", "pattern")) for _ in range(2)]
    assert {(f["type"], f["output"]) for f in frames} == {("mapping", "left"), ("pattern", "right")}
    await ws.close()


async def test_the_endpoints_are_in_the_openapi_document(live: RunningServer) -> None:
    _, doc = await live.get("/api/v1/openapi.json")
    for path in ("", "/{output}/mapping", "/{output}/pattern", "/{output}/calibrations/{calibration}/load"):
        assert "/api/v1/displays/{name}/outputs" + path in doc["paths"]


async def test_an_older_display_has_one_output_main_of_its_resolution(live: RunningServer) -> None:
    ws = await live.display("facade", capabilities=("status",))
    assert (await recv_json(ws))["type"] == "snapshot"
    out = await current(live)
    assert out["size"] == [1920, 1080]
    status, body = await request(live, "PUT", f"{BASE}/main/mapping", {"blend": {"left": 200}})
    assert status == 200 and body["pushed"] is False  # stored for when it learns mapping
    await ws.close()


async def test_the_calibration_picture_is_the_outputs_own(live: RunningServer) -> None:
    ws = await connect(live)
    jpeg = io.BytesIO()
    Image.new("RGB", (64, 36), (200, 30, 30)).save(jpeg, "JPEG")

    async def answer() -> None:
        request_frame = await next_frame(ws, ("thumbnail_request",))
        assert request_frame["output"] == "main"
        data = base64.b64encode(jpeg.getvalue()).decode()
        await ws.send(
            json.dumps({"v": 1, "type": "thumbnail", "format": "jpeg", "data": data, "output": "main"})
        )

    task = asyncio.create_task(answer())
    headers = {"Authorization": f"Bearer {live.tokens['operator']}"}
    async with live.session.get(live.base + f"{BASE}/main/picture.jpg", headers=headers) as r:
        assert r.status == 200 and r.content_type == "image/jpeg"
        assert await r.read() == jpeg.getvalue()
    await task
    assert (await current(live))["picture_at"] is not None
    await ws.close()


async def test_a_keyboard_calibration_from_the_display_is_checked_stored_and_echoed(
    live: RunningServer,
) -> None:
    ws = await connect(live)
    mapping = {"name": "main", "size": list(SIZE), "corners": PIN}
    await ws.send(json.dumps({"v": 1, "type": "mapping", "output": "main", "mapping": mapping}))
    echo = await next_frame(ws, ("mapping",))
    assert echo["mapping"]["corners"] == PIN
    assert (await current(live))["mapping"]["corners"] == PIN
    crossed = {**mapping, "corners": [[0, 0], [640, 360], [640, 0], [0, 360]]}
    await ws.send(json.dumps({"v": 1, "type": "mapping", "output": "main", "mapping": crossed}))
    error = await next_frame(ws, ("error",))
    assert error["code"] == "bad_field" and "corners" in error["message"]
    other = {**mapping, "size": [1280, 720], "corners": [[0, 0], [1280, 0], [1280, 720], [0, 720]]}
    await ws.send(json.dumps({"v": 1, "type": "mapping", "output": "main", "mapping": other}))
    error = await next_frame(ws, ("error",))
    assert "size" in error["message"] and "640x360" in error["message"]
    assert (await current(live))["mapping"]["corners"] == PIN
    await ws.close()


async def test_saved_calibrations_round_trip_through_the_store_and_a_restart(config: Config) -> None:
    live = await start_server(config)
    try:
        ws = await connect(live)
        mapping = {"corners": PIN, "masks": [[[100, 100], [200, 100], [200, 200], [100, 200]]]}
        assert (await request(live, "PUT", f"{BASE}/main/mapping", mapping))[0] == 200
        status, body = await request(live, "POST", f"{BASE}/main/calibrations", {"name": "dusk"})
        assert status == 201 and [c["name"] for c in body["calibrations"]] == ["dusk"]
        status, reply = await request(
            live, "POST", f"{BASE}/main/calibrations", {"name": "bad", "mapping": {"size": [800, 600]}}
        )
        assert status == 422 and reply["error"]["field"] == "mapping.size"
        saved = (await current(live))["mapping"]
        await ws.close()
    finally:
        await live.session.close()
        await live.runner.cleanup()

    live = await start_server(config)  # the same data directory
    try:
        ws = await connect(live)
        pushed = await next_frame(ws, ("mapping",))  # the stored mapping, right after the snapshot
        assert pushed["mapping"] == saved
        assert (await request(live, "DELETE", f"{BASE}/main/mapping"))[0] == 200
        assert (await current(live))["identity"] is True
        status, body = await request(live, "GET", f"{BASE}/main/calibrations")
        assert status == 200 and [c["name"] for c in body["calibrations"]] == ["dusk"]
        status, body = await request(live, "POST", f"{BASE}/main/calibrations/dusk/load")
        assert status == 200 and body["mapping"] == saved and body["pushed"] is True
        assert (await current(live))["mapping"] == saved
        status, _ = await request(live, "POST", f"{BASE}/main/calibrations/nope/load")
        assert status == 404
        status, body = await request(live, "DELETE", f"{BASE}/main/calibrations/dusk")
        assert status == 200 and body["calibrations"] == []
        await ws.close()
    finally:
        await live.session.close()
        await live.runner.cleanup()


async def test_a_calibration_saved_for_another_resolution_is_refused_on_load(config: Config) -> None:
    live = await start_server(config)
    try:
        ws = await connect(live)
        assert (await request(live, "PUT", f"{BASE}/main/mapping", {"corners": PIN}))[0] == 200
        assert (await request(live, "POST", f"{BASE}/main/calibrations", {"name": "old projector"}))[0] == 201
        await ws.close()
        # The display comes back with a 1280x720 projector: the 640x360 calibration no longer fits.
        ws = await connect(live, outputs=[{"name": "main", "size": [1280, 720]}])
        status, reply = await request(live, "POST", f"{BASE}/main/calibrations/old%20projector/load")
        assert status == 422 and reply["error"]["field"] == "size"
        assert "recalibrate" in reply["error"]["message"]
        await ws.close()
    finally:
        await live.session.close()
        await live.runner.cleanup()
