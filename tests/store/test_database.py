"""The ``database`` setting: SQLite by default, PostgreSQL by URL, psycopg needed only for the latter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from projector.store.database import check_database, describe, is_postgres_url, store_factory
from projector.store.sqlite import SqliteStore

ROOT = Path(__file__).resolve().parents[2]

#: Runs the command line in a Python where importing psycopg fails, as without the postgres extra.
WITHOUT_PSYCOPG = (
    "import sys; sys.modules['psycopg'] = None;"
    " from projector.cli.main import main; sys.exit(main(sys.argv[1:]))"
)


def test_the_setting_is_empty_or_a_postgres_url() -> None:
    check_database("")
    check_database("postgresql://ana@db/shows")
    check_database("postgres://db/shows")
    assert is_postgres_url("postgres://db/shows") and not is_postgres_url("/var/lib/projector.db")
    with pytest.raises(ValueError, match=r"postgresql:// URL .* got 'mysql://\.\.\.'"):
        check_database("mysql://root:secret@db/shows")
    with pytest.raises(ValueError, match=r"got 'data/projector\.db'"):
        check_database("data/projector.db")


def test_the_default_is_sqlite_in_the_data_directory(tmp_path: Path) -> None:
    store = store_factory("", tmp_path / "projector.db")()
    assert isinstance(store, SqliteStore)
    store.close()
    assert describe("", tmp_path / "projector.db") == str(tmp_path / "projector.db")
    assert describe("postgresql://ana:pw@db:5433/shows", tmp_path) == "postgresql://ana@db:5433/shows"


def _without_psycopg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_PSYCOPG, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"},
    )


def test_sqlite_needs_no_psycopg_and_postgres_says_what_to_install(tmp_path: Path) -> None:
    done = _without_psycopg("token", "create", "--scope", "admin", "--data-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "projector.db").exists()
    url = "postgresql://ana:pw@db/shows"
    done = _without_psycopg(
        "token", "create", "--scope", "admin", "--data-dir", str(tmp_path), "--database", url
    )
    assert done.returncode == 1
    assert "pip install 'projector[postgres]'" in done.stderr and "Traceback" not in done.stderr
