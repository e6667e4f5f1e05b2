"""The real server process: started from the command line, fed over HTTP, killed hard."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import websockets

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def create_token(data_dir: Path, scope: str) -> str:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "projector.cli",
            "token",
            "create",
            "--scope",
            scope,
            "--data-dir",
            str(data_dir),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    token = out.stdout.strip().splitlines()[-1]
    assert token.startswith("pj_")
    return token


class ServerProcess:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        #: More flags for the next start (``--init``).
        self.start_args: tuple[str, ...] = ()

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "server.py",
                "--port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
                *self.start_args,
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                assert self.proc.poll() is None, "server exited during start-up"
                time.sleep(0.05)
        raise AssertionError("server did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def proc_server(tmp_path: Path) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path / "data")
    yield server
    server.kill()


async def test_real_process_ingest_and_a_real_display_client(proc_server: ServerProcess) -> None:
    ingest = create_token(proc_server.data_dir, "ingest")
    display = create_token(proc_server.data_dir, "display")
    proc_server.start()
    hello = {
        "v": 1,
        "type": "hello",
        "name": "lobby",
        "token": display,
        "protocol": 1,
        "resolution": [1280, 720],
    }
    async with websockets.connect(f"ws://127.0.0.1:{proc_server.port}/ws") as ws:
        await ws.send(json.dumps(hello))
        snapshot = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert snapshot["type"] == "snapshot"
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {ingest}"}) as http:
            for i in range(40):
                body = {"id": f"p{i}", "channel": "email", "country": "NG", "count": 2}
                async with http.post(proc_server.base + "/api/v1/actions", json=body) as r:
                    assert r.status == 200
        totals: list[dict[str, Any]] = []
        while not totals or totals[-1]["total"] < 80:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if frame["type"] == "totals":
                totals.append(frame)
        assert totals[-1]["total"] == 80 and totals[-1]["by_country"] == {"NG": 80}
        assert len(totals) < 40  # coalesced


async def test_sigkill_mid_ingest_loses_no_acknowledged_action(proc_server: ServerProcess) -> None:
    ingest = create_token(proc_server.data_dir, "ingest")
    proc_server.start()
    acked: list[str] = []
    sent: list[str] = []

    async def client(http: aiohttp.ClientSession) -> None:
        while True:
            batch = [{"id": uuid.uuid4().hex, "channel": "sms", "country": "KE"} for _ in range(20)]
            sent.extend(a["id"] for a in batch)
            try:
                async with http.post(proc_server.base + "/api/v1/actions", json={"actions": batch}) as r:
                    if r.status == 200:
                        acked.extend(a["id"] for a in batch)
            except (TimeoutError, aiohttp.ClientError):
                return

    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {ingest}"}) as http:
        tasks = [asyncio.create_task(client(http)) for _ in range(8)]
        while len(acked) < 2000:
            await asyncio.sleep(0.01)
        proc_server.kill()
        await asyncio.gather(*tasks)
    assert len(acked) >= 2000

    db = sqlite3.connect(proc_server.data_dir / "projector.db")
    stored = {row[0] for row in db.execute("SELECT id FROM actions")}
    db.close()
    assert set(acked) <= stored  # everything acknowledged is on disk, once (ids are UNIQUE)

    proc_server.start()
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {ingest}"}) as http:
        async with http.get(proc_server.base + "/api/v1/totals") as r:
            assert (await r.json())["total"] == len(stored)
        # an integrator retries everything it was unsure of: nothing counts twice
        unsure = [{"id": i, "channel": "sms", "country": "KE"} for i in sent]
        for start in range(0, len(unsure), 5000):
            async with http.post(
                proc_server.base + "/api/v1/actions", json={"actions": unsure[start : start + 5000]}
            ) as r:
                assert r.status == 200
        async with http.get(proc_server.base + "/api/v1/totals") as r:
            assert (await r.json())["total"] == len(set(sent))
    proc_server.stop()


def test_python_server_py_refuses_a_bad_config(tmp_path: Path) -> None:
    bad = tmp_path / "projector.toml"
    bad.write_text("port = 'eighty'\n")
    out = subprocess.run(
        [sys.executable, "server.py", "--config", str(bad)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 2 and "port" in out.stderr
