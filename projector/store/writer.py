"""The asyncio front of the store: one thread, group commit.

An fsync costs milliseconds; doing one per HTTP request would cap ingest at a
few hundred requests a second. So every request is queued, and one dedicated
thread (sqlite3 connections must stay on the thread that made them) takes the
first waiting request together with every other one already queued, writes
them all in one transaction and fsyncs once. Nobody is answered before that
commit returned: an acknowledged action is on disk. If the commit fails,
every request of the group gets the error, since none of it was stored.

Other store operations (tokens, users, cases, messages, reads) go through
``call`` on the same thread, in arrival order with the action writes.

The writer is typed against the ``Store`` protocol (``base.py``), not the SQLite
class: it opens its store through a factory. ``StoreWriter(path)`` opens a
``SqliteStore``; ``StoreWriter(path, database=url)`` the PostgreSQL database the
``database`` setting names (``database.py``); ``factory`` any other store.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from projector.core.model import Action
from projector.store.base import Store
from projector.store.database import describe, store_factory
from projector.store.records import RecordResult, StoreError

T = TypeVar("T")

#: A group stops growing at this many actions, so one commit (and the wait of
#: everyone in it) stays short even under a flood.
MAX_GROUP_ACTIONS = 50_000


@dataclass(slots=True)
class _Request:
    # ``Any``: one queue carries requests of every result type; ``call`` and
    # ``record`` restore the precise type where they await their own future.
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]


@dataclass(slots=True)
class _Record(_Request):
    actions: Sequence[Action]


@dataclass(slots=True)
class _Call(_Request):
    fn: Callable[[Store], Any]


class _Stop:
    """Queued by ``close``: everything queued before it is still served."""


_Outcome = tuple["asyncio.Future[Any]", Any, BaseException | None]


def _deliver(outcomes: list[_Outcome]) -> None:
    """Runs on the caller's event loop: futures are not thread-safe."""
    for future, result, error in outcomes:
        if future.done():  # the caller was cancelled; nothing to tell
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)


def _settle_all(settled: Iterable[tuple[_Request, Any, BaseException | None]]) -> None:
    """Hand results to each request's own event loop, with one wake-up per loop
    (not one per request: a group can answer thousands of requests)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Outcome]] = {}
    for request, result, error in settled:
        by_loop.setdefault(request.loop, []).append((request.future, result, error))
    for loop, outcomes in by_loop.items():
        with contextlib.suppress(RuntimeError):  # that loop is closed: its callers are gone
            loop.call_soon_threadsafe(_deliver, outcomes)


def _settle(request: _Request, result: Any = None, error: BaseException | None = None) -> None:
    _settle_all([(request, result, error)])


def _not_stored(cause: Exception) -> StoreError:
    """One exception object per waiting request: each caller gets its own traceback."""
    error = StoreError(f"actions not stored: {cause}")
    error.__cause__ = cause
    return error


class StoreWriter:
    """Runs a ``Store`` on its own thread and groups action writes into shared commits.

    ``factory`` opens the store; it is called on the writer thread (a sqlite3
    connection must stay on the thread that made it), by ``start``. Without
    one, the store the ``database`` setting names is opened: empty, a
    ``SqliteStore`` on ``path``; a ``postgresql://`` URL, that database (a
    malformed setting raises ``ValueError`` here, naming it).

    ``commits`` counts the groups committed, ``failed_commits`` the groups whose
    commit failed; with many concurrent callers ``commits`` stays far below the
    number of ``record`` calls.
    """

    def __init__(
        self,
        path: Path,
        clock: Callable[[], float] = time.time,
        *,
        max_group_actions: int = MAX_GROUP_ACTIONS,
        factory: Callable[[], Store] | None = None,
        database: str = "",
    ) -> None:
        self.path = Path(path)
        # What errors call the store: the file, or the URL without its password.
        self.name = describe(database, self.path)
        self._factory: Callable[[], Store] = factory or store_factory(database, self.path)
        self._clock = clock
        self._max_group_actions = max_group_actions
        self._queue: queue.SimpleQueue[_Request | _Stop] = queue.SimpleQueue()
        self._lock = threading.Lock()  # makes "check closed, then enqueue" atomic against close()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.commits = 0
        self.failed_commits = 0

    # --- lifecycle ------------------------------------------------------------------

    def start(self) -> None:
        """Open the store on the writer thread; raises here if it cannot be opened."""
        with self._lock:
            if self._thread is not None or self._closed:
                raise RuntimeError("store writer already started or closed")
            opened: concurrent.futures.Future[None] = concurrent.futures.Future()
            thread = threading.Thread(target=self._run, args=(opened,), name="projector-store", daemon=True)
            self._thread = thread
            thread.start()
        try:
            opened.result()
        except BaseException:
            thread.join()
            self._closed = True
            raise

    def close(self) -> None:
        """Serve every request already queued, then close the store. Idempotent."""
        with self._lock:
            thread = self._thread
            if not self._closed:
                self._closed = True
                if thread is not None:
                    self._queue.put(_Stop())
        if thread is None:
            return
        if thread is threading.current_thread():
            raise RuntimeError("StoreWriter.close() called from the writer thread itself")
        thread.join()

    async def aclose(self) -> None:
        """``close`` without blocking the event loop (for aiohttp cleanup)."""
        await asyncio.to_thread(self.close)

    # --- requests -------------------------------------------------------------------

    async def record(self, actions: Sequence[Action]) -> RecordResult:
        """Store one all-or-nothing batch; returns once it is on disk.

        A batch the database refused comes back with ``error`` set and nothing
        stored; a failed commit raises ``StoreError``. If the caller is
        cancelled while waiting, the batch may still be stored (a retry with
        the same ids is then counted as duplicates, as it should).
        """
        if not actions:
            self._check_open()
            return RecordResult()
        loop = asyncio.get_running_loop()
        request = _Record(loop, loop.create_future(), actions)
        self._submit(request)
        result: RecordResult = await request.future
        return result

    async def call(self, fn: Callable[[Store], T]) -> T:
        """Run ``fn(store)`` on the writer thread, in order with the action writes."""
        loop = asyncio.get_running_loop()
        request = _Call(loop, loop.create_future(), fn)
        self._submit(request)
        result: T = await request.future
        return result

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"store writer for {self.name} is closed")
        if self._thread is None:
            raise RuntimeError("StoreWriter.start() was not called")

    def _submit(self, request: _Request) -> None:
        with self._lock:
            self._check_open()
            self._queue.put(request)

    # --- the writer thread ------------------------------------------------------------

    def _run(self, opened: concurrent.futures.Future[None]) -> None:
        try:
            store = self._factory()
        except BaseException as exc:
            opened.set_exception(exc)
            return
        opened.set_result(None)
        try:
            self._serve(store)
        finally:
            store.close()
            self._fail_leftovers()

    def _serve(self, store: Store) -> None:
        held: _Request | _Stop | None = None
        while True:
            request = held if held is not None else self._queue.get()
            held = None
            if isinstance(request, _Stop):
                return
            if isinstance(request, _Call):
                self._run_call(store, request)
                continue
            assert isinstance(request, _Record)
            group, held = self._gather(request)
            self._commit(store, group)

    def _gather(self, first: _Record) -> tuple[list[_Record], _Request | _Stop | None]:
        """The first request plus every record request already waiting behind it.

        Stops at anything else (a call, the stop marker) and returns it, so
        requests are still served in the order they arrived.
        """
        group = [first]
        size = len(first.actions)
        while size < self._max_group_actions:
            try:
                request = self._queue.get_nowait()
            except queue.Empty:
                return group, None
            if not isinstance(request, _Record):
                return group, request
            group.append(request)
            size += len(request.actions)
        return group, None

    def _commit(self, store: Store, group: list[_Record]) -> None:
        try:
            results = store.record_actions([r.actions for r in group], self._clock())
        except Exception as exc:
            self.failed_commits += 1
            _settle_all((request, None, _not_stored(exc)) for request in group)
            return
        self.commits += 1
        _settle_all((request, result, None) for request, result in zip(group, results, strict=True))

    @staticmethod
    def _run_call(store: Store, request: _Call) -> None:
        try:
            result = request.fn(store)
        except Exception as exc:
            _settle(request, error=exc)
        else:
            _settle(request, result)

    def _fail_leftovers(self) -> None:
        """If the thread ends early (a bug), fail whoever still waits instead of hanging them."""
        with self._lock:
            self._closed = True
        while True:
            try:
                request = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(request, _Request):
                _settle(request, error=StoreError(f"store writer for {self.name} stopped"))
