"""The link against a real websocket server: snapshot, events, garbage, a drop, a comeback."""

from __future__ import annotations

import asyncio
import queue
import time
from typing import Any

from websockets.asyncio.server import ServerConnection

from projector.core.model import Totals
from projector.core.protocol import ErrorFrame, EventFrame, Hello, Ping, Resync, Snapshot, Status, event_frame
from projector.core.state import TotalsChanged
from projector.core.wire import encode
from projector.display.link import Inbound, Link, LinkState, endpoints
from tests.display.fake_server import FakeServer, free_port
from tests.display.screens import sample_state

HELLO = Hello("link-test", "secret", 1, (320, 180), ("status",))


def snapshot(total: int, rev: int) -> str:
    return encode(Snapshot(sample_state(total, rev=rev), time.time()))


def totals(total: int, rev: int) -> str:
    return encode(event_frame(TotalsChanged(rev, Totals.of(total, {}, {}, {}))))


GARBAGE: list[str | bytes] = [
    b"\x00\x01binary",
    "not json {",
    '{"v": 1, "type": "bogus"}',
    '{"v": 9, "type": "totals"}',
    '{"v": 1, "type": "totals", "rev": "x"}',
    "[]",
]


async def first_session(ws: ServerConnection, n: int) -> None:
    await ws.send(snapshot(100, 1))
    await ws.send(totals(150, 2))
    for junk in GARBAGE:
        await ws.send(junk)
    await ws.send(totals(175, 3))
    await asyncio.sleep(0.8)


async def comeback(ws: ServerConnection, n: int) -> None:
    await ws.send(snapshot(500, 10))
    await ws.wait_closed()  # stays up until the test stops the server


def drain(inbox: queue.SimpleQueue[Inbound], until: Any, timeout: float = 10.0) -> list[Inbound]:
    items: list[Inbound] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            items.append(inbox.get(timeout=0.05))
        except queue.Empty:
            continue
        if until(items):
            break
    return items


def test_snapshot_events_garbage_drop_and_reconnect() -> None:
    server = FakeServer(first_session).start()
    inbox: queue.SimpleQueue[Inbound] = queue.SimpleQueue()
    link = Link(server.url, HELLO, inbox, backoff_base=0.05, backoff_cap=0.2, ping_every=0.2)
    link.start()
    try:
        got = drain(inbox, lambda items: any(isinstance(i, LinkState) and not i.connected for i in items))
        frames = [i for i in got if not isinstance(i, LinkState)]
        assert isinstance(got[0], LinkState) and got[0].connected
        assert isinstance(frames[0], Snapshot) and frames[0].state.totals.total == 100
        events = [f for f in frames if isinstance(f, EventFrame)]
        assert [e.event.totals.total for e in events] == [150, 175]  # type: ignore[union-attr]
        assert link.alive
        hello = server.received[0]
        assert isinstance(hello, Hello) and hello.name == "link-test" and hello.token == "secret"
        assert hello.resolution == (320, 180)
        assert any(isinstance(f, Ping) for f in server.received)

        server.stop()  # the server goes away entirely ...
        time.sleep(0.5)
        assert link.alive
        back = FakeServer(comeback, port=server.port).start()  # ... and comes back on the same port
        try:
            got = drain(inbox, lambda items: any(isinstance(i, Snapshot) for i in items))
            again = [i for i in got if isinstance(i, Snapshot)]
            assert again and again[0].state.totals.total == 500
            assert any(isinstance(i, LinkState) and i.connected for i in got)
            link.send(Status(60.0, 3.5, "totals", 10))
            assert back.wait_for(lambda: any(isinstance(f, Status) for f in back.received))
        finally:
            back.stop()
    finally:
        link.close()
        server.stop()
    assert not link.alive


async def refuse(ws: ServerConnection, n: int) -> None:
    await ws.send(encode(ErrorFrame("bad_token", "unknown display token")))
    await ws.close()


def test_an_error_frame_is_logged_and_the_link_keeps_retrying(caplog: Any) -> None:
    server = FakeServer(refuse).start()
    inbox: queue.SimpleQueue[Inbound] = queue.SimpleQueue()
    link = Link(server.url, HELLO, inbox, backoff_base=0.02, backoff_cap=0.05)
    link.start()
    try:
        assert server.wait_for(lambda: server.connections >= 3)
        assert link.alive
        got = drain(inbox, lambda items: any(isinstance(i, ErrorFrame) for i in items))
        assert any(isinstance(i, ErrorFrame) and i.code == "bad_token" for i in got)
        assert "unknown display token" in caplog.text
    finally:
        link.close()
        server.stop()


def test_nothing_listening_is_retried_quietly_and_close_is_prompt() -> None:
    inbox: queue.SimpleQueue[Inbound] = queue.SimpleQueue()
    link = Link(f"ws://127.0.0.1:{free_port()}/ws", HELLO, inbox, backoff_base=0.01, backoff_cap=0.02)
    link.start()
    time.sleep(0.3)
    assert link.alive and link.attempt >= 3
    notices = drain(inbox, lambda items: False, timeout=0.1)
    assert len(notices) == 1 and isinstance(notices[0], LinkState) and not notices[0].connected
    started = time.monotonic()
    link.close()
    assert not link.alive and time.monotonic() - started < 1.0


def test_stale_frames_queued_while_offline_are_not_sent() -> None:
    link = Link("ws://127.0.0.1:1/ws", HELLO, queue.SimpleQueue())
    for i in range(100):
        link.send(Resync(i))
    assert link.outbox.qsize() == 64  # bounded: a display offline for days does not grow


async def serve_until_stopped(ws: ServerConnection, n: int) -> None:
    await ws.send(snapshot(700, 20))
    await ws.wait_closed()


def test_a_dead_node_fails_over_to_the_next_at_once_without_backing_off() -> None:
    first = FakeServer(comeback).start()
    second = FakeServer(serve_until_stopped).start()
    inbox: queue.SimpleQueue[Inbound] = queue.SimpleQueue()
    # A long backoff: only an immediate failover can reach the second node in time.
    link = Link([first.url, second.url], HELLO, inbox, backoff_base=30.0, backoff_cap=30.0, ping_every=0)
    link.start()
    try:
        got = drain(inbox, lambda items: any(isinstance(i, Snapshot) for i in items))
        assert [i.state.totals.total for i in got if isinstance(i, Snapshot)] == [500]
        started = time.monotonic()
        first.stop()  # the node dies
        got = drain(inbox, lambda items: any(isinstance(i, Snapshot) for i in items), timeout=5)
        assert [i.state.totals.total for i in got if isinstance(i, Snapshot)] == [700]
        assert time.monotonic() - started < 3.0
        assert link.url == second.url
    finally:
        link.close(timeout=1)
        first.stop()
        second.stop()


def test_a_name_with_several_addresses_is_every_address() -> None:
    found = endpoints(["ws://localhost:8080/ws", "ws://127.0.0.1:9/ws", "ws://no-such-host.invalid/ws"])
    assert ("ws://127.0.0.1:9/ws", ("127.0.0.1", 9)) in found
    assert ("ws://no-such-host.invalid/ws", None) in found  # tried again next round
    assert [url for url, _ in found].count("ws://localhost:8080/ws") >= 1
