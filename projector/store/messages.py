"""Supporter messages in the store, and the moderation decisions on them."""

from __future__ import annotations

from dataclasses import dataclass

from projector.store.base import StoreBase, check_choice

MESSAGE_STATUSES = ("pending", "approved", "rejected")


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: str
    text: str
    name: str
    country: str | None
    lang: str | None
    source: str
    sender: str | None
    status: str
    created_at: float
    decided_at: float | None = None
    decided_by: str | None = None


class MessagesMixin(StoreBase):
    # --- supporter messages --------------------------------------------------------------

    _MESSAGE_COLUMNS = (
        "id, text, name, country, lang, source, sender, status, created_at, decided_at, decided_by"
    )

    def add_message(
        self,
        message_id: str,
        text: str,
        name: str,
        country: str | None,
        lang: str | None,
        source: str,
        sender: str | None,
        now: float,
    ) -> StoredMessage:
        """Queue a message for moderation. Idempotent: a retried id (an SMS
        gateway retrying a webhook) returns the message already stored."""
        with self._transaction() as conn:
            conn.execute(
                f"INSERT INTO messages ({self._MESSAGE_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, NULL, NULL) ON CONFLICT (id) DO NOTHING",
                (message_id, text, name, country, lang, source, sender, now),
            )
        stored = self.get_message(message_id)
        assert stored is not None
        return stored

    def get_message(self, message_id: str) -> StoredMessage | None:
        row = self._conn.execute(
            f"SELECT {self._MESSAGE_COLUMNS} FROM messages WHERE id = ?", (message_id,)
        ).fetchone()
        return None if row is None else StoredMessage(*row)

    def set_message_status(self, message_id: str, status: str, by: str | None, now: float) -> bool:
        """Approve, reject, or return a message to the queue. False if no such message."""
        check_choice("message status", status, MESSAGE_STATUSES)
        decided = status != "pending"
        with self._transaction() as conn:
            cursor = conn.execute(
                "UPDATE messages SET status = ?, decided_at = ?, decided_by = ? WHERE id = ?",
                (status, now if decided else None, by if decided else None, message_id),
            )
            return cursor.rowcount > 0

    def list_messages(self, status: str | None, limit: int) -> list[StoredMessage]:
        """Oldest first (a moderation queue is worked from its head); ``None`` lists all."""
        if status is None:
            rows = self._conn.execute(
                f"SELECT {self._MESSAGE_COLUMNS} FROM messages ORDER BY created_at, id LIMIT ?", (limit,)
            )
        else:
            check_choice("message status", status, MESSAGE_STATUSES)
            rows = self._conn.execute(
                f"SELECT {self._MESSAGE_COLUMNS} FROM messages WHERE status = ?"
                " ORDER BY created_at, id LIMIT ?",
                (status, limit),
            )
        return [StoredMessage(*row) for row in rows]

    def approved_messages(self, limit: int) -> list[StoredMessage]:
        """The latest ``limit`` approved messages in approval order, to rebuild the wall."""
        rows = self._conn.execute(
            f"SELECT * FROM (SELECT {self._MESSAGE_COLUMNS} FROM messages WHERE status = 'approved'"
            " ORDER BY decided_at DESC, id DESC LIMIT ?) ORDER BY decided_at, id",
            (limit,),
        )
        return [StoredMessage(*row) for row in rows]
