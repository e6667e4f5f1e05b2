"""A missing, empty, truncated or damaged database is refused, never started anew (``store/preflight.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from projector.core.model import Action, Channel
from projector.store.preflight import DatabaseRefused, check_sqlite_file
from projector.store.sqlite import SqliteStore


def _installed(tmp_path: Path, actions: int = 500) -> Path:
    """A data directory as a server leaves it: a database with actions, and the admin password file."""
    db = tmp_path / "projector.db"
    store = SqliteStore(db)
    batch = [Action(f"a{i}", Channel.LETTER, "FR") for i in range(actions)]
    store.record_actions([batch], 1_700_000_000.0)
    store.set_setting("marker", "x" * 20000)  # enough pages that damage in the middle is inside the file
    store.close()
    (tmp_path / "admin-password.txt").write_text("username: admin\npassword: p\n")
    return db


def test_a_first_run_needs_no_flag(tmp_path: Path) -> None:
    check_sqlite_file(tmp_path / "projector.db", tmp_path, init=False)
    (tmp_path / "projector.db").touch()  # an empty file with no earlier install: a first run cut short
    check_sqlite_file(tmp_path / "projector.db", tmp_path, init=False)


def test_a_sound_database_passes(tmp_path: Path) -> None:
    db = _installed(tmp_path)
    check_sqlite_file(db, tmp_path, init=False)


@pytest.mark.parametrize(
    ("damage", "words"),
    [
        (lambda db: db.unlink(), "is missing, but"),
        (lambda db: db.write_bytes(b""), "is empty (0 bytes)"),
        (lambda db: db.write_bytes(db.read_bytes()[: len(db.read_bytes()) // 2 + 100]), "is truncated"),
        (lambda db: db.write_bytes(b"not sqlite at all" * 100), "not a SQLite database"),
        (
            lambda db: db.write_bytes(
                db.read_bytes()[:8192] + b"\xde\xad" * 2048 + db.read_bytes()[8192 + 4096 :]
            ),
            "is damaged",
        ),
    ],
    ids=["deleted", "empty", "truncated", "not-sqlite", "garbage-page"],
)
def test_damage_is_refused_and_nothing_changes(tmp_path: Path, damage: object, words: str) -> None:
    db = _installed(tmp_path)
    assert callable(damage)
    damage(db)
    before = db.read_bytes() if db.exists() else None
    with pytest.raises(DatabaseRefused) as refused:
        check_sqlite_file(db, tmp_path, init=False)
    message = str(refused.value)
    assert words in message and "--init" in message and "projector restore" in message
    assert (db.read_bytes() if db.exists() else None) == before
    assert (tmp_path / "admin-password.txt").read_text() == "username: admin\npassword: p\n"


def test_init_moves_a_damaged_file_aside_and_keeps_it(tmp_path: Path) -> None:
    db = _installed(tmp_path)
    db.write_bytes(b"")
    check_sqlite_file(db, tmp_path, init=True)
    assert not db.exists()
    kept = list(tmp_path.glob("projector.db.damaged-*"))
    assert len(kept) == 1 and kept[0].stat().st_size == 0
