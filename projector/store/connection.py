"""What every SQL store's parts share: a connection they can run ``?``-style SQL on, and one
way to open a write transaction.

The mixins (accounts, messages, media, fleet, settings, the action log's reads) are written
once against ``Connection`` below, in the SQL that SQLite and PostgreSQL both accept; each
store supplies the connection (``sqlite3.Connection`` itself, or ``PgConnection`` in
``postgres.py``, which turns ``?`` into psycopg's ``%s``) and its own ``_transaction``.
Where the two dialects differ the mixins read a class attribute the store sets
(``_CASE_ORDER``, ``_HOUR_OF``, ``_INTEGRITY_ERRORS``) instead of branching on the database.

The contract every store meets is ``Store`` in ``base.py``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Protocol


class Cursor(Protocol):
    """What the mixins use of a cursor: ``sqlite3.Cursor`` and ``psycopg.Cursor`` both have it."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """``execute(sql, params)`` with ``?`` placeholders, as ``sqlite3.Connection`` has it."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Cursor: ...


class StoreBase(ABC):
    """The connection a store opens and its write transaction, used by its parts."""

    _conn: Connection
    #: What the database raises for a broken UNIQUE or PRIMARY KEY constraint (a taken user name).
    _INTEGRITY_ERRORS: ClassVar[tuple[type[Exception], ...]] = ()
    #: The column that orders cases as they were first created (an upsert keeps the place).
    _CASE_ORDER: ClassVar[str] = "rowid"
    #: SQL for the start of the hour of ``received_at`` (Unix seconds, rounded down), as an integer.
    _HOUR_OF: ClassVar[str] = "CAST(received_at / 3600 AS INTEGER) * 3600"

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[Connection]:
        """One write transaction, committed at the end, rolled back on any error.

        Writes are serialised the same way on every store (SQLite: ``BEGIN IMMEDIATE``;
        PostgreSQL: a transaction-scoped advisory lock), so a read-then-write such as the
        pin limit or a schedule overlap check is never raced by another writer.
        """


def check_choice(kind: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise ValueError(f"unknown {kind} {value!r}; expected one of {', '.join(allowed)}")
