"""Supporter messages: the public submission endpoint and the operator's decisions.

Nothing a supporter writes reaches a screen before it is allowed: every message
goes through the moderation rules (``projector.core.moderation``) and then waits
for an operator, unless it comes from a trusted source and no rule fired.
"""

from __future__ import annotations

import hmac
import logging
import time
import uuid
from collections import OrderedDict
from typing import Any

import phonenumbers
from aiohttp import web

from projector.app_keys import CONFIG, SHOW, STORE
from projector.auth import require
from projector.core.model import Action, Channel, ValidationError, is_country_code, parse_country
from projector.core.moderation import Rules, Screened, SenderHistory, Verdict, message_key, screen
from projector.core.state import Message, RecordActions, RetractMessage, ShowMessage
from projector.errors import ApiError, read_json
from projector.http_util import client_address, json_response, limit_public, rfc3339
from projector.twilio import twiml_empty, verify_signature

log = logging.getLogger("projector.messages")

#: Longer than any rule allows, so the rules can say "too long"; a bound on what is read at all.
MAX_RAW_LENGTH = 20_000


class Intake:
    """Screens every incoming message with the moderation rules, remembering
    each sender's recent messages (bounded) for flood and duplicate checks."""

    def __init__(self, rules: Rules, max_senders: int = 50_000) -> None:
        self.rules = rules
        self.max_senders = max_senders
        self._history: OrderedDict[str, SenderHistory] = OrderedDict()

    def screen(
        self, text: str, name: str, lang: str | None, source: str, sender: str, now: float
    ) -> Screened:
        history = self._history.pop(sender, SenderHistory())
        screened = screen(
            text, name, lang=lang, source=source, sender_history=history, now=now, rules=self.rules
        )
        self._history[sender] = history.record(
            now, screened.key or message_key(text), keep_for=self.rules.history_span
        )
        while len(self._history) > self.max_senders:
            self._history.popitem(last=False)
        return screened


INTAKE = web.AppKey("intake", Intake)
_STATUS = {Verdict.REJECT: "rejected", Verdict.HOLD: "pending", Verdict.APPROVE: "approved"}


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
    store = request.app[STORE]

    def save(s: Any) -> None:
        s.add_message(message_id, screened.text, screened.name, country, lang, source, sender, now)
        if status != "pending":
            s.set_message_status(message_id, status, "rules", now)

    await store.call(save)
    if screened.reasons:
        log.info("message %s from %s: %s (%s)", message_id, source, status, "; ".join(screened.reasons))
    if status == "approved":
        request.app[SHOW].execute(
            ShowMessage(Message(message_id, screened.text, screened.name, country, lang))
        )
    return status


def _text_field(body: dict[str, Any], name: str, *, required: bool) -> str:
    value = body.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(name, "must be a string")
    if len(value) > MAX_RAW_LENGTH:
        raise ValidationError(name, f"must be at most {MAX_RAW_LENGTH} characters")
    if required and not value.strip():
        raise ValidationError(name, "must not be empty")
    return value


async def submit_message(request: web.Request) -> web.Response:
    limit_public(request)
    body = await read_json(request)
    if not isinstance(body, dict):
        raise ValidationError("body", "must be a JSON object")
    unknown = set(body) - {"name", "country", "text", "lang"}
    if unknown:
        raise ValidationError(sorted(unknown)[0], "unknown field")
    text = _text_field(body, "text", required=True)
    name = _text_field(body, "name", required=False)
    country = parse_country(body["country"]) if body.get("country") else None
    lang = body.get("lang")
    if lang is not None and (not isinstance(lang, str) or not 2 <= len(lang) <= 35 or not lang.isascii()):
        raise ValidationError("lang", "must be a BCP 47 language tag such as 'en' or 'pt-BR'")
    now = time.time()
    sender = f"web:{client_address(request)}"
    screened = request.app[INTAKE].screen(text, name, lang, "web", sender, now)
    message_id = uuid.uuid4().hex
    status = await _take_in(request, message_id, screened, country, lang, "web", sender, now)
    if status == "rejected":
        raise ApiError(422, "rejected", f"this message cannot be shown: {screened.reasons[0]}", "text")
    return json_response({"id": message_id, "status": status, "notes": list(screened.reasons)}, status=202)


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
    action and the message count once.
    """
    config = request.app[CONFIG]
    if not config.twilio_auth_token:
        raise ApiError(
            503, "not_configured", "the SMS webhook needs twilio_auth_token (PROJECTOR_TWILIO_AUTH_TOKEN)"
        )
    form = await request.post()
    params = [(k, v) for k, v in form.items() if isinstance(v, str)]
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
        result = await request.app[STORE].record([action])
        if result.accepted:
            request.app[SHOW].execute(RecordActions(result.accepted), now=result.received_at)
    else:
        log.warning("SMS %s from a number with no country and no sms_default_country: not counted", sid)
    store = request.app[STORE]
    if await store.call(lambda s: s.get_message(message_id)) is None:
        # Numbers are personal data: the sender is kept as a keyed hash, enough to spot a flood.
        sender = (
            "sms:" + hmac.new(config.twilio_auth_token.encode(), number.encode(), "sha256").hexdigest()[:24]
        )
        screened = request.app[INTAKE].screen(text, "", None, "sms", sender, now)
        await _take_in(request, message_id, screened, country, None, "sms", sender, now)
    return web.Response(text=twiml_empty(), content_type="text/xml")


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
    app[INTAKE] = Intake(Rules())
    r = app.router
    r.add_post("/api/v1/sms/twilio", twilio_sms)
    r.add_post("/api/v1/messages", submit_message)
    r.add_get("/api/v1/messages", list_messages)
    r.add_post("/api/v1/messages/{message_id}/{decision:approve|reject}", decide_message)
