"""Supporter messages: submission, and the moderators' decisions on them.

Nothing a supporter writes reaches a screen before it is allowed: every message
goes through the moderation rules (``projector.core.moderation``) and then waits
in the queue for an operator, unless it comes from a trusted source and no rule
fired. Every decision, by a rule or a person, goes to the moderation log.

Who is a "sender" (for flood rules and for blocking):
- the public form: a random id the server issues in a cookie, else the address
  (blocking an address alone would silence a whole venue's wifi for one troll);
- an SMS: a keyed hash of the number (numbers are personal data);
- an integrator's token: the token's label plus the integrator's own supporter
  id (``sender`` in the body), as a petition site relays many supporters.

The public form's cookie cannot be minted: it is ``<id>.<issued>.<HMAC-SHA256 of
both>`` under a per-install key made once and kept in the store's settings
(``sender_cookie_key``; never overwritten, so cookies outlive restarts and
follow a backup). A cookie that is missing, unsigned or forged is no cookie: the
sender is the address, and a fresh signed id is issued. Two rules make a cookie
change buy nothing:
- the flood rule also counts per address (``Rules.address_flood_max`` posts in
  the flood window, 30 by default: a venue's wifi has room, a script does not);
- blocking a cookie's sender also blocks the address it last posted from for
  ``ADDRESS_BLOCK_S`` (6 hours: the rest of a show night), as ``web:addr:<address>``
  in the blocked list, for anyone there without a cookie or with one issued
  since the block. People at the venue who already had a cookie carry on (one
  troll must not silence the wifi); the troll's new cookie is refused. It lapses
  by itself because an address is shared (a venue, a phone network's NAT), and
  unblocking the sender lifts it at once. The
  address is remembered in memory only (addresses are personal data), so a
  sender blocked after a restart, before posting again, is blocked by cookie alone.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl

import phonenumbers
from aiohttp import web

from projector.core.model import Action, Channel, ValidationError, is_country_code, parse_country
from projector.core.moderation import (
    Screened,
    Verdict,
    is_blank,
    normalize,
    parse_blocklist,
)
from projector.core.state import Command, Message, RecordActions, RetractMessage, ShowMessage
from projector.server import language
from projector.server.moderation import effective_blocklists
from projector.server.services import SERVICES
from projector.server.web.auth import authenticate, require
from projector.server.web.errors import ApiError, read_json, read_json_object
from projector.server.web.http import client_address, json_response, limit_public, rfc3339
from projector.server.web.twilio import twiml_empty, verify_signature
from projector.store.base import Store
from projector.store.messages import Decision, StoredMessage

log = logging.getLogger("projector.messages")

#: Longer than any rule allows, so the rules can say "too long"; a bound on what is read at all.
MAX_RAW_LENGTH = 20_000
#: The SMS webhook's whole form, in bytes.
MAX_SMS_BYTES = 64 * 1024
SENDER_COOKIE = "projector_sender"
#: The store setting holding the per-install key that signs sender cookies.
#: How long blocking a public-form sender also blocks the address it posted from.
ADDRESS_BLOCK_S = 6 * 3600.0
_ADDRESS_BLOCK = "web:addr:"
_LANG = re.compile(r"^(\*|[a-z]{2,3}(-[A-Za-z0-9]{2,8})*)$")
#: A blocklist is for words, not books: bounds what one edit can make every screening scan.
MAX_BLOCKLIST_ENTRIES = 5_000


_STATUS = {Verdict.REJECT: "rejected", Verdict.HOLD: "pending", Verdict.APPROVE: "approved"}


def _wall_message(m: StoredMessage) -> Message:
    return Message(m.id, m.text, m.name, m.country, m.lang, pinned=m.pinned)


async def _changed(request: web.Request) -> None:
    pending = await request.app[SERVICES].store.call(lambda s: s.count_messages("pending"))
    request.app[SERVICES].queue.changed(pending)


async def _take_in(
    request: web.Request,
    message_id: str,
    screened: Screened,
    country: str | None,
    lang: str | None,
    source: str,
    sender: str,
    now: float,
) -> str:
    """Store a screened message; an automatic approval goes to the wall at once."""
    status = _STATUS[screened.verdict]
    notes = "; ".join(screened.reasons)

    def save(s: Store) -> list[Command]:
        s.add_message(message_id, screened.text, screened.name, country, lang, source, sender, now, notes)
        if status != "pending":
            s.set_message_status(message_id, status, "rules", now, notes)
        elif notes:
            s.log_decision("held", "rules", now, message_id, sender, notes)
        if status != "approved":
            return []
        return [ShowMessage(Message(message_id, screened.text, screened.name, country, lang))]

    await request.app[SERVICES].show.execute_written(request.app[SERVICES].store, save)
    if screened.reasons:
        log.info("message %s from %s: %s (%s)", message_id, source, status, notes)
    await _changed(request)
    return status


async def _detect(text: str) -> str | None:
    """The message's language, guessed on a worker thread (the model loads there once)."""
    return await asyncio.get_running_loop().run_in_executor(None, language.detect, text)


def _text_field(body: dict[str, Any], name: str, *, required: bool) -> str:
    value = body.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(name, "must be a string")
    if len(value) > MAX_RAW_LENGTH:
        raise ValidationError(name, f"must be at most {MAX_RAW_LENGTH} characters")
    if required and is_blank(value):  # only zero-width joiners, BOMs, bidi marks is empty too
        raise ValidationError(name, "must not be empty")
    return value


@dataclass(frozen=True, slots=True)
class WebSender:
    sender: str
    #: When its cookie was issued (None: no valid cookie, the sender is the address).
    issued: float | None
    #: A signed cookie to set, when the request brought no valid one.
    new_cookie: str | None


async def _web_sender(request: web.Request, now: float) -> WebSender:
    """The public form's sender, and a signed cookie to set if it brought no valid one.

    A browser keeps the cookie, so people sharing a venue's wifi are told
    apart. A client without it (a script), or with one we did not sign, is its
    address: neither ignoring nor inventing cookies dodges the flood rules.
    """
    signer = request.app[SERVICES].senders
    key = await signer.key()
    valid = signer.verify(key, request.cookies.get(SENDER_COOKIE, ""))
    if valid is not None:
        return WebSender(f"web:{valid[0]}", valid[1], None)
    fresh = signer.sign(key, secrets.token_urlsafe(18), now)
    return WebSender(f"web:ip:{client_address(request)}", None, fresh)


def _blocked(s: Any, sender: str, address: str | None, issued: float | None, now: float) -> bool:
    """``sender`` is blocked; or its address is (blocking a public-form sender blocks the address
    for a while) and the sender has no cookie, or one issued since: a new cookie is no way back,
    while the venue's people who already had theirs carry on."""
    if s.is_blocked(sender):
        return True
    if address is None:
        return False
    at = s.blocked_at(_ADDRESS_BLOCK + address)
    if at is None:
        return False
    if now - at >= ADDRESS_BLOCK_S:
        s.unblock_sender(_ADDRESS_BLOCK + address, "rules", now)  # lapsed: off the blocked list
        return False
    return issued is None or issued >= int(at)


async def submit_message(request: web.Request) -> web.Response:
    # Only a bearer token identifies an integrator here: an operator's panel
    # cookie riding along on the public form is ignored.
    principal = await authenticate(request) if "Authorization" in request.headers else None
    if principal is not None and not principal.can("ingest"):
        raise ApiError(403, "forbidden", f"{principal.role!r} tokens may not submit messages")
    if principal is None:
        limit_public(request.app[SERVICES].public_limiter, request)
    body = await read_json_object(request)
    allowed = {"name", "country", "text", "lang"} | ({"sender"} if principal else set())
    unknown = set(body) - allowed
    if unknown:
        raise ValidationError(sorted(unknown)[0], "unknown field")
    text = _text_field(body, "text", required=True)
    name = _text_field(body, "name", required=False)
    country = parse_country(body["country"]) if body.get("country") else None
    lang = body.get("lang")
    if lang is not None and (not isinstance(lang, str) or not 2 <= len(lang) <= 35 or not lang.isascii()):
        raise ValidationError("lang", "must be a BCP 47 language tag such as 'en' or 'pt-BR'")
    new_cookie = None
    issued: float | None = None
    now = time.time()
    if principal is not None:
        source = f"token:{principal.name}"
        supporter = body.get("sender", "")
        if not isinstance(supporter, str) or len(supporter) > 128:
            raise ValidationError("sender", "must be a string of at most 128 characters")
        sender = f"{source}:{supporter}"
    else:
        source = "web"
        web_sender = await _web_sender(request, now)
        sender, issued, new_cookie = web_sender.sender, web_sender.issued, web_sender.new_cookie
    address = client_address(request) if principal is None else None
    store = request.app[SERVICES].store
    if await store.call(lambda s: _blocked(s, sender, address, issued, now)):
        raise ApiError(403, "sender_blocked", "messages from this sender are no longer accepted")
    intake = request.app[SERVICES].intake
    if address is not None:
        posts = intake.address_posts(sender, address, now)
        if posts > intake.rules.address_flood_max:
            raise ApiError(
                422,
                "rejected",
                f"this message cannot be shown: flood: {posts} messages from this address",
                "text",
            )
    if lang is None:
        lang = await _detect(text)
    screened = intake.screen(text, name, lang, source, sender, now)
    message_id = uuid.uuid4().hex
    try:
        status = await _take_in(request, message_id, screened, country, lang, source, sender, now)
    except Exception:
        intake.forget(sender, now)  # not stored: the supporter's retry is not a duplicate
        raise
    if status == "rejected":
        raise ApiError(422, "rejected", f"this message cannot be shown: {screened.reasons[0]}", "text")
    response = json_response(
        {"id": message_id, "status": status, "notes": list(screened.reasons)}, status=202
    )
    if new_cookie is not None:
        response.set_cookie(
            SENDER_COOKIE,
            new_cookie,
            max_age=365 * 86400,
            httponly=True,
            samesite="Strict",
            path="/api/v1/messages",
        )
    return response


def _sms_country(number: str, default: str) -> str | None:
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        region = None
    if region and is_country_code(region):
        return str(region)
    return default or None


async def twilio_sms(request: web.Request) -> web.Response:
    """Inbound SMS in Twilio's webhook format: counted as an action, screened as a message.

    Verified with X-Twilio-Signature over the exact URL Twilio called (set
    ``public_url`` behind a proxy). Twilio retries: the MessageSid makes the
    action and the message count once. A blocked number still counts as an
    action (the supporter did act), but its text is not kept.
    """
    config = request.app[SERVICES].config
    if not config.twilio_auth_token:
        raise ApiError(
            503, "not_configured", "the SMS webhook needs twilio_auth_token (PROJECTOR_TWILIO_AUTH_TOKEN)"
        )
    # Capped before any work: Twilio's form for the longest SMS (1,600 characters) is a few kB, and
    # the signature check hashes every byte of it on the event loop.
    if request.content_length is not None and request.content_length > MAX_SMS_BYTES:
        raise ApiError(413, "too_large", f"an SMS webhook body is at most {MAX_SMS_BYTES} bytes")
    raw = await request.content.read(MAX_SMS_BYTES + 1)
    if len(raw) > MAX_SMS_BYTES or not request.content.at_eof():
        raise ApiError(413, "too_large", f"an SMS webhook body is at most {MAX_SMS_BYTES} bytes")
    try:
        params = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise ApiError(400, "bad_request", "the SMS webhook body is not UTF-8") from None
    form = dict(params)
    url = config.public_url.rstrip("/") + request.path_qs if config.public_url else str(request.url)
    if not verify_signature(
        config.twilio_auth_token, url, params, request.headers.get("X-Twilio-Signature", "")
    ):
        log.warning("SMS webhook: bad signature from %s", client_address(request))
        raise ApiError(403, "bad_signature", "X-Twilio-Signature does not match")
    sid, number, text = form.get("MessageSid"), form.get("From"), form.get("Body")
    if not isinstance(sid, str) or not sid or not isinstance(number, str) or not isinstance(text, str):
        raise ApiError(400, "bad_request", "an SMS needs MessageSid, From and Body")
    now = time.time()
    message_id = f"sms-{sid}"[:128]
    country = _sms_country(number, config.sms_default_country)
    if country is not None:
        action = Action(message_id, Channel.SMS, country, 1, None, None, "sms", "twilio")
        result = await request.app[SERVICES].store.record([action])
        if result.accepted:
            await request.app[SERVICES].show.execute(RecordActions(result.accepted), now=result.received_at)
    else:
        log.warning("SMS %s from a number with no country and no sms_default_country: not counted", sid)
    store = request.app[SERVICES].store
    sender = "sms:" + hmac.new(config.twilio_auth_token.encode(), number.encode(), "sha256").hexdigest()[:24]
    known = await store.call(lambda s: s.get_message(message_id) is not None or s.is_blocked(sender))
    if not known:
        lang = await _detect(text)
        intake = request.app[SERVICES].intake
        screened = intake.screen(text, "", lang, "sms", sender, now)
        try:
            await _take_in(request, message_id, screened, country, lang, "sms", sender, now)
        except Exception:
            intake.forget(sender, now)  # Twilio retries a 503: that retry is not a duplicate
            raise
    return web.Response(text=twiml_empty(), content_type="text/xml")


# --- the moderators' side -------------------------------------------------------------------


def message_json(m: StoredMessage) -> dict[str, Any]:
    return {
        "id": m.id,
        "text": m.text,
        "name": m.name,
        "country": m.country,
        "lang": m.lang,
        "source": m.source,
        "sender": m.sender,
        "status": m.status,
        "pinned": m.pinned,
        "notes": m.notes,
        "created_at": rfc3339(m.created_at),
        "decided_at": rfc3339(m.decided_at),
        "decided_by": m.decided_by,
    }


def decision_json(d: Decision) -> dict[str, Any]:
    return {
        "seq": d.seq,
        "at": rfc3339(d.at),
        "by": d.by,
        "decision": d.decision,
        "message_id": d.message_id,
        "sender": d.sender,
        "detail": d.detail,
    }


def _limit(request: web.Request, default: int, maximum: int) -> int:
    raw = request.query.get("limit", str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise ValidationError("limit", f"must be a whole number from 1 to {maximum}")
    return int(raw)


async def list_messages(request: web.Request) -> web.Response:
    await require(request, "viewer")
    status = request.query.get("status", "pending")
    if status not in ("pending", "approved", "rejected"):
        raise ValidationError("status", "must be pending, approved or rejected")
    limit = _limit(request, 200, 1000)
    store = request.app[SERVICES].store
    rows, pending = await store.call(lambda s: (s.list_messages(status, limit), s.count_messages("pending")))
    queue = request.app[SERVICES].queue
    return json_response({"messages": [message_json(m) for m in rows], "pending": pending, "rev": queue.rev})


async def _stored(request: web.Request) -> StoredMessage:
    message_id = request.match_info["message_id"]
    stored = await request.app[SERVICES].store.call(lambda s: s.get_message(message_id))
    if stored is None:
        raise ApiError(404, "not_found", f"no message {message_id!r}")
    return stored


def _on_the_wall(m: StoredMessage) -> Command:
    """The message's current form on the wall, or off it."""
    return ShowMessage(_wall_message(m)) if m.status == "approved" else RetractMessage(m.id)


async def _moderated(
    request: web.Request, message_id: str, change: Callable[[Store], object]
) -> web.Response:
    """Store a moderator's change and put the message's new form on the wall (or take it
    off) as one step (``Show.execute_written``); the message as it now is, and the rev."""

    def write(s: Store) -> list[Command]:
        change(s)
        stored = s.get_message(message_id)
        assert stored is not None
        return [_on_the_wall(stored)]

    services = request.app[SERVICES]
    await services.show.execute_written(services.store, write)
    stored = await services.store.call(lambda s: s.get_message(message_id))
    assert stored is not None
    await _changed(request)
    return json_response({**message_json(stored), "rev": services.show.state.rev})


async def decide_message(request: web.Request) -> web.Response:
    principal = await require(request, "operator")
    stored = await _stored(request)
    status = {"approve": "approved", "reject": "rejected"}[request.match_info["decision"]]
    now = time.time()
    log.info("message %s %s by %s", stored.id, status, principal.name)
    return await _moderated(
        request, stored.id, lambda s: s.set_message_status(stored.id, status, principal.name, now)
    )


async def pin_message(request: web.Request) -> web.Response:
    """Pin (approving it if it waits) or unpin; a pinned message stays on the wall."""
    principal = await require(request, "operator")
    stored = await _stored(request)
    pinned = request.match_info["pin"] == "pin"
    if pinned and stored.status == "rejected":
        raise ApiError(409, "rejected", "a rejected message cannot be pinned; approve it first")
    now = time.time()
    try:
        return await _moderated(
            request, stored.id, lambda s: s.set_pinned(stored.id, pinned, principal.name, now)
        )
    except ValueError as exc:
        raise ApiError(409, "too_many_pinned", str(exc)) from None


async def edit_message(request: web.Request) -> web.Response:
    """Correct a message (a typo, a surname to drop). The text is normalised as
    submissions are; the rules' word lists do not apply to a moderator."""
    principal = await require(request, "operator")
    stored = await _stored(request)
    body = await read_json_object(request)
    unknown = set(body) - {"text", "name"}
    if unknown:
        raise ValidationError(sorted(unknown)[0], "unknown field")
    rules = request.app[SERVICES].intake.rules
    text = normalize(_text_field(body, "text", required=True))
    name = normalize(_text_field(body, "name", required=False)) if "name" in body else stored.name
    if is_blank(text):
        raise ValidationError("text", "must not be empty after removing invisible characters")
    if len(text) > rules.max_length:
        raise ValidationError("text", f"must be at most {rules.max_length} characters (is {len(text)})")
    if len(name) > rules.max_name_length:
        raise ValidationError("name", f"must be at most {rules.max_name_length} characters")
    now = time.time()
    return await _moderated(
        request, stored.id, lambda s: s.edit_message(stored.id, text, name, principal.name, now)
    )


async def block_sender(request: web.Request) -> web.Response:
    """Block the message's sender: this message and all theirs are rejected and leave the wall."""
    principal = await require(request, "operator")
    stored = await _stored(request)
    if not stored.sender:
        raise ApiError(409, "no_sender", "this message has no sender to block")
    sender = stored.sender
    now = time.time()
    address = _cookie_address(request, sender)

    def block(s: Any) -> list[str]:
        ids: list[str] = s.block_sender(sender, principal.name, now, f"message {stored.id}")
        if address is not None:  # a new cookie must not buy a way back in
            hours = f"{ADDRESS_BLOCK_S / 3600:g} hours"
            s.block_sender(_ADDRESS_BLOCK + address, principal.name, now, f"address of {sender}, for {hours}")
        return ids

    ids: list[str] = []

    def write(s: Store) -> list[Command]:
        ids[:] = block(s)
        return [RetractMessage(message_id) for message_id in ids]

    show = request.app[SERVICES].show
    await show.execute_written(request.app[SERVICES].store, write)
    await _changed(request)
    log.info("sender %s blocked by %s (%d messages rejected)", sender, principal.name, len(ids))
    return json_response({"sender": sender, "rejected": ids, "rev": show.state.rev})


def _cookie_address(request: web.Request, sender: str) -> str | None:
    """The address a public-form cookie sender last posted from (None for other senders)."""
    if not sender.startswith("web:") or sender.startswith(("web:ip:", _ADDRESS_BLOCK)):
        return None
    return request.app[SERVICES].intake.address_of(sender)


async def list_blocked(request: web.Request) -> web.Response:
    await require(request, "viewer")
    rows = await request.app[SERVICES].store.call(lambda s: s.blocked_senders())
    return json_response(
        {"senders": [{"sender": b.sender, "at": rfc3339(b.at), "by": b.by, "reason": b.reason} for b in rows]}
    )


async def unblock_sender(request: web.Request) -> web.Response:
    principal = await require(request, "operator")
    sender = request.match_info["sender"]
    address = _cookie_address(request, sender)

    def unblock(s: Any) -> bool:
        now = time.time()
        if address is not None:
            s.unblock_sender(_ADDRESS_BLOCK + address, principal.name, now)
        return bool(s.unblock_sender(sender, principal.name, now))

    if not await request.app[SERVICES].store.call(unblock):
        raise ApiError(404, "not_found", f"sender {sender!r} is not blocked")
    await _changed(request)
    return web.Response(status=204)


async def message_preview(request: web.Request) -> web.Response:
    """The message as the wall will draw it (PNG), for the moderation queue."""
    await require(request, "viewer")
    stored = await _stored(request)
    png = await request.app[SERVICES].previews.png(_wall_message(stored))
    return web.Response(body=png, content_type="image/png", headers={"Cache-Control": "private, max-age=60"})


async def moderation_log(request: web.Request) -> web.Response:
    await require(request, "viewer")
    limit = _limit(request, 100, 1000)
    message_id = request.query.get("message")
    rows = await request.app[SERVICES].store.call(lambda s: s.moderation_log(limit, message_id))
    return json_response({"decisions": [decision_json(d) for d in rows]})


async def list_blocklists(request: web.Request) -> web.Response:
    await require(request, "viewer")
    edited = await request.app[SERVICES].store.call(lambda s: s.blocklists())
    lists = effective_blocklists(edited)
    return json_response(
        {
            "blocklists": [
                {"lang": lang, "entries": sorted(lists[lang]), "edited": lang in edited}
                for lang in sorted(lists)
            ]
        }
    )


async def put_blocklist(request: web.Request) -> web.Response:
    """Replace one language's list ('*' for every language). Takes effect on the next message."""
    principal = await require(request, "operator")
    lang = request.match_info["lang"]
    if not _LANG.match(lang):
        raise ValidationError("lang", "must be a language code such as 'en', 'pt-BR', or '*' for all")
    body = await read_json(request)
    if not isinstance(body, dict) or set(body) != {"entries"} or not isinstance(body["entries"], list):
        raise ValidationError("entries", 'send {"entries": ["word", "two words", ...]}')
    entries = body["entries"]
    if len(entries) > MAX_BLOCKLIST_ENTRIES:
        raise ValidationError("entries", f"at most {MAX_BLOCKLIST_ENTRIES} entries")
    for i, entry in enumerate(entries):
        if not isinstance(entry, str) or not entry.strip() or len(entry) > 100 or "\n" in entry:
            raise ValidationError(f"entries[{i}]", "must be a non-empty line of at most 100 characters")
    text = "\n".join(e.strip() for e in entries)
    store = request.app[SERVICES].store
    now = time.time()
    await store.call(lambda s: s.set_blocklist(lang, text, principal.name, now))
    edited = await store.call(lambda s: s.blocklists())
    intake = request.app[SERVICES].intake
    intake.rules = replace(intake.rules, blocklists=effective_blocklists(edited))
    await _changed(request)
    log.info("blocklist %s set by %s (%d entries)", lang, principal.name, len(entries))
    return json_response({"lang": lang, "entries": sorted(parse_blocklist(text)), "edited": True})


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/api/v1/sms/twilio", twilio_sms)
    r.add_post("/api/v1/messages", submit_message)
    r.add_get("/api/v1/messages", list_messages)
    r.add_get("/api/v1/messages/{message_id}/preview.png", message_preview)
    r.add_post("/api/v1/messages/{message_id}/{decision:approve|reject}", decide_message)
    r.add_post("/api/v1/messages/{message_id}/{pin:pin|unpin}", pin_message)
    r.add_post("/api/v1/messages/{message_id}/edit", edit_message)
    r.add_post("/api/v1/messages/{message_id}/block-sender", block_sender)
    r.add_get("/api/v1/moderation/log", moderation_log)
    r.add_get("/api/v1/moderation/blocked", list_blocked)
    r.add_delete("/api/v1/moderation/blocked/{sender}", unblock_sender)
    r.add_get("/api/v1/moderation/blocklists", list_blocklists)
    r.add_put("/api/v1/moderation/blocklists/{lang}", put_blocklist)
