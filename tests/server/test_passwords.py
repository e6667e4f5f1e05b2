"""Password checks on their own bounded pool (``projector.server.passwords``): a flood of
wrong logins is answered 503 beyond the queue and never holds up action ingest."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
import uuid
from pathlib import Path

import aiohttp
import pytest

from projector.server.passwords import HasherBusy, PasswordHasher
from projector.server.services import SERVICES
from projector.store import security
from tests.conftest import RunningServer
from tests.server.test_process import ROOT, ServerProcess, create_token


async def test_the_hasher_checks_with_the_stores_kdf() -> None:
    hasher = PasswordHasher(workers=1, queue=2)
    try:
        encoded = await hasher.hash("correct horse")
        assert encoded.startswith(f"scrypt${security.SCRYPT_N}${security.SCRYPT_R}${security.SCRYPT_P}$")
        assert await hasher.verify("correct horse", encoded)
        assert not await hasher.verify("wrong horse", encoded)
        assert security.verify_password("correct horse", encoded)  # the store reads it as its own
        # An unknown user costs one whole check too (names are not revealed by timing).
        started = time.perf_counter()
        assert not await hasher.verify("anything", None)
        assert time.perf_counter() - started > 0.005
        assert hasher.pending == 0
    finally:
        hasher.close()


async def test_a_full_queue_is_refused_at_once_and_frees_as_checks_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate = threading.Event()

    def slow_verify(password: str, encoded: str) -> bool:
        gate.wait(5)
        return False

    monkeypatch.setattr(security, "verify_password", slow_verify)
    hasher = PasswordHasher(workers=1, queue=2)
    try:
        waiting = [asyncio.ensure_future(hasher.verify("pw", "scrypt$x")) for _ in range(3)]
        await asyncio.sleep(0.05)
        assert hasher.pending == 3
        started = time.perf_counter()
        with pytest.raises(HasherBusy):
            await hasher.verify("pw", "scrypt$x")
        assert time.perf_counter() - started < 0.05  # refused, not queued
        with pytest.raises(HasherBusy):
            hasher.check_room()  # what a login asks before it reads the store
        gate.set()
        assert await asyncio.gather(*waiting) == [False, False, False]
        await asyncio.sleep(0.01)  # the slots are given back from the worker thread
        assert hasher.pending == 0
        hasher.check_room()
        assert not await hasher.verify("pw", "scrypt$x")
    finally:
        hasher.close()


async def test_login_still_works_and_a_busy_pool_answers_503_with_retry_after(
    live: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    status, body = await live.post(
        "/api/v1/login", {"username": "admin", "password": live.admin_password}, token=None
    )
    assert status == 200 and body["role"] == "admin"
    status, body = await live.post("/api/v1/login", {"username": "admin", "password": "nope"}, token=None)
    assert status == 401 and body["error"]["code"] == "bad_credentials"

    async def busy(password: str, encoded: str | None) -> bool:
        raise HasherBusy()

    monkeypatch.setattr(live.app[SERVICES].passwords, "verify", busy)
    async with live.session.post(
        live.base + "/api/v1/login", json={"username": "admin", "password": "nope"}
    ) as r:
        assert r.status == 503 and r.headers["Retry-After"] == "1"
        assert (await r.json())["error"]["code"] == "busy"


async def _ingest_latencies(base: str, token: str, stop: float) -> list[float]:
    out: list[float] = []
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
        while time.perf_counter() < stop:
            body = {"id": uuid.uuid4().hex, "channel": "email", "country": "FR"}
            started = time.perf_counter()
            async with http.post(base + "/api/v1/actions", json=body) as r:
                assert r.status == 200, await r.text()
                await r.read()
            out.append(time.perf_counter() - started)
            await asyncio.sleep(0.005)
    return out


async def _busy_seen(base: str, within: float) -> bool:
    """Whether a login is refused 503 (the flood has filled the pool) within ``within`` s."""
    data = {"username": "admin", "password": "probe"}
    deadline = time.monotonic() + within
    async with aiohttp.ClientSession() as http:
        while time.monotonic() < deadline:
            async with http.post(base + "/api/v1/login", json=data) as r:
                if r.status == 503:
                    return True
            await asyncio.sleep(0.02)
    return False


async def test_ingest_latency_holds_while_wrong_logins_flood_a_real_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As if the flood came from many addresses: the per-address limit would hide it.
    monkeypatch.setenv("PROJECTOR_PUBLIC_RATE_PER_MINUTE", "10000000")
    server = ServerProcess(tmp_path / "data")
    token = create_token(server.data_dir, "ingest")
    server.start()
    flood: asyncio.subprocess.Process | None = None
    try:
        await _ingest_latencies(server.base, token, time.perf_counter() + 0.5)  # warm up
        # 16 clients in a process of their own (the flood must not share this loop).
        flood = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.server.login_flood_client",
            server.base,
            "6",
            "16",
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
        )
        assert await _busy_seen(server.base, 5.0), "the flood never filled the password pool"
        latencies = sorted(await _ingest_latencies(server.base, token, time.perf_counter() + 2.5))
        assert flood.returncode is None  # the flood lasted the whole measurement
        out, _ = await flood.communicate()
        answers = {int(k): v for k, v in json.loads(out).items()}
    finally:
        if flood is not None and flood.returncode is None:
            flood.kill()
            await flood.wait()
        server.kill()
    # On the store's writer thread every ingest waited behind the queued checks: p50 ~0.7 s,
    # p99 over a second (benchmarks/login_flood.py). Now ingest only shares the CPU: on an
    # idle 2-core machine p99 is ~15 ms, but here the flood's 16 clients and the hash thread
    # take most of two cores shared with other test workers, so the bounds leave room.
    p50 = latencies[len(latencies) // 2]
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    assert len(latencies) >= 50, len(latencies)
    assert p50 < 0.05 and p99 < 0.5, (len(latencies), p50, latencies[-5:])
    # Logins were checked all along (401) and the excess refused at once (503), not queued.
    assert answers.get(401, 0) >= 10 and answers.get(503, 0) > 0, answers
    assert set(answers) <= {401, 503}, answers
