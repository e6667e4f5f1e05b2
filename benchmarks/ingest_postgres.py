"""Durable ingest on PostgreSQL, next to raw psycopg inserts of the same rows and next to SQLite.

    python benchmarks/ingest_postgres.py [--seconds 5] [--rows 100000]

Starts its own throwaway PostgreSQL cluster (``tests/store/pg_cluster.py``) with the
server's defaults (fsync on, ``synchronous_commit=on``), reached over TCP on loopback
as a database on another machine would be. Two tables:

1. The store alone, no server: ``record_actions`` with one batch of 1,000 per call
   (one commit each) and with one action per call (one commit each), against the same
   rows inserted with bare psycopg (``executemany`` of the same batches, one commit per
   batch; one autocommit INSERT per row, the fewest round trips a commit can take) and against ``SqliteStore`` and bare sqlite3.
2. Through one real server process (``PROJECTOR_DATABASE``), as ``benchmarks/ingest.py``
   drives it: many clients POSTing one action each (group commit shares commits) and a
   few clients POSTing batches of 1,000; the same server on SQLite beside it.

3. Several writer processes (1, 2, 3), each with its own ``PostgresStore``, writing at
   once: how the shared action log scales with the number of nodes writing to it.

Through the server, one node only: several nodes do not share a live show yet (see the
README's "Scaling out"), so a multi-node server figure would not mean what it says. Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Callable
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._server import BenchServer, create_token, table
from benchmarks.ingest import drive
from benchmarks.store_raw import make_actions, raw_batched_rate, raw_single_rate
from projector.core.model import Action
from projector.store.actionlog import ACTION_COLUMNS, action_row
from projector.store.postgres import PostgresStore
from projector.store.sqlite import SqliteStore
from tests.store.pg_cluster import PostgresCluster

RAW_INSERT = f"INSERT INTO actions ({ACTION_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"


def _fresh(cluster: PostgresCluster) -> str:
    """A new database with the store's schema; its TCP URL."""
    url = cluster.url(cluster.create_database(), tcp=True)
    PostgresStore(url).close()
    return url


def _rate(n: int, run: Callable[[], None]) -> float:
    start = time.perf_counter()
    run()
    return n / (time.perf_counter() - start)


def pg_store_rate(cluster: PostgresCluster, actions: list[Action], batch: int) -> float:
    with PostgresStore(_fresh(cluster)) as store:

        def run() -> None:
            for i in range(0, len(actions), batch):
                store.record_actions([actions[i : i + batch]], time.time())

        return _rate(len(actions), run)


def pg_raw_rate(cluster: PostgresCluster, actions: list[Action], batch: int) -> float:
    rows = [action_row(a, time.time()) for a in actions]
    with psycopg.connect(_fresh(cluster), autocommit=True) as conn:

        def run() -> None:
            for i in range(0, len(rows), batch):
                if batch == 1:
                    conn.execute(RAW_INSERT, rows[i])  # autocommit: one round trip, committed
                    continue
                with conn.transaction(), conn.cursor() as cur:
                    cur.executemany(RAW_INSERT, rows[i : i + batch])  # pipelined by psycopg 3

        return _rate(len(rows), run)


def sqlite_store_rate(path: Path, actions: list[Action], batch: int) -> float:
    with SqliteStore(path) as store:

        def run() -> None:
            for i in range(0, len(actions), batch):
                store.record_actions([actions[i : i + batch]], time.time())

        return _rate(len(actions), run)


def _writer_process(url: str, actions: list[Action], batch: int, start_at: float, out: Queue[float]) -> None:
    with PostgresStore(url) as store:
        time.sleep(max(0.0, start_at - time.time()))  # every writer starts at the same moment
        out.put(_rate(len(actions), lambda: _record_all(store, actions, batch)))


def _record_all(store: PostgresStore, actions: list[Action], batch: int) -> None:
    for i in range(0, len(actions), batch):
        store.record_actions([actions[i : i + batch]], time.time())


def pg_writers_rate(cluster: PostgresCluster, writers: int, per_writer: int, batch: int) -> float:
    """Actions/s of ``writers`` processes, each with its own store (as nodes would), all at once.

    Each writes its own ids; the total is the sum of their rates (they start together and
    write as much each)."""
    url = _fresh(cluster)
    context = multiprocessing.get_context("spawn")
    out: Queue[float] = context.Queue()
    start_at = time.time() + 2.0
    processes = [
        context.Process(target=_writer_process, args=(url, make_actions(per_writer), batch, start_at, out))
        for _ in range(writers)
    ]
    for p in processes:
        p.start()
    rates = [out.get(timeout=300) for _ in processes]
    for p in processes:
        p.join()
    return sum(rates)


def through_server(
    data_dir: Path, seconds: float, clients: int, batch_clients: int, **settings: Any
) -> tuple[float, float]:
    """(single-action requests/s, actions/s in batches of 1,000) through one server process."""
    token = create_token(data_dir, "ingest", **settings)
    with BenchServer(data_dir, **settings) as server:
        asyncio.run(drive(server.base, token, 1, 8, 0.5))  # warm up
        single, _ = asyncio.run(drive(server.base, token, 1, clients, seconds))
        batched, _ = asyncio.run(drive(server.base, token, 1000, batch_clients, seconds))
    return single, batched * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="per server workload")
    parser.add_argument("--rows", type=int, default=100_000, help="actions in the batched store runs")
    parser.add_argument("--singles", type=int, default=2_000, help="actions in the one-per-commit runs")
    parser.add_argument("--clients", type=int, default=64, help="concurrent single-action clients")
    parser.add_argument("--batch-clients", type=int, default=16, help="concurrent clients posting batches")
    parser.add_argument("--writers", default="1,2,3", help="writer processes to compare, comma separated")
    args = parser.parse_args()
    cluster = PostgresCluster(durable=True).start()
    try:
        with psycopg.connect(cluster.url()) as conn:
            version = conn.execute("SHOW server_version").fetchone()
        print(f"PostgreSQL {version[0] if version else '?'} on loopback TCP, fsync on, synchronous_commit on")
        many = make_actions(args.rows)
        few = make_actions(args.singles)
        with tempfile.TemporaryDirectory(prefix="projector-bench-") as tmp:
            tmp_path = Path(tmp)
            pg_batch = pg_store_rate(cluster, many, 1000)
            pg_raw_batch = pg_raw_rate(cluster, many, 1000)
            pg_single = pg_store_rate(cluster, few, 1)
            pg_raw_single = pg_raw_rate(cluster, few, 1)
            lite_batch = sqlite_store_rate(tmp_path / "store-batch.db", many, 1000)
            lite_raw_batch = raw_batched_rate(len(many), 1000, tmp_path / "raw-batch.db")
            lite_single = sqlite_store_rate(tmp_path / "store-single.db", few, 1)
            lite_raw_single = raw_single_rate(len(few), tmp_path / "raw-single.db")
            print()
            print("The store alone (one thread, no server), uuid4 ids, actions/s:")
            print(
                table(
                    [
                        "workload",
                        "PostgresStore",
                        "raw psycopg",
                        "store / raw",
                        "SqliteStore",
                        "raw sqlite3",
                        "PG / SQLite",
                    ],
                    [
                        [
                            "batches of 1,000, a commit each",
                            f"{pg_batch:,.0f}",
                            f"{pg_raw_batch:,.0f}",
                            f"{pg_batch / pg_raw_batch:.2f}",
                            f"{lite_batch:,.0f}",
                            f"{lite_raw_batch:,.0f}",
                            f"{pg_batch / lite_batch:.2f}",
                        ],
                        [
                            "one action, a commit each",
                            f"{pg_single:,.0f}",
                            f"{pg_raw_single:,.0f}",
                            f"{pg_single / pg_raw_single:.2f}",
                            f"{lite_single:,.0f}",
                            f"{lite_raw_single:,.0f}",
                            f"{pg_single / lite_single:.2f}",
                        ],
                    ],
                )
            )
            writers = [int(n) for n in args.writers.split(",")]
            print()
            print(
                "Several writer processes on one database (as several nodes' stores would write), actions/s:"
            )
            rows = []
            for n in writers:
                batched = pg_writers_rate(cluster, n, args.rows // n, 1000)
                single = pg_writers_rate(cluster, n, args.singles, 1)
                rows.append([str(n), f"{batched:,.0f}", f"{single:,.0f}"])
            print(table(["writers", "batches of 1,000", "one action per commit"], rows))
            pg_url = cluster.url(cluster.create_database(), tcp=True)
            pg_http = through_server(
                tmp_path / "pg-node", args.seconds, args.clients, args.batch_clients, database=pg_url
            )
            lite_http = through_server(
                tmp_path / "sqlite-node", args.seconds, args.clients, args.batch_clients
            )
        print()
        print("Through one server process (HTTP, acknowledged after the commit):")
        print(
            table(
                ["workload", "PostgreSQL", "SQLite", "PG / SQLite"],
                [
                    [
                        f"single-action POSTs, {args.clients} clients",
                        f"{pg_http[0]:,.0f} req/s",
                        f"{lite_http[0]:,.0f} req/s",
                        f"{pg_http[0] / lite_http[0]:.2f}",
                    ],
                    [
                        f"batches of 1,000, {args.batch_clients} clients",
                        f"{pg_http[1]:,.0f} actions/s",
                        f"{lite_http[1]:,.0f} actions/s",
                        f"{pg_http[1] / lite_http[1]:.2f}",
                    ],
                ],
            )
        )
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
