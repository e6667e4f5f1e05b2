"""What the operator panel needs from the server beyond the core API.

The panel's own websocket (``/api/v1/panel/ws``) pushes the whole picture, the
show, the totals and the displays, whenever it changes (at most ten times a
second) and every couple of seconds anyway; displays are asked for thumbnails
only while a panel is watching. Also here: the displays list with last-seen
times and thumbnails, actions per hour for the chart, and the static panel files.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

from projector.core import wire
from projector.core.model import ValidationError
from projector.core.protocol import ThumbnailRequest, totals_to_wire
from projector.core.state import Event, ShowState
from projector.server.app_keys import HUB, SHOW, STORE
from projector.server.fleet import FLEET, Fleet, fleet_json, retired_json
from projector.server.hub import DisplayConnection, DisplayRecord, Hub
from projector.server.media_service import MEDIA
from projector.server.routes.messages import QUEUE
from projector.server.routes.show import show_json
from projector.server.web.auth import require
from projector.server.web.errors import ApiError
from projector.server.web.http import rfc3339

log = logging.getLogger("projector.panel")

STATIC_DIR = Path(__file__).resolve().parents[2] / "panel" / "static"
PUSH_INTERVAL = 0.1
REFRESH_INTERVAL = 2.0
THUMBNAIL_INTERVAL = 5.0
THUMBNAIL_WIDTH = 320
#: A display not heard from for this long is shown as silent on the panel.
SILENT_AFTER = 15.0


def display_json(record: DisplayRecord) -> dict[str, Any]:
    status = record.status
    return {
        "name": record.name,
        "address": record.address,
        "resolution": list(record.resolution),
        "connected": record.connected,
        "connected_at": rfc3339(record.connected_at),
        "last_seen": rfc3339(record.last_seen),
        "silent": record.connected and time.time() - record.last_seen > SILENT_AFTER,
        "scene": status.scene if status else None,
        "fps": status.fps if status else None,
        "frame_p99_ms": status.frame_p99_ms if status else None,
        "rev": status.rev if status else None,
        "error": status.error if status else None,
        "thumbnail_at": rfc3339(record.thumbnail_at),
        # Pictures its show needs: in its cache / still to fetch (None: it does not say).
        "media_ready": status.media_ready if status else None,
        "media_missing": status.media_missing if status else None,
    }


def displays_json(hub: Hub, fleet: Fleet | None = None) -> list[dict[str, Any]]:
    queued = {c.name: len(c.buffer) for c in hub.clients}
    return [
        {**display_json(r), "queued": queued.get(r.name, 0), **(fleet_json(fleet, r) if fleet else {})}
        for r in sorted(hub.records.values(), key=lambda r: r.name)
    ]


def totals_json(state: ShowState) -> dict[str, Any]:
    return {
        **totals_to_wire(state.totals),
        "goal": state.campaign.goal,
        "record": state.campaign.record,
        "record_beaten_at": rfc3339(state.record_beaten_at),
    }


class PanelHub:
    """The connected panels, and the pushes and thumbnail requests they cause."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.panels: set[web.WebSocketResponse] = set()
        self.dirty = asyncio.Event()

    def on_change(self, state: ShowState, events: list[Event]) -> None:
        if self.panels:
            self.dirty.set()

    def display_connected(self, conn: DisplayConnection) -> None:
        """A display that connects while operators watch shows its picture at once."""
        if self.panels and "thumbnail" in conn.capabilities:
            self.app[HUB].send(conn, wire.encode(ThumbnailRequest(THUMBNAIL_WIDTH)))
        self.dirty.set()

    def message(self) -> str:
        state = self.app[SHOW].state
        queue = self.app[QUEUE]
        return json.dumps(
            {
                "type": "state",
                **show_json(state),
                "totals": totals_json(state),
                "displays": displays_json(self.app[HUB], self.app[FLEET]),
                "moderation": {"rev": queue.rev, "pending": queue.pending},
                "media": self.app[MEDIA].progress.as_json() if MEDIA in self.app else None,
            },
            ensure_ascii=False,
        )

    async def push(self) -> None:
        if not self.panels:
            return
        text = self.message()
        for ws in list(self.panels):
            try:
                await ws.send_str(text)
            except (ConnectionError, RuntimeError):
                self.panels.discard(ws)

    async def run(self) -> None:
        """Push on change (at most every ``PUSH_INTERVAL``) and every ``REFRESH_INTERVAL``."""
        next_thumbnails = 0.0
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.dirty.wait(), REFRESH_INTERVAL)
            self.dirty.clear()
            await self.push()
            now = time.monotonic()
            if self.panels and now >= next_thumbnails:
                next_thumbnails = now + THUMBNAIL_INTERVAL
                hub = self.app[HUB]
                request = wire.encode(ThumbnailRequest(THUMBNAIL_WIDTH))
                for conn in list(hub.clients):
                    if "thumbnail" in conn.capabilities:
                        hub.send(conn, request)
            await asyncio.sleep(PUSH_INTERVAL)


PANELS = web.AppKey("panels", PanelHub)


async def _panel_ctx(app: web.Application) -> AsyncIterator[None]:
    panels = app[PANELS]
    app[SHOW].listeners.append(panels.on_change)
    app[QUEUE].listeners.append(panels.dirty.set)
    if MEDIA in app:
        app[MEDIA].on_progress.append(panels.dirty.set)  # variant progress reaches the Cases tab
    task = asyncio.get_running_loop().create_task(panels.run(), name="panel-pushes")
    yield
    task.cancel()
    for ws in list(panels.panels):
        with contextlib.suppress(Exception):
            await ws.close(code=1001, message=b"server shutting down")


async def panel_socket(request: web.Request) -> web.WebSocketResponse:
    await require(request, "viewer")
    origin = request.headers.get("Origin")
    if origin is not None and origin.split("://", 1)[-1] != request.host:
        # Cookies ride along on cross-site websocket handshakes: refuse other origins.
        raise ApiError(403, "forbidden", f"websocket from another origin ({origin}) refused")
    ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=64 * 1024)
    await ws.prepare(request)
    panels = request.app[PANELS]
    panels.panels.add(ws)
    try:
        await ws.send_str(panels.message())
        async for msg in ws:  # the panel only listens; anything it sends is ignored
            if msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                break
    finally:
        panels.panels.discard(ws)
    return ws


async def list_displays(request: web.Request) -> web.Response:
    await require(request, "viewer")
    fleet = request.app[FLEET]
    return web.json_response(
        {"displays": displays_json(request.app[HUB], fleet), "retired": retired_json(fleet)}
    )


async def display_thumbnail(request: web.Request) -> web.Response:
    await require(request, "viewer")
    record = request.app[HUB].records.get(request.match_info["name"])
    if record is None or record.thumbnail is None:
        raise ApiError(404, "not_found", "no thumbnail from that display yet")
    return web.Response(
        body=record.thumbnail, content_type="image/jpeg", headers={"Cache-Control": "no-store"}
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
    rows = await request.app[STORE].call(lambda s: s.actions_per_hour(first))
    buckets: dict[int, dict[str, int]] = {first + 3600 * i: {} for i in range(hours)}
    for hour, channel, count in rows:
        if hour in buckets:
            buckets[hour][channel] = count
    return web.json_response({"hours": [{"start": rfc3339(h), "by_channel": c} for h, c in buckets.items()]})


async def panel_index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html", headers=_STATIC_HEADERS)


#: The panel runs only our own scripts and styles, and may not be framed.
_STATIC_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; "
    "style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


async def panel_file(request: web.Request) -> web.FileResponse:
    name = request.match_info["file"]
    path = (STATIC_DIR / name).resolve()
    if STATIC_DIR.resolve() not in path.parents or not path.is_file():
        raise ApiError(404, "not_found", "no such panel file")
    return web.FileResponse(path, headers=_STATIC_HEADERS)


async def panel_redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound("/panel/")


def add_routes(app: web.Application) -> None:
    app[PANELS] = PanelHub(app)
    app.cleanup_ctx.append(_panel_ctx)
    r = app.router
    r.add_get("/api/v1/panel/ws", panel_socket)
    r.add_get("/api/v1/displays", list_displays)
    r.add_get("/api/v1/displays/{name}/thumbnail.jpg", display_thumbnail)
    r.add_get("/api/v1/actions/per_hour", actions_per_hour)
    r.add_get("/panel", panel_redirect)
    r.add_get("/panel/", panel_index)
    r.add_get("/panel/{file:[A-Za-z0-9_.-]+}", panel_file)
