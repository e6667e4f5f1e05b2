"""SqliteStore's own behaviour on real database files: opening, refusing, the order of the log,
what is on disk. What every store does is in ``test_contract.py``."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from projector.core.model import Action, Channel
from projector.store import security
from projector.store.sqlite import APPLICATION_ID, ROWS_PER_STATEMENT, SqliteStore, StoreError
from tests.store.support import act


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "projector.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[SqliteStore]:
    # Overrides the contract ``store`` of conftest.py: these tests look inside the SQLite file.
    s = SqliteStore(db_path)
    yield s
    s.close()


def stored_ids(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute("SELECT id FROM actions ORDER BY seq")]


# --- opening ------------------------------------------------------------------------


def test_a_new_database_uses_wal_and_is_private(store: SqliteStore, db_path: Path) -> None:
    assert store.journal_mode() == "wal"
    with sqlite3.connect(db_path) as other:  # WAL is a property of the file, seen by everyone
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert other.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    for suffix in ("", "-wal", "-shm"):
        assert stat.S_IMODE(Path(f"{db_path}{suffix}").stat().st_mode) == 0o600


def test_a_file_that_is_not_sqlite_is_refused_by_name(db_path: Path) -> None:
    db_path.write_bytes(b"these are my holiday photos, not a database" * 100)
    with pytest.raises(StoreError, match=str(db_path)):
        SqliteStore(db_path)


def test_another_programs_sqlite_database_is_refused(db_path: Path) -> None:
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
    with pytest.raises(StoreError, match="not a projector database"):
        SqliteStore(db_path)


def test_a_database_from_a_newer_version_is_refused(db_path: Path) -> None:
    SqliteStore(db_path).close()
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="newer"):
        SqliteStore(db_path)


def test_a_missing_directory_is_reported_with_the_path(tmp_path: Path) -> None:
    path = tmp_path / "no-such-dir" / "projector.db"
    with pytest.raises(StoreError, match="no-such-dir"):
        SqliteStore(path)


def test_processes_opening_a_new_file_together_all_succeed(db_path: Path) -> None:
    # The server and `projector token create` may both be the first to open the file.
    def open_and_count() -> int:
        with SqliteStore(db_path) as s:
            return s.action_count()

    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(lambda _: open_and_count(), range(4))) == [0, 0, 0, 0]


# --- recording and duplicates -------------------------------------------------------------


def test_a_retry_in_a_later_call_counts_once_and_keeps_order(store: SqliteStore) -> None:
    store.record_actions([[act("b")]], 1.0)
    [result] = store.record_actions([[act("a"), act("b"), act("c"), act("a")]], 2.0)
    assert [a.id for a in result.accepted] == ["a", "c"]
    assert result.duplicates == 2
    assert stored_ids(store.path) == ["b", "a", "c"]


def test_a_refused_batch_stores_nothing_while_the_others_commit(store: SqliteStore) -> None:
    good, bad, unbindable, later = store.record_actions(
        [
            [act("g1"), act("g2")],
            [act("b1"), act("b2", count=0)],  # count 0 breaks the table's CHECK
            # Ignored type error: a list where a country code belongs is the malformed input under test
            [act("u1"), Action("u2", Channel.SMS, ["not", "a", "country"])],  # type: ignore[arg-type]
            [act("b1"), act("g3")],  # b1 was never stored, so it is new here
        ],
        1.0,
    )
    assert good.error is None and len(good.accepted) == 2
    assert bad.error is not None and "CHECK" in bad.error and bad.accepted == () and bad.duplicates == 0
    assert unbindable.error is not None and unbindable.accepted == ()
    assert [a.id for a in later.accepted] == ["b1", "g3"]
    assert stored_ids(store.path) == ["g1", "g2", "b1", "g3"]


def test_a_batch_longer_than_one_statement_keeps_its_order_and_skips_stored_ids(store: SqliteStore) -> None:
    """Large batches are inserted several hundred rows per statement plus a remainder:
    ids already stored, in a full statement and in the remainder, are skipped and counted."""
    n = 2 * ROWS_PER_STATEMENT + 37
    ids = [f"a{i:04d}" for i in range(n)]
    stored_before = [ids[3], ids[ROWS_PER_STATEMENT + 5], ids[-2]]
    store.record_actions([[act(i) for i in stored_before]], 1.0)
    [result] = store.record_actions([[act(i) for i in ids]], 2.0)
    assert [a.id for a in result.accepted] == [i for i in ids if i not in stored_before]
    assert result.duplicates == 3
    assert stored_ids(store.path) == stored_before + [i for i in ids if i not in stored_before]


@pytest.mark.parametrize("where", [0, ROWS_PER_STATEMENT + 1, 2 * ROWS_PER_STATEMENT + 10])
def test_one_bad_row_anywhere_in_a_long_batch_refuses_the_whole_batch(store: SqliteStore, where: int) -> None:
    batch = [act(f"x{i}") for i in range(2 * ROWS_PER_STATEMENT + 20)]
    batch[where] = act(f"x{where}", count=0)  # breaks the table's CHECK
    refused, later = store.record_actions([batch, [act("y")]], 1.0)
    assert refused.error is not None and "CHECK" in refused.error and refused.accepted == ()
    assert [a.id for a in later.accepted] == ["y"]
    assert stored_ids(store.path) == ["y"]


def test_single_action_batches_dedupe_and_fail_alone(store: SqliteStore) -> None:
    store.record_actions([[act("old")]], 1.0)
    results = store.record_actions([[act("old")], [act("new")], [act("bad", count=0)], [act("new")]], 2.0)
    assert [(len(r.accepted), r.duplicates, r.error is None) for r in results] == [
        (0, 1, True),
        (1, 0, True),
        (0, 0, False),
        (0, 1, True),
    ]
    assert stored_ids(store.path) == ["old", "new"]


# --- tokens ----------------------------------------------------------------------------------------


def test_no_secret_is_stored_in_clear(db_path: Path) -> None:
    with SqliteStore(db_path) as s:
        _, token = s.create_token("admin", "ops laptop", 1.0)
        s.create_user("maria", "correct horse battery staple", "operator", 1.0)
        session, _ = s.create_session("maria", 1.0, 3600)
    data = b"".join(p.read_bytes() for p in db_path.parent.iterdir() if p.name.startswith(db_path.name))
    assert security.hash_token(token).encode() in data  # we are reading the right bytes
    for secret in (token, session, "correct horse battery staple"):
        assert secret.encode() not in data


# --- users and sessions ----------------------------------------------------------------------------


def test_a_weak_stored_hash_is_upgraded_at_login(store: SqliteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(security, "SCRYPT_N", 2**10)
    store.create_user("ana", "pw-of-ana", "admin", 1.0)
    monkeypatch.undo()
    assert store.authenticate("ana", "pw-of-ana") is not None
    with sqlite3.connect(store.path) as conn:
        stored = conn.execute("SELECT password_hash FROM users").fetchone()[0]
    assert stored.startswith(f"scrypt${security.SCRYPT_N}$")
    assert store.authenticate("ana", "pw-of-ana") is not None


def test_sessions_expire(store: SqliteStore, db_path: Path) -> None:
    store.create_user("ana", "pw-of-ana", "operator", 1.0)
    secret, csrf = store.create_session("ana", now=100.0, ttl_seconds=60)
    session = store.get_session(secret, now=159.0)
    assert session is not None
    assert (session.username, session.role, session.csrf_token, session.expires_at) == (
        "ana",
        "operator",
        csrf,
        160.0,
    )
    assert store.get_session(secret, now=160.0) is None
    assert store.get_session(secret, now=120.0) is None  # the expired row is gone
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM sessions").fetchone()[0] == 0
