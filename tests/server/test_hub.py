"""Hub fan-out with a fake socket at the network edge: coalescing, ordering, drops."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

from aiohttp import WSMsgType, web

from projector.core import wire
from projector.core.model import Action, Channel
from projector.core.protocol import EventFrame, Pong, Snapshot
from projector.core.replica import Outcome, Replica
from projector.core.state import Event, Message, RecordActions, ShowMessage, ShowState, reduce
from projector.server.hub import CLOSE_TOO_SLOW, WRITER_LIMIT, DisplayConnection, Hub
from projector.server.web.metrics import Metrics


class FakeSocket:
    """Records frames; can be made to stall like a display that stopped reading."""

    def __init__(self, stalled: bool = False) -> None:
        self.frames: list[dict[str, Any]] = []
        self.stalled = stalled
        self.closed_with: int | None = None
        self._release = asyncio.Event()

    async def send_frame(self, payload: bytes, opcode: WSMsgType) -> None:
        assert opcode == WSMsgType.TEXT
        if self.stalled:
            await self._release.wait()
        self.frames.append(json.loads(payload))

    @property
    def closed(self) -> bool:
        return self.closed_with is not None

    async def close(self, code: int = 1000, message: bytes = b"") -> None:
        self.closed_with = code


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def connect(hub: Hub, ws: FakeSocket, name: str = "d") -> DisplayConnection:
    conn = DisplayConnection(ws, name, (1920, 1080), (), "127.0.0.1", 0.0)  # type: ignore[arg-type]
    hub.attach(conn, wire.encode(Pong(0, 0.0, 0.0)))
    return conn


def totals_events(state: ShowState, n: int) -> tuple[ShowState, list[Event]]:
    events: list[Event] = []
    for i in range(n):
        state, new = reduce(state, RecordActions((Action(f"{state.rev}-{i}", Channel.EMAIL, "FR"),)), 0.0)
        events += new
    return state, events


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_first_totals_go_at_once_then_at_most_rate_per_second_ending_on_latest() -> None:
    clock = Clock()
    hub = Hub(Metrics(), totals_rate=20, clock=clock)
    ws = FakeSocket()
    connect(hub, ws)
    state, events = totals_events(ShowState(), 1)
    hub.publish(events)
    await settle()
    assert [f.get("total") for f in ws.frames[1:]] == [1]
    state, events = totals_events(state, 30)  # a burst inside the same 50 ms slot
    for e in events:
        hub.publish([e])
    await settle()
    assert len(ws.frames) == 2  # held for the next slot
    clock.now += 0.05
    await asyncio.sleep(0.06)  # the real timer fires
    await settle()
    last = ws.frames[-1]
    assert len(ws.frames) == 3 and last["total"] == 31 and last["from"] == 2 and last["rev"] == 31


async def test_other_events_flush_pending_totals_first_so_order_is_kept() -> None:
    clock = Clock()
    hub = Hub(Metrics(), totals_rate=20, clock=clock)
    ws = FakeSocket()
    connect(hub, ws)
    state, events = totals_events(ShowState(), 2)
    hub.publish(events)
    state, shown = reduce(state, ShowMessage(Message("m", "hi")), 0.0)
    hub.publish(shown)
    await settle()
    kinds = [(f["type"], f["rev"], f.get("from")) for f in ws.frames[1:]]
    # the unsent totals 1 and 2 merged, and went out before the message
    assert kinds == [("totals", 2, 1), ("message_shown", 3, None)]
    # a replica fed these frames ends in the server's state
    replica = Replica()
    replica.load(Snapshot(ShowState(), 0.0), 0.0)
    for f in ws.frames[1:]:
        frame = wire.decode(json.dumps(f))
        assert isinstance(frame, EventFrame)
        assert replica.receive(frame) is Outcome.APPLIED
    assert replica.state == state


async def test_a_stalled_display_does_not_slow_the_others_and_merges_its_totals() -> None:
    clock = Clock()
    hub = Hub(Metrics(), totals_rate=1000, clock=clock)
    slow, fast = FakeSocket(stalled=True), FakeSocket()
    slow_conn = connect(hub, slow, "slow")
    connect(hub, fast, "fast")
    state = ShowState()
    for _ in range(50):
        clock.now += 1
        state, events = totals_events(state, 1)
        hub.publish(events)
        await settle()
    assert fast.frames[-1]["total"] == 50 and len(fast.frames) == 51
    # the slow one holds one merged totals frame, not fifty
    assert len(slow_conn.buffer) == 1
    totals = slow_conn.buffer[0].totals
    assert totals is not None and totals.first_rev == 1
    slow.stalled = False
    slow._release.set()
    await settle()
    assert slow.frames[-1]["total"] == 50 and slow.frames[-1].get("from") == 1


async def test_a_display_that_falls_too_far_behind_is_dropped_and_counted() -> None:
    metrics = Metrics()
    hub = Hub(metrics, queue_limit=5, clock=Clock())
    slow = FakeSocket(stalled=True)
    conn = connect(hub, slow, "slow")
    state = ShowState()
    for i in range(10):
        state, events = reduce(state, ShowMessage(Message(f"m{i}", "x")), 0.0)
        hub.publish(events)
    await settle()
    assert conn.closed and conn not in hub.clients
    assert slow.closed_with == CLOSE_TOO_SLOW
    assert metrics.queue_drops._value.get() == 1
    assert metrics.displays._value.get() == 0


class RawDisplay(asyncio.Protocol):
    """A websocket client cut to what the test needs (upgrade, then count text frames),
    so that 2,000 of them connect in a second or two in this one process."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.upgraded: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.buffer = bytearray()
        self.texts: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(
            f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded.done():
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            del self.buffer[: end + 4]
            self.upgraded.set_result(None)
        while len(self.buffer) >= 2:
            n, start = self.buffer[1] & 0x7F, 2
            if n == 126:
                n, start = int.from_bytes(self.buffer[2:4], "big"), 4
            elif n == 127:
                n, start = int.from_bytes(self.buffer[2:10], "big"), 10
            if len(self.buffer) < start + n:
                return
            if self.buffer[0] & 0x0F == 0x1:
                self.texts.append(bytes(self.buffer[start : start + n]))
            del self.buffer[: start + n]


async def test_at_2000_displays_one_that_stops_reading_is_dropped_and_the_others_get_every_frame() -> None:
    metrics = Metrics()
    hub = Hub(metrics, queue_limit=20)
    conns: dict[str, DisplayConnection] = {}

    async def display_socket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False, writer_limit=WRITER_LIMIT)
        await ws.prepare(request)
        name = f"d{len(conns)}"
        conn = DisplayConnection(ws, name, (1920, 1080), (), "127.0.0.1", 0.0, transport=request.transport)
        conns[name] = conn
        hub.attach(conn, wire.encode(Pong(0, 0.0, 0.0)))
        try:
            async for _ in ws:
                pass
        finally:
            hub.detach(conn)
        return ws

    app = web.Application()
    app.router.add_get("/ws", display_socket)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    loop = asyncio.get_running_loop()
    displays: list[RawDisplay] = []
    try:
        # The display that will stop reading connects first, with small socket
        # buffers on both ends so that it fills up after a few frames, not megabytes.
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await loop.sock_connect(sock, ("127.0.0.1", port))
        _, stalled = await loop.create_connection(lambda: RawDisplay(port), sock=sock)
        displays.append(stalled)
        await stalled.upgraded
        while "d0" not in conns:
            await asyncio.sleep(0.01)
        stalled_conn = conns["d0"]
        server_sock = stalled_conn.ws.get_extra_info("socket")
        server_sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
        stalled.transport.pause_reading()

        for _ in range(40):  # in waves, so the listen backlog never overflows
            wave = [
                await loop.create_connection(lambda: RawDisplay(port), "127.0.0.1", port) for _ in range(50)
            ]
            displays += [d for _, d in wave]
        await asyncio.gather(*(d.upgraded for d in displays))
        others = displays[1:]
        while len(hub.clients) < 2001:
            await asyncio.sleep(0.01)

        # Fill the stalled display's socket until its own backlog starts (with no
        # await, so that its writer task cannot take the frame off the backlog yet).
        filler = wire.encode(Pong(0, 0.0, 0.0)) + " " * 8000
        while not stalled_conn.buffer:
            hub.send(stalled_conn, filler)

        state = ShowState()
        for i in range(30):
            state, events = reduce(state, ShowMessage(Message(f"m{i}", "x")), 0.0)
            hub.publish(events)
            # Nobody else needed a backlog: every other frame went straight to its socket.
            assert all(not c.buffer for c in hub.clients if c is not stalled_conn)
            await asyncio.sleep(0)

        assert stalled_conn.closed and stalled_conn not in hub.clients
        assert metrics.queue_drops._value.get() == 1
        assert len(hub.clients) == 2000
        deadline = loop.time() + 30
        while any(len(d.texts) < 31 for d in others) and loop.time() < deadline:
            await asyncio.sleep(0.05)
        for d in others:
            revs = [json.loads(t)["rev"] for t in d.texts[1:]]
            assert revs == list(range(1, 31))
    finally:
        # Hang up first: the server's handlers end when their clients go.
        for d in displays:
            d.transport.abort()
        await runner.cleanup()


async def test_a_late_timer_does_not_push_the_later_slots_back() -> None:
    """20 frames a second stay 20 when the loop is busy: a slot served late still
    counts as its own, so the next one is due on the grid, not an interval later."""
    clock = Clock()
    hub = Hub(Metrics(), totals_rate=20, clock=clock)
    ws = FakeSocket()
    connect(hub, ws)
    state, events = totals_events(ShowState(), 1)
    hub.publish(events)  # slot 1000.00: at once
    clock.now = 1000.01
    state, events = totals_events(state, 1)
    hub.publish(events)  # waits for the slot at 1000.05
    clock.now = 1000.07  # ... whose timer fires 20 ms late
    await asyncio.sleep(0.06)
    await settle()
    assert len(ws.frames) == 3
    clock.now = 1000.10
    state, events = totals_events(state, 1)
    hub.publish(events)  # the slot at 1000.10 is due now, not at 1000.12
    await settle()
    assert len(ws.frames) == 4 and ws.frames[-1]["total"] == 3
    clock.now = 1000.11
    state, events = totals_events(state, 1)
    hub.publish(events)  # but never two in one slot
    await settle()
    assert len(ws.frames) == 4


async def test_a_slot_missed_by_more_than_an_interval_is_not_made_up_with_a_burst() -> None:
    clock = Clock()
    # One frame a second, so that the held frame's real timer is far beyond the test.
    hub = Hub(Metrics(), totals_rate=1, clock=clock)
    ws = FakeSocket()
    connect(hub, ws)
    state = ShowState()
    for now in (1000.0, 1010.0, 1010.2):  # quiet seconds, then two actions 200 ms apart
        clock.now = now
        state, events = totals_events(state, 1)
        hub.publish(events)
        await settle()
    # the third waits an interval after the second instead of catching up on the grid
    assert [f.get("total") for f in ws.frames[1:]] == [1, 2]


async def test_records_of_displays_no_operator_set_up_are_capped_and_expire() -> None:
    hub = Hub(Metrics(), unknown_ttl=60.0, max_unknown=3)
    hub.configured = lambda hello_name: hello_name == "stage"
    forgotten: list[str] = []
    hub.on_forget.append(lambda record: forgotten.append(record.name))
    stage = connect(hub, FakeSocket(), "stage")
    hub.detach(stage)
    for i in range(6):  # each disconnects before the next says hello
        hub.detach(connect(hub, FakeSocket(), f"made-up-{i}"))
    live = connect(hub, FakeSocket(), "live")
    # The cap counts unconfigured records (the connected one too); the oldest idle go first.
    assert sorted(hub.records) == ["live", "made-up-4", "made-up-5", "stage"]
    assert forgotten == ["made-up-0", "made-up-1", "made-up-2", "made-up-3"]
    # Past the expiry only the connected display and the configured one are left.
    later = max(r.last_seen for r in hub.records.values()) + 61
    hub.forget_unknown(later)
    assert sorted(hub.records) == ["live", "stage"]
    hub.detach(live)
