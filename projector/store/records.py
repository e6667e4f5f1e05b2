"""What any store returns or raises for the action log, apart from any one database.

``RecordResult`` and ``StoreError`` lived in ``sqlite.py``; they are here so the
``Store`` protocol (``base.py``) and a second store (PostgreSQL) can use them
without importing the SQLite implementation. ``sqlite.py`` re-exports both.
The other record types (``User``, ``StoredMessage``, ``DisplaySettings``, ...)
stay beside the code that stores them: they import nothing of SQLite's.
"""

from __future__ import annotations

from dataclasses import dataclass

from projector.core.model import Action


class StoreError(RuntimeError):
    """The database cannot be used: not ours, unreadable, or from a newer version."""


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
