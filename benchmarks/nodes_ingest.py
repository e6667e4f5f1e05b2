"""Ingest through 1, 2 and 3 nodes on one PostgreSQL, next to raw inserts and to SQLite (issue 17).

    python benchmarks/nodes_ingest.py [--nodes 1,2,3] [--seconds 4]

A throwaway PostgreSQL cluster (fsync on, ``synchronous_commit=on``, reached over loopback
TCP) and, for each node count, a fresh database with that many real ``projector serve``
processes on it. The load generator (one process, as ``benchmarks/ingest.py``) spreads its
clients over the nodes round robin: many clients POSTing one action each, then a few POSTing
batches of 1,000, every request acknowledged after its commit (and after the totals event that
counts it is in the shared event log, in the same transaction).

In the same run, the same batches inserted with bare psycopg (one transaction per batch of
1,000 with ``executemany`` of INSERTs, and with ``COPY``, the fastest bare way in; one
autocommit INSERT per row: the fewest round trips a commit can take) give the ratios,
and one server on SQLite (the default store) gives the single-node comparison. Afterwards every
node's ``/api/v1/totals`` must equal the actions the database holds: a lost or doubled action
shows there. Not a test; on a shared 2-core machine the nodes, PostgreSQL and the load
generator compete for the same cores, so more nodes cannot add CPU here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import aiohttp
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._nodes import Node, fresh_database, postgres
from benchmarks._server import BenchServer, create_token, table
from benchmarks.ingest import body, fresh_batches
from benchmarks.ingest_postgres import pg_raw_rate
from benchmarks.store_raw import make_actions
from projector.core.model import Action
from projector.store.actionlog import ACTION_COLUMNS, action_row
from tests.store.pg_cluster import PostgresCluster


async def drive(
    bases: list[str], token: str, per_request: int, clients: int, seconds: float
) -> tuple[float, int]:
    """(requests/s, new actions stored per s) with client ``k`` posting to ``bases[k % n]``."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    done = accepted = 0
    pool = (
        fresh_batches(int(seconds * 100_000 / per_request) + clients, per_request) if per_request > 1 else []
    )
    async with aiohttp.ClientSession(headers=headers, connector=aiohttp.TCPConnector(limit=clients)) as http:
        stop = time.perf_counter() + seconds

        async def client(k: int) -> None:
            nonlocal done, accepted
            url = bases[k % len(bases)] + "/api/v1/actions"
            i = k
            while time.perf_counter() < stop:
                data = pool[i % len(pool)] if per_request > 1 else body(1)
                i += clients
                async with http.post(url, data=data) as r:
                    if r.status != 200:
                        raise RuntimeError(f"HTTP {r.status}: {await r.text()}")
                    accepted += (await r.json())["accepted"]
                done += 1

        start = time.perf_counter()
        await asyncio.gather(*(client(k) for k in range(clients)))
        elapsed = time.perf_counter() - start
    return done / elapsed, round(accepted / elapsed)


def pg_copy_rate(cluster: PostgresCluster, actions: list[Action], batch: int) -> float:
    """Rows/s with ``COPY`` of each batch in its own transaction: the fastest bare way in."""
    rows = [action_row(a, time.time()) for a in actions]
    with psycopg.connect(fresh_database(cluster), autocommit=True) as conn:
        start = time.perf_counter()
        for i in range(0, len(rows), batch):
            with (
                conn.transaction(),
                conn.cursor() as cur,
                cur.copy(f"COPY actions ({ACTION_COLUMNS}) FROM STDIN") as copy,
            ):
                for row in rows[i : i + batch]:
                    copy.write_row(row)
        return len(rows) / (time.perf_counter() - start)


def totals(base: str) -> int:
    with urllib.request.urlopen(base + "/api/v1/totals", timeout=10) as r:
        return int(json.loads(r.read())["total"])


def stored(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM actions").fetchone()
    return int(row[0]) if row else 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--nodes", default="1,2,3", help="node counts to compare, comma separated")
    parser.add_argument("--seconds", type=float, default=4.0, help="per workload")
    parser.add_argument("--clients", type=int, default=48, help="concurrent single-action clients")
    parser.add_argument("--batch-clients", type=int, default=12, help="concurrent clients posting batches")
    parser.add_argument("--rows", type=int, default=50_000, help="actions in the raw batched run")
    parser.add_argument("--singles", type=int, default=2_000, help="actions in the raw one-per-commit run")
    args = parser.parse_args()
    counts = [int(n) for n in args.nodes.split(",")]
    rows: list[list[object]] = []
    checks: list[str] = []
    with postgres() as cluster, tempfile.TemporaryDirectory(prefix="projector-bench-") as tmp:
        with psycopg.connect(cluster.url()) as conn:
            version = conn.execute("SHOW server_version").fetchone()
        raw_batch = pg_raw_rate(cluster, make_actions(args.rows), 1000)
        raw_copy = pg_copy_rate(cluster, make_actions(args.rows), 1000)
        raw_single = pg_raw_rate(cluster, make_actions(args.singles), 1)
        for n in counts:
            url = fresh_database(cluster)
            data = Path(tmp) / f"pg-{n}"
            token = create_token(data / "node-0", "ingest", database=url)
            nodes = [Node(data / f"node-{i}", url) for i in range(n)]
            try:
                for node in nodes:
                    node.__enter__()
                bases = [node.base for node in nodes]
                asyncio.run(drive(bases, token, 1, 8, 0.5))  # warm up
                single, _ = asyncio.run(drive(bases, token, 1, args.clients, args.seconds))
                _, batched = asyncio.run(drive(bases, token, 1000, args.batch_clients, args.seconds))
                time.sleep(1.5)  # the followers' last wake-up (at most 1 s)
                in_db = stored(url)
                seen = [totals(b) for b in bases]
                checks.append(f"{n} node(s): {in_db:,} actions stored; totals on each node {seen}")
            finally:
                for node in nodes:
                    node.__exit__(None, None, None)
            rows.append(
                [
                    f"PostgreSQL, {n} node(s)",
                    f"{single:,.0f} req/s",
                    f"{single / raw_single:.2f}",
                    f"{batched:,.0f} actions/s",
                    f"{batched / raw_batch:.2f}",
                    f"{batched / raw_copy:.2f}",
                ]
            )
        data = Path(tmp) / "sqlite"
        token = create_token(data, "ingest")
        with BenchServer(data) as server:
            asyncio.run(drive([server.base], token, 1, 8, 0.5))
            lite_single, _ = asyncio.run(drive([server.base], token, 1, args.clients, args.seconds))
            _, lite_batched = asyncio.run(drive([server.base], token, 1000, args.batch_clients, args.seconds))
    print(f"PostgreSQL {version[0] if version else '?'} on loopback TCP, fsync on, synchronous_commit on")
    print(
        f"{args.clients} single-action clients, {args.batch_clients} clients posting batches of 1,000,"
        f" {args.seconds:g} s each, spread round robin over the nodes"
    )
    print()
    print(
        table(
            [
                "store",
                "single-action POSTs",
                "/ raw single",
                "batches of 1,000",
                "/ raw INSERTs",
                "/ raw COPY",
            ],
            [
                [
                    "raw psycopg, no server: INSERT",
                    f"{raw_single:,.0f} commits/s",
                    "1.00",
                    f"{raw_batch:,.0f} rows/s",
                    "1.00",
                    "",
                ],
                ["raw psycopg, no server: COPY", "", "", f"{raw_copy:,.0f} rows/s", "", "1.00"],
                *rows,
                [
                    "SQLite, 1 node",
                    f"{lite_single:,.0f} req/s",
                    "",
                    f"{lite_batched:,.0f} actions/s",
                    "",
                    "",
                ],
            ],
        )
    )
    print()
    for line in checks:
        print(line)


if __name__ == "__main__":
    main()
