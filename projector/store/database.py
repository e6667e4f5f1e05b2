"""Which store a server or a command opens: the ``database`` setting.

Empty (the default): SQLite, ``projector.db`` in the data directory, needing nothing
but Python. A ``postgresql://`` (or ``postgres://``) URL: that PostgreSQL database,
through psycopg, which the optional ``postgres`` extra installs
(``pip install 'projector[postgres]'``). psycopg is imported only here and in
``postgres.py`` (and ``media_bytes.py``), and its absence is an error only when a URL asks for PostgreSQL, so
the demo and a single venue never need it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from projector.store.base import Store
from projector.store.preflight import check_sqlite_file
from projector.store.records import StoreError
from projector.store.sqlite import SqliteStore

_WITHOUT_POSTGRES: ModuleNotFoundError | None = None
try:
    from projector.store.media_bytes import MediaBytes
    from projector.store.postgres import PostgresStore, describe_url
except ModuleNotFoundError as exc:  # the optional "postgres" extra is not installed
    if not (exc.name or "").startswith("psycopg"):
        raise
    _WITHOUT_POSTGRES = exc

#: URL schemes that name a PostgreSQL database (libpq accepts both).
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(database: str) -> bool:
    return database.startswith(POSTGRES_SCHEMES)


def check_database(database: str) -> None:
    """``ValueError`` naming what is wrong, unless the setting is empty or a PostgreSQL URL."""
    if database and not is_postgres_url(database):
        # Name the scheme only: whatever follows may hold a password.
        shown = database.split("://", 1)[0] + "://..." if "://" in database else database
        raise ValueError(
            f"database must be a postgresql:// URL (or empty for SQLite in the data directory), got {shown!r}"
        )


def describe(database: str, sqlite_path: Path) -> str:
    """What the store is, for logs and errors: the SQLite file, or the URL without its password."""
    if not database:
        return str(sqlite_path)
    if _WITHOUT_POSTGRES is not None:
        return database.split("://", 1)[0] + "://..."
    return describe_url(database)


def store_factory(database: str, sqlite_path: Path) -> Callable[[], Store]:
    """A function that opens the store the setting names (each call opens it again)."""
    check_database(database)
    if not database:
        return lambda: SqliteStore(sqlite_path)
    if _WITHOUT_POSTGRES is not None:
        raise StoreError(
            f"PostgreSQL support is not installed ({_WITHOUT_POSTGRES}); "
            "install it with: pip install 'projector[postgres]'"
        )
    return lambda: PostgresStore(database)


def open_store(database: str, sqlite_path: Path) -> Store:
    """Open the store now: for the command-line tools, which use it and close it.

    A SQLite file is checked first as the server checks it: a tool must not start a new,
    empty database where the campaign's was damaged or deleted (``preflight.py``)."""
    if not database:
        check_sqlite_file(sqlite_path, sqlite_path.parent, init=False)
    return store_factory(database, sqlite_path)()


def shared_media(database: str) -> MediaBytes | None:
    """Where nodes on one database keep the uploaded files' shared copy (``media_bytes.py``):
    None for SQLite, whose one node's library is the only copy."""
    if not is_postgres_url(database):
        return None
    store_factory(database, Path())  # the same refusal when PostgreSQL support is missing
    return MediaBytes(database)
