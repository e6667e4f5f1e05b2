"""The shared event log of several nodes, on a real PostgreSQL: one order, wake-ups, the timer lease.

"Nodes" here are threads or processes with their own connections, as separate
``projector serve`` processes would be; the server itself does not use the log yet.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import psycopg
import pytest

from projector.store.events import EventListener, EventLog, LoggedEvent, TimerLease

ROOT = Path(__file__).resolve().parents[2]


def test_nodes_appending_together_get_one_gapless_order(postgres_url: str) -> None:
    nodes = [EventLog(postgres_url, f"node-{k}") for k in range(3)]
    seen: dict[str, list[int]] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def run(log: EventLog) -> None:
        known = 0
        applied: list[int] = []
        try:
            start.wait()
            for i in range(40):

                def decide(missed: list[LoggedEvent], i: int = i, known: int = known) -> list[str]:
                    # The node decides only once it has every event before its own.
                    assert [e.rev for e in missed] == list(range(known + 1, known + 1 + len(missed)))
                    return [f"{log.node}:{i}"]

                missed, appended = log.append(known, decide)
                applied += [e.rev for e in [*missed, *appended]]
                known = applied[-1]
        except BaseException as exc:
            errors.append(exc)
        seen[log.node] = applied

    threads = [threading.Thread(target=run, args=(log,)) for log in nodes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for applied in seen.values():
        assert applied == list(range(1, len(applied) + 1))  # every node applied every event, in order
    log = nodes[0]
    assert log.head() == 120
    bodies = [e.body for e in log.since(0)]
    assert len(set(bodies)) == 120
    for k in range(3):  # each node's own events in the order it decided them
        assert [b for b in bodies if b.startswith(f"node-{k}:")] == [f"node-{k}:{i}" for i in range(40)]
    for node in nodes:
        node.close()


def test_two_gos_at_the_same_moment_advance_once(postgres_url: str) -> None:
    """Each node sees cue 0 and presses GO "from cue 0"; the log lets only the first through."""
    nodes = [EventLog(postgres_url, f"node-{k}") for k in range(2)]
    start = threading.Barrier(2)
    results: list[list[LoggedEvent]] = []

    def go(log: EventLog) -> None:
        def decide(missed: Sequence[LoggedEvent]) -> list[str]:
            cue = int(missed[-1].body.split(":")[1]) if missed else 0
            return ["cue:1"] if cue == 0 else []  # GO from cue 0: already moved on, nothing to do

        start.wait()
        _, appended = log.append(0, decide)
        results.append(appended)

    threads = [threading.Thread(target=go, args=(log,)) for log in nodes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(len(r) for r in results) == [0, 1]
    assert [e.body for e in nodes[0].since(0)] == ["cue:1"]
    for node in nodes:
        node.close()


def test_a_decision_that_raises_stores_nothing(postgres_url: str) -> None:
    log = EventLog(postgres_url, "a")

    def refuse(missed: Sequence[LoggedEvent]) -> list[str]:
        raise ValueError("not allowed")

    with pytest.raises(ValueError, match="not allowed"):
        log.append(0, refuse)
    assert log.head() == 0
    with pytest.raises(ValueError, match="known revision 5 is not the log's head 0"):
        log.append(5, lambda missed: ["x"])
    log.close()


def test_a_listener_wakes_on_append_and_the_table_covers_a_missed_wake_up(postgres_url: str) -> None:
    writer = EventLog(postgres_url, "a")
    reader = EventLog(postgres_url, "b")
    listener = EventListener(postgres_url)
    assert listener.wait(0.05) is None  # nothing yet: the timeout returns
    started = time.monotonic()
    threading.Timer(0.2, lambda: writer.append(0, lambda missed: ["one", "two"])).start()
    assert listener.wait(5.0) == 2
    assert time.monotonic() - started < 2.0
    # A node that was not listening (busy, reconnecting) catches up from the table.
    listener.close()
    writer.append(2, lambda missed: ["three"])
    assert [e.body for e in reader.since(0)] == ["one", "two", "three"]
    assert [e.rev for e in reader.since(2)] == [3]
    for log in (writer, reader):
        log.close()


HOLDER = textwrap.dedent(
    """
    import sys, time
    from projector.store.events import TimerLease
    lease = TimerLease(sys.argv[1])
    assert lease.try_acquire()
    print("holding", flush=True)
    time.sleep(600)
    """
)


def test_the_timer_lease_moves_within_seconds_when_its_node_dies(postgres_url: str) -> None:
    EventLog(postgres_url, "schema").close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, postgres_url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    survivor = TimerLease(postgres_url)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "holding\n"
        assert survivor.try_acquire() is False  # one node at a time
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
        killed = time.monotonic()
        while not survivor.try_acquire():
            assert time.monotonic() - killed < 5.0, "the lease did not move"
            time.sleep(0.1)
        assert survivor.try_acquire() is True  # and it stays
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        survivor.release()
        survivor.close()


def test_a_lease_whose_session_dies_is_given_up_and_taken_again(postgres_url: str) -> None:
    EventLog(postgres_url, "schema").close()
    lease = TimerLease(postgres_url)
    other = TimerLease(postgres_url)
    assert lease.try_acquire() and not other.try_acquire()
    pid = lease._conn.execute("SELECT pg_backend_pid()").fetchone()
    assert pid is not None
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid[0],))
    assert lease.try_acquire() is False  # it notices the session is gone
    assert other.try_acquire() is True  # and another node has the lease
    assert lease.try_acquire() is False
    for held in (lease, other):
        held.release()
        held.close()
