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
from typing import Any

from aiohttp import web

from projector.server.services import SERVICES
from projector.server.web.errors import ApiError
from projector.server.web.principal import Principal

SESSION_COOKIE = "projector_session"
CSRF_HEADER = "X-CSRF-Token"


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
        session = await request.app[SERVICES].store.call(lambda s: s.get_session(cookie, time.time()))
        if session is None:
            raise ApiError(401, "session_expired", "your session has expired; log in again")
        return Principal("session", session.username, session.role, session.csrf_token)
    return None


async def verify_token(app: web.Application, secret: str) -> Principal:
    cache = app[SERVICES].tokens
    now = time.monotonic()
    hit, principal = cache.get(secret, now)
    if not hit:
        info = await app[SERVICES].store.call(lambda s: s.verify_token(secret))
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
