"""OpenAPI paths for the show as a file and the scenes a show may use
(``projector.server.routes.show``). Merged into ``projector.server.openapi.document``."""

from __future__ import annotations

from typing import Any

from projector.server.openapi.common import endpoint, errors
from projector.server.routes.show import MAX_TOML_BYTES

#: What show control answers after a change: the loaded show and what is on program.
SHOW_STATE = {
    "type": "object",
    "properties": {
        "show": {"type": ["object", "null"], "description": "The loaded show (id, cues ...), or null"},
        "program": {"type": ["integer", "null"]},
        "preview": {"type": ["integer", "null"]},
        "program_at": {"type": ["number", "null"]},
        "held": {"type": "boolean"},
        "blackout": {"type": "boolean"},
        "rev": {"type": "integer"},
        "program_target": {"type": ["string", "null"]},
    },
}


def show_paths() -> dict[str, Any]:
    return {
        "/api/v1/show.toml": {
            "get": endpoint(
                "The loaded show as a TOML file (Content-Disposition: attachment)",
                "viewer",
                content="application/toml",
                ok={"type": "string"},
                errors=errors(401, 403, 404, special={404: "`no_show`: no show is loaded"}),
            ),
            "post": endpoint(
                "Load a show from a TOML file; cue targets must name existing groups and displays",
                "operator",
                ok=SHOW_STATE,
                body={"type": "string", "maxLength": MAX_TOML_BYTES},
                body_content="application/toml",
                errors=errors(
                    400,
                    401,
                    403,
                    409,
                    413,
                    422,
                    503,
                    special={
                        400: "`invalid_utf8` or `malformed_toml`",
                        409: "Refused by show control now: `error.code` says why",
                        413: f"The file is over {MAX_TOML_BYTES} bytes",
                        422: "The show is invalid (an unknown scene, a target that does not exist ...); "
                        "`error.field` names it",
                        503: "`store_failed`: the show was not stored and nothing changed; retry",
                    },
                ),
                description=f"The body is read as UTF-8 TOML whatever its Content-Type, up to {MAX_TOML_BYTES} "
                "bytes. The answer is the show state after loading, as `GET /api/v1/show`.",
            ),
        },
        "/api/v1/scenes": {
            "get": endpoint(
                "The scenes a cue may name",
                "viewer",
                ok={
                    "type": "object",
                    "properties": {"scenes": {"type": "array", "items": {"type": "string"}}},
                },
                errors=errors(401, 403),
            )
        },
    }
