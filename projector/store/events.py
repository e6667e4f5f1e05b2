"""Several nodes, one order of events: the shared event log, its wake-ups, and the timer lease.

The building blocks for running several ``projector serve`` nodes on one PostgreSQL
database (issue 17); the server does not use them yet (README, "Scaling out").

- ``EventLog.append``: a command is decided under a transaction-scoped advisory lock. The
  node first gets every event appended since the revision it knows (it applies them, so
  it decides on the current state), then its decision is appended with the next
  revisions and a ``NOTIFY`` is sent, in the same transaction. Revisions are gapless and
  committed in order, so a reader that has revision N and reads ``rev > N`` never skips
  one. Two nodes deciding at the same moment are served one after the other: the second
  sees the first's events before it decides (two GOs: exactly one advances).
- ``EventListener``: ``LISTEN`` on its own connection, to wake a node when another one
  appended. A notification only says "look": the table is the truth, so a missed one (a
  dropped connection, a node that was busy) costs a delay, never an event; ``wait`` also
  returns after its timeout so the caller reads the table anyway.
- ``TimerLease``: the node whose session holds an advisory lock runs the timers
  (auto-follow, schedules). A node that dies loses its session and so the lock, and another
  node's next ``try_acquire`` gets it: the timers move within one polling interval.

Revisions, not clocks, order events: ``at`` is recorded for people, never compared.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg

from projector.store.postgres import PgConnection, PostgresStore
from projector.store.records import StoreError

#: Advisory lock keys ("PJTR" and a number; 1 and 2 are the store's, see postgres.py).
EVENTS_LOCK = 0x504A5452_0003
TIMER_LOCK = 0x504A5452_0004
#: The ``NOTIFY`` channel; the payload is the new head revision.
CHANNEL = "projector_events"


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    rev: int
    node: str
    body: str


def _logged(rows: Sequence[tuple[Any, ...]]) -> list[LoggedEvent]:
    return [LoggedEvent(int(rev), str(node), str(body)) for rev, node, body in rows]


Raw = psycopg.Connection[tuple[Any, ...]]


def head(raw: Raw) -> int:
    row = raw.execute("SELECT coalesce(max(rev), 0) FROM events").fetchone()
    return 0 if row is None else int(row[0])


def since(raw: Raw, rev: int, limit: int = 10_000) -> list[LoggedEvent]:
    """Events after ``rev``, in order: how a node catches up (after a wake-up or a restart)."""
    rows = raw.execute(
        "SELECT rev, node, body FROM events WHERE rev > %s ORDER BY rev LIMIT %s", (rev, limit)
    ).fetchall()
    return _logged(rows)


def lock_and_catch_up(raw: Raw, known: int) -> tuple[list[LoggedEvent], int]:
    """Inside the caller's transaction: take the log's lock, then ``(missed, head)``.

    The lock is held until the transaction ends, so nobody appends between this and
    :func:`append_locked`, and nobody reads a revision before it is committed in order.
    """
    raw.execute("SELECT pg_advisory_xact_lock(%s)", (EVENTS_LOCK,))
    missed = _logged(
        raw.execute("SELECT rev, node, body FROM events WHERE rev > %s ORDER BY rev", (known,)).fetchall()
    )
    if missed:
        return missed, missed[-1].rev
    # ``known`` may be behind only if the caller lost track; the table says the head.
    now_head = head(raw)
    if now_head != known:
        raise ValueError(f"known revision {known} is not the log's head {now_head}")
    return missed, known


def append_locked(raw: Raw, node: str, after: int, bodies: Sequence[str], stamp: float) -> list[LoggedEvent]:
    """Inside the transaction of :func:`lock_and_catch_up`: store ``bodies`` as the revisions
    after ``after`` and announce the new head (``NOTIFY`` is delivered at commit)."""
    appended = [LoggedEvent(after + i, node, body) for i, body in enumerate(bodies, start=1)]
    if appended:
        with raw.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO events (rev, at, node, body) VALUES (%s, %s, %s, %s)",
                [(e.rev, stamp, e.node, e.body) for e in appended],
            )
        raw.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(appended[-1].rev)))
    return appended


class EventLog:
    """One node's handle on the shared log (its own connection; migrates the schema on open)."""

    def __init__(self, url: str, node: str) -> None:
        PostgresStore(url).close()  # the schema, under the migration lock
        self.node = node
        self._conn = PgConnection(url)

    def close(self) -> None:
        self._conn.close()

    def head(self) -> int:
        return head(self._conn.raw)

    def since(self, rev: int, limit: int = 10_000) -> list[LoggedEvent]:
        return since(self._conn.raw, rev, limit)

    def append(
        self, known: int, decide: Callable[[list[LoggedEvent]], Sequence[str]], now: float | None = None
    ) -> tuple[list[LoggedEvent], list[LoggedEvent]]:
        """Decide under the log's lock: ``(missed, appended)``.

        ``decide`` gets the events after ``known`` that this node has not applied yet
        (apply them, then decide on the result) and returns the bodies of the new events,
        possibly none. They are stored with the next revisions and announced, in one
        transaction; if ``decide`` raises, nothing is stored.
        """
        with self._conn.unavailable_as_store_error():
            raw = self._conn.raw
            with raw.transaction():
                missed, at_head = lock_and_catch_up(raw, known)
                bodies = list(decide(missed))
                stamp = time.time() if now is None else now
                appended = append_locked(raw, self.node, at_head, bodies, stamp)
        return missed, appended


class EventListener:
    """Wakes a node when another one appended (``LISTEN`` on a connection of its own)."""

    def __init__(self, url: str) -> None:
        self._conn = PgConnection(url)
        self._listening_on: Raw | None = None
        self._listen()

    def _listen(self) -> Raw:
        # A connection opened again after a break has forgotten LISTEN: say it again.
        raw = self._conn.raw
        if raw is not self._listening_on:
            raw.execute(f"LISTEN {CHANNEL}")
            self._listening_on = raw
        return raw

    def wait(self, timeout: float) -> int | None:
        """The newest head announced within ``timeout`` seconds, or None (read the table anyway)."""
        newest: int | None = None
        with self._conn.unavailable_as_store_error():
            raw = self._listen()
            for note in raw.notifies(timeout=timeout, stop_after=1):
                newest = int(note.payload)
            # Drain whatever else arrived with it, without waiting again.
            for note in raw.notifies(timeout=0):
                newest = max(newest or 0, int(note.payload))
        return newest

    def clock_offset(self) -> tuple[float, float]:
        """``(offset, round_trip)``: the database's clock minus ours, and how long asking took."""
        with self._conn.unavailable_as_store_error():
            raw = self._listen()
            sent = time.time()
            row = raw.execute("SELECT extract(epoch FROM clock_timestamp())::float8").fetchone()
            back = time.time()
        assert row is not None
        return float(row[0]) - (sent + back) / 2, back - sent

    def close(self) -> None:
        self._conn.close()


class TimerLease:
    """Which node runs the timers: the one whose session holds the timer lock."""

    def __init__(self, url: str) -> None:
        self._conn = PgConnection(url)
        self._held_on: Raw | None = None

    def try_acquire(self) -> bool:
        """True if this node holds the lease now (got it now, or had it and still has it)."""
        try:
            # ``raw`` is a new session if the old one broke, and the lock went with the old one.
            raw = self._conn.raw
            if raw is self._held_on:
                raw.execute("SELECT 1")  # still ours only while the session lives: a query says so
                return True
            self._held_on = None
            row = raw.execute("SELECT pg_try_advisory_lock(%s)", (TIMER_LOCK,)).fetchone()
        except (psycopg.OperationalError, StoreError):
            self._held_on = None  # the session (and with it the lock) is gone; try again next time
            return False
        if row is not None and bool(row[0]):
            self._held_on = raw
        return self._held_on is not None

    def release(self) -> None:
        if self._held_on is not None:
            self._conn.execute("SELECT pg_advisory_unlock(?)", (TIMER_LOCK,))
            self._held_on = None

    def close(self) -> None:
        self._conn.close()
