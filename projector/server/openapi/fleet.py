"""OpenAPI paths for show control and the fleet (issue 8): cues with a time and a target, displays,
groups, schedules and stored shows. Merged into ``projector.server.openapi.document``."""

from __future__ import annotations

from typing import Any

from projector.server.openapi.common import operation

_TEXT = {
    401: "Missing, unknown or revoked credentials",
    403: "Authenticated but not allowed (scope/role), or missing CSRF header",
    404: "No such display, group, schedule entry or show",
    409: "Refused now: `error.code` says why (conflict, in_transition, end_of_show, not_connected, in_use ...)",
    422: "A field is invalid; `error.field` names it",
}

TARGET = {
    "type": "string",
    "description": "Which displays: `all`, `group:<name>` or `display:<name>` (must exist)",
    "examples": ["all", "group:facade", "display:lobby-tv"],
}
TIMING = {
    "at": {
        "type": "number",
        "description": "Server time (epoch seconds) the cue goes on screen; not in the past, at most 1 h ahead",
    },
    "in": {
        "type": "number",
        "minimum": 0,
        "maximum": 3600,
        "description": "Seconds from now (instead of `at`)",
    },
    "target": TARGET,
}


_FRACTION = {"type": "number", "minimum": 0, "maximum": 1}
_MARGIN = {"type": "number", "minimum": 0, "maximum": 0.45}
SAFE_AREA = {
    "type": ["object", "null"],
    "description": "Where words may go, in fractions of the frame (the display's canvas, or one output): "
    "margins kept clear on each side and keep-out boxes (windows, a bezel). Scenes lay their words out "
    "in the largest clear rectangle. null (or an empty object) clears it.",
    "additionalProperties": False,
    "properties": {
        "margins": {
            "type": "object",
            "additionalProperties": False,
            "description": "Top/bottom: share of the height; left/right: share of the width",
            "properties": {side: _MARGIN for side in ("top", "right", "bottom", "left")},
        },
        "avoid": {
            "type": "array",
            "maxItems": 16,
            "description": "Keep-out boxes: x, y from the top-left; x + w and y + h at most 1; w, h above 0",
            "items": {
                "type": "object",
                "required": ["x", "y", "w", "h"],
                "additionalProperties": False,
                "properties": {k: _FRACTION for k in ("x", "y", "w", "h")},
            },
        },
    },
}


def _op(
    summary: str,
    security: list[str],
    *,
    body: dict[str, Any] | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (401, 403),
) -> dict[str, Any]:
    return operation(
        summary,
        security,
        texts=_TEXT,
        errors=errors,
        body=body,
        body_required=False,
        status=status,
    )


def fleet_paths(operator: list[str]) -> dict[str, Any]:
    viewer = operator
    go = {"type": "object", "properties": {"expected": {"type": ["integer", "null"]}, **TIMING}}
    jump = {"type": "object", "required": ["cue"], "properties": {"cue": {"type": "string"}, **TIMING}}
    display_edit = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 100},
            "groups": {
                "type": "array",
                "items": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"},
            },
            "latency_ms": {"type": "number", "minimum": 0, "maximum": 1000},
            "safe_area": SAFE_AREA,
            "locale": {
                "type": ["string", "null"],
                "maxLength": 35,
                "description": "the display's locale (tr-TR, ar, ...); null: its own --locale, else the"
                " campaign's language. An unknown locale is answered 422.",
            },
        },
    }
    entry = {
        "type": "object",
        "required": ["target", "what", "start", "end"],
        "properties": {
            "target": TARGET,
            "what": {
                "type": "string",
                "description": "`show:<stored show id>` or `cue:<cue id of the loaded show>`",
            },
            "days": {
                "oneOf": [
                    {"type": "array", "items": {"enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}},
                    {"const": "daily"},
                ]
            },
            "date": {
                "type": "string",
                "format": "date",
                "description": "A one-off entry (instead of `days`)",
            },
            "start": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
            "end": {
                "type": "string",
                "pattern": "^[0-2][0-9]:[0-5][0-9]$",
                "description": "At or before start: runs past midnight",
            },
            "label": {"type": "string"},
        },
    }
    return {
        "/api/v1/show": {
            "get": _op(
                "The loaded show, program, preview, program_at, program_target, blackout (viewer)", viewer
            ),
            "put": _op(
                "Load a show; cue targets must name existing groups/displays (operator)",
                operator,
                errors=(401, 403, 422),
            ),
            "delete": _op("Unload the show (operator)", operator),
        },
        "/api/v1/cue/go": {
            "post": _op(
                "GO: the next cue, now or at a time, for its target or another (operator)",
                operator,
                body=go,
                errors=(401, 403, 409, 422),
            )
        },
        "/api/v1/cue/back": {
            "post": _op(
                "The previous cue (operator)",
                operator,
                body={"type": "object", "properties": TIMING},
                errors=(401, 403, 409, 422),
            )
        },
        "/api/v1/cue/jump": {
            "post": _op(
                "Jump to a cue and take it (operator)", operator, body=jump, errors=(401, 403, 409, 422)
            )
        },
        "/api/v1/cue/hold": {"post": _op("Pause auto-follow (operator)", operator)},
        "/api/v1/cue/resume": {"post": _op("Restart auto-follow (operator)", operator)},
        "/api/v1/cue/panic": {"post": _op("The safe cue, out of blackout (operator)", operator)},
        "/api/v1/cue/blackout": {
            "post": _op(
                "Blackout on/off; no body toggles (operator)",
                operator,
                body={"type": "object", "properties": {"on": {"type": "boolean"}}},
                errors=(401, 403, 422),
            )
        },
        "/api/v1/displays": {
            "get": _op(
                "Displays: status, groups, latency, safe areas, clock, health, alerts; and the retired ones "
                "(viewer)",
                viewer,
            )
        },
        "/api/v1/displays/{name}": {
            "put": _op(
                "Rename, regroup, set the latency offset and the safe area; the display hears it at once "
                "(operator)",
                operator,
                body=display_edit,
                errors=(401, 403, 404, 422),
            )
        },
        "/api/v1/displays/{name}/outputs/{output}/safe-area": {
            "get": _op(
                "One output's safe area, in fractions of that output, or null (viewer)",
                viewer,
                errors=(401, 403, 404),
            ),
            "put": _op(
                "Set one output's safe area (body: the safe area, or null to clear); 422 `output` for an "
                "output the display does not have (operator)",
                operator,
                body=SAFE_AREA,
                errors=(401, 403, 404, 422),
            ),
        },
        "/api/v1/displays/{name}/identify": {
            "post": _op(
                "Show the ident card on that display for `seconds` (default 5)",
                operator,
                body={"type": "object", "properties": {"seconds": {"type": "number"}}},
                errors=(401, 403, 404, 409, 422),
            )
        },
        "/api/v1/displays/{name}/reload": {
            "post": _op(
                "Make it re-enter its scenes and reconnect (operator)", operator, errors=(401, 403, 404, 409)
            )
        },
        "/api/v1/displays/{name}/retire": {
            "post": _op(
                "Disconnect and refuse it until un-retired (operator)", operator, errors=(401, 403, 404)
            )
        },
        "/api/v1/displays/{name}/unretire": {
            "post": _op("Accept a retired display again (operator)", operator, errors=(401, 403, 404))
        },
        "/api/v1/groups": {"get": _op("Groups and their displays (viewer)", viewer)},
        "/api/v1/groups/{name}": {
            "put": _op(
                "Declare a group before its displays join (operator)", operator, errors=(401, 403, 422)
            ),
            "delete": _op("Undeclare a group (operator)", operator, errors=(401, 403, 404)),
        },
        "/api/v1/schedules": {
            "get": _op("Entries, the default show, the timezone, what runs now (viewer)", viewer),
            "post": _op(
                "Add an entry; overlapping or past entries are refused (operator)",
                operator,
                body=entry,
                status=201,
                errors=(401, 403, 422),
            ),
        },
        "/api/v1/schedules/{id}": {
            "delete": _op("Remove an entry (operator)", operator, errors=(401, 403, 404))
        },
        "/api/v1/schedules/default": {
            "put": _op(
                "The show for when nothing is scheduled, or null (operator)",
                operator,
                body={"type": "object", "properties": {"show": {"type": ["string", "null"]}}},
                errors=(401, 403, 422),
            )
        },
        "/api/v1/shows": {"get": _op("Stored shows (viewer)", viewer)},
        "/api/v1/shows/{id}": {
            "get": _op("A stored show (viewer)", viewer, errors=(401, 403, 404)),
            "put": _op("Store a show (operator)", operator, errors=(401, 403, 422)),
            "delete": _op(
                "Delete a stored show unless scheduled (operator)", operator, errors=(401, 403, 404, 409)
            ),
        },
    }
