"""The link estimates the server's clock with pings over the real websocket (several samples, fast at connect)."""

from __future__ import annotations

import asyncio
import queue
import time

from projector.core.protocol import Hello, Snapshot
from projector.display.link import ClockSync, Inbound, Link
from tests.conftest import RunningServer


async def test_a_burst_of_pings_at_connect_gives_a_clock_estimate(live: RunningServer) -> None:
    inbox: queue.SimpleQueue[Inbound] = queue.SimpleQueue()
    hello = Hello("clock-test", live.tokens["display"], 1, (320, 180), ("ping",))
    link = Link(live.ws_url, hello, inbox)
    link.start()
    syncs: list[ClockSync] = []
    got_snapshot = False
    try:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and len(syncs) < 5:
            await asyncio.sleep(0.05)
            while not inbox.empty():
                item = inbox.get()
                got_snapshot = got_snapshot or isinstance(item, Snapshot)
                if isinstance(item, ClockSync):
                    syncs.append(item)
    finally:
        await asyncio.to_thread(link.close)
    assert got_snapshot
    assert len(syncs) >= 5, syncs  # five pings 100 ms apart, each a new estimate
    last = syncs[-1]
    # Same machine, same clock: the offset is within the round trip, which is small.
    assert abs(last.offset) <= last.rtt / 2 + 0.001
    assert 0 <= last.rtt < 0.1 and last.samples >= 3
