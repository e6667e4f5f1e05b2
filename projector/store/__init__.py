"""Persistence behind one small interface.

``SqliteStore`` is the embedded default (one WAL file in the data directory);
``StoreWriter`` runs it on its own thread for asyncio code and groups action
writes into shared commits. The value types here are what any store returns,
so a later PostgreSQL store can return the same ones.
"""

from projector.store.accounts import TOKEN_SCOPES, USER_ROLES, Session, TokenInfo, User
from projector.store.messages import MESSAGE_STATUSES, StoredMessage
from projector.store.sqlite import RecordResult, SqliteStore, StoreError
from projector.store.writer import StoreWriter

__all__ = [
    "MESSAGE_STATUSES",
    "TOKEN_SCOPES",
    "USER_ROLES",
    "RecordResult",
    "Session",
    "SqliteStore",
    "StoreError",
    "StoreWriter",
    "StoredMessage",
    "TokenInfo",
    "User",
]
