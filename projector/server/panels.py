"""The connected operator panels: one push of the whole state on every change, and pictures while they watch.

Thumbnails: the honest signal that someone watches is a connected panel. While
at least one is, every display that can stream (capability ``thumbnail_stream``)
is asked for pictures every ``STREAM_EVERY`` seconds and at once after a cue, a
blackout or a pattern; when the last panel goes, the stream is stopped. Older
displays are asked for one picture every ``THUMBNAIL_INTERVAL`` seconds, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable

from aiohttp import web

from projector.core import wire
from projector.core.protocol import ThumbnailRequest
from projector.core.state import Event, ShowState
from projector.server import tasks
from projector.server.fleet import Fleet
from projector.server.hub import DisplayConnection, Hub
from projector.server.media_service import MediaService
from projector.server.moderation import ModerationQueue
from projector.server.show import Show
from projector.server.thumbnail_cap import STREAM_EVERY
from projector.server.views import displays_json, show_json, totals_json

log = logging.getLogger("projector.panel")

PUSH_INTERVAL = 0.1
REFRESH_INTERVAL = 2.0
THUMBNAIL_INTERVAL = 5.0
THUMBNAIL_WIDTH = 320
#: The capability of a display that streams pictures while asked (``ThumbnailRequest.every``).
STREAMS = "thumbnail_stream"
#: A panel that takes longer than this to take one push, or lets this much pile up unread in
#: its socket, is dropped (its browser reconnects and polls meanwhile); the others never wait for it.
SEND_TIMEOUT = 10.0
MAX_UNSENT_BYTES = 4 * 1024 * 1024


class PanelClient:
    """One panel's socket with its own sender: it only ever needs the newest state, so a push
    replaces an unsent one, and a socket that stops reading costs one message, not a queue."""

    def __init__(self, ws: web.WebSocketResponse, transport: asyncio.Transport | None) -> None:
        self.ws = ws
        self.transport = transport
        self.latest: str | None = None
        self.ready = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def offer(self, text: str) -> None:
        self.latest = text
        self.ready.set()

    def behind(self) -> bool:
        buffered = self.transport.get_write_buffer_size() if self.transport is not None else 0
        return buffered > MAX_UNSENT_BYTES

    async def run(self, on_dropped: Callable[[PanelClient, str], None]) -> None:
        while True:
            await self.ready.wait()
            self.ready.clear()
            text, self.latest = self.latest, None
            if text is None:
                continue
            try:
                async with asyncio.timeout(SEND_TIMEOUT):
                    await self.ws.send_str(text)
            except TimeoutError:
                on_dropped(self, f"took over {SEND_TIMEOUT:.0f} s to take a push")
                return
            except (ConnectionError, RuntimeError):
                on_dropped(self, "")
                return
            if self.behind():
                on_dropped(self, "stopped reading")
                return

    def abort(self) -> None:
        """Close at once, without the closing handshake a stuck reader would never answer."""
        if self.transport is not None:
            self.transport.abort()


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
        #: Every connected panel's socket and its sender.
        self.panels: dict[web.WebSocketResponse, PanelClient] = {}
        self.dirty = asyncio.Event()

    def join(self, ws: web.WebSocketResponse, transport: asyncio.Transport | None) -> PanelClient:
        """A panel connected: it gets the whole state now, and every push after."""
        client = self.panels[ws] = PanelClient(ws, transport)
        client.task = asyncio.get_running_loop().create_task(client.run(self._dropped), name="panel-sender")
        client.offer(self.message())
        if len(self.panels) == 1:
            self._stream(STREAM_EVERY)  # the first panel: pictures start
        return client

    def leave(self, client: PanelClient) -> None:
        if self.panels.pop(client.ws, None) is not None and not self.panels:
            self._stream(0.0)  # nobody watches: the displays stop sending pictures
        if client.task is not None and client.task is not asyncio.current_task():
            client.task.cancel()

    def _stream(self, every: float) -> None:
        """Start (``every`` seconds) or stop (0) the stream of pictures on every display that can stream."""
        request = wire.encode(ThumbnailRequest(THUMBNAIL_WIDTH, every=every))
        for conn in list(self.hub.clients):
            if STREAMS in conn.capabilities:
                self.hub.send(conn, request)

    def _dropped(self, client: PanelClient, why: str) -> None:
        if why:
            log.warning("dropped a panel that %s; the others carry on", why)
        self.leave(client)
        client.abort()

    def on_change(self, state: ShowState, events: list[Event]) -> None:
        if self.panels:
            self.dirty.set()

    def display_connected(self, conn: DisplayConnection) -> None:
        """A display that connects while operators watch shows its picture at once."""
        if self.panels and STREAMS in conn.capabilities:
            self.hub.send(conn, wire.encode(ThumbnailRequest(THUMBNAIL_WIDTH, every=STREAM_EVERY)))
        elif self.panels and "thumbnail" in conn.capabilities:
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

    def push(self) -> None:
        """The state, encoded once, offered to every panel's sender (none of them is waited for)."""
        if not self.panels:
            return
        text = self.message()
        for client in list(self.panels.values()):
            client.offer(text)

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
            self.push()
            now = time.monotonic()
            if self.panels and now >= next_thumbnails:
                next_thumbnails = now + THUMBNAIL_INTERVAL
                hub = self.hub
                request = wire.encode(ThumbnailRequest(THUMBNAIL_WIDTH))
                for conn in list(hub.clients):
                    # A display that streams sends its own pictures; this is for older ones.
                    if "thumbnail" in conn.capabilities and STREAMS not in conn.capabilities:
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
        await tasks.stop(self._task)
        for client in list(self.panels.values()):
            self.leave(client)
            with contextlib.suppress(Exception):
                async with asyncio.timeout(1.0):
                    await client.ws.close(code=1001, message=b"server shutting down")
            client.abort()
