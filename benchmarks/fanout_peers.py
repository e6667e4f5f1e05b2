"""Fan-out side by side: the project's server against bare broadcasters, one harness.

    python benchmarks/fanout_peers.py [--displays 500 1000 2000] [--seconds 10] [--quick]

Every server gets the same load: displays are websocket clients spread over
``--processes`` processes, and one feed POSTs 1,000 actions/s (batches of 10 every
10 ms) and notes each acknowledgement's rev. Per (ack, display), the delay runs from
the acknowledgement to the display's receipt of the first totals frame at or after
that rev; every server coalesces totals to 20 frames/s the same way (at once when the
last went out 50 ms ago, else at the next slot). The servers:

* projector: ``server.py``, durable ingest (SQLite, group commit) and all;
* websockets: a bare broadcaster below on the ``websockets`` library and its
  ``broadcast()``, the feed on a second port (its server speaks only websocket);
* aiohttp: a bare broadcaster below, ``await ws.send_str()`` per display;
* socket.io: a Node server with the ``socket.io`` npm package, installed into a
  temporary directory for the run (skipped, with the reason, without Node or npm).

The bare servers store nothing; the projector's ack also waits for an fsync. The ack
is where the clock starts, so that cost is not in the delay, but it shares the CPU.
On 2 cores the clients compete with the server: the figures are upper bounds, and
only figures from the same run compare.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import bisect
import contextlib
import functools
import json
import multiprocessing as mp
import os
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier, Event
from pathlib import Path
from typing import Any

import aiohttp
import websockets
from aiohttp import web
from websockets.asyncio.server import broadcast, serve

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._server import ROOT, BenchServer, create_token, free_port, next_frame, table

RATE = 20.0  # totals frames per second, as the projector's default totals_rate
SEP = (",", ":")  # compact JSON, as every server here sends it


class _Totals:
    """What each bare server keeps: a count, a rev, and the 20/s coalescing of totals."""

    def __init__(self, send: Any) -> None:
        self.total = self.rev = 0
        self.send = send  # called with the encoded totals frame
        self.last = float("-inf")
        self.timer: asyncio.TimerHandle | None = None

    def record(self, n: int) -> dict[str, int]:
        self.total += n
        self.rev += 1
        wait = self.last + 1 / RATE - time.monotonic()
        if wait <= 0:
            self.flush()
        elif self.timer is None:
            self.timer = asyncio.get_running_loop().call_later(wait, self.flush)
        return {"accepted": n, "duplicates": 0, "rev": self.rev}

    def flush(self) -> None:
        self.timer, self.last = None, time.monotonic()
        self.send(
            json.dumps({"v": 1, "type": "totals", "total": self.total, "rev": self.rev}, separators=SEP)
        )

    def snapshot(self) -> str:
        return json.dumps({"v": 1, "type": "snapshot", "total": self.total, "rev": self.rev}, separators=SEP)


# --- a bare websockets broadcaster ------------------------------------------------------


async def serve_websockets(port: int, feed_port: int) -> None:
    clients: set[Any] = set()
    totals = _Totals(lambda text: broadcast(clients, text))

    async def display(ws: Any) -> None:
        await ws.recv()  # hello
        await ws.send(totals.snapshot())
        clients.add(ws)
        try:
            async for _ in ws:
                pass
        except websockets.ConnectionClosed:
            pass  # the harness hangs up without a closing handshake
        finally:
            clients.discard(ws)

    async def feed(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Just enough HTTP/1.1 for the feed: keep-alive POSTs with a Content-Length.
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while head := await reader.readuntil(b"\r\n\r\n"):
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                body = json.loads(await reader.readexactly(length))
                answer = json.dumps(totals.record(len(body["actions"]))).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(answer), answer)
                )

    feed_server = await asyncio.start_server(feed, "127.0.0.1", feed_port)
    async with serve(display, "127.0.0.1", port, compression=None), feed_server:
        await asyncio.Future()


# --- a bare aiohttp broadcaster ---------------------------------------------------------


async def serve_aiohttp(port: int) -> None:
    clients: set[web.WebSocketResponse] = set()

    async def broadcast(text: str) -> None:
        for ws in list(clients):
            try:
                await ws.send_str(text)
            except ConnectionError:
                clients.discard(ws)

    totals = _Totals(lambda text: asyncio.get_running_loop().create_task(broadcast(text)))

    async def display(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=False)
        await ws.prepare(request)
        await ws.receive()  # hello
        await ws.send_str(totals.snapshot())
        clients.add(ws)
        try:
            async for _ in ws:
                pass
        finally:
            clients.discard(ws)
        return ws

    async def actions(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response(totals.record(len(body["actions"])))

    app = web.Application()
    app.router.add_get("/ws", display)
    app.router.add_post("/api/v1/actions", actions)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    await asyncio.Future()


# --- a Node socket.io server --------------------------------------------------------------

SOCKETIO_SERVER = r"""
const http = require("http");
const { Server } = require("socket.io");
let total = 0, rev = 0, last = -Infinity, timer = null;
const server = http.createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    const n = JSON.parse(body).actions.length;
    total += n; rev += 1;
    const wait = last + 1000 / RATE - performance.now();
    if (wait <= 0) flush(); else if (timer === null) timer = setTimeout(flush, wait);
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify({ accepted: n, duplicates: 0, rev }));
  });
});
const io = new Server(server, { transports: ["websocket"], perMessageDeflate: false });
function flush() {
  timer = null; last = performance.now();
  io.to("displays").emit("totals", { v: 1, type: "totals", total, rev });
}
io.on("connection", (socket) => {
  socket.on("hello", () => {
    socket.emit("snapshot", { v: 1, type: "snapshot", total, rev });
    socket.join("displays");
  });
});
server.listen(Number(process.argv[2]), "127.0.0.1");
"""


def prepare_socketio(workdir: Path) -> tuple[Path | None, str]:
    """Install socket.io into ``workdir`` (never into the repository); (script, why not)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        return None, "node or npm not installed"
    try:
        subprocess.run(
            [npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(workdir), "socket.io@4"],
            check=True,
            capture_output=True,
            timeout=180,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        return None, f"npm install socket.io failed: {str(exc)[:120]}"
    script = workdir / "server.js"
    script.write_text(SOCKETIO_SERVER.replace("RATE", str(RATE)))
    return script, ""


# --- the client harness ---------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    port: int
    path: str
    socketio: bool
    hello: dict[str, Any]


class _RawDisplay(asyncio.Protocol):
    """An RFC 6455 client cut to what the measurement needs (so that 2,000 of them fit
    beside the server on 2 cores): says hello, answers pings, and notes (rev, arrival)
    of totals frames without decoding their JSON. For socket.io it speaks the few
    Engine.IO packets involved: open, connect, event, ping."""

    def __init__(self, target: Target, connected: asyncio.Future[None]) -> None:
        self.target = target
        self.connected = connected
        self.buffer = bytearray()
        self.upgraded = False
        self.snapshot = False
        self.received: list[tuple[int, float]] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        key = base64.b64encode(os.urandom(16)).decode()
        self.transport.write(
            f"GET {self.target.path} HTTP/1.1\r\nHost: 127.0.0.1:{self.target.port}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def connection_lost(self, exc: Exception | None) -> None:
        # Refused or closed before the snapshot (a connection cap, a crash): say so now,
        # not after the connect phase's two-minute wait.
        if not self.connected.done():
            reason = bytes(self.buffer[:200]).decode(errors="replace") or repr(exc)
            self.connected.set_exception(ConnectionError(f"closed before the snapshot: {reason}"))

    def send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        n = len(payload)
        header = bytes([0x80 | opcode]) + (
            bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n)
        )
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.transport.write(header + mask + masked)

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
            if not self.target.socketio:
                self.send(0x1, json.dumps(self.target.hello).encode())
        while (frame := next_frame(self.buffer)) is not None:
            opcode, payload = frame
            if opcode == 0x9:
                self.send(0xA, payload)
            elif opcode == 0x1:
                self.on_text(payload, now)

    def on_text(self, payload: bytes, now: float) -> None:
        if self.target.socketio:
            if payload.startswith(b"0{"):  # Engine.IO open: join the default namespace
                self.send(0x1, b"40")
                return
            if payload.startswith(b"40"):  # namespace connected: say hello
                self.send(0x1, b'42["hello",' + json.dumps(self.target.hello).encode() + b"]")
                return
            if payload == b"2":  # Engine.IO ping
                self.send(0x1, b"3")
                return
        if not self.snapshot:
            self.snapshot = True
            self.connected.set_result(None)
        elif b'"type":"totals"' in payload:
            at = payload.rfind(b'"rev":') + 6
            end = at
            while end < len(payload) and 48 <= payload[end] <= 57:
                end += 1
            self.received.append((int(payload[at:end]), now))


def _clients_process(
    target: Target, count: int, ready: Barrier, stop: Event, out: Queue[list[list[tuple[int, float]]]]
) -> None:
    async def run() -> list[list[tuple[int, float]]]:
        loop = asyncio.get_running_loop()
        displays = []
        for i in range(count):
            connected: asyncio.Future[None] = loop.create_future()
            hello = {**target.hello, "name": f"bench-{os.getpid()}-{i}"}
            one = Target(target.port, target.path, target.socketio, hello)
            _, display = await loop.create_connection(
                functools.partial(_RawDisplay, one, connected), "127.0.0.1", target.port
            )
            displays.append((display, connected))
            if i % 100 == 99:  # let the server accept before the listen backlog fills
                await asyncio.sleep(0.01)
        try:
            await asyncio.wait_for(asyncio.gather(*(c for _, c in displays)), 120)
        except BaseException:
            ready.abort()  # the harness stops at once rather than after its own timeout
            raise
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


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    p50: float
    p99: float
    rate: float
    missing: int
    cpu: float
    #: Share of (ack, display) pairs where the display had the totals before the
    #: feed had the ack (the delay counts as 0): the frame went out with no wait.
    early: float


def measure(
    target: Target, feed: str, token: str, pid: int, displays: int, args: argparse.Namespace
) -> Result:
    ready = mp.Barrier(args.processes + 1)
    stop = mp.Event()
    out: Queue[list[list[tuple[int, float]]]] = mp.Queue()
    share = [displays // args.processes + (i < displays % args.processes) for i in range(args.processes)]
    procs = [mp.Process(target=_clients_process, args=(target, n, ready, stop, out)) for n in share]
    for p in procs:
        p.start()
    try:
        ready.wait(timeout=180)
        time.sleep(1.0)
        cpu_before = cpu_seconds(pid)
        acks = asyncio.run(drive(feed, token, args.rate, args.seconds))
        cpu = (cpu_seconds(pid) - cpu_before) / args.seconds
        time.sleep(1.0)  # let the last totals arrive
        stop.set()
        results = [c for _ in procs for c in out.get(timeout=120)]
    finally:
        stop.set()
        for p in procs:
            p.join(30)
            if p.is_alive():
                p.kill()
    delays: list[float] = []
    missing = early = 0
    sample = acks[:: max(1, len(acks) // 200)]
    for received in results:
        revs = [r for r, _ in received]
        for t_ack, rev in sample:
            i = bisect.bisect_left(revs, rev)
            if i == len(revs):
                missing += 1
                continue
            early += received[i][1] <= t_ack
            delays.append(max(0.0, received[i][1] - t_ack) * 1000)
    q = statistics.quantiles(delays, n=100)
    frames = sum(len(r) for r in results)
    return Result(q[49], q[98], frames / len(results) / args.seconds, missing, cpu, early / len(delays))


def wait_for_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_projector(displays: int, args: argparse.Namespace, tmp: Path, root: Path = ROOT) -> Result:
    data_dir = tmp / f"projector-{displays}-{root.name}"
    display_token = create_token(data_dir, "display", root)
    ingest_token = create_token(data_dir, "ingest", root)
    # Every client comes from 127.0.0.1: lift the per-address cap (1,024 by default),
    # as a venue whose displays share one NAT address would.
    with BenchServer(data_dir, root, log_level="ERROR", max_connections_per_address=4 * displays) as server:
        assert server.proc is not None
        hello = {"v": 1, "type": "hello", "token": display_token, "protocol": 1, "resolution": [1920, 1080]}
        target = Target(server.port, "/ws", False, hello)
        return measure(target, server.base, ingest_token, server.proc.pid, displays, args)


def run_bare(kind: str, displays: int, args: argparse.Namespace, socketio_script: Path | None) -> Result:
    port = free_port()
    feed_port = port
    hello = {"v": 1, "type": "hello", "token": "-", "protocol": 1, "resolution": [1920, 1080]}
    if kind == "socket.io":
        assert socketio_script is not None
        command = ["node", str(socketio_script), str(port)]
        target = Target(port, "/socket.io/?EIO=4&transport=websocket", True, hello)
    else:
        if kind == "websockets":
            feed_port = free_port()
        command = [
            sys.executable,
            __file__,
            "--serve",
            kind,
            "--port",
            str(port),
            "--feed-port",
            str(feed_port),
        ]
        target = Target(port, "/ws", False, hello)
    proc = subprocess.Popen(command, cwd=Path(__file__).resolve().parent)
    try:
        wait_for_port(port, proc)
        wait_for_port(feed_port, proc)
        return measure(target, f"http://127.0.0.1:{feed_port}", "-", proc.pid, displays, args)
    finally:
        stop_process(proc)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--displays", type=int, nargs="+", default=[500, 1000, 2000])
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--rate", type=float, default=1000.0, help="actions/s posted")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--servers", nargs="+", default=["projector", "websockets", "aiohttp", "socket.io"])
    parser.add_argument("--quick", action="store_true", help="200 displays, 3 s: a smoke run")
    parser.add_argument(
        "--before", type=Path, help="another checkout: its server.py runs as 'projector before', same harness"
    )
    parser.add_argument("--serve", choices=["websockets", "aiohttp"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--feed-port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve == "websockets":
        asyncio.run(serve_websockets(args.port, args.feed_port))
        return
    if args.serve == "aiohttp":
        asyncio.run(serve_aiohttp(args.port))
        return
    if args.quick:
        args.displays, args.seconds = [200], 3.0
    rows: list[list[object]] = []
    skipped: list[str] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        socketio_script = None
        if "socket.io" in args.servers:
            socketio_script, why = prepare_socketio(tmp / "socketio")
            if socketio_script is None:
                skipped.append(f"socket.io: skipped ({why})")
        for displays in args.displays:
            results: dict[str, Result] = {}
            for kind in args.servers:
                if kind == "socket.io" and socketio_script is None:
                    continue
                if kind == "projector":
                    if args.before is not None:
                        results["projector before"] = run_projector(
                            displays, args, tmp, args.before.resolve()
                        )
                    results[kind] = run_projector(displays, args, tmp)
                else:
                    results[kind] = run_bare(kind, displays, args, socketio_script)
                print(f"  {displays} displays, {kind}: done", file=sys.stderr, flush=True)
            base = results.get("websockets")
            for kind, r in results.items():
                rows.append(
                    [
                        f"{displays:,}",
                        kind,
                        f"{r.p50:.0f} ms",
                        f"{r.p99:.0f} ms",
                        f"{r.p99 / base.p99:.2f}" if base else "-",
                        f"{r.rate:.1f}",
                        f"{r.missing}",
                        f"{100 * r.early:.0f} %",
                        f"{r.cpu:.2f}",
                    ]
                )
    print(
        f"{args.rate:,.0f} actions/s for {args.seconds:g} s, totals at {RATE:g}/s, "
        f"clients in {args.processes} processes"
    )
    print(
        table(
            [
                "displays",
                "server",
                "ack->receipt p50",
                "p99",
                "p99 / websockets",
                "totals/display/s",
                "missed",
                "before ack",
                "server CPU",
            ],
            rows,
        )
    )
    for line in skipped:
        print(line)


if __name__ == "__main__":
    main()
