"""Durable ingest throughput through the real server, against raw SQLite.

    python benchmarks/ingest.py [--seconds 5]

Single: many concurrent clients each POST one action per request (keep-alive).
Batched: a few clients POST batches of 1,000. Every request is acknowledged only
after its actions are committed (synchronous=FULL); group commit shares fsyncs.
The baseline is the same inserts done directly with sqlite3 and no server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._server import BenchServer, create_token, table
from benchmarks.store_raw import raw_batched_rate, raw_single_rate

CHANNELS = ["email", "letter", "sms", "signature", "tweet", "fax"]
COUNTRIES = ["FR", "TR", "KE", "BR", "DE", "MX", "NG", "IN", "PH", "US"]


def body(n: int) -> bytes:
    rows = [
        {"id": uuid.uuid4().hex, "channel": CHANNELS[i % 6], "country": COUNTRIES[i % 10]} for i in range(n)
    ]
    return json.dumps(rows[0] if n == 1 else {"actions": rows}).encode()


async def drive(base: str, token: str, per_request: int, clients: int, seconds: float) -> tuple[float, int]:
    """Return (requests/s, actions acknowledged)."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=clients)
    done = 0
    # Pre-build bodies so the load generator spends its CPU on sending.
    pool = [body(per_request) for _ in range(max(50, clients * 4) if per_request == 1 else clients * 3)]
    async with aiohttp.ClientSession(headers=headers, connector=connector) as http:
        stop = time.perf_counter() + seconds

        async def client(k: int) -> None:
            nonlocal done
            i = k
            while time.perf_counter() < stop:
                data = pool[i % len(pool)] if per_request > 1 else body(1)
                i += clients
                async with http.post(base + "/api/v1/actions", data=data) as r:
                    if r.status != 200:
                        raise RuntimeError(f"HTTP {r.status}: {await r.text()}")
                    await r.read()
                done += 1

        start = time.perf_counter()
        await asyncio.gather(*(client(k) for k in range(clients)))
        elapsed = time.perf_counter() - start
    return done / elapsed, done * per_request


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=64, help="concurrent single-action clients")
    parser.add_argument("--batch-clients", type=int, default=16, help="concurrent clients posting batches")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        raw_batch = raw_batched_rate(200_000, 1000, tmp_path / "raw-batch.db")
        raw_single = raw_single_rate(3_000, tmp_path / "raw-single.db")
        data_dir = tmp_path / "data"
        token = create_token(data_dir, "ingest")
        with BenchServer(data_dir) as server:
            # warm up
            asyncio.run(drive(server.base, token, 1, 8, 0.5))
            single_rps, _ = asyncio.run(drive(server.base, token, 1, args.clients, args.seconds))
            batch_rps, _ = asyncio.run(drive(server.base, token, 1000, args.batch_clients, args.seconds))
    batch_aps = batch_rps * 1000
    print(
        table(
            ["workload", "server", "raw SQLite, no server", "server / raw", "aim"],
            [
                [
                    f"single-action POSTs, {args.clients} clients",
                    f"{single_rps:,.0f} req/s",
                    f"{raw_single:,.0f} commits/s (1 row each)",
                    f"{single_rps / raw_single:.2f}",
                    ">= 2,000 req/s",
                ],
                [
                    f"batches of 1,000, {args.batch_clients} clients",
                    f"{batch_aps:,.0f} actions/s",
                    f"{raw_batch:,.0f} rows/s (1,000 per commit)",
                    f"{batch_aps / raw_batch:.2f}",
                    ">= 100,000 actions/s",
                ],
            ],
        )
    )


if __name__ == "__main__":
    main()
