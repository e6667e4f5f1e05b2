"""The connected operator panels: one push of the whole state on every change, thumbnails on a timer."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

from aiohttp import web

from projector.core import wire
from projector.core.protocol import ThumbnailRequest
from projector.core.state import Event, ShowState
from projector.server.fleet import Fleet
from projector.server.hub import DisplayConnection, Hub
from projector.server.media_service import MediaService
from projector.server.moderation import ModerationQueue
from projector.server.show import Show
from projector.server.views import displays_json, show_json, totals_json

PUSH_INTERVAL = 0.1
REFRESH_INTERVAL = 2.0
THUMBNAIL_INTERVAL = 5.0
THUMBNAIL_WIDTH = 320


class PanelHub:
    """The connected panels, and the pushes and thumbnail requests they cause."""

    def __init__(
        self, hub: Hub, show: Show, fleet: Fleet, queue: ModerationQueue, media: MediaService
    ) -> None:
        self.hub = hub
        self.show = show
        self.fleet = fleet
        self.queue = queue
        self.media = media
        self._task: asyncio.Task[None] | None = None
        self.panels: set[web.WebSocketResponse] = set()
        self.dirty = asyncio.Event()

    def on_change(self, state: ShowState, events: list[Event]) -> None:
        if self.panels:
            self.dirty.set()

    def display_connected(self, conn: DisplayConnection) -> None:
        """A display that connects while operators watch shows its picture at once."""
        if self.panels and "thumbnail" in conn.capabilities:
            self.hub.send(conn, wire.encode(ThumbnailRequest(THUMBNAIL_WIDTH)))
        self.dirty.set()

    def message(self) -> str:
        state = self.show.state
        queue = self.queue
        return json.dumps(
            {
                "type": "state",
                **show_json(state),
                "totals": totals_json(state),
                "displays": displays_json(self.hub, self.fleet),
                "moderation": {"rev": queue.rev, "pending": queue.pending},
                "media": self.media.progress.as_json(),
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
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancel that arrives as
            # the event is set, and close() would then wait forever for a loop that never ends.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(REFRESH_INTERVAL):
                    await self.dirty.wait()
            self.dirty.clear()
            await self.push()
            now = time.monotonic()
            if self.panels and now >= next_thumbnails:
                next_thumbnails = now + THUMBNAIL_INTERVAL
                hub = self.hub
                request = wire.encode(ThumbnailRequest(THUMBNAIL_WIDTH))
                for conn in list(hub.clients):
                    if "thumbnail" in conn.capabilities:
                        hub.send(conn, request)
            await asyncio.sleep(PUSH_INTERVAL)

    def start(self) -> None:
        """Listen for what panels show, and push it from one task."""
        self.show.listeners.append(self.on_change)
        self.queue.listeners.append(self.dirty.set)
        self.media.on_progress.append(self.dirty.set)  # variant progress reaches the Cases tab
        self._task = asyncio.get_running_loop().create_task(self.run(), name="panel-pushes")

    async def close(self) -> None:
        """Stop pushing and close every panel's socket."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for ws in list(self.panels):
            with contextlib.suppress(Exception):
                await ws.close(code=1001, message=b"server shutting down")
