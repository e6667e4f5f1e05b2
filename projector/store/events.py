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


class EventLog:
    """One node's handle on the shared log (its own connection; migrates the schema on open)."""

    def __init__(self, url: str, node: str) -> None:
        PostgresStore(url).close()  # the schema, under the migration lock
        self.node = node
        self._conn = PgConnection(url)

    def close(self) -> None:
        self._conn.close()

    def head(self) -> int:
        row = self._conn.execute("SELECT coalesce(max(rev), 0) FROM events").fetchone()
        return 0 if row is None else int(row[0])

    def since(self, rev: int, limit: int = 10_000) -> list[LoggedEvent]:
        """Events after ``rev``, in order: how a node catches up (after a wake-up or a restart)."""
        rows = self._conn.execute(
            "SELECT rev, node, body FROM events WHERE rev > ? ORDER BY rev LIMIT ?", (rev, limit)
        ).fetchall()
        return _logged(rows)

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
            return self._append(known, decide, now)

    def _append(
        self, known: int, decide: Callable[[list[LoggedEvent]], Sequence[str]], now: float | None
    ) -> tuple[list[LoggedEvent], list[LoggedEvent]]:
        raw = self._conn.raw
        with raw.transaction():
            raw.execute("SELECT pg_advisory_xact_lock(%s)", (EVENTS_LOCK,))
            missed = _logged(
                raw.execute(
                    "SELECT rev, node, body FROM events WHERE rev > %s ORDER BY rev", (known,)
                ).fetchall()
            )
            head = missed[-1].rev if missed else known
            if not missed:
                # ``known`` may be behind only if the caller lost track; the table says the head.
                row = raw.execute("SELECT coalesce(max(rev), 0) FROM events").fetchone()
                head = int(row[0]) if row is not None else 0
                if head != known:
                    raise ValueError(f"known revision {known} is not the log's head {head}")
            bodies = list(decide(missed))
            appended = [LoggedEvent(head + i, self.node, body) for i, body in enumerate(bodies, start=1)]
            if appended:
                stamp = time.time() if now is None else now
                with raw.cursor() as cursor:
                    cursor.executemany(
                        "INSERT INTO events (rev, at, node, body) VALUES (%s, %s, %s, %s)",
                        [(e.rev, stamp, e.node, e.body) for e in appended],
                    )
                raw.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(appended[-1].rev)))
        return missed, appended


class EventListener:
    """Wakes a node when another one appended (``LISTEN`` on a connection of its own)."""

    def __init__(self, url: str) -> None:
        self._conn = PgConnection(url)
        self._conn.execute(f"LISTEN {CHANNEL}")

    def wait(self, timeout: float) -> int | None:
        """The newest head announced within ``timeout`` seconds, or None (read the table anyway)."""
        newest: int | None = None
        for note in self._conn.raw.notifies(timeout=timeout, stop_after=1):
            newest = int(note.payload)
        # Drain whatever else arrived with it, without waiting again.
        for note in self._conn.raw.notifies(timeout=0):
            newest = max(newest or 0, int(note.payload))
        return newest

    def close(self) -> None:
        self._conn.close()


class TimerLease:
    """Which node runs the timers: the one whose session holds the timer lock."""

    def __init__(self, url: str) -> None:
        self._conn = PgConnection(url)
        self._held = False

    def try_acquire(self) -> bool:
        """True if this node holds the lease now (got it now, or had it and still has it)."""
        try:
            if self._held:
                # Still ours only while the session lives: a query on it says so.
                self._conn.raw.execute("SELECT 1")
                return True
            row = self._conn.execute("SELECT pg_try_advisory_lock(?)", (TIMER_LOCK,)).fetchone()
        except (psycopg.OperationalError, StoreError):
            self._held = False  # the session (and with it the lock) is gone; try again next time
            return False
        self._held = row is not None and bool(row[0])
        return self._held

    def release(self) -> None:
        if self._held:
            self._conn.execute("SELECT pg_advisory_unlock(?)", (TIMER_LOCK,))
            self._held = False

    def close(self) -> None:
        self._conn.close()
