"""The ``Store`` protocol: what the server, the CLI and ``StoreWriter`` need of a store.

``SqliteStore`` (``sqlite.py``) is the one implementation today; a PostgreSQL
store plugs in by meeting this protocol and being handed to ``StoreWriter`` as
its factory. The protocol is structural (``typing.Protocol``): no inheritance
is needed, mypy checks that a class meets it where one is used as a ``Store``
(see ``tests/store/test_protocol.py``).

Every method is synchronous and is called from one thread at a time
(``StoreWriter`` runs the store on its own thread). Each write is atomic and
durable when it returns. Methods listed here are used outside ``projector.store``
or by the contract tests; SQLite-only details (``journal_mode``, the
connection) stay off it on purpose.

Times (``now``, ``received_at``) are Unix seconds, passed in by the caller so
tests and replays control the clock. Choices such as a token scope, a role or
a message status are validated by the store: an unknown one raises
``ValueError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from projector.core.model import Action, Campaign, Case, Totals
from projector.core.schedule import Entry
from projector.store.accounts import Session, TokenInfo, User
from projector.store.fleet import DisplaySettings
from projector.store.media import MediaRecord
from projector.store.messages import BlockedSender, Decision, StoredMessage
from projector.store.records import RecordResult


class Store(Protocol):
    """All persistent state of one server: the action log, settings, cases,
    credentials, messages and their moderation, media, the fleet."""

    def close(self) -> None:
        """Release the connection; the store is not used afterwards."""
        ...

    # --- the action log -----------------------------------------------------------

    def record_actions(self, batches: Sequence[Sequence[Action]], received_at: float) -> list[RecordResult]:
        """Store several batches in one commit, one result per batch, in order.

        Each batch is all-or-nothing: a refused one gets ``error`` set while the
        others still commit. An id stored before, or earlier in this call, is a
        duplicate and not stored again. Raises if the commit itself fails.
        """
        ...

    def action_count(self) -> int:
        """Rows in the log (an offline tally of 500 letters is one row)."""
        ...

    def load_totals(self) -> Totals:
        """Totals derived from the log, exactly as ``Totals.add`` would count them."""
        ...

    def record_beaten_at(self, record: int) -> float | None:
        """When the running total (in log order) first went above ``record``."""
        ...

    def actions_per_hour(self, since: float) -> list[tuple[int, str, int]]:
        """``(hour_start, channel, count)`` for every hour from ``since``."""
        ...

    # --- settings, campaign, cases ----------------------------------------------------

    def get_setting(self, key: str) -> str | None: ...

    def set_setting(self, key: str, value: str) -> None: ...

    def delete_setting(self, key: str) -> bool:
        """Remove a setting; True if there was one."""
        ...

    def load_campaign(self) -> Campaign | None: ...

    def save_campaign(self, campaign: Campaign) -> None: ...

    def list_cases(self) -> list[Case]:
        """Cases in the order they were first created."""
        ...

    def get_case(self, case_id: str) -> Case | None: ...

    def upsert_case(self, case: Case) -> None: ...

    def delete_case(self, case_id: str) -> bool:
        """Forget a case (its actions stay in the log); False if there was none."""
        ...

    # --- API tokens ------------------------------------------------------------------------

    def create_token(self, scope: str, label: str, now: float) -> tuple[int, str]:
        """``(id, secret)``; the secret is returned this once and never stored."""
        ...

    def verify_token(self, secret: str) -> TokenInfo | None:
        """The live token with this secret; None if unknown, revoked or malformed."""
        ...

    def list_tokens(self) -> list[TokenInfo]: ...

    def revoke_token(self, token_id: int, now: float | None = None) -> bool:
        """True if a live token was revoked now."""
        ...

    def touch_token(self, token_id: int, now: float) -> None: ...

    # --- users and sessions ---------------------------------------------------------------

    def create_user(self, username: str, password: str, role: str, now: float) -> User:
        """Add an account; ``ValueError`` if the name (regardless of case) is taken."""
        ...

    def create_user_hashed(self, username: str, password_hash: str, role: str, now: float) -> User:
        """``create_user`` with the password already hashed (``security.hash_password``)."""
        ...

    def get_user(self, username: str) -> User | None: ...

    def login_record(self, username: str) -> tuple[User, str] | None:
        """The user and their stored password hash (None: no such user)."""
        ...

    def replace_password_hash(self, username: str, old_hash: str, new_hash: str) -> bool:
        """Store a rehash of the same password unless it changed since ``old_hash``; True if stored."""
        ...

    def list_users(self) -> list[User]: ...

    def has_users(self) -> bool: ...

    def authenticate(self, username: str, password: str) -> User | None:
        """The user if the password is right; an unknown name takes as long as a wrong password."""
        ...

    def set_password(self, username: str, password: str) -> bool:
        """Change a password and end the user's sessions; False if no such user."""
        ...

    def create_session(self, username: str, now: float, ttl_seconds: float) -> tuple[str, str]:
        """``(session secret, csrf token)``; ``ValueError`` if no such user."""
        ...

    def get_session(self, secret: str, now: float) -> Session | None:
        """The live session; an expired one is deleted and None returned."""
        ...

    def delete_session(self, secret: str) -> None: ...

    # --- supporter messages and moderation ----------------------------------------------------

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
        """Queue a message as pending. Idempotent: a retried id returns the stored message."""
        ...

    def log_decision(
        self, decision: str, by: str, now: float, message_id: str | None, sender: str | None, detail: str
    ) -> None: ...

    def get_message(self, message_id: str) -> StoredMessage | None: ...

    def set_message_status(self, message_id: str, status: str, by: str, now: float, detail: str = "") -> bool:
        """Approve, reject or re-queue, and log it; rejecting unpins. False if no such message."""
        ...

    def edit_message(self, message_id: str, text: str, name: str, by: str, now: float) -> bool: ...

    def set_pinned(self, message_id: str, pinned: bool, by: str, now: float) -> bool:
        """Pin (approving if need be) or unpin; ``ValueError`` past the pin limit."""
        ...

    def list_messages(self, status: str | None, limit: int) -> list[StoredMessage]:
        """Pending oldest first; decided latest decision first; None: all, oldest first."""
        ...

    def count_messages(self, status: str) -> int: ...

    def approved_messages(self, limit: int) -> list[StoredMessage]:
        """The latest ``limit`` approved and every pinned one, in approval order."""
        ...

    def block_sender(self, sender: str, by: str, now: float, reason: str = "") -> list[str]:
        """Block a sender and reject their messages; returns the ids rejected."""
        ...

    def unblock_sender(self, sender: str, by: str, now: float) -> bool: ...

    def is_blocked(self, sender: str) -> bool: ...
    def blocked_at(self, sender: str) -> float | None: ...

    def blocked_senders(self) -> list[BlockedSender]: ...

    def blocklists(self) -> dict[str, str]:
        """Edited blocklists by language code ('*': all languages), as their text."""
        ...

    def set_blocklist(self, lang: str, entries: str, by: str, now: float) -> None: ...

    def moderation_log(self, limit: int, message_id: str | None = None) -> list[Decision]:
        """The latest decisions first; only one message's when ``message_id`` is given."""
        ...

    # --- media ---------------------------------------------------------------------------------

    def add_media(self, record: MediaRecord) -> bool:
        """False when the same content was stored already (kept as it was)."""
        ...

    def get_media(self, media_hash: str) -> MediaRecord | None: ...

    def list_media(self) -> list[MediaRecord]:
        """Every stored picture, oldest first."""
        ...

    # --- the fleet: displays, groups, schedules, stored shows -------------------------------------

    def fleet_displays(self) -> list[DisplaySettings]: ...

    def save_display(self, settings: DisplaySettings, now: float) -> None:
        """Insert or replace a display's settings.

        A ``name`` another display has raises (``SqliteStore``:
        ``sqlite3.IntegrityError``); the fleet checks names are free first, so
        no caller depends on that exception's type.
        """
        ...

    def declared_groups(self) -> list[str]: ...

    def declare_group(self, name: str, now: float) -> None: ...

    def undeclare_group(self, name: str) -> bool: ...

    def list_schedules(self) -> list[Entry]: ...

    def add_schedule(self, entry: Entry, now: datetime) -> Entry:
        """Store an entry (returned with its id) unless it overlaps one for the same target."""
        ...

    def delete_schedule(self, entry_id: int) -> bool: ...

    def list_shows(self) -> list[tuple[str, str, float]]:
        """``(id, name, updated_at)`` of every stored show."""
        ...

    def get_show(self, show_id: str) -> str | None:
        """The stored show's JSON, or None."""
        ...

    def put_show(self, show_id: str, name: str, body: str, now: float) -> None: ...

    def delete_show(self, show_id: str) -> bool: ...
