"""Fan-out of show events to connected displays.

Each display has its own bounded buffer and its own writer task, so a stalled
display only ever delays itself. Totals are coalesced twice:

* globally, to at most ``totals_rate`` broadcasts per second: a totals update is
  sent at once when the last one went out long enough ago, otherwise the latest
  value waits for the next slot (so the stream always ends on the latest value);
* per display, when a display is still behind: an unsent totals frame at the
  tail of its buffer is replaced by the newer one.

A merged frame keeps the first rev it covers (``from``), so the replica can
tell a merge from a gap. Every frame is encoded once for all displays; only
per-display merges re-encode. Other events are never merged or dropped: a
display whose buffer overflows is disconnected and gets a fresh snapshot when
it reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from aiohttp import web

from projector.core import wire
from projector.core.protocol import EventFrame, Status
from projector.core.state import Event, TotalsChanged
from projector.server.web.metrics import Metrics

log = logging.getLogger("projector.server.hub")

#: WebSocket close code for "too far behind, reconnect" (1013: try again later).
CLOSE_TOO_SLOW = 1013


@dataclass(slots=True)
class _Outgoing:
    text: str
    created: float
    #: Set for totals frames, which may be merged with a newer one while unsent.
    totals: EventFrame | None = None


@dataclass(eq=False)
class DisplayRecord:
    """What the panel knows about a display, connected or not (by name)."""

    name: str
    address: str
    resolution: tuple[int, int]
    connected: bool = True
    connected_at: float = 0.0
    last_seen: float = 0.0
    status: Status | None = None
    thumbnail: bytes | None = None
    thumbnail_at: float | None = None
    #: Fleet (issue 8): the name the display says in hello (``name`` is what operators
    #: call it), when it last reported a status, since when it runs under its frame
    #: rate, and its last error with the time it came (kept after later good reports).
    hello_name: str = ""
    status_at: float | None = None
    slow_since: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None


@dataclass(eq=False)
class DisplayConnection:
    """One connected display, as the hub and the panel see it."""

    ws: web.WebSocketResponse
    name: str
    resolution: tuple[int, int]
    capabilities: tuple[str, ...]
    address: str
    connected_at: float
    status: Status | None = None
    status_at: float | None = None
    buffer: deque[_Outgoing] = field(default_factory=deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False
    task: asyncio.Task[None] | None = None
    record: DisplayRecord | None = None
    #: The name in the display's hello (``name`` may be an operator's rename of it).
    hello_name: str = ""


class Hub:
    def __init__(
        self,
        metrics: Metrics,
        *,
        totals_rate: float = 20.0,
        queue_limit: int = 1000,
        clock: Callable[[], float] = time.monotonic,
        unknown_ttl: float = 1800.0,
        max_unknown: int = 200,
    ) -> None:
        self.metrics = metrics
        self.interval = 1.0 / totals_rate
        self.queue_limit = queue_limit
        self.clock = clock
        self.clients: set[DisplayConnection] = set()
        #: Displays seen since the server started, by name, for the panel. Bounded: a
        #: display no operator has configured is forgotten ``unknown_ttl`` seconds after it
        #: was last seen, and at most ``max_unknown`` of them are kept (oldest
        #: disconnected first), so a flood of hellos under made-up names cannot grow this,
        #: ``/api/v1/displays`` and every panel push without end.
        self.records: dict[str, DisplayRecord] = {}
        self.unknown_ttl = unknown_ttl
        self.max_unknown = max_unknown
        #: Whether a display (by hello name) has operators' settings and is kept for good;
        #: the fleet sets this (the hub does not know the store).
        self.configured: Callable[[str], bool] = lambda hello_name: False
        #: Called with each record forgotten, so services keyed by display drop theirs too.
        self.on_forget: list[Callable[[DisplayRecord], None]] = []
        self._pending: EventFrame | None = None
        self._pending_created = 0.0
        self._last_totals = float("-inf")
        self._timer: asyncio.TimerHandle | None = None

    # --- connections -------------------------------------------------------------

    def attach(self, conn: DisplayConnection, snapshot_text: str) -> None:
        """Register a display; its first frame is the snapshot, queued in the same
        step, so no event can fall between the snapshot and the stream."""
        conn.buffer.append(_Outgoing(snapshot_text, self.clock()))
        self.clients.add(conn)
        record = self.records.get(conn.name) or DisplayRecord(conn.name, conn.address, conn.resolution)
        record.address, record.resolution, record.connected = conn.address, conn.resolution, True
        record.hello_name = conn.hello_name or conn.name
        record.connected_at = record.last_seen = conn.connected_at
        conn.record = self.records[conn.name] = record
        self.forget_unknown(time.time())
        self.metrics.displays.set(len(self.clients))
        conn.task = asyncio.get_running_loop().create_task(self._writer(conn), name=f"display:{conn.name}")
        conn.wake.set()

    def detach(self, conn: DisplayConnection) -> None:
        conn.closed = True
        conn.wake.set()
        # Another connection under the same name may have taken over the record.
        if (
            conn in self.clients
            and conn.record is not None
            and not any(c.record is conn.record for c in self.clients if c is not conn)
        ):
            conn.record.connected = False
            conn.record.last_seen = time.time()
        self.clients.discard(conn)
        self.metrics.displays.set(len(self.clients))

    def forget_unknown(self, now: float) -> list[DisplayRecord]:
        """Drop records of unconfigured displays that are not connected and were last seen
        over ``unknown_ttl`` ago, then the oldest disconnected ones beyond ``max_unknown``.

        A connected display is never dropped (the server's connection caps bound those);
        nor is one with operators' settings (named, grouped: someone set it up).
        """
        unknown = [r for r in self.records.values() if not self.configured(r.hello_name or r.name)]
        idle = sorted((r for r in unknown if not r.connected), key=lambda r: r.last_seen)
        over = len(unknown) - self.max_unknown
        gone = [r for i, r in enumerate(idle) if i < over or now - r.last_seen > self.unknown_ttl]
        for record in gone:
            if self.records.get(record.name) is record:
                del self.records[record.name]
            for listener in self.on_forget:
                listener(record)
        if gone:  # debug: under a flood of hellos this runs for every one
            log.debug("forgot %d display(s) no operator set up (idle or over the cap)", len(gone))
        return gone

    def resync(self, conn: DisplayConnection, snapshot_text: str) -> None:
        """Replace whatever the display has not received yet with a fresh snapshot."""
        conn.buffer.clear()
        self.send(conn, snapshot_text)

    def send(self, conn: DisplayConnection, text: str) -> None:
        """Queue a frame for one display (pong, error, snapshot)."""
        conn.buffer.append(_Outgoing(text, self.clock()))
        self._check_limit(conn)
        conn.wake.set()

    async def close_all(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        for conn in list(self.clients):
            self.detach(conn)
            with contextlib.suppress(Exception):
                await conn.ws.close(code=1001, message=b"server shutting down")

    # --- events ---------------------------------------------------------------------

    def publish(self, events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, TotalsChanged):
                if self._pending is None:
                    self._pending = EventFrame(event, event.rev)
                    self._pending_created = self.clock()
                else:
                    self._pending = EventFrame(event, self._pending.first_rev)
                self._schedule_totals()
            else:
                # Order matters: totals decided before this event go out first.
                self.flush_totals()
                frame = EventFrame(event, event.rev)
                self._broadcast(_Outgoing(wire.encode(frame), self.clock()))

    def _schedule_totals(self) -> None:
        wait = self._last_totals + self.interval - self.clock()
        if wait <= 0:
            self.flush_totals()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(wait, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self.flush_totals()

    def flush_totals(self) -> None:
        frame = self._pending
        if frame is None:
            return
        self._pending = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._last_totals = self.clock()
        item = _Outgoing(wire.encode(frame), self._pending_created, frame)
        for conn in list(self.clients):
            tail = conn.buffer[-1] if conn.buffer else None
            if tail is not None and tail.totals is not None:
                merged = EventFrame(frame.event, tail.totals.first_rev)
                conn.buffer[-1] = _Outgoing(wire.encode(merged), tail.created, merged)
            else:
                conn.buffer.append(item)
                self._check_limit(conn)
            conn.wake.set()

    def _broadcast(self, item: _Outgoing) -> None:
        for conn in list(self.clients):
            conn.buffer.append(item)
            self._check_limit(conn)
            conn.wake.set()

    def _check_limit(self, conn: DisplayConnection) -> None:
        if len(conn.buffer) <= self.queue_limit or conn.closed:
            return
        log.warning("display %r fell %d frames behind; dropping it", conn.name, len(conn.buffer))
        self.metrics.queue_drops.inc()
        conn.buffer.clear()
        self.detach(conn)
        asyncio.get_running_loop().create_task(
            conn.ws.close(code=CLOSE_TOO_SLOW, message=b"too far behind; reconnect for a snapshot")
        )

    async def _writer(self, conn: DisplayConnection) -> None:
        lag = self.metrics.broadcast_lag
        try:
            while not conn.closed:
                if not conn.buffer:
                    conn.wake.clear()
                    await conn.wake.wait()
                    continue
                item = conn.buffer.popleft()
                # Blocks only this display's task when its socket is full; aiohttp's
                # heartbeat closes a connection that stops answering pings.
                await conn.ws.send_str(item.text)
                lag.observe(self.clock() - item.created)
        except (ConnectionError, RuntimeError) as exc:
            log.info("display %r: send failed: %s", conn.name, exc)
        finally:
            self.detach(conn)
