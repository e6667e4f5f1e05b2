"""Fan-out of show events to connected displays.

A frame is encoded once, to JSON and then to one complete websocket frame (header
and payload bytes), and that same bytes object is written straight to the socket
of every display that keeps up: no task, lock, future or per-display encoding per
frame (the profile of 2,000 displays was mostly task wake-ups around
``send_str``). A display whose socket is full (bytes waiting in user space) gets
its frames in its own bounded backlog instead, which its own writer task drains
with flow control, so a stalled display only ever delays itself. Totals are
coalesced twice:

* globally, to ``totals_rate`` broadcasts per second: a totals update is sent at
  once when the last one went out long enough ago, otherwise the latest value
  waits for the next slot (so the stream always ends on the latest value). Slots
  keep to a fixed grid: a timer that fires late (a busy loop) does not push every
  later slot back, which used to cost displays a frame or more per second;
* per display, when a display is behind: an unsent totals frame at the tail of
  its backlog is replaced by the newer one.

A merged frame keeps the first rev it covers (``from``), so the replica can
tell a merge from a gap. Only per-display merges re-encode. Other events are
never merged or dropped: a display whose backlog overflows is disconnected and
gets a fresh snapshot when it reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

from projector.core import wire
from projector.core.byte_budget import ByteBudget
from projector.core.protocol import EventFrame, Status
from projector.core.state import Event, TotalsChanged
from projector.server.thumbnail_cap import thumbnail_budget
from projector.server.web.metrics import Metrics

log = logging.getLogger("projector.server.hub")

#: WebSocket close code for "too far behind, reconnect" (1013: try again later).
CLOSE_TOO_SLOW = 1013

#: Bytes a display's transport may hold in user space (its kernel buffer is full)
#: before its frames go to its backlog instead: asyncio's default high-water mark,
#: where the transport would pause its writer anyway.
BACKLOG_BYTES = 64 * 1024

#: ``writer_limit`` for a display's ``WebSocketResponse``. aiohttp checks whether
#: the socket must drain only after this many bytes; at 0 it checks before every
#: frame, so the writer task leaves a display's backlog in the backlog (where
#: totals merge and an overflow drops the display) instead of moving it into an
#: unbounded transport buffer. The shared frames never go through that writer.
WRITER_LIMIT = 0


def _ws_text_frame(payload: bytes) -> bytes:
    """One unmasked, uncompressed, final text frame (RFC 6455 5.2), as a server sends it."""
    n = len(payload)
    if n < 126:
        header = bytes((0x81, n))
    elif n < 65536:
        header = bytes((0x81, 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + n.to_bytes(8, "big")
    return header + payload


@dataclass(slots=True)
class _Outgoing:
    payload: bytes
    created: float
    #: Set for totals frames, which may be merged with a newer one while unsent.
    totals: EventFrame | None = None
    #: The whole websocket frame, built on first use and shared by every display.
    _framed: bytes | None = None

    @classmethod
    def of(cls, text: str, created: float, totals: EventFrame | None = None) -> _Outgoing:
        return cls(text.encode(), created, totals)

    @property
    def framed(self) -> bytes:
        if self._framed is None:
            self._framed = _ws_text_frame(self.payload)
        return self._framed


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
    #: The preview cue as the display entered it ahead of GO, and which cue the show
    #: previewed when it came (the panel shows it only while that cue is still the preview).
    preview_thumbnail: bytes | None = None
    preview_thumbnail_at: float | None = None
    preview_for: int | None = None
    #: Fleet (issue 8): the name the display says in hello (``name`` is what operators
    #: call it), when it last reported a status, since when it runs under its frame
    #: rate, and its last error with the time it came (kept after later good reports).
    hello_name: str = ""
    status_at: float | None = None
    slow_since: float | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    #: Connections attached under this record: it stays connected until the last
    #: one goes (a counter, not a scan of every client per detach, which made a
    #: mass reconnect of 2,000 displays quadratic).
    connections: int = 0


@dataclass(eq=False)
class DisplayConnection:
    """One connected display, as the hub and the panel see it."""

    ws: web.WebSocketResponse
    name: str
    resolution: tuple[int, int]
    capabilities: tuple[str, ...]
    address: str
    connected_at: float
    #: The socket under ``ws`` (``request.transport``). With it, frames are written
    #: to it directly while the display keeps up; without it (a test's fake socket),
    #: every frame goes through ``ws.send_frame`` from the writer task.
    transport: asyncio.Transport | None = None
    status: Status | None = None
    status_at: float | None = None
    buffer: deque[_Outgoing] = field(default_factory=deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False
    task: asyncio.Task[None] | None = None
    record: DisplayRecord | None = None
    #: The name in the display's hello (``name`` may be an operator's rename of it).
    hello_name: str = ""
    #: Its pictures for the panel are held to this (``thumbnail_cap``); what goes over is dropped.
    thumbnail_budget: ByteBudget = field(default_factory=thumbnail_budget)
    thumbnails_dropped: int = 0


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
        """Register a display; its first frame is the snapshot, sent or queued in the same
        step, so no event can fall between the snapshot and the stream."""
        self.clients.add(conn)
        record = self.records.get(conn.name) or DisplayRecord(conn.name, conn.address, conn.resolution)
        record.address, record.resolution, record.connected = conn.address, conn.resolution, True
        record.hello_name = conn.hello_name or conn.name
        record.connected_at = record.last_seen = conn.connected_at
        record.connections += 1
        conn.record = self.records[conn.name] = record
        self.forget_unknown(time.time())
        self.metrics.displays.set(len(self.clients))
        conn.task = asyncio.get_running_loop().create_task(self._writer(conn), name=f"display:{conn.name}")
        self._deliver(conn, _Outgoing.of(snapshot_text, self.clock()))

    def detach(self, conn: DisplayConnection) -> None:
        conn.closed = True
        conn.wake.set()
        # Another connection under the same name may have taken over the record.
        if conn in self.clients and conn.record is not None:
            conn.record.connections -= 1
            if conn.record.connections <= 0:
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
        """Send a frame to one display (pong, error, snapshot)."""
        self._deliver(conn, _Outgoing.of(text, self.clock()))

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
                self._broadcast(_Outgoing.of(wire.encode(frame), self.clock()))

    def _schedule_totals(self) -> None:
        slot = self._last_totals + self.interval
        wait = slot - self.clock()
        if wait <= 0:
            self._flush_totals(slot)
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(wait, self._on_timer, slot)

    def _on_timer(self, slot: float) -> None:
        self._timer = None
        self._flush_totals(slot)

    def flush_totals(self) -> None:
        """Send the pending totals now (another event must not overtake them)."""
        self._flush_totals(None)

    def _flush_totals(self, slot: float | None) -> None:
        frame = self._pending
        if frame is None:
            return
        self._pending = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        now = self.clock()
        # The frame counts for the slot it was due in, so a late timer does not push
        # every later slot back; a slot missed by a whole interval or more is not
        # made up with a burst. A flush out of turn (``slot`` None) starts afresh.
        self._last_totals = slot if slot is not None and now - slot < self.interval else now
        item = _Outgoing.of(wire.encode(frame), self._pending_created, frame)
        framed = item.framed
        direct = 0
        for conn in list(self.clients):
            transport = self._keeping_up(conn)
            if transport is not None:
                transport.write(framed)
                direct += 1
                continue
            tail = conn.buffer[-1] if conn.buffer else None
            if tail is not None and tail.totals is not None:
                merged = EventFrame(frame.event, tail.totals.first_rev)
                conn.buffer[-1] = _Outgoing.of(wire.encode(merged), tail.created, merged)
                conn.wake.set()
            else:
                self._queue(conn, item)
        if direct:
            self.metrics.broadcast_lag.observe(self.clock() - item.created)

    def _broadcast(self, item: _Outgoing) -> None:
        framed = item.framed
        direct = 0
        for conn in list(self.clients):
            transport = self._keeping_up(conn)
            if transport is not None:
                transport.write(framed)
                direct += 1
            else:
                self._queue(conn, item)
        if direct:
            # One observation per broadcast, not per display: every direct write
            # happened in this one pass, so they share the lag (a histogram
            # observation per display and frame was a visible cost at 2,000).
            self.metrics.broadcast_lag.observe(self.clock() - item.created)

    @staticmethod
    def _keeping_up(conn: DisplayConnection) -> asyncio.Transport | None:
        """The display's socket, when a frame can go straight to it: nothing is
        queued before it, the socket is open, and the kernel took everything so
        far (or nearly: a display that stopped reading fills its kernel buffer,
        then this, and from then on its frames wait in its backlog)."""
        transport = conn.transport
        if (
            transport is None
            or conn.buffer
            or transport.get_write_buffer_size() > BACKLOG_BYTES
            or transport.is_closing()
            or conn.ws.closed
        ):
            return None
        return transport

    def _deliver(self, conn: DisplayConnection, item: _Outgoing) -> None:
        transport = self._keeping_up(conn)
        if transport is not None:
            transport.write(item.framed)
            self.metrics.broadcast_lag.observe(self.clock() - item.created)
        else:
            self._queue(conn, item)

    def _queue(self, conn: DisplayConnection, item: _Outgoing) -> None:
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
                # Blocks only this display's task when its socket is full (aiohttp
                # waits for the transport to drain); aiohttp's heartbeat closes a
                # connection that stops answering pings.
                await conn.ws.send_frame(item.payload, WSMsgType.TEXT)
                lag.observe(self.clock() - item.created)
        except (ConnectionError, RuntimeError) as exc:
            log.info("display %r: send failed: %s", conn.name, exc)
        finally:
            self.detach(conn)
