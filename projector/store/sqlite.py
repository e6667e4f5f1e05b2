"""The embedded store: one SQLite file (WAL) in the data directory.

The action log is the source of truth: totals are always derived from it, so
they survive a restart exactly. Everything an operator configures (campaign,
cases), every credential (tokens, users, sessions) and the supporter messages
live in the same file, so a backup is one file copy.

Credentials live in ``accounts.py`` and messages in ``messages.py``, mixed
into ``SqliteStore`` here; the schema for all of them is in ``MIGRATIONS``.

``SqliteStore`` is synchronous and owns one connection; use it from one thread
(``StoreWriter`` runs it on a dedicated thread and gives it an asyncio front).
The connection runs in autocommit mode and every write opens its own
``BEGIN IMMEDIATE`` transaction, so a write never waits half-way for the lock.
``synchronous=FULL`` makes each commit reach the disk before it returns: an
action is acknowledged only after that.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import chain
from pathlib import Path
from typing import Any

from projector.core.model import Action, CaseStatus
from projector.store.accounts import TOKEN_SCOPES, USER_ROLES, AccountsMixin
from projector.store.actionlog import ACTION_COLUMNS, ActionLogMixin, action_row, first_of_each_id
from projector.store.connection import StoreBase
from projector.store.fleet import FLEET_MIGRATION, LOCALE_MIGRATION, SAFE_AREA_MIGRATION, FleetMixin
from projector.store.media import MEDIA_MIGRATION, VIDEO_MIGRATION, MediaMixin
from projector.store.messages import MESSAGE_STATUSES, MESSAGES_MIGRATION, MessagesMixin

# RecordResult and StoreError are re-exported (the "as" form says so to mypy): callers import
# both from here since before records.py.
from projector.store.records import RecordResult as RecordResult
from projector.store.records import StoreError as StoreError
from projector.store.settings import SettingsMixin

#: Marks the file as ours (``PRAGMA application_id``): "PJTR".
APPLICATION_ID = 0x504A5452
#: How long a connection waits for another process's write lock (the CLI may
#: create a token while the server runs).
BUSY_TIMEOUT_S = 5.0

#: Set on every connection (after ``journal_mode=WAL``, which the file keeps).
CONNECTION_PRAGMAS = (
    "PRAGMA synchronous=FULL",  # a commit is on disk when it returns: only then do we acknowledge
    "PRAGMA foreign_keys=ON",
    "PRAGMA cache_size=-32768",  # 32 MiB keeps the id index (random keys) in memory
)


def _in_list(values: Sequence[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


#: Schema migrations: entry ``i`` moves a database from ``user_version`` i to i+1.
MIGRATIONS: tuple[str, ...] = (
    f"""
    CREATE TABLE actions (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        channel TEXT NOT NULL,
        country TEXT NOT NULL,
        case_id TEXT,
        count INTEGER NOT NULL CHECK (typeof(count) = 'integer' AND count >= 1),
        at REAL,
        received_at REAL NOT NULL,
        source TEXT,
        entered_by TEXT
    );
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE cases (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        country TEXT NOT NULL,
        story TEXT NOT NULL DEFAULT '',
        ask TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL CHECK (status IN ({_in_list([s.value for s in CaseStatus])})),
        portrait TEXT
    );
    CREATE TABLE tokens (
        id INTEGER PRIMARY KEY,
        scope TEXT NOT NULL CHECK (scope IN ({_in_list(TOKEN_SCOPES)})),
        label TEXT NOT NULL,
        prefix TEXT NOT NULL,
        secret_hash TEXT NOT NULL UNIQUE,
        created_at REAL NOT NULL,
        last_used_at REAL,
        revoked_at REAL
    );
    CREATE TABLE users (
        username TEXT PRIMARY KEY COLLATE NOCASE,
        password_hash TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ({_in_list(USER_ROLES)})),
        created_at REAL NOT NULL
    );
    CREATE TABLE sessions (
        secret_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE ON UPDATE CASCADE,
        csrf_token TEXT NOT NULL,
        created_at REAL NOT NULL,
        expires_at REAL NOT NULL
    );
    CREATE INDEX sessions_by_expiry ON sessions (expires_at);
    CREATE INDEX sessions_by_user ON sessions (username);
    CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        text TEXT NOT NULL,
        name TEXT NOT NULL,
        country TEXT,
        lang TEXT,
        source TEXT NOT NULL,
        sender TEXT,
        status TEXT NOT NULL CHECK (status IN ({_in_list(MESSAGE_STATUSES)})),
        created_at REAL NOT NULL,
        decided_at REAL,
        decided_by TEXT
    );
    CREATE INDEX messages_by_status_created ON messages (status, created_at);
    CREATE INDEX messages_by_status_decided ON messages (status, decided_at);
    """,
    MESSAGES_MIGRATION,
    MEDIA_MIGRATION,
    FLEET_MIGRATION,
    SAFE_AREA_MIGRATION,
    LOCALE_MIGRATION,
    VIDEO_MIGRATION,
)
SCHEMA_VERSION = len(MIGRATIONS)

ACTIONS_INSERT = f"INSERT INTO actions ({ACTION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
#: The same, skipping an id already stored (only that: a broken CHECK still fails).
ACTIONS_INSERT_NEW = ACTIONS_INSERT + " ON CONFLICT (id) DO NOTHING"
#: Rows per multi-row INSERT (9 values each; SQLite takes up to 32,766 parameters).
ROWS_PER_STATEMENT = 200
ACTIONS_INSERT_NEW_MANY = (
    f"INSERT INTO actions ({ACTION_COLUMNS}) VALUES "
    + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?)"] * ROWS_PER_STATEMENT)
    + " ON CONFLICT (id) DO NOTHING"
)


#: What a malformed action (wrong types, a count beyond 64 bits) raises while
#: its row is built or bound: the batch is refused, the rest of the group goes on.
_BAD_DATA: tuple[type[Exception], ...] = (
    AttributeError,
    TypeError,
    ValueError,
    OverflowError,
    sqlite3.InterfaceError,
    sqlite3.ProgrammingError,
)
#: What makes the database refuse a batch while inserting it.
_REFUSED: tuple[type[Exception], ...] = (sqlite3.Error, *_BAD_DATA)


def _statements(script: str) -> Iterator[str]:
    """Split a migration into statements (``executescript`` would commit our transaction)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            yield pending.strip()
            pending = ""
    if pending.strip():
        raise ValueError(f"incomplete SQL statement in migration: {pending.strip()[:60]!r}")


class SqliteStore(
    ActionLogMixin, SettingsMixin, AccountsMixin, MessagesMixin, MediaMixin, FleetMixin, StoreBase
):
    """All persistent state of one server, in one SQLite file; meets ``Store`` (``base.py``)."""

    _conn: sqlite3.Connection
    _INTEGRITY_ERRORS = (sqlite3.IntegrityError,)

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._create_private()
        try:
            self._conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        try:
            self._configure()
            self._migrate()
        except sqlite3.Error as exc:
            self._conn.close()
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        except BaseException:
            self._conn.close()
            raise

    def _create_private(self) -> None:
        """Create a missing file as owner-only before SQLite opens it.

        Password and session hashes live here, and SQLite gives the -wal and
        -shm files the database file's permissions, so all three stay private.
        (An empty file is a valid new SQLite database.)
        """
        try:
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass
        except OSError as exc:
            raise StoreError(f"cannot create database {self.path}: {exc.strerror}") from exc

    # --- connection and schema ------------------------------------------------

    def _configure(self) -> None:
        mode = self._journal_mode_wal()
        if str(mode).lower() != "wal":
            raise StoreError(f"cannot use write-ahead logging for {self.path} (journal mode {mode!r})")
        for pragma in CONNECTION_PRAGMAS:
            self._conn.execute(pragma)

    def _journal_mode_wal(self) -> str:
        """Switch to WAL. Switching needs the file to itself and SQLite does not
        wait for that (no busy handler), so when another process is opening the
        same new file at the same moment, wait and try again."""
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                return str(self._conn.execute("PRAGMA journal_mode=WAL").fetchone()[0])
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise StoreError(f"cannot open database {self.path}: {exc}") from exc
                time.sleep(0.01)
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"{self.path} is not a projector database (not SQLite: {exc})") from exc

    def _migrate(self) -> None:
        # One read transaction: the header and the table list from the same moment,
        # not torn by another process migrating the file in between.
        self._conn.execute("BEGIN")
        try:
            current = self._schema_version() == SCHEMA_VERSION
        finally:
            self._conn.execute("COMMIT")
        if current:
            return
        try:
            with self._transaction():
                # Read again under the write lock: another process (the CLI
                # next to the server) may have migrated the file meanwhile.
                version = self._schema_version()
                for target in range(version + 1, SCHEMA_VERSION + 1):
                    for statement in _statements(MIGRATIONS[target - 1]):
                        self._conn.execute(statement)
                self._conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
                self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot migrate {self.path} to schema version {SCHEMA_VERSION}: {exc}") from exc

    def _schema_version(self) -> int:
        """The file's schema version; refuses files that are not ours or are too new."""
        app_id = self._pragma_int("application_id")
        version = self._pragma_int("user_version")
        if app_id != APPLICATION_ID:
            has_tables = self._conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if app_id != 0 or version != 0 or has_tables:
                raise StoreError(f"{self.path} is not a projector database")
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {version}, newer than this projector "
                f"understands ({SCHEMA_VERSION}); upgrade projector"
            )
        return version

    def _pragma_int(self, name: str) -> int:
        return int(self._conn.execute(f"PRAGMA {name}").fetchone()[0])

    def journal_mode(self) -> str:
        return str(self._conn.execute("PRAGMA journal_mode").fetchone()[0])

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` ... ``COMMIT``; rolled back on any error."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
            self._conn.execute("COMMIT")
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the action log ---------------------------------------------------------

    def record_actions(self, batches: Sequence[Sequence[Action]], received_at: float) -> list[RecordResult]:
        """Store several batches with one commit (one fsync): the group commit.

        Each batch is all-or-nothing (a savepoint each): a batch that SQLite
        refuses gets a result with ``error`` and the others still commit. An id
        already stored, or seen earlier in this call, counts as a duplicate and
        is not stored again. Raises if the commit itself fails; then nothing
        of any batch was stored.
        """
        seen: set[str] = set()
        results: list[RecordResult] = []
        with self._transaction():
            for batch in batches:
                results.append(self._record_batch(batch, received_at, seen))
        return results

    def _record_batch(self, batch: Sequence[Action], received_at: float, seen: set[str]) -> RecordResult:
        try:
            candidates = first_of_each_id(batch, seen)
            rows = [action_row(a, received_at) for a in candidates]
        except _BAD_DATA as exc:
            return RecordResult(error=f"invalid action: {exc}", received_at=received_at)
        if not rows:
            return RecordResult((), len(batch), received_at=received_at)
        # One statement is atomic by itself; only several need a savepoint.
        savepoint = len(rows) > 1
        if savepoint:
            self._conn.execute("SAVEPOINT batch")
        try:
            fresh = self._insert_new(candidates, rows) if savepoint else self._insert_one(candidates, rows[0])
        except _REFUSED as exc:
            self._undo_batch(exc, savepoint)
            return RecordResult(error=f"batch refused by the database: {exc}", received_at=received_at)
        if savepoint:
            self._conn.execute("RELEASE batch")
        seen.update(a.id for a in fresh)
        return RecordResult(tuple(fresh), len(batch) - len(fresh), received_at=received_at)

    def _insert_one(self, candidates: list[Action], row: tuple[Any, ...]) -> list[Action]:
        """The common single-action request: one statement, no lookup."""
        inserted = self._conn.execute(ACTIONS_INSERT_NEW, row).rowcount
        return candidates if inserted else []

    def _insert_new(self, candidates: list[Action], rows: list[tuple[Any, ...]]) -> list[Action]:
        """Insert the rows whose id is not stored yet; return their actions, in order.

        Optimistic: one ``executemany`` that skips stored ids. Usually nothing
        was skipped and we are done without a lookup. Otherwise the rows just
        inserted are exactly those above the old highest ``seq`` (rowids grow
        by one and we hold the write lock), which names the new ones.
        """
        last_seq = self._conn.execute("SELECT coalesce(max(seq), 0) FROM actions").fetchone()[0]
        whole = len(rows) - len(rows) % ROWS_PER_STATEMENT
        inserted = 0
        for start in range(0, whole, ROWS_PER_STATEMENT):
            values = list(chain.from_iterable(rows[start : start + ROWS_PER_STATEMENT]))
            inserted += self._conn.execute(ACTIONS_INSERT_NEW_MANY, values).rowcount
        if whole < len(rows):
            inserted += self._conn.executemany(ACTIONS_INSERT_NEW, rows[whole:]).rowcount
        if inserted == len(rows):
            return candidates
        new_ids = {row[0] for row in self._conn.execute("SELECT id FROM actions WHERE seq > ?", (last_seq,))}
        return [a for a in candidates if a.id in new_ids]

    def _undo_batch(self, exc: Exception, savepoint: bool) -> None:
        # Some failures (disk full, I/O error) make SQLite roll back the whole
        # transaction; then nothing is left to undo to and the call must fail.
        if not self._conn.in_transaction:
            raise exc
        if savepoint:
            self._conn.execute("ROLLBACK TO batch")
            self._conn.execute("RELEASE batch")
