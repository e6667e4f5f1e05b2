"""A damaged database stops the server instead of wiping the campaign; backups are taken while it
runs and put back while it does not. Real server processes and the real command line throughout."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from pathlib import Path

import aiohttp
import pytest

from tests.server.test_process import ROOT, ServerProcess, create_token


def projector(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "projector.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def serve(data_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """A server start that is expected to refuse (it would otherwise run until the timeout)."""
    return subprocess.run(
        [sys.executable, "server.py", "--port", "0", "--data-dir", str(data_dir), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )


async def _ingest(server: ServerProcess, token: str, n: int) -> list[str]:
    ids = [uuid.uuid4().hex for _ in range(n)]
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
        for start in range(0, n, 500):
            batch = [{"id": i, "channel": "email", "country": "TR"} for i in ids[start : start + 500]]
            async with http.post(server.base + "/api/v1/actions", json={"actions": batch}) as r:
                assert r.status == 200
    return ids


async def _total(server: ServerProcess, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as http, http.get(server.base + "/api/v1/totals") as r:
        return int((await r.json())["total"])


@pytest.fixture
def campaign(tmp_path: Path) -> tuple[ServerProcess, str]:
    """A server that ran, counted 1,000 actions and was stopped."""
    server = ServerProcess(tmp_path / "data")
    token = create_token(server.data_dir, "ingest")
    server.start()
    asyncio.run(_ingest(server, token, 1000))
    server.stop()
    return server, token


@pytest.mark.parametrize("damage", ["cut-to-zero", "deleted", "truncated"])
def test_a_damaged_database_stops_the_server_and_keeps_the_password(
    campaign: tuple[ServerProcess, str], damage: str
) -> None:
    server, _ = campaign
    db = server.data_dir / "projector.db"
    password = (server.data_dir / "admin-password.txt").read_text()
    if damage == "cut-to-zero":
        db.write_bytes(b"")
    elif damage == "deleted":
        db.unlink()
    else:
        data = db.read_bytes()
        db.write_bytes(data[: len(data) - 1500])
    out = serve(server.data_dir)
    assert out.returncode == 1
    refusals = [line for line in out.stderr.splitlines() if "refusing to start" in line]
    assert len(refusals) == 1, out.stderr
    assert "projector restore" in refusals[0] and "--init" in refusals[0]
    assert "first run" not in out.stderr
    assert (server.data_dir / "admin-password.txt").read_text() == password
    # The command-line tools refuse it too, with one line and no traceback.
    tool = projector("token", "create", "--scope", "ingest", "--data-dir", str(server.data_dir))
    assert tool.returncode == 1 and "Traceback" not in tool.stderr and "projector restore" in tool.stderr


def test_init_begins_again_beside_the_old_file_and_never_overwrites_the_password(
    campaign: tuple[ServerProcess, str],
) -> None:
    server, _ = campaign
    db = server.data_dir / "projector.db"
    db.write_bytes(b"")
    password = (server.data_dir / "admin-password.txt").read_text()
    server.start_args = ("--init",)
    server.start()
    server.stop()
    assert (server.data_dir / "admin-password.txt").read_text() == password
    assert "password:" in (server.data_dir / "admin-password-2.txt").read_text()
    assert len(list(server.data_dir.glob("projector.db.damaged-*"))) == 1


def test_backup_while_running_then_restore(campaign: tuple[ServerProcess, str], tmp_path: Path) -> None:
    server, token = campaign
    server.start()

    async def during_ingest() -> tuple[int, subprocess.CompletedProcess[str], int]:
        before = await _total(server, token)
        feeding = asyncio.create_task(_ingest(server, token, 5000))
        await asyncio.sleep(0.05)
        made = await asyncio.to_thread(
            projector, "backup", str(tmp_path / "night.db"), "--data-dir", str(server.data_dir)
        )
        await feeding
        return before, made, await _total(server, token)

    before, made, after = asyncio.run(during_ingest())
    assert made.returncode == 0, made.stderr
    assert "backed up" in made.stdout
    assert after == before + 5000
    # The copy is one consistent moment between the two totals.
    in_backup = int(made.stdout.split("backed up ")[1].split()[0])
    assert before <= in_backup <= after

    refused = projector("restore", str(tmp_path / "night.db"), "--data-dir", str(server.data_dir))
    assert (
        refused.returncode == 1
        and "another projector server" in refused.stderr
        and "stop it first" in refused.stderr
    )
    server.stop()

    restored = projector("restore", str(tmp_path / "night.db"), "--data-dir", str(server.data_dir))
    assert restored.returncode == 0, restored.stderr
    assert len(list(server.data_dir.glob("projector.db.before-restore-*"))) == 1
    server.start()
    assert asyncio.run(_total(server, token)) == in_backup
    server.stop()


def test_a_bad_backup_is_refused_and_the_database_is_untouched(
    campaign: tuple[ServerProcess, str], tmp_path: Path
) -> None:
    server, _ = campaign
    db = server.data_dir / "projector.db"
    before = db.read_bytes()
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    out = projector("restore", str(junk), "--data-dir", str(server.data_dir))
    assert out.returncode == 1 and "Traceback" not in out.stderr and "junk.db" in out.stderr
    assert db.read_bytes() == before
    assert not list(server.data_dir.glob("projector.db.before-restore-*"))
