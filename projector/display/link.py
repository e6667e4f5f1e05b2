"""The display's websocket link: a background thread that never gives up.

The main thread owns pygame and must never wait on the network, so the link
runs ``websockets``' synchronous client in a thread and hands everything over
through one ``queue.SimpleQueue`` (the only object the two threads share):
decoded server frames and ``LinkState`` notices. Outgoing frames (Status,
Resync) go the other way through a second queue that the link drains.

A projection laptop on a mobile network loses its connection; an event
screen runs for days. So the link reconnects forever with capped, fully
jittered exponential backoff (many displays restarting together must not
hammer the server in step), logs garbage from the server and skips it, and
never raises out of its thread.
"""

from __future__ import annotations

import itertools
import logging
import queue
import random
import socket
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from projector.core.clock import BadSample, ClockFilter
from projector.core.protocol import (
    MAX_FRAME_BYTES,
    ErrorFrame,
    Frame,
    Hello,
    Ping,
    Pong,
    ProtocolError,
    Snapshot,
)
from projector.core.wire import decode, encode

log = logging.getLogger(__name__)

BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
PING_EVERY = 10.0
POLL = 0.05
#: Clock pings right after connecting (a quick first estimate), this far apart.
PING_BURST = 5
PING_BURST_SPACING = 0.1


@dataclass(frozen=True, slots=True)
class LinkState:
    """A change in the connection, as the main thread learns of it through the inbox.

    ``connected`` becomes True when a snapshot has arrived (the display is in
    step with the server), not merely when the socket opened.
    """

    connected: bool
    reason: str


@dataclass(frozen=True, slots=True)
class ClockSync:
    """A new estimate of the server's clock (``projector.core.clock``): server minus ours."""

    offset: float
    rtt: float
    samples: int


Inbound = Frame | LinkState | ClockSync


def websocket_url(server: str) -> str:
    """The display websocket for what an operator types: ``http://h:p`` -> ``ws://h:p/ws``.

    ``ws://`` and ``wss://`` URLs with a path are kept; without one ``/ws`` is
    added; ``https`` becomes ``wss``; a bare ``host:port`` is taken as ``ws://``.
    """
    text = server.strip()
    if "://" not in text:
        text = "ws://" + text
    parts = urlsplit(text)
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme.lower())
    if scheme is None or not parts.netloc:
        raise ValueError(f"not a server address: {server!r} (expected ws://host:port/ws or http://host:port)")
    path = parts.path.rstrip("/")
    if not path:
        path = "/ws"
    elif parts.scheme.lower() in ("http", "https") and not path.endswith("/ws"):
        path += "/ws"  # a server behind a path prefix: http://host/projector -> /projector/ws
    return urlunsplit((scheme, parts.netloc, path, parts.query, ""))


def backoff_delay(
    attempt: int,
    base: float = BACKOFF_BASE,
    cap: float = BACKOFF_CAP,
    rng: Callable[[], float] = random.random,
) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
    return float(rng() * min(cap, base * float(2 ** min(max(attempt, 0), 30))))


def endpoints(urls: Sequence[str]) -> list[tuple[str, tuple[str, int] | None]]:
    """Every (URL, address) to try, in order: each URL's host resolved to all its addresses, so a
    DNS name with several servers behind it fails over like a list of URLs. An address that does
    not resolve now is kept as (URL, None): the next round resolves it again."""
    found: list[tuple[str, tuple[str, int] | None]] = []
    for url in urls:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "wss" else 80)
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError:
            found.append((url, None))
            continue
        seen: list[tuple[str, int]] = []
        for info in infos:
            address = (str(info[4][0]), int(info[4][1]))
            if address not in seen:
                seen.append(address)
        found.extend((url, a) for a in seen)
    return found


class Link:
    """The websocket client thread. ``start()`` once, ``send()`` any time, ``close()`` at exit.

    ``url`` may be several (a list of servers, each possibly a DNS name with several addresses):
    when the connection drops, every other server is tried at once, in turn, before backing off,
    so a display whose node dies is on another within one round of connection attempts.
    """

    def __init__(
        self,
        url: str | Sequence[str],
        hello: Hello,
        inbox: queue.SimpleQueue[Inbound],
        *,
        backoff_base: float = BACKOFF_BASE,
        backoff_cap: float = BACKOFF_CAP,
        ping_every: float = PING_EVERY,
        open_timeout: float = 10.0,
    ) -> None:
        self.urls = [url] if isinstance(url, str) else list(url)
        self.url = self.urls[0]  # the one connected to (or last tried)
        self._turn = 0
        self.hello = hello
        self.inbox = inbox
        self.outbox: queue.Queue[Frame] = queue.Queue(maxsize=64)
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.ping_every = ping_every
        self.open_timeout = open_timeout
        self.attempt = 0
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="projector-link", daemon=True)
        self._ping_ids = itertools.count(1)
        self._garbage_logged = 0
        self._last_reason = ""
        #: Clock sync: pings in flight (id -> our send time) and the filter; thread-owned.
        self.clock = ClockFilter()
        self._pings: dict[int, float] = {}
        self._reconnect = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def send(self, frame: Frame) -> bool:
        """Queue a frame for the server; dropped (False) if the link is backed up or down for long."""
        try:
            self.outbox.put_nowait(frame)
            return True
        except queue.Full:
            return False

    def reconnect(self) -> None:
        """Drop the connection and make a fresh one at once (an operator's "reload")."""
        self._reconnect.set()

    def close(self, timeout: float = 3.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    # --- the thread -----------------------------------------------------------------------

    def _run(self) -> None:
        failed_in_a_row = 0
        while not self._stop.is_set():
            candidates = endpoints(self.urls)
            self.url, address = candidates[self._turn % len(candidates)]
            reason = "closed"
            connected_before = self.connections
            try:
                reason = self._session(address)
            except Exception as exc:  # network errors, handshake refusals, anything: retry
                reason = _describe(exc)
                log.debug("link session ended", exc_info=True)
            if self._stop.is_set():
                break
            self._notify(False, reason)
            self._turn += 1
            # A session that got in resets the round: the others are tried at once, in turn.
            failed_in_a_row = 1 if self.connections > connected_before else failed_in_a_row + 1
            if reason == "reload" or failed_in_a_row < len(candidates):
                delay = 0.0
            else:
                delay = backoff_delay(self.attempt, self.backoff_base, self.backoff_cap)
                self.attempt += 1
                failed_in_a_row = 0
            log.info("link to %s down (%s); retrying in %.1fs", self.url, reason, delay)
            self._stop.wait(delay)

    def _session(self, address: tuple[str, int] | None = None) -> str:
        sock = None
        if address is not None:
            # Connect to this one address ourselves; the URL still names the host (Host, TLS SNI).
            sock = socket.create_connection(address, timeout=self.open_timeout)
        with connect(
            self.url,
            sock=sock,
            open_timeout=self.open_timeout,
            close_timeout=2.0,
            max_size=MAX_FRAME_BYTES,
            ping_interval=10.0,
            ping_timeout=10.0,
            user_agent_header="projector-display",
        ) as ws:
            self._drain_stale()
            ws.send(encode(self.hello))
            self.clock.reset()
            self._pings.clear()
            burst = PING_BURST if self.ping_every > 0 else 0
            next_ping = time.monotonic() + min(PING_BURST_SPACING, self.ping_every)
            while not self._stop.is_set():
                if self._reconnect.is_set():
                    self._reconnect.clear()
                    return "reload"
                try:
                    message = ws.recv(timeout=POLL)
                except TimeoutError:
                    message = None
                except ConnectionClosed as exc:
                    return _closed_reason(exc)
                if message is not None:
                    self._receive(message, time.time())
                while True:
                    try:
                        frame = self.outbox.get_nowait()
                    except queue.Empty:
                        break
                    ws.send(encode(frame))
                if self.ping_every > 0 and time.monotonic() >= next_ping:
                    ping = Ping(next(self._ping_ids), time.time())
                    if len(self._pings) > 32:
                        self._pings.clear()  # pongs that never came
                    self._pings[ping.id] = ping.client_time
                    ws.send(encode(ping))
                    burst -= 1
                    spacing = PING_BURST_SPACING if burst > 0 else self.ping_every
                    next_ping = time.monotonic() + spacing
        return "stopped"

    def _receive(self, message: str | bytes, received: float) -> None:
        try:
            frame = decode(message)
        except ProtocolError as exc:
            self._garbage(exc)
            return
        except Exception as exc:  # decode must never take the link down
            self._garbage(exc)
            return
        if isinstance(frame, Pong):
            self._pong(frame, received)
            return
        if isinstance(frame, Snapshot):
            self.attempt = 0
            self.connections += 1
            self._notify(True, "connected")
        elif isinstance(frame, ErrorFrame):
            log.error("server refused or complained: %s (%s)", frame.message, frame.code)
        self.inbox.put(frame)

    def _pong(self, pong: Pong, received: float) -> None:
        """A clock sample, stamped here (not a frame later on the main thread)."""
        sent = self._pings.pop(pong.id, None)
        if sent is None or sent != pong.client_time:
            log.debug("ignoring a pong for a ping we did not send (id %d)", pong.id)
            return
        server_received = pong.received_at if pong.received_at is not None else pong.server_time
        try:
            estimate = self.clock.add(sent, server_received, pong.server_time, received)
        except BadSample as exc:
            log.info("clock sample dropped: %s", exc.reason)
            return
        if estimate is not None:
            self.inbox.put(ClockSync(estimate.offset, estimate.rtt, estimate.samples))

    def _garbage(self, exc: Exception) -> None:
        self._garbage_logged += 1
        if self._garbage_logged <= 20 or self._garbage_logged % 100 == 0:
            log.warning("skipped a bad frame from the server (%d so far): %s", self._garbage_logged, exc)

    def _notify(self, connected: bool, reason: str) -> None:
        if not connected and reason == self._last_reason:
            return  # one notice per distinct failure, not one per retry
        self._last_reason = reason if not connected else ""
        self.inbox.put(LinkState(connected, reason))

    def _drain_stale(self) -> None:
        """Status and Resync queued while offline are stale; the server sends a snapshot anyway."""
        while True:
            try:
                self.outbox.get_nowait()
            except queue.Empty:
                return


def _closed_reason(exc: Exception) -> str:
    rcvd = getattr(exc, "rcvd", None)
    if rcvd is None:
        return "connection lost"
    reason = str(getattr(rcvd, "reason", "") or "")
    return (
        f"closed by server: {reason}" if reason else f"closed by server (code {getattr(rcvd, 'code', '?')})"
    )


def _describe(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return text[:200]
