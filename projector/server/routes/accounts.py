"""People: operator accounts, logins and sessions, and the API tokens integrators and displays use."""

from __future__ import annotations

import logging
import time
from typing import Any

from aiohttp import web

from projector.core.model import ValidationError, parse_text
from projector.server.passwords import HasherBusy
from projector.server.services import SERVICES
from projector.server.web.auth import SESSION_COOKIE, authenticate, principal_json, require
from projector.server.web.errors import ApiError, read_json_object
from projector.server.web.http import client_address, json_response, limit_public, rfc3339
from projector.store import security

log = logging.getLogger("projector.accounts")


async def login(request: web.Request) -> web.Response:
    limit_public(request.app[SERVICES].public_limiter, request)
    body = await read_json_object(request)
    username = parse_text(body.get("username"), "username", 100)
    password = parse_text(body.get("password"), "password", 1000)
    services = request.app[SERVICES]
    store, passwords = services.store, services.passwords
    # The store only reads the hash; the check runs on the password pool (see passwords.py),
    # so a flood of wrong logins never waits in line with action ingest on the writer. A full
    # pool is answered before the store read, so the excess of a flood costs the store nothing.
    try:
        passwords.check_room()
        found = await store.call(lambda s: s.login_record(username))
        ok = await passwords.verify(password, found[1] if found is not None else None)
    except HasherBusy as exc:
        raise _busy(exc) from None
    user = found[0] if found is not None and ok else None
    if user is not None and found is not None and security.needs_rehash(found[1]):
        old_hash = found[1]
        try:
            new_hash = await passwords.hash(password)
        except HasherBusy:
            pass  # stronger parameters at the next login; this one is already good
        else:
            await store.call(lambda s: s.replace_password_hash(user.username, old_hash, new_hash))
    if user is None:
        log.info("failed login for %r from %s", username, client_address(request))
        raise ApiError(401, "bad_credentials", "wrong username or password")
    ttl = request.app[SERVICES].config.session_ttl
    secret, csrf = await store.call(lambda s: s.create_session(user.username, time.time(), ttl))
    response = json_response(
        {"username": user.username, "role": user.role, "csrf_token": csrf, "expires_in": ttl}
    )
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(ttl),
        httponly=True,
        samesite="Strict",
        secure=request.secure,
        path="/",
    )
    return response


def _busy(exc: HasherBusy) -> ApiError:
    return ApiError(
        503,
        "busy",
        f"too many logins at once; retry in {exc.retry_after} s",
        headers={"Retry-After": str(exc.retry_after)},
    )


async def logout(request: web.Request) -> web.Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        await require(request, "viewer")
        await request.app[SERVICES].store.call(lambda s: s.delete_session(cookie))
    response = json_response({"logged_out": True})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


async def me(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    if principal is None:
        raise ApiError(401, "unauthorized", "not logged in")
    return json_response(principal_json(principal))


def _token_json(info: Any) -> dict[str, Any]:
    return {
        "id": info.id,
        "scope": info.scope,
        "label": info.label,
        "prefix": info.prefix,
        "created_at": rfc3339(info.created_at),
        "revoked": info.revoked,
    }


async def list_tokens(request: web.Request) -> web.Response:
    await require(request, "admin")
    tokens = await request.app[SERVICES].store.call(lambda s: s.list_tokens())
    return json_response({"tokens": [_token_json(t) for t in tokens]})


async def create_token(request: web.Request) -> web.Response:
    await require(request, "admin")
    body = await read_json_object(request)
    scope = body.get("scope")
    if scope not in ("ingest", "display", "operator", "admin"):
        raise ValidationError("scope", "must be one of ingest, display, operator, admin")
    label = parse_text(body.get("label", scope), "label", 100)
    token_id, secret = await request.app[SERVICES].store.call(
        lambda s: s.create_token(scope, label, time.time())
    )
    return json_response({"id": token_id, "scope": scope, "label": label, "token": secret}, status=201)


async def revoke_token(request: web.Request) -> web.Response:
    await require(request, "admin")
    try:
        token_id = int(request.match_info["token_id"])
    except ValueError:
        raise ApiError(404, "not_found", "no such token") from None
    if not await request.app[SERVICES].store.call(lambda s: s.revoke_token(token_id)):
        raise ApiError(404, "not_found", f"no token {token_id}")
    request.app[SERVICES].tokens.clear()
    return json_response({"revoked": token_id})


async def list_users(request: web.Request) -> web.Response:
    await require(request, "admin")
    users = await request.app[SERVICES].store.call(lambda s: s.list_users())
    return web.json_response(
        {
            "users": [
                {"username": u.username, "role": u.role, "created_at": rfc3339(u.created_at)} for u in users
            ]
        }
    )


async def create_user(request: web.Request) -> web.Response:
    principal = await require(request, "admin")
    body = await read_json_object(request)
    username = parse_text(body.get("username"), "username", 64)
    password = parse_text(body.get("password"), "password", 1000)
    if len(password) < 10:
        raise ValidationError("password", "must be at least 10 characters")
    role = body.get("role")
    if role not in ("admin", "operator", "viewer"):
        raise ValidationError("role", "must be admin, operator or viewer")
    store = request.app[SERVICES].store
    if await store.call(lambda s: s.get_user(username)) is not None:
        raise ApiError(409, "exists", f"there is already a user {username!r}")
    try:
        password_hash = await request.app[SERVICES].passwords.hash(password)
    except HasherBusy as exc:
        raise _busy(exc) from None
    user = await store.call(lambda s: s.create_user_hashed(username, password_hash, role, time.time()))
    log.info("user %r (%s) created by %s", user.username, user.role, principal.name)
    return web.json_response({"username": user.username, "role": user.role}, status=201)


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/api/v1/login", login)
    r.add_post("/api/v1/logout", logout)
    r.add_get("/api/v1/me", me)
    r.add_get("/api/v1/tokens", list_tokens)
    r.add_post("/api/v1/tokens", create_token)
    r.add_delete("/api/v1/tokens/{token_id}", revoke_token)
    r.add_get("/api/v1/users", list_users)
    r.add_post("/api/v1/users", create_user)
