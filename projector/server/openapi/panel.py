"""OpenAPI paths for what the operator panel and the public form use beyond the core API
(``projector.server.routes.panel``, ``projector.server.routes.i18n``): the panel's websocket,
thumbnails, the actions chart, the panel's files and ``/submit``. Merged into
``projector.server.openapi.document``."""

from __future__ import annotations

from typing import Any

from projector.i18n import SUPPORTED
from projector.server.openapi.common import endpoint, errors, query

_HTML = {"type": "string", "contentMediaType": "text/html"}
_BINARY = {"type": "string", "description": "HTML, JavaScript, CSS or a picture"}
_UPGRADE = {400: "Not a websocket upgrade request"}


def panel_paths() -> dict[str, Any]:
    socket = endpoint(
        "The panel's websocket: the show, totals, displays, moderation queue and picture progress, "
        "pushed on every change (at most ten times a second) and every two seconds",
        "viewer",
        status=101,
        content=None,
        ok_text='Switching Protocols: JSON text frames `{"type": "state", ...}`, the same object each '
        "time; anything the panel sends is ignored",
        errors=errors(
            400,
            401,
            403,
            special={**_UPGRADE, 403: "Not allowed, or the handshake's Origin is another site"},
        ),
    )
    index = endpoint(
        "The operator panel (a single page; it logs in with POST /api/v1/login)",
        None,
        content="text/html",
        ok=_HTML,
        errors={},
    )
    return {
        "/api/v1/panel/ws": {"get": socket},
        "/api/v1/displays/{name}/thumbnail.jpg": {
            "get": endpoint(
                "The latest thumbnail the display sent (sent while a panel watches)",
                "viewer",
                content="image/jpeg",
                ok={"type": "string", "contentMediaType": "image/jpeg"},
                errors=errors(401, 403, 404, special={404: "No such display, or no thumbnail from it yet"}),
            )
        },
        "/api/v1/displays/{name}/preview.jpg": {
            "get": endpoint(
                "The preview cue as the display entered it ahead of GO, drawn offscreen by the display "
                "(sent while a panel watches; the display's `preview_for` says which cue it was for)",
                "viewer",
                content="image/jpeg",
                ok={"type": "string", "contentMediaType": "image/jpeg"},
                errors=errors(
                    401, 403, 404, special={404: "No such display, or no preview picture from it yet"}
                ),
            )
        },
        "/api/v1/actions/per_hour": {
            "get": endpoint(
                "Actions per hour and channel, oldest hour first, for the panel's chart",
                "viewer",
                ok={
                    "type": "object",
                    "properties": {
                        "hours": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "start": {"type": "string", "format": "date-time"},
                                    "by_channel": {
                                        "type": "object",
                                        "additionalProperties": {"type": "integer", "minimum": 0},
                                    },
                                },
                            },
                        }
                    },
                },
                parameters=[
                    query(
                        "hours",
                        {"type": "integer", "minimum": 1, "maximum": 744, "default": 24},
                        "How many hours back, this one included",
                    )
                ],
                errors=errors(401, 403, 422, special={422: "`hours` is not a whole number from 1 to 744"}),
            )
        },
        "/panel": {
            "get": {
                "summary": "Redirects to /panel/",
                "security": [],
                "responses": {
                    "302": {
                        "description": "To the panel",
                        "headers": {"Location": {"schema": {"type": "string", "const": "/panel/"}}},
                    }
                },
            }
        },
        "/panel/": {"get": index},
        "/panel/{file}": {
            "get": {
                **endpoint(
                    "One of the panel's static files (scripts, styles, pictures, the form's page)",
                    None,
                    content="*/*",
                    ok=_BINARY,
                    ok_text="The file, with its own Content-Type",
                    errors=errors(404, special={404: "No such panel file"}),
                ),
                "parameters": [
                    {
                        "name": "file",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.-]+$"},
                    }
                ],
            }
        },
        "/submit": {
            "get": {
                **endpoint(
                    "The public message form, in the reader's language (what a QR code on a screen points at)",
                    None,
                    content="text/html",
                    ok=_HTML,
                    errors={},
                    description="`?lang=` when it names a shipped language, else the best of Accept-Language, "
                    "else English; the page says which in Content-Language. It posts to POST /api/v1/messages.",
                ),
                "parameters": [
                    query(
                        "lang",
                        {"type": "string", "examples": list(SUPPORTED)},
                        "A language to use (only its primary subtag counts)",
                    )
                ],
            }
        },
    }
