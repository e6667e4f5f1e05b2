"""Credentials in the store: API tokens, operator accounts and their sessions.

Secrets are never stored: tokens and session ids as SHA-256 (they are long
and random), passwords with scrypt. A session's role is read from its user at
every lookup, so demoting someone takes effect at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from projector.store import security
from projector.store.connection import StoreBase, check_choice

TOKEN_SCOPES = ("ingest", "display", "operator", "admin")
USER_ROLES = ("admin", "operator", "viewer")
MAX_USERNAME_LENGTH = 64


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """An API token as listed; the secret itself is never stored."""

    id: int
    scope: str
    label: str
    prefix: str
    created_at: float
    revoked: bool
    last_used_at: float | None = None


@dataclass(frozen=True, slots=True)
class User:
    username: str
    role: str
    created_at: float


@dataclass(frozen=True, slots=True)
class Session:
    """A logged-in operator. ``role`` is read from the user at lookup time, so
    a role change applies to sessions already open."""

    username: str
    role: str
    csrf_token: str
    expires_at: float


class AccountsMixin(StoreBase):
    # --- API tokens -----------------------------------------------------------------

    _TOKEN_COLUMNS = "id, scope, label, prefix, created_at, revoked_at IS NOT NULL, last_used_at"

    @staticmethod
    def _token(row: tuple[Any, ...]) -> TokenInfo:
        token_id, scope, label, prefix, created_at, revoked, last_used_at = row
        return TokenInfo(token_id, scope, label, prefix, created_at, bool(revoked), last_used_at)

    def create_token(self, scope: str, label: str, now: float) -> tuple[int, str]:
        """Return ``(id, secret)``. The secret is shown this once; only its hash is kept."""
        check_choice("token scope", scope, TOKEN_SCOPES)
        secret = security.new_token_secret()
        prefix = secret[: security.TOKEN_DISPLAY_LENGTH]
        with self._transaction() as conn:
            # RETURNING, not lastrowid: PostgreSQL has no lastrowid. fetchall() ends the statement
            # before the commit.
            [(token_id,)] = conn.execute(
                "INSERT INTO tokens (scope, label, prefix, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)"
                " RETURNING id",
                (scope, label, prefix, security.hash_token(secret), now),
            ).fetchall()
        return int(token_id), secret

    def verify_token(self, secret: str) -> TokenInfo | None:
        """The live token with this secret, or None (unknown or revoked).

        The lookup is by hash, so no comparison of secrets happens in Python
        and no timing difference reveals a near miss.
        """
        if not isinstance(secret, str) or not secret or len(secret) > security.MAX_TOKEN_LENGTH:
            return None
        row = self._conn.execute(
            f"SELECT {self._TOKEN_COLUMNS} FROM tokens WHERE secret_hash = ? AND revoked_at IS NULL",
            (security.hash_token(secret),),
        ).fetchone()
        return None if row is None else self._token(row)

    def list_tokens(self) -> list[TokenInfo]:
        rows = self._conn.execute(f"SELECT {self._TOKEN_COLUMNS} FROM tokens ORDER BY id")
        return [self._token(row) for row in rows]

    def revoke_token(self, token_id: int, now: float | None = None) -> bool:
        """True if a live token was revoked now; False if unknown or already revoked."""
        with self._transaction() as conn:
            cursor = conn.execute(
                "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (time.time() if now is None else now, token_id),
            )
            return cursor.rowcount > 0

    def touch_token(self, token_id: int, now: float) -> None:
        """Remember when a token was last used (shown in listings)."""
        with self._transaction() as conn:
            conn.execute("UPDATE tokens SET last_used_at = ? WHERE id = ?", (now, token_id))

    # --- users and sessions -----------------------------------------------------------

    def create_user(self, username: str, password: str, role: str, now: float) -> User:
        """Add an operator account. Names are unique regardless of case."""
        _check_new_user(username, role)
        return self.create_user_hashed(username, security.hash_password(password), role, now)

    def create_user_hashed(self, username: str, password_hash: str, role: str, now: float) -> User:
        """``create_user`` with the password already hashed: the server hashes on its own
        pool (``projector.server.passwords``), never on the store's writer thread."""
        _check_new_user(username, role)
        try:
            with self._transaction() as conn:
                conn.execute(
                    "INSERT INTO users (username, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
                    (username, password_hash, role, now),
                )
        except self._INTEGRITY_ERRORS:
            raise ValueError(f"user {username!r} already exists") from None
        return User(username, role, now)

    def get_user(self, username: str) -> User | None:
        row = self._conn.execute(
            "SELECT username, role, created_at FROM users WHERE username = ?", (username,)
        ).fetchone()
        return None if row is None else User(*row)

    def list_users(self) -> list[User]:
        rows = self._conn.execute("SELECT username, role, created_at FROM users ORDER BY username")
        return [User(*row) for row in rows]

    def has_users(self) -> bool:
        return self._conn.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None

    def authenticate(self, username: str, password: str) -> User | None:
        """The user if the password is right, else None; an unknown name costs
        the same time as a wrong password."""
        row = self._conn.execute(
            "SELECT username, role, created_at, password_hash FROM users WHERE username = ?", (username,)
        ).fetchone()
        if row is None:
            security.burn_password_check(password)
            return None
        name, role, created_at, password_hash = row
        if not security.verify_password(password, password_hash):
            return None
        if security.needs_rehash(password_hash):
            with self._transaction() as conn:
                conn.execute(
                    "UPDATE users SET password_hash = ? WHERE username = ?",
                    (security.hash_password(password), name),
                )
        return User(name, role, created_at)

    def login_record(self, username: str) -> tuple[User, str] | None:
        """The user and their stored password hash, so the (slow) check can run elsewhere."""
        row = self._conn.execute(
            "SELECT username, role, created_at, password_hash FROM users WHERE username = ?", (username,)
        ).fetchone()
        return None if row is None else (User(row[0], row[1], row[2]), row[3])

    def replace_password_hash(self, username: str, old_hash: str, new_hash: str) -> bool:
        """Store a rehash of the same password (stronger parameters), unless the password
        changed since ``old_hash`` was read; True if stored."""
        with self._transaction() as conn:
            cursor = conn.execute(
                "UPDATE users SET password_hash = ? WHERE username = ? AND password_hash = ?",
                (new_hash, username, old_hash),
            )
            return cursor.rowcount > 0

    def set_password(self, username: str, password: str) -> bool:
        """Change a password and end that user's sessions. False if no such user."""
        password_hash = security.hash_password(password)
        with self._transaction() as conn:
            cursor = conn.execute(
                "UPDATE users SET password_hash = ? WHERE username = ?", (password_hash, username)
            )
            conn.execute("DELETE FROM sessions WHERE username = ?", (username,))
            return cursor.rowcount > 0

    def create_session(self, username: str, now: float, ttl_seconds: float) -> tuple[str, str]:
        """Return ``(session secret, csrf token)``; only the secret's hash is kept."""
        secret = security.new_session_secret()
        csrf = security.new_session_secret()
        with self._transaction() as conn:
            row = conn.execute("SELECT username FROM users WHERE username = ?", (username,)).fetchone()
            if row is None:
                raise ValueError(f"no user {username!r}")
            conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (now,))
            conn.execute(
                "INSERT INTO sessions (secret_hash, username, csrf_token, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (security.hash_token(secret), row[0], csrf, now, now + ttl_seconds),
            )
        return secret, csrf

    def get_session(self, secret: str, now: float) -> Session | None:
        """The live session for this secret; an expired one is deleted and None returned."""
        if not isinstance(secret, str) or not secret or len(secret) > security.MAX_TOKEN_LENGTH:
            return None
        secret_hash = security.hash_token(secret)
        row = self._conn.execute(
            "SELECT s.username, u.role, s.csrf_token, s.expires_at FROM sessions s"
            " JOIN users u ON u.username = s.username WHERE s.secret_hash = ?",
            (secret_hash,),
        ).fetchone()
        if row is None:
            return None
        if row[3] <= now:
            with self._transaction() as conn:
                conn.execute("DELETE FROM sessions WHERE secret_hash = ?", (secret_hash,))
            return None
        return Session(*row)

    def delete_session(self, secret: str) -> None:
        with self._transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE secret_hash = ?", (security.hash_token(secret),))


def _check_new_user(username: str, role: str) -> None:
    check_choice("role", role, USER_ROLES)
    if not username or len(username) > MAX_USERNAME_LENGTH or not username.isprintable():
        raise ValueError(f"username must be 1-{MAX_USERNAME_LENGTH} printable characters")
