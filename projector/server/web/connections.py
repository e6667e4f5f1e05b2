"""Connections the server accepts: capped per address and in all, and made to say something soon.

aiohttp gives every TCP connection a request handler and waits as long as the
client likes for its first request. Twenty thousand sockets that each send one
byte and then nothing used to take every file descriptor, and then ``/healthz``
stopped answering for everyone. Here each accepted socket passes through a thin
protocol in front of aiohttp's handler that

* refuses a connection over the per-address or the global cap; but first, when a
  cap is reached, closes the oldest connection (of that address, or of anyone)
  that has not yet finished sending its first request's headers, so idle sockets
  give way to new ones and a real client always gets in;
* closes a connection that has not finished its first request's headers within
  ``header_timeout`` seconds (nginx's ``client_header_timeout``);

and passes everything else straight through to aiohttp (flow control included),
so websockets and keep-alive work as before. Idle keep-alive connections are
aiohttp's own ``keepalive_timeout``.

At start the soft open-file limit is raised to the hard one where the system
allows it, and the global cap is kept below it, so the server always has
descriptors left for its database, its media and its logs.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

log = logging.getLogger("projector.server.connections")

#: Descriptors kept back from the connection cap: the database, its WAL, media files, logs, the event loop.
RESERVED_FDS = 128
#: How often one refusal reason is logged at most (the counter in /metrics has them all).
LOG_EVERY = 10.0
#: A silent connection gives way to a new one only once it has been silent this long: a flood of
#: new sockets then meets refusals (an abort each) instead of making the server evict and admit
#: thousands a second, while a real client still gets in past sockets that went quiet.
MIN_IDLE_AGE = 1.0


def raise_open_file_limit() -> int:
    """Raise the soft ``RLIMIT_NOFILE`` to the hard limit; returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = max(soft, 1 << 20)
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError) as exc:  # a container may forbid it: keep what we have
            log.warning("could not raise the open-file limit from %d to %d: %s", soft, hard, exc)
    return soft


class _Guarded(asyncio.Protocol):
    """One accepted socket: counted, timed until its first request's headers end, then transparent."""

    def __init__(self, guard: ConnectionGuard, make_inner: Callable[[], RequestHandler]) -> None:
        self.guard = guard
        # aiohttp's handler is made only for a connection that gets in: a refused one costs an abort.
        self._make_inner = make_inner
        self.inner: Any = None
        self.transport: asyncio.Transport | None = None
        self.address = ""
        self.opened = 0.0
        self.started = False  # the first request's headers are complete
        self.handed_over = False  # aiohttp's handler has the socket (and must hear when it is lost)
        self._tail = b""
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.address = str(peer[0]) if peer else "unknown"
        self.opened = time.monotonic()
        if not self.guard.admit(self):
            transport.abort()
            return
        self._deadline = asyncio.get_running_loop().call_later(self.guard.header_timeout, self._too_slow)
        self.inner = self._make_inner()
        self.handed_over = True
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if not self.started:
            # Headers end at the first blank line; it may straddle two reads.
            seen = self._tail + data
            if b"\r\n\r\n" in seen:
                self._start()
            else:
                self._tail = seen[-3:]
        self.inner.data_received(data)

    def _start(self) -> None:
        self.started = True
        self._tail = b""
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self.guard.started(self)

    def _too_slow(self) -> None:
        self._deadline = None
        if not self.started and self.transport is not None:
            self.guard.refused("header_timeout", self.address)
            self.transport.abort()

    def evict(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def eof_received(self) -> bool | None:
        self.inner.eof_received()
        return None  # as aiohttp's handler: let the transport close itself

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self.guard.release(self)
        if self.handed_over:
            self.inner.connection_lost(exc)


class ConnectionGuard:
    """Counts connections by address; decides who gets in and who gives way."""

    def __init__(
        self,
        *,
        per_address: int,
        total: int,
        header_timeout: float,
        on_refused: Callable[[str], None] | None = None,
        min_idle_age: float = MIN_IDLE_AGE,
    ) -> None:
        self.min_idle_age = min_idle_age
        self.per_address = per_address
        self.total = total
        self.header_timeout = header_timeout
        self.on_refused = on_refused
        self.by_address: dict[str, int] = {}
        self.count = 0
        #: Connections still waiting for their first request's headers, oldest first.
        self.waiting: OrderedDict[_Guarded, None] = OrderedDict()
        self._members: set[_Guarded] = set()
        self._logged: dict[str, float] = {}

    def admit(self, conn: _Guarded) -> bool:
        address = conn.address
        if self.by_address.get(address, 0) >= self.per_address and not self._evict_one(address):
            self.refused("per_address", address)
            return False
        if self.count >= self.total and not self._evict_one(None):
            self.refused("total", address)
            return False
        self._members.add(conn)
        self.by_address[address] = self.by_address.get(address, 0) + 1
        self.count += 1
        self.waiting[conn] = None
        return True

    def started(self, conn: _Guarded) -> None:
        self.waiting.pop(conn, None)

    def release(self, conn: _Guarded) -> None:
        """Forget ``conn`` (once; an evicted connection is forgotten before its socket closes)."""
        if conn not in self._members:
            return
        self._members.discard(conn)
        self.waiting.pop(conn, None)
        left = self.by_address[conn.address] - 1
        if left:
            self.by_address[conn.address] = left
        else:
            del self.by_address[conn.address]
        self.count -= 1

    def _evict_one(self, address: str | None) -> bool:
        """Close the oldest connection still without a request (of ``address``, or anyone's),
        if it has been silent for ``MIN_IDLE_AGE``."""
        quiet_since = time.monotonic() - self.min_idle_age
        for conn in self.waiting:
            if conn.opened > quiet_since:
                return False  # the oldest waiting are first: none older is left
            if address is None or conn.address == address:
                self.release(conn)
                conn.evict()
                self.refused("evicted_idle", conn.address)
                return True
        return False

    def refused(self, reason: str, address: str) -> None:
        if self.on_refused is not None:
            self.on_refused(reason)
        now = time.monotonic()
        if now - self._logged.get(reason, -LOG_EVERY) >= LOG_EVERY:
            self._logged[reason] = now
            log.warning(
                "connection from %s closed (%s); more of these are counted, not logged", address, reason
            )


class GuardedSite(web.BaseSite):
    """A TCP site whose every connection passes through a ``ConnectionGuard``.

    ``backlog`` stays at aiohttp's 128: asyncio accepts up to that many connections in one turn
    of the loop, so a larger one lets a connection flood stall everyone else for longer.
    """

    def __init__(
        self, runner: web.BaseRunner, host: str, port: int, guard: ConnectionGuard, *, backlog: int = 128
    ) -> None:
        super().__init__(runner)
        self._host = host
        self._port = port
        self._backlog = backlog
        self.guard = guard
        self.bound_port = port

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self.bound_port}"

    async def start(self) -> None:
        await super().start()
        server: Any = self._runner.server
        assert server is not None
        guard = self.guard
        listening = await asyncio.get_running_loop().create_server(
            lambda: _Guarded(guard, server),
            self._host,
            self._port,
            backlog=self._backlog,
            reuse_address=True,
        )
        self._server = listening
        if listening.sockets:
            self.bound_port = int(listening.sockets[0].getsockname()[1])
