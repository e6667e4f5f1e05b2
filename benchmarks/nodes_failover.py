"""Failover: a node killed under its displays; how long until each is on another node, current.

    python benchmarks/nodes_failover.py [--displays 1000] [--rate 100] [--before 3] [--after 12]

A throwaway PostgreSQL cluster (durable defaults, loopback TCP) and three real ``projector
serve`` nodes on it (A, B, C). ``--displays`` light displays (``benchmarks/_nodes.py``) all
connect to A, each given the three servers, A first, the two others in an order that
alternates from display to display (``--same-order``: B then C for all, as displays configured
alike with ``--server a,b,c`` would be). They fail over with the real display's policy: the
next server at once, then the one after, and a full-jitter backoff only after a whole round
failed (``projector.display.link``). A feed POSTs ``--rate`` actions/s round robin through
A, B and C all along (A's share fails once it is dead), so the show moves on while A dies and
A acknowledges actions up to its last moment.

After ``--before`` seconds A gets SIGKILL. The revision to reach is the highest one
acknowledged before the kill; for each display, the time from the kill until it holds a
snapshot from another node and a revision at or after that one (from that snapshot or a totals
frame after it). Backward totals (a total lower than one the display already had, across the
reconnection) must be 0, and so must stale snapshots (a snapshot older than a revision the
display already had). Afterwards every running node's total must equal the actions in the
database and the acknowledged ones. On a 2-core machine the displays, the feed, PostgreSQL and
the nodes share the cores: the figures are an upper bound.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import astuple
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from multiprocessing.synchronize import Event as MpEvent
from pathlib import Path
from typing import Any

import aiohttp
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._nodes import LightDisplay, Node, Seen, fresh_database, hello, postgres, quantile
from benchmarks._server import create_token, table

Result = tuple[Any, ...]  # Seen as a tuple: snapshots, totals, cues, backward, last_total, last_rev


def _displays_process(
    servers: list[tuple[str, int]],
    token: str,
    indexes: list[int],
    same_order: bool,
    ready: Barrier,
    stop: MpEvent,
    out: Queue[list[Result]],
) -> None:
    async def run() -> list[Result]:
        displays = []
        for k, i in enumerate(indexes):
            others = servers[1:] if same_order or i % 2 == 0 else servers[:0:-1]
            display = LightDisplay([servers[0], *others], 0, hello(token, f"wall-{i}"), Seen())
            display.start()
            displays.append(display)
            if k % 50 == 49:
                await asyncio.sleep(0.02)
        await asyncio.gather(*(d.connected for d in displays))
        await asyncio.get_running_loop().run_in_executor(None, ready.wait)
        while not stop.is_set():
            await asyncio.sleep(0.1)
        for d in displays:
            d.close()
        return [astuple(d.seen) for d in displays]

    out.put(asyncio.run(run()))


async def feed(bases: list[str], token: str, rate: float, seconds: float) -> list[tuple[float, int, int]]:
    """POST ``rate`` actions/s in batches of 10 round robin over ``bases``: (ack time, rev, accepted)."""
    acks: list[tuple[float, int, int]] = []
    interval = 10 / rate
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:

        async def post(base: str) -> None:
            rows = [{"id": uuid.uuid4().hex, "channel": "sms", "country": "KE"} for _ in range(10)]
            try:
                async with http.post(base + "/api/v1/actions", json={"actions": rows}) as r:
                    answer = await r.json()
            except aiohttp.ClientError:
                return  # the killed node: not acknowledged (a real sender retries elsewhere)
            if r.status == 200:
                acks.append((time.monotonic(), answer["rev"], answer["accepted"]))

        start = time.monotonic()
        posts = []
        k = 0
        while time.monotonic() - start < seconds:
            posts.append(asyncio.create_task(post(bases[k % len(bases)])))
            k += 1
            await asyncio.sleep(max(0.0, start + k * interval - time.monotonic()))
        await asyncio.gather(*posts)
    return acks


async def scenario(
    victim: Node, bases: list[str], token: str, args: argparse.Namespace
) -> tuple[float, list[tuple[float, int, int]]]:
    feeding = asyncio.create_task(feed(bases, token, args.rate, args.before + args.after))
    await asyncio.sleep(args.before)
    killed_at = time.monotonic()
    victim.kill()
    return killed_at, await feeding


def recovery(seen: Seen, killed_at: float, victim_port: int, target: int) -> float | None:
    """Seconds from the kill until the display is on another node at revision ``target`` or later."""
    after = [s for s in seen.snapshots if s[0] > killed_at and s[1] != victim_port]
    if not after:
        return None
    connected, _, rev, _ = after[0]
    if rev >= target:
        return connected - killed_at
    later = [t for r, t in seen.totals if r >= target and t >= connected]
    return (later[0] - killed_at) if later else None


def total_of(base: str) -> int:
    with urllib.request.urlopen(base + "/api/v1/totals", timeout=10) as r:
        return int(json.loads(r.read())["total"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--displays", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=2, help="processes the displays run in")
    parser.add_argument("--rate", type=float, default=100.0, help="actions/s through the nodes meanwhile")
    parser.add_argument("--before", type=float, default=3.0, help="seconds of feed before the kill")
    parser.add_argument("--after", type=float, default=12.0, help="seconds of feed after the kill")
    parser.add_argument("--same-order", action="store_true", help="every display lists B before C")
    args = parser.parse_args()
    with postgres() as cluster, tempfile.TemporaryDirectory(prefix="projector-bench-") as tmp:
        url = fresh_database(cluster)
        data = Path(tmp)
        display = create_token(data / "a", "display", database=url)
        ingest = create_token(data / "a", "ingest", database=url)
        nodes = [Node(data / name, url) for name in "abc"]
        try:
            for node in nodes:
                node.__enter__()
            servers = [("127.0.0.1", n.port) for n in nodes]
            ready = mp.Barrier(args.processes + 1)
            stop = mp.Event()
            out: Queue[list[Result]] = mp.Queue()
            procs = [
                mp.Process(
                    target=_displays_process,
                    args=(
                        servers,
                        display,
                        list(range(p, args.displays, args.processes)),
                        args.same_order,
                        ready,
                        stop,
                        out,
                    ),
                )
                for p in range(args.processes)
            ]
            for p in procs:
                p.start()
            ready.wait(timeout=300)
            killed_at, acks = asyncio.run(scenario(nodes[0], [n.base for n in nodes], ingest, args))
            time.sleep(1.5)  # the last totals, and a follower's longest wait
            stop.set()
            results = [Seen(*r) for _ in procs for r in out.get(timeout=120)]
            for p in procs:
                p.join(30)
            running = [total_of(n.base) for n in nodes[1:]]
            with psycopg.connect(url) as conn:
                row = conn.execute("SELECT count(*) FROM actions").fetchone()
            in_db = int(row[0]) if row else 0
        finally:
            for node in nodes:
                node.__exit__(None, None, None)
    target = max((rev for t, rev, _ in acks if t < killed_at), default=0)
    ports = [port for _, port in servers]
    times = [recovery(s, killed_at, ports[0], target) for s in results]
    done = sorted(t * 1000 for t in times if t is not None)
    landed = [next((s[1] for s in r.snapshots if s[0] > killed_at), None) for r in results]
    stale = sum(
        1
        for r in results
        for k, s in enumerate(r.snapshots)
        if k > 0 and s[2] < max([x[2] for x in r.snapshots[:k]] + [rev for rev, t in r.totals if t < s[0]])
    )
    acked = sum(n for _, _, n in acks)
    print(
        table(
            ["measure", "value", "aim"],
            [
                ["displays on A when it was killed", f"{len(results):,}", "1,000"],
                ["... then on B / C", f"{landed.count(ports[1])} / {landed.count(ports[2])}", ""],
                ["actions/s through A, B and C meanwhile", f"{args.rate:,.0f}", ""],
                ["revision to reach (last acknowledged before the kill)", f"{target}", ""],
                ["displays on another node at that revision", f"{len(done)} / {len(results)}", "all"],
                ["kill -> on another node, current, p50", f"{quantile(done, 0.5):,.0f} ms", ""],
                ["kill -> on another node, current, p99", f"{quantile(done, 0.99):,.0f} ms", "<= 5,000 ms"],
                ["kill -> on another node, current, max", f"{max(done, default=float('nan')):,.0f} ms", ""],
                ["backward totals seen", f"{sum(r.backward for r in results)}", "0"],
                ["stale snapshots (older than a revision already held)", f"{stale}", "0"],
                [
                    "actions acknowledged / in the database / total on B, C",
                    f"{acked:,} / {in_db:,} / {', '.join(f'{t:,}' for t in running)}",
                    "all equal",
                ],
            ],
        )
    )


if __name__ == "__main__":
    main()
