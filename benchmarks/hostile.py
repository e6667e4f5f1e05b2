"""The server under hostile load: /healthz and single-action ingest latency while each attack runs.

    python benchmarks/hostile.py [--seconds 6] [--before DIR]

For each attack, on a fresh real server process: a quiet phase (the probes alone),
then the same probes while the attack runs, then a rest. Probes: one client GETs
/healthz and another POSTs one action per request, each back to back; p50/p99 of
each. Server RSS and open files are read before, during and after.

Attacks (each from its own processes or sockets, as a stranger would):

* idle sockets: thousands of connections from 127.0.0.2 that send one byte and stop;
* slow panel: a panel websocket that never reads, under a show that makes pushes big;
* login flood: 16 clients posting wrong passwords;
* huge SMS: signed Twilio webhooks with an 8 MB body.

``--before DIR`` runs the same on another checkout (``git worktree add DIR <commit>``)
and prints both tables; the aim (issue 15) is ingest p99 under attack within 3x of quiet.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._server import create_token, free_port, table

ROOT = Path(__file__).resolve().parent.parent
TWILIO_TOKEN = "bench-twilio-token"


class Server:
    def __init__(self, root: Path, data_dir: Path) -> None:
        self.root = root
        self.data_dir = data_dir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {
            **os.environ,
            "PROJECTOR_LOG_LEVEL": "ERROR",
            "PROJECTOR_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "PROJECTOR_PUBLIC_RATE_PER_MINUTE": "100000",
        }
        self.proc = subprocess.Popen(
            [sys.executable, "server.py", "--port", str(self.port), "--data-dir", str(self.data_dir)],
            cwd=self.root,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(15)

    def rss_mib(self) -> float:
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def open_files(self) -> int:
        assert self.proc is not None
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))


async def probe(server: Server, ingest: str, seconds: float) -> tuple[list[float], list[float], int]:
    """/healthz and single-action POST latencies (ms), back to back for ``seconds``; and failures."""
    health: list[float] = []
    posts: list[float] = []
    failures = 0
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        stop = time.perf_counter() + seconds

        async def healthz() -> None:
            nonlocal failures
            while time.perf_counter() < stop:
                t = time.perf_counter()
                try:
                    async with http.get(server.base + "/healthz") as r:
                        await r.read()
                        ok = r.status == 200
                except (aiohttp.ClientError, TimeoutError):
                    ok = False
                failures += not ok
                health.append((time.perf_counter() - t) * 1000)
                await asyncio.sleep(0.01)

        async def post() -> None:
            nonlocal failures
            headers = {"Authorization": f"Bearer {ingest}"}
            while time.perf_counter() < stop:
                action = {"id": uuid.uuid4().hex, "channel": "sms", "country": "KE"}
                t = time.perf_counter()
                try:
                    async with http.post(server.base + "/api/v1/actions", json=action, headers=headers) as r:
                        await r.read()
                        ok = r.status == 200
                except (aiohttp.ClientError, TimeoutError):
                    ok = False
                failures += not ok
                posts.append((time.perf_counter() - t) * 1000)
                await asyncio.sleep(0.01)

        await asyncio.gather(healthz(), post())
    return health, posts, failures


# --- attacks: each runs until ``stop`` is set ------------------------------------------------


async def idle_sockets(server: Server, stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    held: list[socket.socket] = []
    try:
        while not stop.is_set():
            for _ in range(200):
                s = socket.socket()
                s.setblocking(False)
                try:
                    s.bind(("127.0.0.2", 0))
                    await loop.sock_connect(s, ("127.0.0.1", server.port))
                    await loop.sock_sendall(s, b"G")
                    held.append(s)
                except OSError:
                    s.close()
            if len(held) > 5000:  # keep our own descriptors in bounds; the server sees a steady stream
                for s in held[:1000]:
                    s.close()
                del held[:1000]
            await asyncio.sleep(0.05)
    finally:
        for s in held:
            s.close()


async def slow_panel(server: Server, stop: asyncio.Event, operator: str) -> None:
    cues = [{"id": f"c{i}", "scene": "totals", "label": "x" * 200} for i in range(500)]
    async with aiohttp.ClientSession() as http:
        await http.put(
            server.base + "/api/v1/show", json={"cues": cues}, headers={"Authorization": f"Bearer {operator}"}
        )
    loop = asyncio.get_running_loop()
    stuck = socket.socket()
    stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.setblocking(False)
    await loop.sock_connect(stuck, ("127.0.0.1", server.port))
    key = base64.b64encode(os.urandom(16)).decode()
    await loop.sock_sendall(
        stuck,
        (
            "GET /api/v1/panel/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {operator}\r\n\r\n"
        ).encode(),
    )
    await stop.wait()
    stuck.close()


async def login_flood(server: Server, stop: asyncio.Event) -> None:
    async with aiohttp.ClientSession() as http:

        async def one(k: int) -> None:
            while not stop.is_set():
                try:
                    async with http.post(
                        server.base + "/api/v1/login",
                        json={"username": "admin", "password": f"wrong-{k}"},
                    ) as r:
                        await r.read()
                except aiohttp.ClientError:
                    await asyncio.sleep(0.01)

        await asyncio.gather(*(one(k) for k in range(16)))


async def huge_sms(server: Server, stop: asyncio.Event) -> None:
    # Signed as Twilio signs (sha1 HMAC over the URL and the sorted parameters), with the benchmark's
    # own code, so the same script measures a checkout whose modules differ.
    url = server.base + "/api/v1/sms/twilio"
    async with aiohttp.ClientSession() as http:
        n = 0
        while not stop.is_set():
            n += 1
            params = {
                "MessageSid": f"SMhuge{n}",
                "From": "+905321234567",
                "To": "+1",
                "Body": "x" * 8_000_000,
            }
            signature = _twilio_signature(url, params)
            try:
                async with http.post(url, data=params, headers={"X-Twilio-Signature": signature}) as r:
                    await r.read()
            except aiohttp.ClientError:
                await asyncio.sleep(0.05)


def _twilio_signature(url: str, params: dict[str, str]) -> str:
    payload = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(TWILIO_TOKEN.encode(), payload.encode(), hashlib.sha1).digest()).decode()


Attack = Callable[[Server, asyncio.Event, dict[str, str]], Awaitable[None]]
ATTACKS: dict[str, Attack] = {
    "idle sockets": lambda s, e, t: idle_sockets(s, e),
    "slow panel": lambda s, e, t: slow_panel(s, e, t["operator"]),
    "login flood": lambda s, e, t: login_flood(s, e),
    "huge SMS": lambda s, e, t: huge_sms(s, e),
}


def _attack_process(name: str, port: int, tokens: dict[str, str], stop: Any) -> None:
    """The child process: run one attack against the server on ``port`` until ``stop`` is set."""

    async def main() -> None:
        server = Server(ROOT, Path("/nonexistent"))
        server.port, server.base = port, f"http://127.0.0.1:{port}"
        done = asyncio.Event()

        async def watch() -> None:
            while not stop.is_set():
                await asyncio.sleep(0.05)
            done.set()

        watcher = asyncio.create_task(watch())
        await ATTACKS[name](server, done, tokens)
        await watcher

    asyncio.run(main())


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run_one(root: Path, name: str, seconds: float) -> list[str]:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        tokens = {scope: create_token(data, scope) for scope in ("ingest", "operator")}
        server = Server(root, data)
        server.start()
        try:
            await probe(server, tokens["ingest"], 1.0)  # warm up
            before = (server.rss_mib(), server.open_files())
            quiet_h, quiet_p, _ = await probe(server, tokens["ingest"], seconds)
            # The attack runs in a process of its own, as a stranger's would: its CPU is not the probes'.
            stop = multiprocessing.Event()
            attacker = multiprocessing.Process(target=_attack_process, args=(name, server.port, tokens, stop))
            attacker.start()
            await asyncio.sleep(1.0)
            loud_h, loud_p, failed = await probe(server, tokens["ingest"], seconds)
            during = (server.rss_mib(), server.open_files())
            stop.set()
            attacker.join(30)
            if attacker.is_alive():
                attacker.kill()
            await asyncio.sleep(3.0)
            after = (server.rss_mib(), server.open_files())
        finally:
            server.stop()
    ratio = pct(loud_p, 0.99) / max(pct(quiet_p, 0.99), 0.001)
    return [
        name,
        f"{statistics.median(quiet_h):.1f} / {pct(quiet_h, 0.99):.1f}",
        f"{statistics.median(loud_h):.1f} / {pct(loud_h, 0.99):.1f}",
        f"{statistics.median(quiet_p):.1f} / {pct(quiet_p, 0.99):.1f}",
        f"{statistics.median(loud_p):.1f} / {pct(loud_p, 0.99):.1f}",
        f"{ratio:.1f}x",
        str(failed),
        f"{before[0]:.0f} / {during[0]:.0f} / {after[0]:.0f}",
        f"{before[1]} / {during[1]} / {after[1]}",
    ]


HEADERS = [
    "attack",
    "healthz quiet p50/p99 ms",
    "healthz attacked",
    "ingest quiet p50/p99 ms",
    "ingest attacked",
    "ingest p99 ratio",
    "failed probes",
    "RSS MiB before/during/after",
    "open files before/during/after",
]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--before", type=Path, help="another checkout to run the same on, first")
    parser.add_argument("--only", help="one attack by name")
    ns = parser.parse_args()
    roots = ([("before", ns.before.resolve())] if ns.before else []) + [("this checkout", ROOT)]
    for label, root in roots:
        rows = []
        for name in ATTACKS:
            if ns.only and ns.only != name:
                continue
            rows.append(asyncio.run(run_one(root, name, ns.seconds)))
        print(f"\n{label} ({root})")
        print(table(HEADERS, rows))


if __name__ == "__main__":
    main()
