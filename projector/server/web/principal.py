"""Who a caller is (a token's scope or a user's role) and what that grants; verified tokens, cached."""

from __future__ import annotations

from dataclasses import dataclass

GRANTS: dict[str, frozenset[str]] = {
    "admin": frozenset({"admin", "operator", "viewer", "ingest"}),
    "operator": frozenset({"operator", "viewer", "ingest"}),
    "viewer": frozenset({"viewer"}),
    "ingest": frozenset({"ingest"}),
    "display": frozenset({"display"}),
}

#: How long a verified token is trusted without asking the store again. Short,
#: so a token revoked from the command line stops working within seconds.
TOKEN_CACHE_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Principal:
    kind: str  # "token" or "session"
    name: str  # token label or username: recorded with what they do
    role: str  # token scope or user role
    csrf_token: str | None = None

    def can(self, permission: str) -> bool:
        return permission in GRANTS.get(self.role, frozenset())


class TokenCache:
    """Verified tokens for a few seconds, so a busy ingest path skips the store."""

    def __init__(self, ttl: float = TOKEN_CACHE_SECONDS) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[Principal | None, float]] = {}

    def get(self, secret: str, now: float) -> tuple[bool, Principal | None]:
        entry = self._entries.get(secret)
        if entry is None or entry[1] < now:
            return False, None
        return True, entry[0]

    def put(self, secret: str, principal: Principal | None, now: float) -> None:
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[secret] = (principal, now + self.ttl)

    def clear(self) -> None:
        self._entries.clear()
