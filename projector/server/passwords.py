"""Password hashing on its own small, bounded pool: never on the store's writer, never on the loop.

scrypt costs ~50 ms of CPU and 16 MiB per check by design. Run on the store's one
writer thread, a flood of wrong logins queued every action ingest behind it
(issue 15: ingest p99 from 6 ms to 1.2 s); run on the event loop, it would stall
every socket. Here it gets ``workers`` threads (hashlib releases the GIL while
scrypt runs) and at most ``queue`` checks waiting: beyond that a login is answered
at once with 503 and ``Retry-After`` rather than queued without end, so a flood
costs the server a bounded amount of CPU and memory and the store none.

The security is the store's (``projector.store.security``): the same KDF and
parameters, the constant-time compare, and an unknown user costs one full check
so response times do not reveal names. The store only reads and writes hashes.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from projector.store import security

T = TypeVar("T")

#: Seconds a refused login is told to wait: a queue's worth of checks at ~50 ms each.
RETRY_AFTER = 1


class HasherBusy(Exception):
    """Every worker is busy and the queue is full: answer 503 with ``Retry-After`` now."""

    retry_after = RETRY_AFTER


class PasswordHasher:
    def __init__(self, workers: int = 1, queue: int = 8) -> None:
        self.workers = max(1, workers)
        #: Checks running or waiting, at most ``workers + queue``.
        self.limit = self.workers + max(0, queue)
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="password-hash")
        # Released from the worker thread when a check ends (not when its caller stops
        # waiting), so a client that hangs up mid-check still holds its slot until then.
        self._lock = threading.Lock()
        self._pending = 0

    @property
    def pending(self) -> int:
        return self._pending

    def check_room(self) -> None:
        """Raise ``HasherBusy`` now if a check would be refused, before any other work is
        done for a login (its store read would queue on the writer with ingest)."""
        if self._pending >= self.limit:
            raise HasherBusy()

    async def verify(self, password: str, encoded: str | None) -> bool:
        """Whether ``password`` matches ``encoded``; None (no such user) costs one check too."""
        if encoded is None:
            await self._run(security.burn_password_check, password)
            return False
        return await self._run(security.verify_password, password, encoded)

    async def hash(self, password: str) -> str:
        """A new ``scrypt$...`` hash of ``password`` (``ValueError`` for an empty or huge one)."""
        return await self._run(security.hash_password, password)

    async def _run(self, fn: Callable[..., T], *args: object) -> T:
        with self._lock:
            if self._pending >= self.limit:
                raise HasherBusy()
            self._pending += 1
        try:
            future: Future[T] = self._pool.submit(fn, *args)
        except RuntimeError:  # shut down: the server is stopping
            self._release(None)
            raise HasherBusy() from None
        future.add_done_callback(self._release)
        return await asyncio.wrap_future(future)

    def _release(self, _: object) -> None:
        with self._lock:
            self._pending -= 1

    def close(self) -> None:
        """Drop waiting checks and let running ones finish on their own (a few ms)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
