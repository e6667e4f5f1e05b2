"""What any store returns or raises for the action log, apart from any one database.

``RecordResult`` and ``StoreError`` lived in ``sqlite.py``; they are here so the
``Store`` protocol (``base.py``) and a second store (PostgreSQL) can use them
without importing the SQLite implementation. ``sqlite.py`` re-exports both.
The other record types (``User``, ``StoredMessage``, ``DisplaySettings``, ...)
stay beside the code that stores them: they import nothing of SQLite's.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

from projector.core.model import Action


class StoreError(RuntimeError):
    """The database cannot be used: not ours, unreadable, or from a newer version."""


#: SQLite's result code for "database or disk is full" (``sqlite3.SQLITE_FULL``), and
#: PostgreSQL's SQLSTATE for ``disk_full``; numbers, so any store's errors are read here.
_SQLITE_FULL = 13
_PG_DISK_FULL = "53100"
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_FULL_WORDS = ("database or disk is full", "no space left on device", "disk quota exceeded")


def is_disk_full(exc: BaseException) -> bool:
    """True when ``exc``, or anything it was raised from, says the disk (or quota) is full.

    Callers answer "retry later" instead of "internal error": nothing is wrong with
    the request, and the service comes back by itself once space is freed. The
    chain is walked because the store wraps the database's error (``StoreError``
    raised from ``sqlite3.OperationalError``).
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _FULL_ERRNOS:
            return True
        if getattr(current, "sqlite_errorcode", None) == _SQLITE_FULL:
            return True
        if getattr(current, "sqlstate", None) == _PG_DISK_FULL:
            return True
        if any(words in str(current).lower() for words in _FULL_WORDS):
            return True
        current = current.__cause__ or current.__context__
    return False


@dataclass(frozen=True, slots=True)
class RecordResult:
    """The outcome of one batch. ``accepted`` are the newly stored actions, in
    order; ``error`` is set (and nothing stored) when the batch was refused.

    ``received_at`` is the time stored with the actions. Pass it as ``now``
    when reducing them, so a "record beaten at" the server announces is the
    very time ``record_beaten_at`` finds in the log after a restart.
    """

    accepted: tuple[Action, ...] = ()
    duplicates: int = 0
    error: str | None = None
    received_at: float | None = None
