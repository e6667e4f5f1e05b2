"""Supporter messages: the public submission endpoint and the operator's decisions.

Nothing a supporter writes reaches a screen before an operator approves it.
(Automatic moderation rules and the panel's queue are still to come.)
"""

from __future__ import annotations

import logging
import time
import unicodedata
import uuid

from aiohttp import web

from projector.app_keys import SHOW, STORE
from projector.auth import require
from projector.core.model import ValidationError, parse_country
from projector.core.state import Message, RetractMessage, ShowMessage
from projector.errors import ApiError, read_json
from projector.http_util import client_address, json_response, limit_public, rfc3339

log = logging.getLogger("projector.messages")

MESSAGE_MAX_LENGTH = 500
NAME_MAX_LENGTH = 80


def _clean_message_text(value: object, field: str, max_length: int) -> str:
    """NFC-normalise and drop control and bidi-override characters a screen must never get."""
    if not isinstance(value, str):
        raise ValidationError(field, "must be a string")
    text = unicodedata.normalize("NFC", value)
    text = "".join(
        ch for ch in text if ch in " \n" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")
    )
    text = " ".join(text.split())
    if not text:
        raise ValidationError(field, "must not be empty")
    if len(text) > max_length:
        raise ValidationError(field, f"must be at most {max_length} characters")
    return text


async def submit_message(request: web.Request) -> web.Response:
    limit_public(request)
    body = await read_json(request)
    if not isinstance(body, dict):
        raise ValidationError("body", "must be a JSON object")
    unknown = set(body) - {"name", "country", "text", "lang"}
    if unknown:
        raise ValidationError(sorted(unknown)[0], "unknown field")
    text = _clean_message_text(body.get("text"), "text", MESSAGE_MAX_LENGTH)
    name = _clean_message_text(body.get("name", "") or "Anonymous", "name", NAME_MAX_LENGTH)
    country = parse_country(body["country"]) if body.get("country") else None
    lang = body.get("lang")
    if lang is not None and (not isinstance(lang, str) or not 2 <= len(lang) <= 35 or not lang.isascii()):
        raise ValidationError("lang", "must be a BCP 47 language tag such as 'en' or 'pt-BR'")
    message_id = uuid.uuid4().hex
    sender = client_address(request)
    await request.app[STORE].call(
        lambda s: s.add_message(message_id, text, name, country, lang, "web", sender, time.time())
    )
    return json_response({"id": message_id, "status": "pending"}, status=202)


async def list_messages(request: web.Request) -> web.Response:
    await require(request, "viewer")
    status = request.query.get("status", "pending")
    if status not in ("pending", "approved", "rejected"):
        raise ValidationError("status", "must be pending, approved or rejected")
    rows = await request.app[STORE].call(lambda s: s.list_messages(status, 200))
    return json_response(
        {
            "messages": [
                {
                    "id": m.id,
                    "text": m.text,
                    "name": m.name,
                    "country": m.country,
                    "lang": m.lang,
                    "status": m.status,
                    "created_at": rfc3339(m.created_at),
                    "decided_by": m.decided_by,
                }
                for m in rows
            ]
        }
    )


async def decide_message(request: web.Request) -> web.Response:
    principal = await require(request, "operator")
    message_id = request.match_info["message_id"]
    decision = request.match_info["decision"]
    status = {"approve": "approved", "reject": "rejected"}[decision]
    store = request.app[STORE]
    now = time.time()
    stored = await store.call(lambda s: s.get_message(message_id))
    if stored is None:
        raise ApiError(404, "not_found", f"no message {message_id!r}")
    await store.call(lambda s: s.set_message_status(message_id, status, principal.name, now))
    show = request.app[SHOW]
    if status == "approved":
        show.execute(ShowMessage(Message(stored.id, stored.text, stored.name, stored.country, stored.lang)))
    else:
        show.execute(RetractMessage(message_id))
    log.info("message %s %s by %s", message_id, status, principal.name)
    return json_response({"id": message_id, "status": status, "rev": show.state.rev})


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/api/v1/messages", submit_message)
    r.add_get("/api/v1/messages", list_messages)
    r.add_post("/api/v1/messages/{message_id}/{decision:approve|reject}", decide_message)
