"""What the operator panel needs from the server beyond the core API.

The panel's own websocket (``/api/v1/panel/ws``) pushes the whole picture, the
show, the totals and the displays, whenever it changes (at most ten times a
second) and every couple of seconds anyway; displays are asked for thumbnails
only while a panel is watching. Also here: the displays list with last-seen
times and thumbnails, actions per hour for the chart, and the static panel files.
"""

from __future__ import annotations

import asyncio
import logging
import time

from aiohttp import WSMsgType, web

from projector.core.model import ValidationError
from projector.server.fleet import retired_json
from projector.server.services import SERVICES
from projector.server.views import displays_json
from projector.server.web.auth import require
from projector.server.web.errors import ApiError
from projector.server.web.http import rfc3339
from projector.server.web.static import STATIC_DIR, STATIC_HEADERS

log = logging.getLogger("projector.panel")


async def panel_socket(request: web.Request) -> web.WebSocketResponse:
    await require(request, "viewer")
    origin = request.headers.get("Origin")
    if origin is not None and origin.split("://", 1)[-1] != request.host:
        # Cookies ride along on cross-site websocket handshakes: refuse other origins.
        raise ApiError(403, "forbidden", f"websocket from another origin ({origin}) refused")
    ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=64 * 1024)
    await ws.prepare(request)
    panels = request.app[SERVICES].panels
    transport = request.transport
    client = panels.join(ws, transport if isinstance(transport, asyncio.Transport) else None)
    try:
        async for msg in ws:  # the panel only listens; anything it sends is ignored
            if msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                break
    finally:
        panels.leave(client)
    return ws


async def list_displays(request: web.Request) -> web.Response:
    await require(request, "viewer")
    fleet = request.app[SERVICES].fleet
    return web.json_response(
        {"displays": displays_json(request.app[SERVICES].hub, fleet), "retired": retired_json(fleet)}
    )


async def display_thumbnail(request: web.Request) -> web.Response:
    await require(request, "viewer")
    record = request.app[SERVICES].hub.records.get(request.match_info["name"])
    if record is None or record.thumbnail is None:
        raise ApiError(404, "not_found", "no thumbnail from that display yet")
    return web.Response(
        body=record.thumbnail, content_type="image/jpeg", headers={"Cache-Control": "no-store"}
    )


async def display_preview_thumbnail(request: web.Request) -> web.Response:
    """The preview cue as the display entered it ahead of GO (``preview_for`` says which cue)."""
    await require(request, "viewer")
    record = request.app[SERVICES].hub.records.get(request.match_info["name"])
    if record is None or record.preview_thumbnail is None:
        raise ApiError(404, "not_found", "no preview picture from that display yet")
    return web.Response(
        body=record.preview_thumbnail, content_type="image/jpeg", headers={"Cache-Control": "no-store"}
    )


async def actions_per_hour(request: web.Request) -> web.Response:
    await require(request, "viewer")
    try:
        hours = int(request.query.get("hours", "24"))
    except ValueError:
        raise ValidationError("hours", "must be a whole number of hours") from None
    if not 1 <= hours <= 24 * 31:
        raise ValidationError("hours", "must be between 1 and 744")
    now = time.time()
    first = int(now // 3600 - hours + 1) * 3600
    rows = await request.app[SERVICES].store.call(lambda s: s.actions_per_hour(first))
    buckets: dict[int, dict[str, int]] = {first + 3600 * i: {} for i in range(hours)}
    for hour, channel, count in rows:
        if hour in buckets:
            buckets[hour][channel] = count
    return web.json_response({"hours": [{"start": rfc3339(h), "by_channel": c} for h, c in buckets.items()]})


async def panel_index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html", headers=STATIC_HEADERS)


async def panel_file(request: web.Request) -> web.FileResponse:
    name = request.match_info["file"]
    path = (STATIC_DIR / name).resolve()
    if STATIC_DIR.resolve() not in path.parents or not path.is_file():
        raise ApiError(404, "not_found", "no such panel file")
    return web.FileResponse(path, headers=STATIC_HEADERS)


async def panel_redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/panel/")


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/v1/panel/ws", panel_socket)
    r.add_get("/api/v1/displays", list_displays)
    r.add_get("/api/v1/displays/{name}/thumbnail.jpg", display_thumbnail)
    r.add_get("/api/v1/displays/{name}/preview.jpg", display_preview_thumbnail)
    r.add_get("/api/v1/actions/per_hour", actions_per_hour)
    r.add_get("/panel", panel_redirect)
    r.add_get("/panel/", panel_index)
    r.add_get("/panel/{file:[A-Za-z0-9_.-]+}", panel_file)
