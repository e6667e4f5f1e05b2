"""OpenAPI paths for supporter messages and their moderation (``projector.server.routes.messages``):
the SMS webhook, previews, decisions, pins, edits, blocked senders, blocklists and the log.
Merged into ``projector.server.openapi.document``."""

from __future__ import annotations

from typing import Any

from projector.core.moderation import Rules
from projector.server.openapi.common import endpoint, errors, query
from projector.server.routes.messages import MAX_BLOCKLIST_ENTRIES, MAX_RAW_LENGTH
from projector.store.messages import MAX_PINNED

_RULES = Rules()
_STAMP = {"type": ["string", "null"], "format": "date-time"}

MESSAGE = {
    "type": "object",
    "required": ["id", "text", "status", "pinned"],
    "properties": {
        "id": {"type": "string"},
        "text": {"type": "string"},
        "name": {"type": "string"},
        "country": {"type": ["string", "null"]},
        "lang": {"type": ["string", "null"]},
        "source": {"type": "string", "description": "`web`, `sms` or `token:<label>`"},
        "sender": {"type": ["string", "null"]},
        "status": {"type": "string", "enum": ["pending", "approved", "rejected"]},
        "pinned": {"type": "boolean"},
        "notes": {"type": ["string", "null"], "description": "What the rules noticed"},
        "created_at": _STAMP,
        "decided_at": _STAMP,
        "decided_by": {"type": ["string", "null"], "description": "A person, a token or `rules`"},
    },
}
DECISION = {
    "type": "object",
    "properties": {
        "seq": {"type": "integer"},
        "at": _STAMP,
        "by": {"type": "string"},
        "decision": {"type": "string"},
        "message_id": {"type": ["string", "null"]},
        "sender": {"type": ["string", "null"]},
        "detail": {"type": ["string", "null"]},
    },
}
BLOCKLIST = {
    "type": "object",
    "required": ["lang", "entries", "edited"],
    "properties": {
        "lang": {"type": "string", "description": "A language, or `*` for every language"},
        "entries": {"type": "array", "items": {"type": "string"}},
        "edited": {"type": "boolean", "description": "An operator's list replaces the built-in one"},
    },
}
#: Added to ``components.schemas``.
SCHEMAS = {"Message": MESSAGE, "Decision": DECISION, "Blocklist": BLOCKLIST}

_AFTER = {
    "allOf": [
        {"$ref": "#/components/schemas/Message"},
        {"type": "object", "properties": {"rev": {"type": "integer", "description": "The show's rev"}}},
    ]
}
_NO_MESSAGE = {404: "No such message"}
_SMS_FORM = {
    "type": "object",
    "required": ["MessageSid", "From", "Body"],
    "description": "Twilio's webhook parameters; every one is part of the signed data",
    "properties": {
        "MessageSid": {"type": "string", "description": "Counts the SMS once, however often Twilio retries"},
        "From": {"type": "string", "description": "The number (E.164); its country is the action's"},
        "Body": {"type": "string"},
    },
    "additionalProperties": {"type": "string"},
}
_SUBMIT = {
    "type": "object",
    "required": ["text"],
    "additionalProperties": False,
    "properties": {
        "text": {
            "type": "string",
            "maxLength": MAX_RAW_LENGTH,
            "description": f"Not blank; more than {_RULES.max_length} characters once normalised is refused "
            "(422 `rejected`)",
        },
        "name": {
            "type": ["string", "null"],
            "maxLength": MAX_RAW_LENGTH,
            "description": f"At most {_RULES.max_name_length} characters once normalised",
        },
        "country": {"type": ["string", "null"], "description": "ISO 3166-1 alpha-2"},
        "lang": {
            "type": ["string", "null"],
            "minLength": 2,
            "maxLength": 35,
            "description": "BCP 47 (ASCII); left out: guessed from the text",
        },
        "sender": {
            "type": "string",
            "maxLength": 128,
            "description": "With an ingest token only: the integrator's own supporter id",
        },
    },
}
_EDIT = {
    "type": "object",
    "required": ["text"],
    "additionalProperties": False,
    "properties": {
        "text": {
            "type": "string",
            "maxLength": MAX_RAW_LENGTH,
            "description": f"Normalised like a submission; at most {_RULES.max_length} characters after that, "
            "and not empty",
        },
        "name": {
            "type": ["string", "null"],
            "maxLength": MAX_RAW_LENGTH,
            "description": f"At most {_RULES.max_name_length} characters once normalised; left out: unchanged",
        },
    },
}
_BLOCKLIST_BODY = {
    "type": "object",
    "required": ["entries"],
    "additionalProperties": False,
    "properties": {
        "entries": {
            "type": "array",
            "maxItems": MAX_BLOCKLIST_ENTRIES,
            "items": {
                "type": "string",
                "minLength": 1,
                "maxLength": 100,
                "pattern": r"^[^\n]*\S[^\n]*$",
                "description": "A word or words on one line (not blank)",
            },
        }
    },
}


def _decision(summary: str) -> dict[str, Any]:
    return endpoint(summary, "operator", ok=_AFTER, errors=errors(401, 403, 404, special=_NO_MESSAGE))


def _pin(summary: str, conflict: str) -> dict[str, Any]:
    return endpoint(
        summary,
        "operator",
        ok=_AFTER,
        errors=errors(401, 403, 404, 409, special={**_NO_MESSAGE, 409: conflict}),
    )


def messages_paths() -> dict[str, Any]:
    one = "/api/v1/messages/{message_id}"
    return {
        "/api/v1/messages": {
            "post": {
                **endpoint(
                    "Submit a supporter message: screened by the rules, then held for an operator",
                    None,
                    status=202,
                    ok={
                        "type": "object",
                        "properties": {
                            "id": {"type": "string"},
                            "status": {"type": "string", "enum": ["pending", "approved"]},
                            "notes": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                    body=_SUBMIT,
                    errors=errors(
                        400,
                        401,
                        403,
                        413,
                        415,
                        422,
                        429,
                        special={
                            401: "A bearer token that is unknown or revoked",
                            403: "`sender_blocked`: this sender is blocked; or a token without ingest scope",
                            422: "A field is invalid, or `rejected`: a rule refused the text (the reason "
                            "is in `error.message`)",
                            429: "Too many messages from this address (anonymous senders only)",
                        },
                    ),
                    description="Anyone may post (rate-limited per address; a cookie the server signs tells "
                    "senders on one network apart, and one it did not sign counts as the address; the flood "
                    "rule also counts per address). An integrator with an ingest token skips the rate limit and may name "
                    "its own supporter in `sender`. An operator's session cookie is ignored here.",
                ),
                "security": [{}, {"bearer": []}],
            },
            "get": endpoint(
                "The moderation queue (oldest first) or the latest decisions",
                "viewer",
                ok={
                    "type": "object",
                    "properties": {
                        "messages": {"type": "array", "items": {"$ref": "#/components/schemas/Message"}},
                        "pending": {"type": "integer", "minimum": 0},
                        "rev": {"type": "integer", "description": "Moves on every change to the messages"},
                    },
                },
                parameters=[
                    query(
                        "status",
                        {"type": "string", "enum": ["pending", "approved", "rejected"], "default": "pending"},
                        "Which messages",
                    ),
                    query(
                        "limit",
                        {"type": "integer", "minimum": 1, "maximum": 1000, "default": 200},
                        "How many",
                    ),
                ],
                errors=errors(401, 403, 422, special={422: "`status` or `limit` is invalid"}),
            ),
        },
        "/api/v1/sms/twilio": {
            "post": {
                **endpoint(
                    "Inbound SMS (Twilio's webhook): counted as an sms action once per MessageSid, then "
                    "screened as a message",
                    None,
                    content="text/xml",
                    ok={"type": "string", "description": "An empty TwiML `<Response/>`"},
                    body=_SMS_FORM,
                    body_content="application/x-www-form-urlencoded",
                    errors=errors(
                        400,
                        403,
                        413,
                        503,
                        special={
                            400: "MessageSid, From or Body is missing",
                            403: "`bad_signature`: X-Twilio-Signature does not match",
                            503: "`not_configured`: the server has no twilio_auth_token",
                        },
                    ),
                    description="Verified with X-Twilio-Signature over the exact URL Twilio called "
                    "(`public_url` behind a proxy). A blocked number still counts as an action; its text "
                    "is not kept.",
                ),
                "security": [{"twilio": []}],
            }
        },
        one + "/preview.png": {
            "get": endpoint(
                "The message as the wall draws it (PNG, 960x540)",
                "viewer",
                content="image/png",
                ok={"type": "string", "contentMediaType": "image/png"},
                errors=errors(401, 403, 404, special=_NO_MESSAGE),
            )
        },
        one + "/approve": {"post": _decision("Approve: show it on the wall")},
        one + "/reject": {"post": _decision("Reject, and take it off the wall if shown")},
        one + "/pin": {
            "post": _pin(
                "Pin: keep it on the wall (a waiting message is approved)",
                f"`rejected`: approve a rejected message first; `too_many_pinned`: at most {MAX_PINNED}",
            )
        },
        one + "/unpin": {"post": _decision("Unpin: it stays on the wall, out of the spotlight")},
        one + "/edit": {
            "post": endpoint(
                "Correct a message's text or name (the log keeps the original)",
                "operator",
                ok=_AFTER,
                body=_EDIT,
                errors=errors(400, 401, 403, 404, 413, 415, 422, special=_NO_MESSAGE),
            )
        },
        one + "/block-sender": {
            "post": endpoint(
                "Block the message's sender: all their messages are rejected and leave the wall, and their "
                "next ones are refused (403 `sender_blocked`)",
                "operator",
                ok={
                    "type": "object",
                    "properties": {
                        "sender": {"type": "string"},
                        "rejected": {"type": "array", "items": {"type": "string"}},
                        "rev": {"type": "integer"},
                    },
                },
                errors=errors(
                    401, 403, 404, 409, special={**_NO_MESSAGE, 409: "`no_sender`: nobody to block"}
                ),
            )
        },
        "/api/v1/moderation/log": {
            "get": endpoint(
                "Every decision, latest first: who (a person, a token or `rules`), what, when, why",
                "viewer",
                ok={
                    "type": "object",
                    "properties": {
                        "decisions": {"type": "array", "items": {"$ref": "#/components/schemas/Decision"}}
                    },
                },
                parameters=[
                    query(
                        "limit",
                        {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
                        "How many",
                    ),
                    query("message", {"type": "string"}, "Only this message's decisions"),
                ],
                errors=errors(401, 403, 422, special={422: "`limit` is not 1 to 1000"}),
            )
        },
        "/api/v1/moderation/blocked": {
            "get": endpoint(
                "Blocked senders",
                "viewer",
                ok={
                    "type": "object",
                    "properties": {
                        "senders": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "sender": {"type": "string"},
                                    "at": _STAMP,
                                    "by": {"type": "string"},
                                    "reason": {"type": ["string", "null"]},
                                },
                            },
                        }
                    },
                },
                errors=errors(401, 403),
            )
        },
        "/api/v1/moderation/blocked/{sender}": {
            "delete": endpoint(
                "Unblock a sender",
                "operator",
                status=204,
                content=None,
                ok_text="Unblocked",
                errors=errors(401, 403, 404, special={404: "That sender is not blocked"}),
            )
        },
        "/api/v1/moderation/blocklists": {
            "get": endpoint(
                "The word lists per language in force (built-in, or an operator's edit)",
                "viewer",
                ok={
                    "type": "object",
                    "properties": {
                        "blocklists": {"type": "array", "items": {"$ref": "#/components/schemas/Blocklist"}}
                    },
                },
                errors=errors(401, 403),
            )
        },
        "/api/v1/moderation/blocklists/{lang}": {
            "put": {
                **endpoint(
                    "Replace one language's word list (`*`: every language); applies to the next message",
                    "operator",
                    ok={"$ref": "#/components/schemas/Blocklist"},
                    body=_BLOCKLIST_BODY,
                    errors=errors(
                        400,
                        401,
                        403,
                        413,
                        415,
                        422,
                        special={
                            422: "`lang` is not a language code, or `entries` / `entries[i]` is invalid"
                        },
                    ),
                ),
                "parameters": [
                    {
                        "name": "lang",
                        "in": "path",
                        "required": True,
                        "description": "A language code (`en`, `pt-BR`) or `*` for every language",
                        "schema": {"type": "string", "pattern": r"^(\*|[a-z]{2,3}(-[A-Za-z0-9]{2,8})*)$"},
                    }
                ],
            }
        },
    }
