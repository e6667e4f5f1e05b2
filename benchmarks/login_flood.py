"""Single-action ingest latency while wrong logins flood the server (issue 15, item 3).

    python benchmarks/login_flood.py [--seconds 5] [--clients 16]

One client POSTs one action at a time to /api/v1/actions and times each answer,
first with nothing else going on (quiet), then while ``--clients`` clients POST
wrong passwords to /api/v1/login as fast as they are answered, from a process of
their own (the per-address rate limit is lifted for the run, as if the flood came
from many addresses).
Prints ingest p50/p99, the logins answered (401 checked, 503 refused at once
because the password pool's queue was full) and the server's RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._server import BenchServer, create_token, table


async def ingest_latencies(base: str, token: str, seconds: float) -> list[float]:
    """Seconds per single-action POST, one at a time, for ``seconds``."""
    headers = {"Authorization": f"Bearer {token}"}
    out: list[float] = []
    async with aiohttp.ClientSession(headers=headers) as http:
        stop = time.perf_counter() + seconds
        while time.perf_counter() < stop:
            body = {"id": uuid.uuid4().hex, "channel": "email", "country": "FR"}
            started = time.perf_counter()
            async with http.post(base + "/api/v1/actions", json=body) as r:
                await r.read()
                if r.status != 200:
                    raise RuntimeError(f"ingest answered HTTP {r.status}")
            out.append(time.perf_counter() - started)
            await asyncio.sleep(0.005)  # a steady trickle, not a second flood
    return out


async def flood_logins(base: str, clients: int, seconds: float) -> dict[int, int]:
    """Wrong logins from ``clients`` concurrent clients for ``seconds``; answers by status."""
    answers: dict[int, int] = {}
    body = json.dumps({"username": "admin", "password": "wrong-password"}).encode()
    headers = {"Content-Type": "application/json"}
    stop = time.monotonic() + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients)) as http:

        async def client() -> None:
            while time.monotonic() < stop:
                async with http.post(base + "/api/v1/login", data=body, headers=headers) as r:
                    await r.read()
                    answers[r.status] = answers.get(r.status, 0) + 1

        await asyncio.gather(*(client() for _ in range(clients)))
    return answers


async def start_flood(base: str, clients: int, seconds: float) -> asyncio.subprocess.Process:
    """The flood in a process of its own, so this one's loop only measures."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--flood",
        base,
        "--clients",
        str(clients),
        "--seconds",
        str(seconds),
        stdout=asyncio.subprocess.PIPE,
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def row(label: str, latencies: list[float], rss: float, logins: str) -> list[object]:
    return [
        label,
        len(latencies),
        f"{statistics.median(latencies) * 1000:.1f}",
        f"{percentile(latencies, 0.99) * 1000:.1f}",
        f"{max(latencies) * 1000:.1f}",
        logins,
        f"{rss:.0f}",
    ]


async def main(seconds: float, clients: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        token = create_token(data_dir, "ingest")
        with BenchServer(data_dir, public_rate_per_minute=10_000_000) as server:
            await ingest_latencies(server.base, token, 1.0)  # warm up
            quiet = await ingest_latencies(server.base, token, seconds)
            rss_quiet = server.rss_mib()
            flood = await start_flood(server.base, clients, seconds + 2.0)
            await asyncio.sleep(1.0)  # the flood process starts and fills the pool's queue
            loaded = await ingest_latencies(server.base, token, seconds)
            rss_flood = server.rss_mib()
            out, _ = await flood.communicate()
            answers = {int(k): v for k, v in json.loads(out).items()}
            await asyncio.sleep(1.0)
            after = await ingest_latencies(server.base, token, seconds)
            rss_after = server.rss_mib()
    logins = ", ".join(f"{n} x {status}" for status, n in sorted(answers.items()))
    print(
        table(
            ["phase", "ingests", "p50 ms", "p99 ms", "max ms", "logins answered", "RSS MiB"],
            [
                row("quiet", quiet, rss_quiet, "-"),
                row(f"{clients} clients of wrong logins", loaded, rss_flood, logins),
                row("after", after, rss_after, "-"),
            ],
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--flood", metavar="BASE_URL", help="only flood BASE_URL with wrong logins")
    args = parser.parse_args()
    if args.flood:
        print(json.dumps(asyncio.run(flood_logins(args.flood, args.clients, args.seconds))))
    else:
        asyncio.run(main(args.seconds, args.clients))
