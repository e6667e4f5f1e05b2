"""Who is asking, and may they? Scoped API tokens, operator sessions, CSRF.

Two ways in:
* ``Authorization: Bearer <token>``: integrators (``ingest``), displays
  (``display``), scripts and Stream Deck buttons (``operator``, ``admin``).
* A session cookie from ``POST /api/v1/login``, for people in the panel. Cookie
  requests that change anything must also carry ``X-CSRF-Token`` (the value
  login returned), so another site cannot ride on an operator's cookie.

Permissions are what a role or scope grants; an admin can do what an operator
can, an operator what a viewer can, and operators may enter manual tallies.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from projector.server.app_keys import STORE
from projector.server.web.errors import ApiError

SESSION_COOKIE = "projector_session"
CSRF_HEADER = "X-CSRF-Token"

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


TOKEN_CACHE = web.AppKey("token_cache", TokenCache)


async def authenticate(request: web.Request) -> Principal | None:
    """The caller's identity, or None for an anonymous request."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise ApiError(401, "unauthorized", "Authorization header must be 'Bearer <token>'")
        return await verify_token(request.app, secret.strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        session = await request.app[STORE].call(lambda s: s.get_session(cookie, time.time()))
        if session is None:
            raise ApiError(401, "session_expired", "your session has expired; log in again")
        return Principal("session", session.username, session.role, session.csrf_token)
    return None


async def verify_token(app: web.Application, secret: str) -> Principal:
    cache = app[TOKEN_CACHE]
    now = time.monotonic()
    hit, principal = cache.get(secret, now)
    if not hit:
        info = await app[STORE].call(lambda s: s.verify_token(secret))
        principal = None if info is None else Principal("token", info.label or f"token-{info.id}", info.scope)
        cache.put(secret, principal, now)
    if principal is None:
        raise ApiError(401, "unauthorized", "unknown or revoked token")
    return principal


async def require(request: web.Request, permission: str) -> Principal:
    """The caller, if allowed ``permission``; otherwise a 401/403 naming what is missing."""
    principal = await authenticate(request)
    if principal is None:
        raise ApiError(401, "unauthorized", f"authentication required ({permission} access)")
    if not principal.can(permission):
        raise ApiError(403, "forbidden", f"{principal.role!r} may not do this; it needs {permission} access")
    if principal.kind == "session" and request.method not in ("GET", "HEAD", "OPTIONS"):
        sent = request.headers.get(CSRF_HEADER, "")
        if not principal.csrf_token or not hmac.compare_digest(sent, principal.csrf_token):
            raise ApiError(403, "csrf", f"missing or wrong {CSRF_HEADER} header")
    return principal


def principal_json(principal: Principal) -> dict[str, Any]:
    return {"name": principal.name, "role": principal.role, "kind": principal.kind}
