"""The connected operator panels: one push of the whole state on every change, thumbnails on a timer."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator

from aiohttp import web

from projector.core import wire
from projector.core.protocol import ThumbnailRequest
from projector.core.state import Event, ShowState
from projector.server.app_keys import HUB, SHOW
from projector.server.fleet import FLEET
from projector.server.hub import DisplayConnection
from projector.server.media_service import MEDIA
from projector.server.moderation import QUEUE
from projector.server.views import displays_json, show_json, totals_json

PUSH_INTERVAL = 0.1
REFRESH_INTERVAL = 2.0
THUMBNAIL_INTERVAL = 5.0
THUMBNAIL_WIDTH = 320


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


async def panels_ctx(app: web.Application) -> AsyncIterator[None]:
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
