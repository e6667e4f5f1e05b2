"""The OpenAPI 3.1 document served at ``/api/v1/openapi.json``: the v1 contract."""

from __future__ import annotations

from typing import Any

from projector import __version__
from projector.core.model import MAX_ACTION_COUNT, Channel
from projector.i18n import SUPPORTED
from projector.server.openapi.brand import brand_paths
from projector.server.openapi.common import declare_path_parameters, endpoint, errors
from projector.server.openapi.fleet import fleet_paths
from projector.server.openapi.mapping import mapping_paths
from projector.server.openapi.messages import SCHEMAS as MESSAGE_SCHEMAS
from projector.server.openapi.messages import messages_paths
from projector.server.openapi.panel import panel_paths
from projector.server.openapi.show import show_paths

_ERROR = {"$ref": "#/components/schemas/Error"}


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "Malformed JSON or invalid UTF-8",
        401: "Missing, unknown or revoked credentials",
        403: "Authenticated but not allowed (scope/role), or missing CSRF header",
        404: "No such resource",
        413: "Body too large",
        415: "Content-Type is not application/json",
        422: "A field is invalid; `error.field` names it",
        429: "Rate limited",
        503: "The store could not make the change durable; retry with the same ids",
    }
    return {str(c): _json(_ERROR, text[c]) for c in codes}


def _login_op() -> dict[str, Any]:
    op = _op(
        "Log in; sets the session cookie and returns the CSRF token",
        body={
            "type": "object",
            "required": ["username", "password"],
            "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
        },
        errors=(400, 401, 422, 429),
    )
    # Password checks run on a bounded pool of their own (projector.server.passwords).
    op["responses"]["503"] = _json(
        _ERROR, "`busy`: too many logins at once; retry after the seconds in `Retry-After`"
    )
    return op


def _op(
    summary: str,
    *,
    security: list[str] | None = None,
    body: dict[str, Any] | None = None,
    ok: dict[str, Any] | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (),
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {str(status): _json(ok or {"type": "object"})}}
    op["responses"].update(_errors(*errors))
    if security is not None:
        op["security"] = [{name: []} for name in security]
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return op


_focus = {
    "type": ["array", "null"],
    "items": {"type": "number", "minimum": 0, "maximum": 1},
    "minItems": 2,
    "maxItems": 2,
    "description": "The point every crop keeps: [x, y] as fractions of width and height",
}


def _media_paths(operator: list[str]) -> dict[str, Any]:
    """Pictures (issue 7): uploads, downloads by hash, variants, dossier zip files."""
    reader = ["bearer", "session"]
    picture = {"description": "The picture; ETag is its hash; byte ranges (206) served"}
    return {
        "/api/v1/media": {
            "post": {
                **_op(
                    "Upload one picture, raw bytes; checked by content, cleaned, stored by hash (operator)",
                    security=operator,
                    status=201,
                    errors=(401, 403, 413, 422),
                ),
                "requestBody": {
                    "required": True,
                    "content": {"image/*": {"schema": {"type": "string", "format": "binary"}}},
                },
            },
            "get": _op("Stored pictures (viewer)", security=reader, errors=(401, 403)),
        },
        "/api/v1/media/videos": {
            "post": {
                **_op(
                    "Upload one video, raw bytes (MP4, MOV, WebM, MKV; H.264, HEVC, VP8, VP9, AV1; 4K and"
                    " 30 minutes at most): checked by content, stored without metadata by hash (operator)",
                    security=operator,
                    status=201,
                    errors=(401, 403, 413, 415, 422),
                ),
                "requestBody": {
                    "required": True,
                    "content": {"video/*": {"schema": {"type": "string", "format": "binary"}}},
                },
            },
        },
        "/api/v1/media/{hash}": {
            "get": {
                "summary": "A stored picture or video (display token or viewer)",
                "security": [{name: []} for name in reader],
                "responses": {
                    "200": picture,
                    "206": picture,
                    "304": {"description": "Not modified"},
                    **_errors(400, 401, 403, 404),
                },
            }
        },
        "/api/v1/media/{hash}/transcodes": {
            "get": _op(
                "A video's display-friendly H.264 copies (h264-1080, h264-2160): queued, running with"
                " progress, done with their hash, or failed",
                security=reader,
                errors=(400, 401, 403, 404),
            )
        },
        "/api/v1/media/{hash}/info": {
            "get": _op("What a stored picture is", security=reader, errors=(400, 404))
        },
        "/api/v1/media/{hash}/variants/{name}": {
            "get": {
                "summary": "A derived picture: thumb, portrait-1080, portrait-2160, cutout-1080, natural-1080 (?focus=x,y)",
                "security": [{name: []} for name in reader],
                "responses": {"200": picture, **_errors(400, 401, 403, 404, 422)},
            }
        },
        "/api/v1/media/progress": {"get": _op("Variant preparation progress (viewer)", security=reader)},
        "/api/v1/media/prepare": {
            "post": _op("Prepare missing variants now (operator)", security=operator, status=202)
        },
        "/api/v1/dossiers.zip": {
            "get": {
                "summary": "Every case as a zip of dossier folders (viewer)",
                "responses": {"200": {"description": "application/zip"}},
            },
            "post": _op(
                "Import a zip of dossier folders, all or nothing (operator)",
                security=operator,
                errors=(401, 403, 413, 422),
            ),
        },
    }


def _i18n_paths() -> dict[str, Any]:
    """The panel's and /submit's words for the browser (projector/http_i18n.py): public, cached."""
    catalog = {
        "type": "object",
        "required": ["lang", "dir", "messages", "plurals", "plural_categories"],
        "properties": {
            "lang": {"type": "string", "enum": list(SUPPORTED)},
            "dir": {"type": "string", "enum": ["ltr", "rtl"]},
            "messages": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "English msgid -> its words; a msgid absent here shows in English",
            },
            "plurals": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
                "description": "singular msgid -> one form per plural category, in plural_categories' order",
            },
            "plural_categories": {
                "type": "array",
                "items": {"type": "string", "enum": ["zero", "one", "two", "few", "many", "other"]},
                "description": "the CLDR category of each plural form (Intl.PluralRules picks one)",
            },
        },
    }
    return {
        "/i18n/panel/{lang}.json": {
            "get": {
                **_op(
                    "The panel's and the public form's words in a shipped language (ETag; 304 on If-None-Match)",
                    ok=catalog,
                    errors=(404,),
                ),
                "parameters": [
                    {
                        "name": "lang",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "enum": list(SUPPORTED)},
                    }
                ],
            }
        }
    }


def _accounts_paths() -> dict[str, Any]:
    """Operator accounts (projector/server/routes/accounts.py): only an admin lists or makes them."""
    role = {"type": "string", "enum": ["admin", "operator", "viewer"]}
    user = {
        "type": "object",
        "properties": {
            "username": {"type": "string"},
            "role": role,
            "created_at": {"type": ["string", "null"], "format": "date-time"},
        },
    }
    new_user = {
        "type": "object",
        "required": ["username", "password", "role"],
        "properties": {
            "username": {
                "type": "string",
                "minLength": 1,
                "maxLength": 64,
                "description": "Not blank; no control characters",
            },
            "password": {"type": "string", "minLength": 10, "maxLength": 1000},
            "role": role,
        },
    }
    return {
        "/api/v1/users": {
            "get": endpoint(
                "Operator accounts",
                "admin",
                ok={"type": "object", "properties": {"users": {"type": "array", "items": user}}},
                errors=errors(401, 403),
            ),
            "post": endpoint(
                "Create an operator account",
                "admin",
                status=201,
                ok={"type": "object", "properties": {"username": {"type": "string"}, "role": role}},
                body=new_user,
                errors=errors(
                    400, 401, 403, 409, 413, 415, 422, special={409: "`exists`: there is such a user already"}
                ),
            ),
        }
    }


def _service_paths() -> dict[str, Any]:
    """This document, and the display websocket (its frames are in the README: Display websocket)."""
    return {
        "/api/v1/openapi.json": {
            "get": endpoint(
                "This document: the v1 contract, OpenAPI 3.1",
                None,
                ok={"type": "object", "required": ["openapi", "info", "paths"]},
                errors={},
            )
        },
        "/ws": {
            "get": endpoint(
                "The display websocket: hello, then the snapshot, then events",
                None,
                status=101,
                content=None,
                ok_text='Switching Protocols; JSON text frames `{"v": 1, "type": ...}` follow',
                errors=errors(400, special={400: "Not a websocket upgrade request"}),
                description="The wire protocol is in the README (Display websocket) and DESIGN.md (wire "
                "protocol). The upgrade itself needs no credentials: the display's first frame, `hello`, "
                "carries a `display`-scope token (`name`, `token`, `protocol`, `resolution`, "
                "`capabilities`); a bad token closes with 1008 after an `error` frame, a bad hello or an "
                "unsupported protocol with 1002, a retired display is refused.",
            )
        },
    }


def openapi_document() -> dict[str, Any]:
    counts = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
    action = {
        "type": "object",
        "required": ["id", "channel", "country"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string", "maxLength": 128, "description": "Client id; a repeated id counts once"},
            "channel": {"type": "string", "enum": [c.value for c in Channel]},
            "country": {"type": "string", "pattern": "^[A-Za-z]{2}$", "description": "ISO 3166-1 alpha-2"},
            "case": {"type": "string", "description": "A known case id"},
            "count": {"type": "integer", "minimum": 1, "maximum": MAX_ACTION_COUNT, "default": 1},
            "at": {"type": "string", "format": "date-time", "description": "RFC 3339 with offset"},
            "source": {"type": "string", "maxLength": 128},
        },
    }
    case = {
        "type": "object",
        "required": ["name", "country"],
        "properties": {
            "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$"},
            "name": {"type": "string"},
            "country": {"type": "string"},
            "story": {"type": "string"},
            "ask": {"type": "string"},
            "status": {"type": "string", "enum": ["active", "released", "closed"]},
            "portrait": {"type": ["string", "null"], "description": "A media hash from POST /api/v1/media"},
            "lang": {"type": "string", "description": "BCP 47 language of story and ask (default en)"},
            "translations": {
                "type": "object",
                "description": "Other languages: {lang: {story, ask}}",
                "additionalProperties": {
                    "type": "object",
                    "properties": {"story": {"type": "string"}, "ask": {"type": "string"}},
                },
            },
            "focus": _focus,
            "portraits": {
                "type": "array",
                "maxItems": 8,
                "items": {"type": "object", "properties": {"media": {"type": "string"}, "focus": _focus}},
            },
        },
    }
    campaign = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 200},
            "goal": {"type": "integer", "minimum": 0},
            "record": {"type": "integer", "minimum": 0},
            "lang": {
                "type": "string",
                "description": "the campaign's default language: its words' language and its displays' default locale",
            },
            "tagline": {
                "type": "string",
                "maxLength": 200,
                "description": "the line under the total; empty: the display's catalog (ACTIONS FOR HUMAN RIGHTS)",
            },
            "call_to_action": {
                "type": "string",
                "maxLength": 200,
                "description": "the qr scene's title; empty: the display's catalog",
            },
            "translations": {
                "type": "object",
                "description": "language tag -> the same words in that language; an empty field falls back to lang's",
                "additionalProperties": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "tagline": {"type": "string"},
                        "call_to_action": {"type": "string"},
                    },
                    "additionalProperties": False,
                },
            },
        },
    }
    totals = {
        "type": "object",
        "properties": {
            "total": {"type": "integer"},
            "by_channel": counts,
            "by_case": counts,
            "by_country": counts,
            "goal": {"type": "integer"},
            "record": {"type": "integer"},
            "record_beaten_at": {"type": ["string", "null"], "format": "date-time"},
            "rev": {"type": "integer"},
        },
    }
    operator = ["bearer", "session"]
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {
            "title": "projector",
            "version": __version__,
            "description": "Live campaign actions, totals and displays. Display websocket: GET /ws "
            "(see README: wire protocol).",
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": "Scoped API token"},
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "projector_session",
                    "description": "Operator login; state changes also need the X-CSRF-Token header",
                },
                "twilio": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-Twilio-Signature",
                    "description": "Twilio's HMAC-SHA1 of the called URL and the form parameters, keyed with "
                    "the account's auth token (the server's twilio_auth_token)",
                },
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                                "field": {"type": "string"},
                            },
                        }
                    },
                },
                "Action": action,
                "Case": case,
                "Campaign": campaign,
                "Totals": totals,
                **MESSAGE_SCHEMAS,
            },
        },
        "paths": {
            "/api/v1/actions": {
                "post": _op(
                    "Record one action or a batch (all-or-nothing, up to 10,000)",
                    security=["bearer", "session"],
                    body={
                        "oneOf": [
                            {"$ref": "#/components/schemas/Action"},
                            {
                                "type": "object",
                                "required": ["actions"],
                                "properties": {
                                    "actions": {
                                        "type": "array",
                                        "minItems": 1,
                                        "maxItems": 10_000,
                                        "items": {"$ref": "#/components/schemas/Action"},
                                    }
                                },
                            },
                        ]
                    },
                    ok={
                        "type": "object",
                        "properties": {
                            "accepted": {"type": "integer"},
                            "duplicates": {"type": "integer"},
                            "rev": {"type": "integer"},
                        },
                    },
                    errors=(400, 401, 403, 413, 415, 422, 503),
                )
            },
            "/api/v1/totals": {"get": _op("Live totals", ok={"$ref": "#/components/schemas/Totals"})},
            "/api/v1/campaign": {
                "get": _op("Campaign settings", ok={"$ref": "#/components/schemas/Campaign"}),
                "put": _op(
                    "Change campaign name, goal or record (operator)",
                    security=operator,
                    body={"$ref": "#/components/schemas/Campaign"},
                    ok={"$ref": "#/components/schemas/Campaign"},
                    errors=(400, 401, 403, 415, 422),
                ),
            },
            "/api/v1/cases": {"get": _op("All cases")},
            "/api/v1/cases/{case_id}": {
                "get": _op("One case", ok={"$ref": "#/components/schemas/Case"}, errors=(404,)),
                "put": _op(
                    "Create or replace a case (operator)",
                    security=operator,
                    body={"$ref": "#/components/schemas/Case"},
                    errors=(400, 401, 403, 415, 422),
                ),
                "delete": _op("Remove a case (operator)", security=operator, errors=(401, 403, 404)),
            },
            **_media_paths(operator),
            **_i18n_paths(),
            "/api/v1/login": {"post": _login_op()},
            "/api/v1/logout": {"post": _op("End the session")},
            "/api/v1/me": {"get": _op("Who am I", security=operator, errors=(401,))},
            "/api/v1/tokens": {
                "get": _op("List API tokens (admin)", security=operator, errors=(401, 403)),
                "post": _op(
                    "Create an API token; the secret is shown once (admin)",
                    security=operator,
                    status=201,
                    body={
                        "type": "object",
                        "required": ["scope"],
                        "properties": {
                            "scope": {"type": "string", "enum": ["ingest", "display", "operator", "admin"]},
                            "label": {"type": "string"},
                        },
                    },
                    errors=(401, 403, 422),
                ),
            },
            "/api/v1/tokens/{token_id}": {
                "delete": _op("Revoke a token (admin)", security=operator, errors=(401, 403, 404))
            },
            **messages_paths(),  # moderation and the SMS webhook: openapi/messages.py
            "/api/v1/displays": {
                "get": _op("Connected displays and their status (viewer)", security=operator)
            },
            **_accounts_paths(),
            **fleet_paths(operator),  # show control and the fleet (issue 8): projector/openapi_fleet.py
            **mapping_paths(operator),  # projection mapping (issue 6): projector/openapi_mapping.py
            **brand_paths(),  # the brand kit and the layouts (issue 18): openapi/brand.py
            **show_paths(),  # the show as a TOML file, the scenes: openapi/show.py
            **panel_paths(),  # the panel's websocket, files and charts, /submit: openapi/panel.py
            **_service_paths(),
            "/healthz": {"get": _op("Liveness")},
            "/metrics": {
                "get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "text format"}}}
            },
        },
    }
    declare_path_parameters(document["paths"])  # every {name} a path names is declared
    return document
