"""Persistence behind one small interface.

``Store`` (``base.py``) is the protocol every store meets and the server is
typed against; ``SqliteStore`` is the embedded default (one WAL file in the data directory);
``StoreWriter`` runs it on its own thread for asyncio code and groups action
writes into shared commits. The value types here are what any store returns,
so a later PostgreSQL store can return the same ones.
"""

from projector.store.accounts import TOKEN_SCOPES, USER_ROLES, Session, TokenInfo, User
from projector.store.base import Store
from projector.store.messages import MESSAGE_STATUSES, StoredMessage
from projector.store.records import RecordResult, StoreError
from projector.store.sqlite import SqliteStore
from projector.store.writer import StoreWriter

__all__ = [
    "MESSAGE_STATUSES",
    "TOKEN_SCOPES",
    "USER_ROLES",
    "RecordResult",
    "Session",
    "SqliteStore",
    "Store",
    "StoreError",
    "StoreWriter",
    "StoredMessage",
    "TokenInfo",
    "User",
]
