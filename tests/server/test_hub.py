"""Hub fan-out with a fake socket at the network edge: coalescing, ordering, drops."""

from __future__ import annotations

import asyncio
import json

from projector.core import wire
from projector.core.model import Action, Channel
from projector.core.protocol import Pong, Snapshot
from projector.core.replica import Outcome, Replica
from projector.core.state import Message, RecordActions, ShowMessage, ShowState, reduce
from projector.server.hub import CLOSE_TOO_SLOW, DisplayConnection, Hub
from projector.server.web.metrics import Metrics


class FakeSocket:
    """Records frames; can be made to stall like a display that stopped reading."""

    def __init__(self, stalled: bool = False) -> None:
        self.frames: list[dict] = []
        self.stalled = stalled
        self.closed_with: int | None = None
        self._release = asyncio.Event()

    async def send_str(self, text: str) -> None:
        if self.stalled:
            await self._release.wait()
        self.frames.append(json.loads(text))

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


def totals_events(state: ShowState, n: int) -> tuple[ShowState, list]:
    events = []
    for i in range(n):
        state, new = reduce(state, RecordActions((Action(f"{state.rev}-{i}", Channel.EMAIL, "FR"),)), 0.0)
        events += new
    return state, events


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_first_totals_go_at_once_then_at_most_rate_per_second_ending_on_latest():
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


async def test_other_events_flush_pending_totals_first_so_order_is_kept():
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
        assert replica.receive(wire.decode(json.dumps(f))) is Outcome.APPLIED
    assert replica.state == state


async def test_a_stalled_display_does_not_slow_the_others_and_merges_its_totals():
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
    assert len(slow_conn.buffer) == 1 and slow_conn.buffer[0].totals.first_rev == 1
    slow.stalled = False
    slow._release.set()
    await settle()
    assert slow.frames[-1]["total"] == 50 and slow.frames[-1].get("from") == 1


async def test_a_display_that_falls_too_far_behind_is_dropped_and_counted():
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


async def test_records_of_displays_no_operator_set_up_are_capped_and_expire():
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
