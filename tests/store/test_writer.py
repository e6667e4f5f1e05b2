"""StoreWriter: group commit, ordering, failure and shutdown, with real files and threads."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest

from projector.core.model import Action, Channel
from projector.store.sqlite import SqliteStore, StoreError
from projector.store.writer import StoreWriter

REPO = Path(__file__).resolve().parents[2]


def act(action_id: str, count: int = 1) -> Action:
    return Action(action_id, Channel.EMAIL, "KE", count)


@pytest.fixture
async def writer(tmp_path: Path) -> AsyncIterator[StoreWriter]:
    w = StoreWriter(tmp_path / "projector.db", clock=lambda: 1_700_000_000.0)
    w.start()
    yield w
    await w.aclose()


def hold(writer: StoreWriter) -> tuple[threading.Event, asyncio.Task[bool]]:
    """Park the writer thread on a gate, so the requests made next all queue up behind it."""
    gate = threading.Event()
    task = asyncio.ensure_future(writer.call(lambda _store: gate.wait(10)))
    return gate, task


def count_rows(path: Path, where: str = "1") -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute(f"SELECT count(*) FROM actions WHERE {where}").fetchone()[0])


async def test_record_returns_once_stored(writer: StoreWriter) -> None:
    result = await writer.record([act("a", 2), act("b")])
    assert [a.id for a in result.accepted] == ["a", "b"] and result.duplicates == 0
    assert count_rows(writer.path) == 2
    again = await writer.record([act("a", 2)])
    assert again.accepted == () and again.duplicates == 1
    beaten = await writer.call(lambda s: s.record_beaten_at(2))
    assert beaten == result.received_at == 1_700_000_000.0  # stamped by the writer's clock


async def test_waiting_requests_share_one_commit_and_each_get_their_own_result(writer: StoreWriter) -> None:
    gate, held = hold(writer)
    await asyncio.sleep(0)
    tasks = [asyncio.ensure_future(writer.record([act(f"r{i}"), act("shared")])) for i in range(200)]
    await asyncio.sleep(0)  # every request is queued now
    gate.set()
    results = await asyncio.gather(*tasks)
    assert await held is True
    assert writer.commits == 1
    assert [a.id for a in results[0].accepted] == ["r0", "shared"]  # first come, first stored
    for i, result in enumerate(results[1:], start=1):
        assert [a.id for a in result.accepted] == [f"r{i}"] and result.duplicates == 1
    assert count_rows(writer.path) == 201


async def test_concurrent_callers_need_far_fewer_commits_than_calls(writer: StoreWriter) -> None:
    results = await asyncio.gather(*(writer.record([act(f"c{i}")]) for i in range(200)))
    assert all(len(r.accepted) == 1 for r in results)
    assert writer.commits < 100
    assert count_rows(writer.path) == 200


async def test_calls_run_on_the_writer_thread_in_order_with_writes(writer: StoreWriter) -> None:
    record = asyncio.ensure_future(writer.record([act("a")]))
    count = asyncio.ensure_future(writer.call(lambda s: s.action_count()))
    name = await writer.call(lambda _s: threading.current_thread().name)
    assert (await record).accepted and await count == 1
    assert name == "projector-store"
    with pytest.raises(ValueError, match="'root'"):
        await writer.call(lambda s: s.create_token("root", "x", 1.0))


async def test_a_refused_batch_is_reported_in_its_result(writer: StoreWriter) -> None:
    gate, _ = hold(writer)
    await asyncio.sleep(0)
    good = asyncio.ensure_future(writer.record([act("g")]))
    bad = asyncio.ensure_future(writer.record([act("b", count=0)]))
    await asyncio.sleep(0)
    gate.set()
    assert (await good).accepted and (await bad).error is not None
    assert count_rows(writer.path) == 1


async def test_a_failed_commit_rejects_every_request_of_its_group(writer: StoreWriter) -> None:
    # A deferred foreign key is only checked at COMMIT: any action whose id starts
    # with "boom" makes the whole transaction fail there, after every insert worked.
    with sqlite3.connect(writer.path) as conn:
        conn.executescript(
            """
            CREATE TABLE parent (id INTEGER PRIMARY KEY);
            CREATE TABLE child (p INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);
            CREATE TRIGGER boom AFTER INSERT ON actions WHEN new.id LIKE 'boom%'
            BEGIN INSERT INTO child VALUES (42); END;
            """
        )
    gate, _ = hold(writer)
    await asyncio.sleep(0)
    tasks = [asyncio.ensure_future(writer.record([act(i)])) for i in ("ok1", "boom", "ok2")]
    await asyncio.sleep(0)
    gate.set()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(o, StoreError) and "FOREIGN KEY" in str(o) for o in outcomes)
    assert writer.failed_commits == 1 and writer.commits == 0
    assert count_rows(writer.path) == 0
    retry = await writer.record([act("ok1")])  # the writer goes on after a failed group
    assert [a.id for a in retry.accepted] == ["ok1"]


async def test_close_serves_what_is_queued_then_refuses(tmp_path: Path) -> None:
    writer = StoreWriter(tmp_path / "projector.db")
    writer.start()
    gate, _ = hold(writer)
    await asyncio.sleep(0)
    tasks = [asyncio.ensure_future(writer.record([act(f"p{i}")])) for i in range(50)]
    await asyncio.sleep(0)
    gate.set()
    writer.close()
    writer.close()  # idempotent
    results = await asyncio.gather(*tasks)
    assert all(len(r.accepted) == 1 for r in results)
    assert count_rows(writer.path) == 50
    with pytest.raises(StoreError, match="closed"):
        await writer.record([act("late")])
    with pytest.raises(StoreError, match="closed"):
        await writer.call(lambda s: s.action_count())


async def test_several_event_loops_in_several_threads(writer: StoreWriter) -> None:
    def worker(n: int) -> list[int]:
        async def run() -> list[int]:
            results = await asyncio.gather(*(writer.record([act(f"t{n}-{i}")]) for i in range(50)))
            return [len(r.accepted) for r in results]

        return asyncio.run(run())

    outcomes = await asyncio.gather(*(asyncio.to_thread(worker, n) for n in range(4)))
    assert all(o == [1] * 50 for o in outcomes)
    assert count_rows(writer.path) == 200


async def test_using_the_writer_before_start_or_opening_a_bad_path(tmp_path: Path) -> None:
    idle = StoreWriter(tmp_path / "projector.db")
    with pytest.raises(RuntimeError, match="start"):
        await idle.record([act("a")])
    idle.close()
    broken = StoreWriter(tmp_path / "missing" / "projector.db")
    with pytest.raises(StoreError, match="missing"):
        broken.start()
    broken.close()


CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from projector.core.model import Action, Channel
    from projector.store.writer import StoreWriter

    async def client(writer, n):
        for i in range(100_000):
            ids = [f"k{n}-{i}-{j}" for j in range(3)]
            result = await writer.record([Action(x, Channel.SMS, "MM") for x in ids])
            sys.stdout.write("".join(a.id + "\\n" for a in result.accepted))
            sys.stdout.flush()

    async def main():
        writer = StoreWriter(Path(sys.argv[1]), database=sys.argv[2])
        writer.start()
        print("ready", flush=True)
        await asyncio.gather(*(client(writer, n) for n in range(8)))

    asyncio.run(main())
    """
)


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_every_acknowledged_action_survives_sigkill(
    tmp_path: Path, database: str, request: pytest.FixtureRequest
) -> None:
    path = tmp_path / "projector.db"
    url = request.getfixturevalue("postgres_url") if database == "postgres" else ""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path), url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    acknowledged: list[str] = []
    deadline = time.monotonic() + 30
    try:
        assert proc.stdout.readline() == "ready\n", proc.stderr.read() if proc.stderr else ""
        while len(acknowledged) < 600 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            acknowledged.append(line)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        rest, errors = proc.communicate(timeout=10)
    acknowledged.extend(rest.splitlines(keepends=True))
    ids = [line[:-1] for line in acknowledged if line.endswith("\n")]  # a torn last line was never whole
    assert len(ids) >= 600, errors
    if url:
        with psycopg.connect(url) as conn:
            stored = {row[0] for row in conn.execute("SELECT id FROM actions WHERE id = ANY(%s)", (ids,))}
        missing = [i for i in ids if i not in stored]  # the unique index rules out doubles
        assert not missing, f"{len(missing)} acknowledged actions lost, e.g. {missing[:5]}"
        return
    with SqliteStore(path) as store:
        assert store.action_count() >= len(ids)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = dict(conn.execute("SELECT id, count(*) FROM actions GROUP BY id").fetchall())
    missing = [i for i in ids if rows.get(i) != 1]
    assert not missing, f"{len(missing)} acknowledged actions lost, e.g. {missing[:5]}"


async def test_group_commit_on_postgres(postgres_url: str) -> None:
    writer = StoreWriter(Path("unused.db"), database=postgres_url)
    writer.start()
    try:
        results = await asyncio.gather(*(writer.record([act(f"p{i}"), act("shared")]) for i in range(200)))
        assert sum(len(r.accepted) for r in results) == 201
        assert writer.commits < 200  # the requests shared commits
        assert await writer.call(lambda s: s.load_totals().total) == 201
        with pytest.raises(StoreError, match="closed"):
            await writer.aclose()
            await writer.record([act("late")])
    finally:
        await writer.aclose()
    assert writer.name.startswith("postgresql://projector@")  # what its errors call it
