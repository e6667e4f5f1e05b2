"""``projector token create`` on a store it cannot write: one line and exit status 1, never a traceback."""

from __future__ import annotations

import resource
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from projector.cli.main import main
from projector.store.sqlite import SqliteStore


def test_token_create_on_a_full_disk_prints_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def full(self: SqliteStore, *args: Any) -> Any:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(SqliteStore, "create_token", full)
    assert main(["token", "create", "--scope", "ingest", "--data-dir", str(tmp_path / "data")]) == 1
    out, err = capsys.readouterr()
    assert out == ""  # no token line a script could mistake for a token
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("projector token create: the disk holding ") and "is full" in err


def _small_files() -> None:
    # Files may not grow past 64 KiB: the new database's schema does not fit, as on a full disk.
    resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))


def test_token_create_in_a_real_process_that_cannot_write_prints_one_line(tmp_path: Path) -> None:
    command = ["token", "create", "--scope", "ingest", "--data-dir", str(tmp_path / "data")]
    done = subprocess.run(
        [sys.executable, "-m", "projector.cli", *command],
        preexec_fn=_small_files,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("projector token create: ") and "no token was created" in done.stderr
