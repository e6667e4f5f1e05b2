"""The raw cost of storing actions in SQLite, and what SqliteStore adds to it.

The design measures ingest against the raw cost of the same work, as a ratio.
This script is that raw cost: bare ``executemany`` INSERTs into the real
``actions`` table (same schema, same pragmas: WAL, ``synchronous=FULL``), then
the same rows through ``SqliteStore.record_actions``, whose extra work is the
duplicate check, the savepoint per batch and turning ``Action`` objects into
rows. ``raw_batched_rate`` and ``raw_single_rate`` are the baselines other
benchmarks import.

Ids matter as much as batch size: random ids (uuid4, what most clients send)
land all over the unique index, so every commit rewrites many index pages;
sequential ids append. Compare like with like (``id_style``).

Run: ``python benchmarks/store_raw.py`` (about 20-30 s). Not a test.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __name__ == "__main__":  # run as a script from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from projector.core.model import Action, Channel
from projector.store.sqlite import ACTIONS_INSERT, CONNECTION_PRAGMAS, SqliteStore

ID_STYLES = ("uuid", "sequential")


def make_ids(n: int, id_style: str = "uuid") -> list[str]:
    """``uuid``: random uuid4 hex, as clients generate them; ``sequential``: ``act-000000001``..."""
    if id_style == "uuid":
        return [uuid.uuid4().hex for _ in range(n)]
    if id_style == "sequential":
        return [f"act-{i:09d}" for i in range(n)]
    raise ValueError(f"unknown id style {id_style!r}; expected one of {', '.join(ID_STYLES)}")


def make_actions(n: int, id_style: str = "uuid") -> list[Action]:
    """Actions as an ingest would carry them: mixed channels, countries and cases."""
    channels = list(Channel)
    countries = ("DE", "FR", "KE", "MX", "KH", "MM")
    cases = (None, "case-a", "case-b")
    return [
        Action(action_id, channels[i % len(channels)], countries[i % 6], 1 + i % 3, cases[i % 3])
        for i, action_id in enumerate(make_ids(n, id_style))
    ]


def _rows(actions: list[Action], received_at: float) -> list[tuple[Any, ...]]:
    return [
        (a.id, a.channel.value, a.country, a.case, a.count, a.at, received_at, a.source, a.entered_by)
        for a in actions
    ]


def _fresh_db(path: Path) -> sqlite3.Connection:
    """A new database with the store's schema, opened the way the store opens it."""
    if path.exists():
        raise FileExistsError(f"{path} exists; the benchmark needs a new file")
    SqliteStore(path).close()  # creates the schema, sets WAL (a property of the file)
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in CONNECTION_PRAGMAS:
        conn.execute(pragma)
    return conn


def raw_batched_rate(n_rows: int, batch: int, path: Path, *, id_style: str = "uuid") -> float:
    """Rows/s for bare ``executemany`` INSERTs, ``batch`` rows per transaction (one fsync each)."""
    rows = _rows(make_actions(n_rows, id_style), time.time())
    conn = _fresh_db(path)
    try:
        start = time.perf_counter()
        for i in range(0, n_rows, batch):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(ACTIONS_INSERT, rows[i : i + batch])
            conn.execute("COMMIT")
        return n_rows / (time.perf_counter() - start)
    finally:
        conn.close()


def raw_single_rate(n_rows: int, path: Path, *, id_style: str = "uuid") -> float:
    """Rows/s for one INSERT and one commit (one fsync) per row: the floor without group commit."""
    rows = _rows(make_actions(n_rows, id_style), time.time())
    conn = _fresh_db(path)
    try:
        start = time.perf_counter()
        for row in rows:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(ACTIONS_INSERT, row)
            conn.execute("COMMIT")
        return n_rows / (time.perf_counter() - start)
    finally:
        conn.close()


def store_rate(
    n_actions: int,
    batch: int,
    path: Path,
    *,
    batches_per_call: int = 1,
    id_style: str = "uuid",
    repeat: bool = False,
    prefill: int = 0,
) -> float:
    """Actions/s through ``SqliteStore.record_actions``: ``batches_per_call`` batches of
    ``batch`` actions per call (one commit). ``repeat`` stores everything first and
    measures sending it all again (a client retrying: every action a duplicate).
    ``prefill`` stores that many other actions first, untimed: the id index of a
    grown log is slower to insert into (random keys), so a fair comparison
    starts the store at the size the server's log had (random ids only: sequential
    ones would repeat the measured ones)."""
    if prefill and id_style != "uuid":
        raise ValueError("prefill needs random (uuid) ids")
    actions = make_actions(n_actions, id_style)
    per_call = batch * batches_per_call
    with SqliteStore(path) as store:
        for done in range(0, prefill, 50_000):
            store.record_actions([make_actions(min(50_000, prefill - done), id_style)], time.time())
        if repeat:
            store.record_actions([actions], time.time())
        start = time.perf_counter()
        for i in range(0, n_actions, per_call):
            chunk = actions[i : i + per_call]
            store.record_actions([chunk[j : j + batch] for j in range(0, len(chunk), batch)], time.time())
        return n_actions / (time.perf_counter() - start)


def _table(cases: list[tuple[str, int, Callable[[Path], float], str | None]], repeats: int) -> None:
    print(f"SQLite {sqlite3.sqlite_version}, Python {sys.version.split()[0]}, WAL, synchronous=FULL")
    print(f"best of {repeats} runs, each on a new database file")
    print(f"{'what':<58} {'n':>8} {'per s':>10} {'vs raw':>7}")
    print("-" * 86)
    rates: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="projector-bench-") as tmp:
        for number, (name, n, run, baseline) in enumerate(cases):
            # Best of several: other processes on the machine only ever slow a run down.
            rate = max(run(Path(tmp) / f"{number}-{r}.db") for r in range(repeats))
            rates[name] = rate
            ratio = f"{rate / rates[baseline]:.2f}" if baseline else ""
            print(f"{name:<58} {n:>8} {rate:>10,.0f} {ratio:>7}", flush=True)


def main() -> None:
    n, single = 50_000, 1_000
    raw_uuid = "raw executemany, 1000 rows/commit, uuid ids"
    raw_seq = "raw executemany, 1000 rows/commit, sequential ids"
    raw_one = "raw 1 row/commit, uuid ids"
    _table(
        [
            (raw_uuid, n, lambda p: raw_batched_rate(n, 1000, p), None),
            (
                "store.record_actions, 1 batch of 1000/call, uuid",
                n,
                lambda p: store_rate(n, 1000, p),
                raw_uuid,
            ),
            (
                "store.record_actions, 10 batches of 1000/call, uuid",
                n,
                lambda p: store_rate(n, 1000, p, batches_per_call=10),
                raw_uuid,
            ),
            (
                "store.record_actions, 1000/call, all duplicates, uuid",
                n,
                lambda p: store_rate(n, 1000, p, repeat=True),
                raw_uuid,
            ),
            (raw_seq, n, lambda p: raw_batched_rate(n, 1000, p, id_style="sequential"), None),
            (
                "store.record_actions, 1 batch of 1000/call, sequential",
                n,
                lambda p: store_rate(n, 1000, p, id_style="sequential"),
                raw_seq,
            ),
            (raw_one, single, lambda p: raw_single_rate(single, p), None),
            (
                "store.record_actions, 1 action/call, uuid",
                single,
                lambda p: store_rate(single, 1, p),
                raw_one,
            ),
        ],
        repeats=3,
    )


if __name__ == "__main__":
    main()
