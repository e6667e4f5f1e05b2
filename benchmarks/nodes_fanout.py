"""Fan-out over several nodes: displays spread over 3 nodes on one PostgreSQL, actions at 1,000/s.

    python benchmarks/nodes_fanout.py [--displays 3000] [--nodes 3] [--rate 1000] [--seconds 10]

A throwaway PostgreSQL cluster (durable defaults, loopback TCP) and ``--nodes`` real
``projector serve`` processes on it. Display ``i`` connects to node ``i % nodes``: light
websocket clients (``benchmarks/_nodes.py``) speaking the display protocol, spread over
``--processes`` processes. One feed POSTs ``--rate`` actions/s in batches of 10 every 10 ms,
round robin over the nodes, and notes each acknowledgement's rev (the log's global revision,
the same on every node).

For each acknowledgement and each display, the delay runs from the acknowledgement to the
display's receipt of the first totals frame at or after that rev: an action taken on node A
reaches a display on node C through A's commit, the ``NOTIFY``, C's follower reading the event
log, and C's hub. Per node: CPU (1.0 = one core) and RSS under load. Every process shares one
monotonic clock. On a 2-core machine the displays, the feed, PostgreSQL and the nodes compete for
the same two cores: the figures are an upper bound.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import multiprocessing as mp
import sys
import tempfile
import time
import uuid
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from multiprocessing.synchronize import Event as MpEvent
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._nodes import Node, fresh_database, open_displays, postgres, quantile
from benchmarks._server import create_token, table


def _displays_process(
    servers: list[tuple[str, int]],
    token: str,
    indexes: list[int],
    ready: Barrier,
    stop: MpEvent,
    out: Queue[list[tuple[int, int, list[tuple[int, float]]]]],
) -> None:
    async def run() -> list[tuple[int, int, list[tuple[int, float]]]]:
        displays = await open_displays(servers, token, len(indexes), lambda k: indexes[k] % len(servers))
        await asyncio.get_running_loop().run_in_executor(None, ready.wait)
        while not stop.is_set():
            await asyncio.sleep(0.1)
        for d in displays:
            d.close()
        return [(d.turn % len(servers), d.seen.backward, d.seen.totals) for d in displays]

    out.put(asyncio.run(run()))


async def feed(bases: list[str], token: str, rate: float, seconds: float) -> list[tuple[float, int]]:
    """POST ``rate`` actions/s in batches of 10, round robin over ``bases``; (ack time, rev) each."""
    acks: list[tuple[float, int]] = []
    per_request = 10
    interval = per_request / rate
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:

        async def post(base: str) -> None:
            rows = [{"id": uuid.uuid4().hex, "channel": "email", "country": "FR"} for _ in range(per_request)]
            async with http.post(base + "/api/v1/actions", json={"actions": rows}) as r:
                answer = await r.json()
            acks.append((time.monotonic(), answer["rev"]))

        start = time.monotonic()
        posts = []
        k = 0
        while time.monotonic() - start < seconds:
            posts.append(asyncio.create_task(post(bases[k % len(bases)])))
            k += 1
            await asyncio.sleep(max(0.0, start + k * interval - time.monotonic()))
        await asyncio.gather(*posts)
    return acks


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--displays", type=int, default=3000)
    parser.add_argument("--nodes", type=int, default=3)
    parser.add_argument("--processes", type=int, default=3, help="processes the displays run in")
    parser.add_argument("--rate", type=float, default=1000.0, help="actions/s")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with postgres() as cluster, tempfile.TemporaryDirectory(prefix="projector-bench-") as tmp:
        url = fresh_database(cluster)
        data = Path(tmp)
        display = create_token(data / "node-0", "display", database=url)
        ingest = create_token(data / "node-0", "ingest", database=url)
        nodes = [Node(data / f"node-{i}", url) for i in range(args.nodes)]
        try:
            for node in nodes:
                node.__enter__()
            rss_idle = [n.rss_mib() for n in nodes]
            servers = [("127.0.0.1", n.port) for n in nodes]
            ready = mp.Barrier(args.processes + 1)
            stop = mp.Event()
            out: Queue[list[tuple[int, int, list[tuple[int, float]]]]] = mp.Queue()
            # Contiguous chunks: each process holds displays of every node, so a slow process
            # does not show up as a slow node.
            chunks = [
                list(range(k * args.displays // args.processes, (k + 1) * args.displays // args.processes))
                for k in range(args.processes)
            ]
            procs = [
                mp.Process(
                    target=_displays_process,
                    args=(servers, display, chunks[p], ready, stop, out),
                )
                for p in range(args.processes)
            ]
            for p in procs:
                p.start()
            ready.wait(timeout=300)
            time.sleep(1.0)
            rss_connected = [n.rss_mib() for n in nodes]
            cpu_before = [n.cpu_seconds() for n in nodes]
            began = time.monotonic()
            acks = asyncio.run(feed([n.base for n in nodes], ingest, args.rate, args.seconds))
            ended = time.monotonic()
            cpu = [(n.cpu_seconds() - c) / (ended - began) for n, c in zip(nodes, cpu_before, strict=True)]
            rss_loaded = [n.rss_mib() for n in nodes]
            time.sleep(1.5)  # the last totals, and a follower's longest wait
            stop.set()
            results = [r for _ in procs for r in out.get(timeout=120)]
            for p in procs:
                p.join(30)
        finally:
            for node in nodes:
                node.__exit__(None, None, None)
    sample = acks[:: max(1, len(acks) // 200)]
    delays: list[float] = []
    by_node: dict[int, list[float]] = {}
    missing = backward = frames = 0
    for on, back, received in results:
        backward += back
        # Frames per second over the feed's real span (it outlasts --seconds when the nodes lag).
        frames += sum(1 for _, t in received if began <= t <= ended)
        revs = [r for r, _ in received]
        for t_ack, rev in sample:
            i = bisect.bisect_left(revs, rev)
            if i == len(revs):
                missing += 1
                continue
            delay = max(0.0, received[i][1] - t_ack) * 1000
            delays.append(delay)
            by_node.setdefault(on, []).append(delay)
    rows: list[list[object]] = [
        [
            "displays connected (per node)",
            f"{len(results):,} ({', '.join(str(sum(1 for r in results if r[0] == i)) for i in range(args.nodes))})",
            "3,000",
        ],
        [
            "actions/s posted (batches of 10, round robin)",
            f"{len(acks) * 10 / (ended - began):,.0f}",
            "1,000",
        ],
        [
            "totals frames per display per s",
            f"{frames / max(1, len(results)) / (ended - began):.1f}",
            "<= 20",
        ],
        ["ack -> display receipt p50", f"{quantile(delays, 0.5):.1f} ms", ""],
        ["ack -> display receipt p99", f"{quantile(delays, 0.99):.1f} ms", "<= 100 ms"],
        ["ack -> display receipt max", f"{max(delays, default=float('nan')):.1f} ms", ""],
        ["(ack, display) pairs measured / never received", f"{len(delays):,} / {missing}", "0 missing"],
        ["backward totals seen", f"{backward}", "0"],
    ]
    for i in range(len(nodes)):
        d = by_node.get(i, [])
        rows.append(
            [
                f"node {i}: p50 / p99, CPU, RSS idle -> displays -> load",
                f"{quantile(d, 0.5):.1f} / {quantile(d, 0.99):.1f} ms, {cpu[i]:.2f}, "
                f"{rss_idle[i]:.0f} -> {rss_connected[i]:.0f} -> {rss_loaded[i]:.0f} MiB",
                "",
            ]
        )
    print(table(["measure", "value", "aim"], rows))


if __name__ == "__main__":
    main()
