"""Several real ``projector serve`` nodes on one throwaway PostgreSQL, and light displays, for
the multi-node benchmarks (issue 17: ``nodes_ingest``, ``nodes_fanout``, ``nodes_go``,
``nodes_failover``).

The cluster is ``tests/store/pg_cluster.py``'s (as ``ingest_postgres.py`` uses it), started
with PostgreSQL's durable defaults and reached over TCP on loopback, as a database on another
machine would be. A node is ``BenchServer`` with ``PROJECTOR_DATABASE`` set, its own data
directory, ready when ``/healthz`` answers (the shared show is open by then), and killable.

``LightDisplay`` is a display reduced to what a measurement needs, so that thousands fit in a
few processes beside the nodes on 2 cores: an RFC 6455 client that says hello as the display
does, answers pings, and notes what it receives (the snapshot's revision and total, each totals
frame's revision and total, and cue changes) with a byte scan instead of decoding JSON. Given
several servers it fails over with the real display's policy (``projector.display.link``): when
the connection drops every other server is tried at once, in turn, and only after a whole round
has failed does it back off with full jitter.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import struct
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks._server import ROOT, BenchServer, next_frame
from projector.display.link import BACKOFF_BASE, BACKOFF_CAP, backoff_delay
from projector.store.postgres import PostgresStore
from tests.store.pg_cluster import PostgresCluster


@contextmanager
def postgres() -> Iterator[PostgresCluster]:
    """A throwaway cluster with PostgreSQL's durable defaults (fsync on, synchronous commits)."""
    cluster = PostgresCluster(durable=True).start()
    try:
        yield cluster
    finally:
        cluster.stop()


def fresh_database(cluster: PostgresCluster) -> str:
    """A new database with the store's schema; its TCP URL."""
    url = cluster.url(cluster.create_database(), tcp=True)
    PostgresStore(url).close()
    return url


class Node(BenchServer):
    """One ``projector serve`` process on ``database``; ready when ``/healthz`` answers."""

    def __init__(self, data_dir: Path, database: str, **settings: object) -> None:
        # ERROR: a warning per display leaving, thousands at the end of a run, says nothing here.
        # Every light display comes from 127.0.0.1, as through a proxy: lift the per-address cap.
        settings.setdefault("log_level", "ERROR")
        settings.setdefault("max_connections_per_address", 20_000)
        super().__init__(data_dir, ROOT, database=database, **settings)

    def __enter__(self) -> Node:
        super().__enter__()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"node on port {self.port} did not become healthy")

    def kill(self) -> None:
        """SIGKILL, as a machine that dies: no goodbye to anyone."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.poll() is None:
            super().__exit__(*exc)


def hello(token: str, name: str) -> bytes:
    return json.dumps(
        {"v": 1, "type": "hello", "name": name, "token": token, "protocol": 1, "resolution": [1920, 1080]}
    ).encode()


def _int_after(payload: bytes, key: bytes, start: int = 0) -> int | None:
    """The integer after ``key`` (``b'"rev":'``) in a JSON text, without decoding it."""
    at = payload.find(key, start)
    if at < 0:
        return None
    i = j = at + len(key)
    while j < len(payload) and payload[j : j + 1].isdigit():
        j += 1
    return int(payload[i:j]) if j > i else None


@dataclass
class Seen:
    """What one light display received, in the order it came (monotonic clock)."""

    #: (arrival, the server's port, rev, total) of each snapshot: one per connection.
    snapshots: list[tuple[float, int, int, int]] = field(default_factory=list)
    #: (rev, arrival) of each totals frame.
    totals: list[tuple[int, float]] = field(default_factory=list)
    #: (arrival, rev) of each cue change.
    cues: list[tuple[float, int]] = field(default_factory=list)
    #: Totals lower than one shown before (across reconnects): must stay 0.
    backward: int = 0
    last_total: int = -1
    last_rev: int = -1


class LightDisplay(asyncio.Protocol):
    """One display connection; on a drop, the next server (see the module's docstring)."""

    def __init__(self, servers: list[tuple[str, int]], first: int, hello: bytes, seen: Seen) -> None:
        self.servers = servers
        self.turn = first
        self.hello = hello
        self.seen = seen
        self.connected: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.failed_in_a_row = 0
        self.attempt = 0
        self.closing = False
        self._reset()

    def _reset(self) -> None:
        self.buffer = bytearray()
        self.upgraded = False
        self.snapshot = False
        self.transport: asyncio.Transport | None = None

    # --- connecting, and failing over -------------------------------------------------

    def start(self) -> None:
        asyncio.get_running_loop().create_task(self._connect())

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        host, port = self.servers[self.turn % len(self.servers)]
        self._reset()
        try:
            await loop.create_connection(lambda: self, host, port)
        except OSError:
            self._failed()

    def _failed(self) -> None:
        """As ``Link._run``: the others at once, then a full-jitter backoff after a whole round."""
        if self.closing:
            return
        self.turn += 1
        self.failed_in_a_row += 1
        delay = 0.0
        if self.failed_in_a_row >= len(self.servers):
            delay = backoff_delay(self.attempt, BACKOFF_BASE, BACKOFF_CAP)
            self.attempt += 1
            self.failed_in_a_row = 0
        asyncio.get_running_loop().call_later(delay, self.start)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        host, port = self.servers[self.turn % len(self.servers)]
        transport.write(
            (
                f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )

    def connection_lost(self, exc: Exception | None) -> None:
        got_in = self.snapshot
        self._reset()
        if got_in:
            self.failed_in_a_row = 0  # a session that got in starts a new round
        self._failed()

    def close(self) -> None:
        self.closing = True
        if self.transport is not None:
            self.transport.close()

    # --- the protocol -----------------------------------------------------------------

    def send(self, opcode: int, payload: bytes) -> None:
        assert self.transport is not None
        mask = os.urandom(4)
        n = len(payload)
        header = bytes([0x80 | opcode]) + (
            bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n)
        )
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.transport.write(header + mask + masked)

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            if not self.buffer.startswith(b"HTTP/1.1 101"):
                assert self.transport is not None
                self.transport.close()
                return
            del self.buffer[: end + 4]
            self.upgraded = True
            self.send(0x1, self.hello)
        while (frame := next_frame(self.buffer)) is not None:
            opcode, payload = frame
            if opcode == 0x9:
                self.send(0xA, payload)
            elif opcode == 0x8 and self.transport is not None:
                self.transport.close()
            elif opcode == 0x1:
                self._text(payload, now)

    def _text(self, payload: bytes, now: float) -> None:
        seen = self.seen
        if not self.snapshot:
            if not payload.startswith(b'{"v":1,"type":"snapshot"'):
                return  # an error frame: the server closes
            self.snapshot = True
            self.attempt = 0
            state = json.loads(payload)
            at, count = int(state["rev"]), int(state["totals"]["total"])
            seen.snapshots.append((now, self.servers[self.turn % len(self.servers)][1], at, count))
            self._total(at, count)
            if not self.connected.done():
                self.connected.set_result(None)
        elif payload.startswith(b'{"v":1,"type":"totals"'):
            rev = _int_after(payload, b'"rev":', payload.rfind(b'"rev":'))
            total = _int_after(payload, b'"total":')
            if rev is not None and total is not None:
                seen.totals.append((rev, now))
                self._total(rev, total)
        elif payload.startswith(b'{"v":1,"type":"cue"'):
            rev = _int_after(payload, b'"rev":', payload.rfind(b'"rev":'))
            seen.cues.append((now, rev if rev is not None else -1))

    def _total(self, rev: int, total: int) -> None:
        seen = self.seen
        if total < seen.last_total:
            seen.backward += 1
        seen.last_total = max(seen.last_total, total)
        seen.last_rev = max(seen.last_rev, rev)


async def open_displays(
    servers: list[tuple[str, int]],
    token: str,
    count: int,
    first: Callable[[int], int],
    prefix: str = "bench",
    spread_s: float = 0.0,
) -> list[LightDisplay]:
    """``count`` connected light displays; display ``i`` starts on server ``first(i)``."""
    displays = []
    for i in range(count):
        display = LightDisplay(servers, first(i), hello(token, f"{prefix}-{i}"), Seen())
        display.start()
        displays.append(display)
        if i % 50 == 49:
            await asyncio.sleep(spread_s or 0.01)  # let the handshakes through, as a venue would
    await asyncio.gather(*(d.connected for d in displays))
    return displays


def quantile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0-1) by nearest rank; NaN for none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]
