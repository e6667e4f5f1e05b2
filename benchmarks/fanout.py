"""Fan-out delay: 1,000 connected displays while actions arrive at 1,000/s.

    python benchmarks/fanout.py [--clients 1000] [--rate 1000] [--seconds 10]

For each acknowledged POST (its answer carries the rev of the totals that
include it) and each display, the delay is from the acknowledgement to the
display's receipt of the first totals frame at or after that rev. The displays
are websocket clients spread over several processes on the same machine (a
monotonic clock shared by all processes), so on 2 cores they compete with the
server for CPU: the figures are an upper bound.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import bisect
import functools
import json
import multiprocessing as mp
import os
import statistics
import struct
import sys
import tempfile
import time
import uuid
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier, Event
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._server import BenchServer, create_token, next_frame, table


class _RawDisplay(asyncio.Protocol):
    """A display reduced to what the measurement needs, so that 1,000 of them fit
    in a few processes beside the server on 2 cores: an RFC 6455 client that
    says hello, answers pings and notes (rev, arrival time) of totals frames
    without decoding their JSON."""

    def __init__(self, host: str, port: int, hello: bytes, connected: asyncio.Future[None]) -> None:
        self.request = (
            f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
        self.hello = hello
        self.connected = connected
        self.buffer = bytearray()
        self.upgraded = False
        self.snapshot = False
        self.received: list[tuple[int, float]] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        transport.write(self.request)  # type: ignore[attr-defined]

    def send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        n = len(payload)
        header = bytes([0x80 | opcode]) + (
            bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n)
        )
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.transport.write(header + mask + masked)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            assert self.buffer.startswith(b"HTTP/1.1 101"), bytes(self.buffer[:80])
            del self.buffer[: end + 4]
            self.upgraded = True
            self.send(0x1, self.hello)
        while (frame := next_frame(self.buffer)) is not None:
            opcode, payload = frame
            if opcode == 0x9:
                self.send(0xA, payload)
            elif opcode == 0x1:
                if not self.snapshot:
                    self.snapshot = True
                    self.connected.set_result(None)
                elif payload.startswith(b'{"v":1,"type":"totals"'):
                    at = payload.rfind(b'"rev":')
                    end = payload.find(b",", at)
                    self.received.append((int(payload[at + 6 : end if end > 0 else -1]), now))


def _clients_process(
    port: int,
    token: str,
    count: int,
    ready: Barrier,
    stop: Event,
    out: Queue[list[list[tuple[int, float]]]],
) -> None:
    async def run() -> list[list[tuple[int, float]]]:
        loop = asyncio.get_running_loop()
        displays = []
        for i in range(count):
            hello = json.dumps(
                {
                    "v": 1,
                    "type": "hello",
                    "name": f"bench-{i}",
                    "token": token,
                    "protocol": 1,
                    "resolution": [1920, 1080],
                }
            ).encode()
            connected: asyncio.Future[None] = loop.create_future()
            _, display = await loop.create_connection(
                functools.partial(_RawDisplay, "127.0.0.1", port, hello, connected), "127.0.0.1", port
            )
            displays.append((display, connected))
        await asyncio.gather(*(c for _, c in displays))
        await loop.run_in_executor(None, ready.wait)
        while not stop.is_set():
            await asyncio.sleep(0.1)
        return [d.received for d, _ in displays]

    out.put(asyncio.run(run()))


async def drive(base: str, token: str, rate: float, seconds: float) -> list[tuple[float, int]]:
    """POST actions at ``rate``/s in batches of 10 every 10 ms; return (ack time, rev)."""
    acks: list[tuple[float, int]] = []
    per_request = 10
    interval = per_request / rate
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:

        async def post() -> None:
            rows = [{"id": uuid.uuid4().hex, "channel": "email", "country": "FR"} for _ in range(per_request)]
            async with http.post(base + "/api/v1/actions", json={"actions": rows}) as r:
                body = await r.json()
            acks.append((time.monotonic(), body["rev"]))

        start = time.monotonic()
        tasks = []
        k = 0
        while time.monotonic() - start < seconds:
            tasks.append(asyncio.create_task(post()))
            k += 1
            await asyncio.sleep(max(0.0, start + k * interval - time.monotonic()))
        await asyncio.gather(*tasks)
    return acks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        display = create_token(data_dir, "display")
        ingest = create_token(data_dir, "ingest")
        with BenchServer(data_dir) as server:
            rss_idle = server.rss_mib()
            ready = mp.Barrier(args.processes + 1)
            stop = mp.Event()
            out: Queue[list[list[tuple[int, float]]]] = mp.Queue()
            share = [
                args.clients // args.processes + (i < args.clients % args.processes)
                for i in range(args.processes)
            ]
            procs = [
                mp.Process(target=_clients_process, args=(server.port, display, n, ready, stop, out))
                for n in share
            ]
            for p in procs:
                p.start()
            ready.wait(timeout=120)
            time.sleep(1.0)
            rss_connected = server.rss_mib()
            cpu_before = server.cpu_seconds()
            acks = asyncio.run(drive(server.base, ingest, args.rate, args.seconds))
            server_cpu = (server.cpu_seconds() - cpu_before) / args.seconds
            rss_loaded = server.rss_mib()
            time.sleep(1.0)  # let the last totals arrive
            stop.set()
            results = [c for _ in procs for c in out.get(timeout=60)]
            for p in procs:
                p.join(30)
    delays: list[float] = []
    missing = 0
    sample = acks[:: max(1, len(acks) // 200)]
    for received in results:
        revs = [r for r, _ in received]
        for t_ack, rev in sample:
            i = bisect.bisect_left(revs, rev)
            if i == len(revs):
                missing += 1
                continue
            delays.append(max(0.0, received[i][1] - t_ack) * 1000)
    delays.sort()
    frames = sum(len(r) for r in results)
    per_client_rate = frames / len(results) / args.seconds
    q = statistics.quantiles(delays, n=100)
    print(
        table(
            ["measure", "value", "aim"],
            [
                ["displays connected", f"{len(results)}", ""],
                ["actions/s posted (batches of 10)", f"{len(acks) * 10 / args.seconds:,.0f}", "1,000"],
                ["totals frames per display per s", f"{per_client_rate:.1f}", "<= 20"],
                ["ack -> display receipt p50", f"{q[49]:.1f} ms", ""],
                ["ack -> display receipt p99", f"{q[98]:.1f} ms", "<= 100 ms"],
                ["ack -> display receipt max", f"{delays[-1]:.1f} ms", ""],
                [
                    "(ack, display) pairs measured / never received",
                    f"{len(delays):,} / {missing}",
                    "0 missing",
                ],
                ["server CPU under load (1.0 = one core)", f"{server_cpu:.2f}", ""],
                ["server RSS idle", f"{rss_idle:.0f} MiB", ""],
                ["server RSS, displays connected", f"{rss_connected:.0f} MiB", ""],
                ["server RSS, under load", f"{rss_loaded:.0f} MiB", ""],
            ],
        )
    )


if __name__ == "__main__":
    main()
