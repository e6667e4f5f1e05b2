"""Supporter messages in the store, and every moderation decision on them.

Each decision (by a rule or a person) is written in the same transaction as
the change it makes, to an append-only log: who approved what, when, is
never lost or guessed afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from projector.store.connection import StoreBase, check_choice

MESSAGE_STATUSES = ("pending", "approved", "rejected")
#: What the moderation log records. ``rules`` decisions are made by the automatic rules.
DECISIONS = (
    "held",
    "approve",
    "reject",
    "edit",
    "pin",
    "unpin",
    "block",
    "unblock",
    "blocklist",
)
#: Pins are for a handful of messages a campaign wants kept up; more would crowd the wall.
MAX_PINNED = 10

MESSAGES_MIGRATION = """
    ALTER TABLE messages ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN notes TEXT NOT NULL DEFAULT '';
    CREATE TABLE moderation_log (
        seq INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        by TEXT NOT NULL,
        decision TEXT NOT NULL,
        message_id TEXT,
        sender TEXT,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX moderation_log_by_message ON moderation_log (message_id);
    CREATE TABLE blocked_senders (
        sender TEXT PRIMARY KEY,
        at REAL NOT NULL,
        by TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT ''
    ) WITHOUT ROWID;
    CREATE TABLE blocklists (
        lang TEXT PRIMARY KEY,
        entries TEXT NOT NULL,
        updated_at REAL NOT NULL,
        updated_by TEXT NOT NULL
    ) WITHOUT ROWID;
"""


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
    pinned: bool = False
    notes: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    seq: int
    at: float
    by: str
    decision: str
    message_id: str | None
    sender: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class BlockedSender:
    sender: str
    at: float
    by: str
    reason: str


class MessagesMixin(StoreBase):
    _MESSAGE_COLUMNS = (
        "id, text, name, country, lang, source, sender, status, created_at, decided_at, decided_by,"
        " pinned, notes"
    )

    @staticmethod
    def _message(row: tuple[Any, ...]) -> StoredMessage:
        # ``Any``: sqlite3 rows are untyped; the columns are ``_MESSAGE_COLUMNS``, whose
        # NOT NULL and CHECK constraints make each value the field's type. Named, not
        # splatted, so mypy checks the count and a new column cannot shift the others.
        (
            msg_id,
            text,
            name,
            country,
            lang,
            source,
            sender,
            status,
            created_at,
            decided_at,
            decided_by,
            pinned,
            notes,
        ) = row
        return StoredMessage(
            id=msg_id,
            text=text,
            name=name,
            country=country,
            lang=lang,
            source=source,
            sender=sender,
            status=status,
            created_at=created_at,
            decided_at=decided_at,
            decided_by=decided_by,
            pinned=bool(pinned),
            notes=notes,
        )

    def _log(
        self,
        decision: str,
        by: str,
        now: float,
        message_id: str | None = None,
        sender: str | None = None,
        detail: str = "",
    ) -> None:
        check_choice("decision", decision, DECISIONS)
        self._conn.execute(
            "INSERT INTO moderation_log (at, by, decision, message_id, sender, detail)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (now, by, decision, message_id, sender, detail),
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
        notes: str = "",
    ) -> StoredMessage:
        """Queue a message for moderation. Idempotent: a retried id (an SMS
        gateway retrying a webhook) returns the message already stored."""
        with self._transaction() as conn:
            conn.execute(
                f"INSERT INTO messages ({self._MESSAGE_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, NULL, NULL, 0, ?) ON CONFLICT (id) DO NOTHING",
                (message_id, text, name, country, lang, source, sender, now, notes),
            )
        stored = self.get_message(message_id)
        assert stored is not None
        return stored

    def log_decision(
        self, decision: str, by: str, now: float, message_id: str | None, sender: str | None, detail: str
    ) -> None:
        """Log a decision that changed nothing else (the rules holding a message, with why)."""
        with self._transaction():
            self._log(decision, by, now, message_id, sender, detail)

    def get_message(self, message_id: str) -> StoredMessage | None:
        row = self._conn.execute(
            f"SELECT {self._MESSAGE_COLUMNS} FROM messages WHERE id = ?", (message_id,)
        ).fetchone()
        return None if row is None else self._message(row)

    def set_message_status(self, message_id: str, status: str, by: str, now: float, detail: str = "") -> bool:
        """Approve, reject, or return a message to the queue, and log it. False if no such message.

        A rejected message is unpinned: nothing rejected stays on the wall.
        """
        check_choice("message status", status, MESSAGE_STATUSES)
        decided = status != "pending"
        with self._transaction() as conn:
            cursor = conn.execute(
                "UPDATE messages SET status = ?, decided_at = ?, decided_by = ?,"
                " pinned = CASE WHEN ? = 'rejected' THEN 0 ELSE pinned END WHERE id = ?",
                (status, now if decided else None, by if decided else None, status, message_id),
            )
            if cursor.rowcount == 0:
                return False
            decision = {"approved": "approve", "rejected": "reject", "pending": "held"}[status]
            self._log(decision, by, now, message_id, self._sender_of(message_id), detail)
            return True

    def _sender_of(self, message_id: str) -> str | None:
        row = self._conn.execute("SELECT sender FROM messages WHERE id = ?", (message_id,)).fetchone()
        return None if row is None else row[0]

    def edit_message(self, message_id: str, text: str, name: str, by: str, now: float) -> bool:
        """Change what a message says (a typo, a surname to drop); the log keeps the original."""
        with self._transaction() as conn:
            row = conn.execute(
                "SELECT text, name, sender FROM messages WHERE id = ?", (message_id,)
            ).fetchone()
            if row is None:
                return False
            old_text, old_name, sender = row
            conn.execute("UPDATE messages SET text = ?, name = ? WHERE id = ?", (text, name, message_id))
            detail = f"was: {old_text}" + (f" \u2014 {old_name}" if old_name != name else "")
            self._log("edit", by, now, message_id, sender, detail)
            return True

    def set_pinned(self, message_id: str, pinned: bool, by: str, now: float) -> bool:
        """Pin (approving it if need be) or unpin. Raises ValueError past ``MAX_PINNED``."""
        with self._transaction() as conn:
            row = conn.execute("SELECT status, sender FROM messages WHERE id = ?", (message_id,)).fetchone()
            if row is None:
                return False
            status, sender = row
            if pinned:
                count = conn.execute(
                    "SELECT count(*) FROM messages WHERE pinned = 1 AND id != ?", (message_id,)
                ).fetchone()[0]
                if count >= MAX_PINNED:
                    raise ValueError(f"at most {MAX_PINNED} messages can be pinned; unpin one first")
                if status != "approved":
                    conn.execute(
                        "UPDATE messages SET status = 'approved', decided_at = ?, decided_by = ? WHERE id = ?",
                        (now, by, message_id),
                    )
                    self._log("approve", by, now, message_id, sender)
            conn.execute("UPDATE messages SET pinned = ? WHERE id = ?", (int(pinned), message_id))
            self._log("pin" if pinned else "unpin", by, now, message_id, sender)
            return True

    def list_messages(self, status: str | None, limit: int) -> list[StoredMessage]:
        """Pending: oldest first (a moderation queue is worked from its head).
        Decided: the latest decisions first. ``None`` lists all, oldest first."""
        if status is None:
            rows = self._conn.execute(
                f"SELECT {self._MESSAGE_COLUMNS} FROM messages ORDER BY created_at, id LIMIT ?", (limit,)
            )
        else:
            check_choice("message status", status, MESSAGE_STATUSES)
            order = "created_at, id" if status == "pending" else "decided_at DESC, id DESC"
            rows = self._conn.execute(
                f"SELECT {self._MESSAGE_COLUMNS} FROM messages WHERE status = ? ORDER BY {order} LIMIT ?",
                (status, limit),
            )
        return [self._message(row) for row in rows]

    def count_messages(self, status: str) -> int:
        check_choice("message status", status, MESSAGE_STATUSES)
        return int(
            self._conn.execute("SELECT count(*) FROM messages WHERE status = ?", (status,)).fetchone()[0]
        )

    def approved_messages(self, limit: int) -> list[StoredMessage]:
        """The latest ``limit`` approved messages and every pinned one, in approval order, to rebuild the wall."""
        rows = self._conn.execute(
            f"SELECT * FROM (SELECT {self._MESSAGE_COLUMNS} FROM messages WHERE status = 'approved'"
            " ORDER BY decided_at DESC, id DESC LIMIT ?) AS latest"
            f" UNION SELECT {self._MESSAGE_COLUMNS} FROM messages WHERE status = 'approved' AND pinned = 1"
            " ORDER BY decided_at, id",
            (limit,),
        )
        return [self._message(row) for row in rows]

    # --- senders ------------------------------------------------------------------------

    def block_sender(self, sender: str, by: str, now: float, reason: str = "") -> list[str]:
        """Block a sender and reject everything they have waiting or on the wall.

        Returns the ids of the messages rejected, so their screens can be cleared.
        """
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO blocked_senders (sender, at, by, reason) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (sender) DO UPDATE SET at = excluded.at, by = excluded.by, reason = excluded.reason",
                (sender, now, by, reason),
            )
            self._log("block", by, now, None, sender, reason)
            ids = [
                row[0]
                for row in conn.execute(
                    "SELECT id FROM messages WHERE sender = ? AND status != 'rejected'", (sender,)
                )
            ]
            for message_id in ids:
                conn.execute(
                    "UPDATE messages SET status = 'rejected', decided_at = ?, decided_by = ?, pinned = 0"
                    " WHERE id = ?",
                    (now, by, message_id),
                )
                self._log("reject", by, now, message_id, sender, "sender blocked")
            return ids

    def unblock_sender(self, sender: str, by: str, now: float) -> bool:
        with self._transaction() as conn:
            cursor = conn.execute("DELETE FROM blocked_senders WHERE sender = ?", (sender,))
            if cursor.rowcount:
                self._log("unblock", by, now, None, sender)
            return cursor.rowcount > 0

    def is_blocked(self, sender: str) -> bool:
        return (
            self._conn.execute("SELECT 1 FROM blocked_senders WHERE sender = ?", (sender,)).fetchone()
            is not None
        )

    def blocked_at(self, sender: str) -> float | None:
        """When ``sender`` was blocked, or None: for blocks that lapse (an address's)."""
        row = self._conn.execute("SELECT at FROM blocked_senders WHERE sender = ?", (sender,)).fetchone()
        return None if row is None else float(row[0])

    def blocked_senders(self) -> list[BlockedSender]:
        rows = self._conn.execute("SELECT sender, at, by, reason FROM blocked_senders ORDER BY at DESC")
        return [BlockedSender(*row) for row in rows]

    # --- blocklists and the log ----------------------------------------------------------

    def blocklists(self) -> dict[str, str]:
        """Edited blocklists by language code ('*' applies to all), as their text."""
        return dict(self._conn.execute("SELECT lang, entries FROM blocklists ORDER BY lang").fetchall())

    def set_blocklist(self, lang: str, entries: str, by: str, now: float) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO blocklists (lang, entries, updated_at, updated_by) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (lang) DO UPDATE SET entries = excluded.entries,"
                " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                (lang, entries, now, by),
            )
            count = sum(
                1 for line in entries.splitlines() if line.strip() and not line.lstrip().startswith("#")
            )
            self._log("blocklist", by, now, None, None, f"{lang}: {count} entries")

    def moderation_log(self, limit: int, message_id: str | None = None) -> list[Decision]:
        """The latest decisions first; only one message's when ``message_id`` is given."""
        if message_id is None:
            rows = self._conn.execute(
                "SELECT seq, at, by, decision, message_id, sender, detail FROM moderation_log"
                " ORDER BY seq DESC LIMIT ?",
                (limit,),
            )
        else:
            rows = self._conn.execute(
                "SELECT seq, at, by, decision, message_id, sender, detail FROM moderation_log"
                " WHERE message_id = ? ORDER BY seq DESC LIMIT ?",
                (message_id, limit),
            )
        return [Decision(*row) for row in rows]
