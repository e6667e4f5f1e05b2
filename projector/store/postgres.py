"""The scale-out store: PostgreSQL through psycopg 3, meeting the same ``Store`` contract as SQLite.

Everything but the action log's writes is the SQL the mixins share with ``SqliteStore``
(``connection.py`` explains how): ``PgConnection`` turns their ``?`` placeholders into
psycopg's ``%s``. What differs lives here:

- The schema (``MIGRATIONS``): PostgreSQL types, identity columns, and user names that
  ignore case through a nondeterministic ICU collation (SQLite: ``COLLATE NOCASE``).
  Versions are rows of ``projector_schema``; they are applied at start in one transaction
  while holding an advisory lock, so several nodes starting together migrate once,
  and a database whose schema is newer than this code is refused with the version named.
- ``record_actions``: a group of batches is one ``INSERT ... SELECT FROM unnest(...)
  ON CONFLICT (id) DO NOTHING RETURNING id``, run as its own transaction: one round trip
  however many requests the writer grouped. The unique index on ``id`` makes a retried id count once
  even when two nodes insert it at the same moment (the second waits for the first's
  commit, then skips it). Actions are checked in Python first, so the database refusing a
  batch is rare; when it does, the group is redone batch by batch under savepoints, so
  only the bad batch is refused, as on SQLite.
- Durability: ``synchronous_commit`` is set ``on`` for the session, whatever the database's
  default, so an acknowledged action is committed and flushed.
- Other writes take a transaction-scoped advisory lock first: they are serialised across
  every node on the database as ``BEGIN IMMEDIATE`` serialises them on SQLite, so the
  read-then-write rules (the pin limit, schedule overlaps) hold across nodes too.
- A connection that broke (the database restarted) is replaced at the next call: the call
  that met the break raises ``StoreError`` (the server's 503), the ones after it work again.

Like ``SqliteStore`` it is synchronous and used from one thread (``StoreWriter``'s).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
import psycopg.conninfo

from projector.core.model import Action, CaseStatus, Channel
from projector.store.accounts import TOKEN_SCOPES, USER_ROLES, AccountsMixin
from projector.store.actionlog import ACTION_COLUMNS, ActionLogMixin, first_of_each_id
from projector.store.connection import StoreBase
from projector.store.fleet import FleetMixin
from projector.store.media import MediaMixin
from projector.store.messages import MESSAGE_STATUSES, MessagesMixin
from projector.store.records import RecordResult, StoreError
from projector.store.settings import SettingsMixin

#: Seconds to wait for the server when connecting, unless the URL says otherwise:
#: an unreachable host must fail the start, not hang it.
CONNECT_TIMEOUT_S = 10
#: Advisory lock keys, distinct from anything else on the database: "PJTR" and a number.
MIGRATION_LOCK = 0x504A5452_0001
WRITE_LOCK = 0x504A5452_0002
#: The largest count a ``bigint`` holds; a bigger one refuses its batch, as on SQLite.
MAX_COUNT = 2**63 - 1

#: Called inside the transaction that stores a group of actions, with the connection, the
#: actions stored (duplicates removed) and the time stamped on them; it returns what to run
#: once that transaction has committed (or None). The shared show counts the actions in the
#: event log here, so a count and the actions it counts are committed together or not at all.
RecordHook = Callable[["PgConnection", Sequence[Action], float], Callable[[], None] | None]


def _in_list(values: Sequence[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


#: Schema migrations: entry ``i`` moves a database from version i to i+1 (a row of
#: ``projector_schema`` per version applied). Released entries are final: add, never edit.
#: Version 1 is the whole of SQLite's six migrations, the same tables and columns.
MIGRATIONS: tuple[str, ...] = (
    f"""
    CREATE COLLATION projector_nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
    CREATE TABLE actions (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL UNIQUE,
        channel text NOT NULL,
        country text NOT NULL,
        case_id text,
        count bigint NOT NULL CHECK (count >= 1),
        at double precision,
        received_at double precision NOT NULL,
        source text,
        entered_by text
    );
    CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL);
    CREATE TABLE cases (
        seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        id text PRIMARY KEY,
        name text NOT NULL,
        country text NOT NULL,
        story text NOT NULL DEFAULT '',
        ask text NOT NULL DEFAULT '',
        status text NOT NULL CHECK (status IN ({_in_list([s.value for s in CaseStatus])})),
        portrait text,
        lang text NOT NULL DEFAULT 'en',
        translations text NOT NULL DEFAULT '{{}}',
        focus text,
        portraits text NOT NULL DEFAULT '[]'
    );
    CREATE TABLE tokens (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        scope text NOT NULL CHECK (scope IN ({_in_list(TOKEN_SCOPES)})),
        label text NOT NULL,
        prefix text NOT NULL,
        secret_hash text NOT NULL UNIQUE,
        created_at double precision NOT NULL,
        last_used_at double precision,
        revoked_at double precision
    );
    CREATE TABLE users (
        username text COLLATE projector_nocase PRIMARY KEY,
        password_hash text NOT NULL,
        role text NOT NULL CHECK (role IN ({_in_list(USER_ROLES)})),
        created_at double precision NOT NULL
    );
    CREATE TABLE sessions (
        secret_hash text PRIMARY KEY,
        username text COLLATE projector_nocase NOT NULL
            REFERENCES users (username) ON DELETE CASCADE ON UPDATE CASCADE,
        csrf_token text NOT NULL,
        created_at double precision NOT NULL,
        expires_at double precision NOT NULL
    );
    CREATE INDEX sessions_by_expiry ON sessions (expires_at);
    CREATE INDEX sessions_by_user ON sessions (username);
    CREATE TABLE messages (
        id text PRIMARY KEY,
        text text NOT NULL,
        name text NOT NULL,
        country text,
        lang text,
        source text NOT NULL,
        sender text,
        status text NOT NULL CHECK (status IN ({_in_list(MESSAGE_STATUSES)})),
        created_at double precision NOT NULL,
        decided_at double precision,
        decided_by text,
        pinned integer NOT NULL DEFAULT 0,
        notes text NOT NULL DEFAULT ''
    );
    CREATE INDEX messages_by_status_created ON messages (status, created_at);
    CREATE INDEX messages_by_status_decided ON messages (status, decided_at);
    CREATE TABLE moderation_log (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at double precision NOT NULL,
        by text NOT NULL,
        decision text NOT NULL,
        message_id text,
        sender text,
        detail text NOT NULL DEFAULT ''
    );
    CREATE INDEX moderation_log_by_message ON moderation_log (message_id);
    CREATE TABLE blocked_senders (
        sender text PRIMARY KEY,
        at double precision NOT NULL,
        by text NOT NULL,
        reason text NOT NULL DEFAULT ''
    );
    CREATE TABLE blocklists (
        lang text PRIMARY KEY,
        entries text NOT NULL,
        updated_at double precision NOT NULL,
        updated_by text NOT NULL
    );
    CREATE TABLE media (
        hash text PRIMARY KEY CHECK (length(hash) = 64),
        mime text NOT NULL,
        width integer NOT NULL CHECK (width > 0),
        height integer NOT NULL CHECK (height > 0),
        bytes bigint NOT NULL CHECK (bytes > 0),
        faces integer NOT NULL DEFAULT 0,
        focus_x double precision,
        focus_y double precision,
        name text,
        uploaded_by text,
        created_at double precision NOT NULL
    );
    CREATE TABLE fleet_displays (
        hello_name text PRIMARY KEY,
        name text NOT NULL UNIQUE,
        groups text NOT NULL DEFAULT '[]',
        latency_ms double precision NOT NULL DEFAULT 0 CHECK (latency_ms >= 0),
        retired_at double precision,
        updated_at double precision NOT NULL,
        safe_area text,
        output_safe_areas text NOT NULL DEFAULT '{{}}',
        locale text
    );
    CREATE TABLE fleet_groups (name text PRIMARY KEY, created_at double precision NOT NULL);
    CREATE TABLE schedules (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        target text NOT NULL,
        what text NOT NULL,
        days text,
        on_date text,
        start_min integer NOT NULL CHECK (start_min BETWEEN 0 AND 1439),
        end_min integer NOT NULL CHECK (end_min BETWEEN 0 AND 1439),
        label text NOT NULL DEFAULT '',
        created_at double precision NOT NULL,
        CHECK ((days IS NULL) <> (on_date IS NULL))
    );
    CREATE TABLE shows (id text PRIMARY KEY, name text NOT NULL, body text NOT NULL, updated_at double precision NOT NULL);
    """,
    # The shared event log of several nodes (events.py): gapless revisions, appended under a lock.
    # ``at`` (the deciding node's clock) is for people; revisions order events.
    """
    CREATE TABLE events (
        rev bigint PRIMARY KEY CHECK (rev >= 1),
        at double precision NOT NULL,
        node text NOT NULL,
        body text NOT NULL
    );
    """,
    # A video's running time (issue 18); NULL for a picture.
    "ALTER TABLE media ADD COLUMN seconds double precision;",
    # Uploaded files' bytes, so every node can serve what any node took in (media_bytes.py).
    # Stored as they are: pictures and videos are compressed already.
    """
    CREATE TABLE media_chunks (
        hash text NOT NULL CHECK (length(hash) = 64),
        n integer NOT NULL CHECK (n >= 0),
        data bytea NOT NULL,
        PRIMARY KEY (hash, n)
    );
    ALTER TABLE media_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

#: The action log's insert: one statement for a whole group, returning the ids it stored.
#: ``received_at`` is one value for the group, the other columns come as parallel arrays.
ACTIONS_INSERT_NEW = (
    f"INSERT INTO actions ({ACTION_COLUMNS})"
    " SELECT id, channel, country, case_id, count, at, %s, source, entered_by"
    " FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::bigint[], %s::float8[],"
    " %s::text[], %s::text[]) AS a(id, channel, country, case_id, count, at, source, entered_by)"
    " ON CONFLICT (id) DO NOTHING RETURNING id"
)

#: What makes PostgreSQL refuse a batch: its data, not the connection (that fails the commit).
_REFUSED: tuple[type[Exception], ...] = (psycopg.DataError, psycopg.IntegrityError)


def describe_url(url: str) -> str:
    """The URL without its password, for logs and errors (unparseable: not shown at all, it may hold one)."""
    try:
        parts = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "the database URL"
    user = f"{parts['user']}@" if parts.get("user") else ""
    host = str(parts.get("host") or "localhost")
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{host}{port}/{parts.get('dbname') or ''}"


def _one_line(exc: BaseException) -> str:
    """libpq's messages span lines (a hint on the second); a log line should not."""
    return " ".join(str(exc).split())


@functools.lru_cache(maxsize=512)
def _pg_sql(sql: str) -> str:
    """The mixins' ``?`` placeholders as psycopg's ``%s`` (a literal ``%`` doubled first)."""
    return sql.replace("%", "%%").replace("?", "%s")


class PgConnection:
    """One psycopg connection in autocommit mode, with the ``execute`` the mixins use.

    Opened again when it broke (the next ``execute`` or transaction after a database
    restart gets a fresh connection), so a node recovers without a restart of its own.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.where = describe_url(url)
        self._raw = self._connect()

    def _connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        try:
            options = psycopg.conninfo.conninfo_to_dict(self.url)
        except psycopg.ProgrammingError as exc:
            raise StoreError(f"database URL is not valid: {_one_line(exc)}") from None
        options.setdefault("connect_timeout", CONNECT_TIMEOUT_S)
        options.setdefault("application_name", "projector")
        try:
            conn = psycopg.connect(psycopg.conninfo.make_conninfo("", **options), autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to {self.where}: {_one_line(exc)}") from None
        # Acknowledged means committed and flushed, whatever the database's default says.
        conn.execute("SET synchronous_commit = on")
        return conn

    @property
    def raw(self) -> psycopg.Connection[tuple[Any, ...]]:
        if self._raw.broken or self._raw.closed:
            self._raw = self._connect()
        return self._raw

    def execute(self, sql: str, parameters: Sequence[Any] = (), /) -> psycopg.Cursor[tuple[Any, ...]]:
        with self.unavailable_as_store_error():
            return self.raw.execute(_pg_sql(sql), parameters)

    @contextmanager
    def unavailable_as_store_error(self) -> Iterator[None]:
        """A lost connection, a database restarting, a deadlock: ``StoreError``, which the
        server answers with 503 (retry), not 500; the next call connects again."""
        try:
            yield
        except psycopg.OperationalError as exc:
            raise StoreError(f"database {self.where} unavailable: {_one_line(exc)}") from exc

    def close(self) -> None:
        self._raw.close()


def _checked_row(action: Action, received_at: float) -> tuple[Any, ...]:
    """The row of one action, or ``ValueError``/``TypeError`` saying what is wrong with it.

    SQLite finds most of this itself (its CHECKs, its binding); here it is checked before
    the database sees it, so a group is refused by PostgreSQL (and redone batch by batch)
    only in rare cases.
    """
    if not isinstance(action, Action):
        raise TypeError(f"expected an action, got {type(action).__name__}")
    if not isinstance(action.channel, Channel):
        raise TypeError(f"channel must be a Channel, got {action.channel!r}")
    # What SQLite accepts, no more and no less: its CHECK wants an integer (a bool binds as one).
    count = action.count
    if not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise ValueError(f"count must be a whole number from 1 to {MAX_COUNT}, got {count!r}")
    at = action.at
    if at is not None and not isinstance(at, int | float):
        raise TypeError(f"at must be a number of seconds, got {at!r}")
    texts = {"id": action.id, "country": action.country}
    optional = {"case": action.case, "source": action.source, "entered_by": action.entered_by}
    for name, value in (texts | optional).items():
        if value is None and name in optional:
            continue
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a string, got {value!r}")
        if "\x00" in value:
            raise ValueError(f"{name} must not contain a NUL character")
    return (
        action.id,
        action.channel.value,
        action.country,
        action.case,
        int(count),
        None if at is None else float(at),
        action.source,
        action.entered_by,
    )


def _columns(rows: Sequence[tuple[Any, ...]]) -> list[list[Any]]:
    """Rows as one list per column (the arrays ``unnest`` takes apart again), sorted by id.

    Sorted because inserting a row locks its id in the unique index until the commit: two
    nodes inserting overlapping ids in different orders would each wait for the other (a
    deadlock PostgreSQL breaks by failing one group). In one order, the second just waits.
    The order is not observable: a group's actions share one ``received_at``.
    """
    return [list(column) for column in zip(*sorted(rows, key=lambda row: row[0]), strict=True)]


class PostgresStore(
    ActionLogMixin, SettingsMixin, AccountsMixin, MessagesMixin, MediaMixin, FleetMixin, StoreBase
):
    """All persistent state of one or several servers, in one PostgreSQL database; meets ``Store``."""

    _conn: PgConnection
    _INTEGRITY_ERRORS = (psycopg.IntegrityError,)
    _CASE_ORDER = "seq"
    _HOUR_OF = "(floor(received_at / 3600) * 3600)::bigint"

    def __init__(self, url: str) -> None:
        """Connect and migrate; ``url`` is a ``postgresql://`` URL or any libpq connection string."""
        self._conn = PgConnection(url)
        self.url = url
        #: See ``RecordHook``; set by the shared show of a node (``projector/server/shared_show.py``).
        self.record_hook: RecordHook | None = None
        self.where = self._conn.where
        try:
            self._migrate()
        except psycopg.Error as exc:
            self._conn.close()
            raise StoreError(f"cannot use {self.where}: {_one_line(exc)}") from None
        except BaseException:
            self._conn.close()
            raise

    # --- schema -------------------------------------------------------------------------

    def _migrate(self) -> None:
        if self._schema_version() == SCHEMA_VERSION:
            return
        raw = self._conn.raw
        # A session lock taken before the transaction, not a transaction lock inside it: a
        # transaction reads the catalog as of its start, and one begun before another node's
        # migration committed would not see the tables it made (and make them again).
        raw.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        try:
            with raw.transaction():
                version = self._schema_version()  # again: another node may have migrated meanwhile
                if version == 0:
                    raw.execute(
                        "CREATE TABLE IF NOT EXISTS projector_schema ("
                        " version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
                    )
                for target in range(version + 1, SCHEMA_VERSION + 1):
                    raw.execute(MIGRATIONS[target - 1].encode())
                    raw.execute("INSERT INTO projector_schema (version) VALUES (%s)", (target,))
        finally:
            if not raw.broken:
                raw.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))

    def _schema_version(self) -> int:
        """The database's schema version; refuses one that is not ours or is too new."""
        raw = self._conn.raw
        if raw.execute("SELECT to_regclass('projector_schema')").fetchone() == (None,):
            found = raw.execute("SELECT to_regclass('actions') IS NOT NULL").fetchone()
            if found == (True,):
                raise StoreError(
                    f"{self.where} is not a projector database (it has a table 'actions' but no"
                    " 'projector_schema'); use an empty database"
                )
            return 0
        row = raw.execute("SELECT coalesce(max(version), 0) FROM projector_schema").fetchone()
        version = 0 if row is None else int(row[0])
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.where} has schema version {version}, newer than this projector understands"
                f" ({SCHEMA_VERSION}); upgrade projector"
            )
        return version

    def schema_version(self) -> int:
        """The database's schema version (tests and operators' checks)."""
        return self._schema_version()

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[PgConnection]:
        """A transaction holding the write lock (see the module's docstring) until it ends."""
        with self._conn.unavailable_as_store_error():
            raw = self._conn.raw
            with raw.transaction():
                raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                yield self._conn

    @property
    def connection(self) -> PgConnection:
        """The store's connection, for what must share its transactions (the event log)."""
        return self._conn

    @contextmanager
    def consistent_read(self) -> Iterator[PgConnection]:
        """A transaction that sees one snapshot of the whole database (``REPEATABLE READ``):
        how a node reads the show's facts and the event log's head as of one moment."""
        with self._conn.unavailable_as_store_error():
            raw = self._conn.raw
            with raw.transaction():
                raw.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                yield self._conn

    # --- the action log ---------------------------------------------------------------------

    def record_actions(self, batches: Sequence[Sequence[Action]], received_at: float) -> list[RecordResult]:
        """Store several batches with one statement and one commit; see the module's docstring.

        Each batch is all-or-nothing; a refused one gets ``error`` and the others still
        commit. An id already stored, or seen earlier in this call, is a duplicate. Raises
        if the commit fails (the connection or the database is gone): then nothing is stored.
        """
        with self._conn.unavailable_as_store_error():
            if self.record_hook is not None:
                return self._record_hooked(self.record_hook, batches, received_at)
            try:
                return self._record_together(batches, received_at)
            except _REFUSED:
                return self._record_each(batches, received_at)

    def _record_hooked(
        self, hook: RecordHook, batches: Sequence[Sequence[Action]], received_at: float
    ) -> list[RecordResult]:
        """``record_actions`` with the hook's writes in the same transaction as the actions."""
        raw = self._conn.raw
        try:
            with raw.transaction():
                results = self._record_together(batches, received_at)
                then = hook(self._conn, [a for r in results for a in r.accepted], received_at)
        except _REFUSED:
            with raw.transaction():
                results = self._record_each(batches, received_at)
                then = hook(self._conn, [a for r in results for a in r.accepted], received_at)
        if then is not None:
            then()
        return results

    def _record_together(self, batches: Sequence[Sequence[Action]], received_at: float) -> list[RecordResult]:
        claimed: set[str] = set()
        planned: list[tuple[list[Action], int] | RecordResult] = []
        rows: list[tuple[Any, ...]] = []
        for batch in batches:
            try:
                candidates = first_of_each_id(batch, claimed)
                batch_rows = [_checked_row(a, received_at) for a in candidates]
            except (AttributeError, TypeError, ValueError) as exc:
                planned.append(RecordResult(error=f"invalid action: {exc}", received_at=received_at))
                continue
            claimed.update(a.id for a in candidates)
            rows += batch_rows
            planned.append((candidates, len(batch)))
        stored: set[str] = set()
        if rows:
            # One statement in autocommit mode is its own transaction: atomic, and committed
            # (flushed, with synchronous_commit on) when it returns. No BEGIN or COMMIT round trips.
            cursor = self._conn.raw.execute(ACTIONS_INSERT_NEW, [received_at, *_columns(rows)], binary=True)
            stored = {row[0] for row in cursor.fetchall()}
        results = []
        for plan in planned:
            if isinstance(plan, RecordResult):
                results.append(plan)
                continue
            candidates, size = plan
            fresh = tuple(a for a in candidates if a.id in stored)
            results.append(RecordResult(fresh, size - len(fresh), received_at=received_at))
        return results

    def _record_each(self, batches: Sequence[Sequence[Action]], received_at: float) -> list[RecordResult]:
        """The slow path: one savepoint per batch, so the batch the database refused is the only one lost."""
        seen: set[str] = set()
        results: list[RecordResult] = []
        raw = self._conn.raw
        with raw.transaction():
            for batch in batches:
                try:
                    candidates = first_of_each_id(batch, seen)
                    rows = [_checked_row(a, received_at) for a in candidates]
                except (AttributeError, TypeError, ValueError) as exc:
                    results.append(RecordResult(error=f"invalid action: {exc}", received_at=received_at))
                    continue
                stored: set[str] = set()
                try:
                    if rows:
                        with raw.transaction():  # a savepoint
                            cursor = raw.execute(
                                ACTIONS_INSERT_NEW, [received_at, *_columns(rows)], binary=True
                            )
                            stored = {row[0] for row in cursor.fetchall()}
                except _REFUSED as exc:
                    error = f"batch refused by the database: {_one_line(exc)}"
                    results.append(RecordResult(error=error, received_at=received_at))
                    continue
                fresh = tuple(a for a in candidates if a.id in stored)
                seen.update(a.id for a in fresh)
                results.append(RecordResult(fresh, len(batch) - len(fresh), received_at=received_at))
        return results
