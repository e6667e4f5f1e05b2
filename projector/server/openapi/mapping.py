"""OpenAPI paths for projection mapping (issue 6): mappings, test patterns, pictures and saved
calibrations per display output. Merged into ``projector.server.openapi.document``."""

from __future__ import annotations

from typing import Any

from projector.core.calibration import PATTERN_NAMES
from projector.core.mapping import (
    MAX_BLACK_LEVEL,
    MAX_CURVE,
    MAX_GAMMA,
    MAX_MASK_POINTS,
    MAX_MASKS,
    MAX_MESH_POINTS,
    MIN_CURVE,
    MIN_GAMMA,
    MIN_MESH_POINTS,
)
from projector.server.openapi.common import operation

_TEXT = {
    400: "Malformed JSON",
    401: "Missing, unknown or revoked credentials",
    403: "Authenticated but not allowed (scope/role), or missing CSRF header",
    404: "No such display (`unknown_display`), output (`unknown_output`) or saved calibration",
    415: "Content-Type is not application/json",
    422: "Refused: `error.field` names what is wrong (`corners[2]`, `masks[0]`, `blend.right`, `size`, ...); "
    "nothing is stored and the display keeps its last good mapping",
}

_POINT = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
MAPPING = {
    "type": "object",
    "description": "One output's calibration, in the output's own pixels (x right, y down). "
    "`size` may be left out (the output's); a calibration made for another resolution is refused (422 `size`).",
    "properties": {
        "size": {
            "type": "array",
            "items": {"type": "integer", "minimum": 16, "maximum": 16384},
            "minItems": 2,
        },
        "corners": {
            "type": "array",
            "items": _POINT,
            "minItems": 4,
            "maxItems": 4,
            "description": "Where the scene's top-left, top-right, bottom-right and bottom-left corners go "
            "(a perspective-correct corner-pin); convex, not crossed, sides at least 16 px",
        },
        "mesh": {
            "type": ["array", "null"],
            "description": f"Optional: rows of [u, v] control points ({MIN_MESH_POINTS}..{MAX_MESH_POINTS} a side), "
            "the unit square bent before the corner-pin; the regular grid is no bend",
            "items": {"type": "array", "items": _POINT},
        },
        "masks": {
            "type": "array",
            "maxItems": MAX_MASKS,
            "description": f"Polygons drawn black over everything (3..{MAX_MASK_POINTS} points each)",
            "items": {"type": "array", "items": _POINT, "minItems": 3},
        },
        "blend": {
            "type": "object",
            "description": "Soft edges for overlapping projectors (Paul Bourke's method)",
            "properties": {
                "left": {
                    "type": "integer",
                    "minimum": 0,
                    "description": "Strip width in px; left + right <= width",
                },
                "right": {"type": "integer", "minimum": 0},
                "top": {"type": "integer", "minimum": 0, "description": "top + bottom <= height"},
                "bottom": {"type": "integer", "minimum": 0},
                "curve": {"type": "number", "minimum": MIN_CURVE, "maximum": MAX_CURVE, "default": 2.0},
                "gamma": {
                    "description": "The projector's gamma: one number or [r, g, b]",
                    "oneOf": [
                        {"type": "number", "minimum": MIN_GAMMA, "maximum": MAX_GAMMA},
                        {"type": "array", "items": {"type": "number"}, "minItems": 3, "maxItems": 3},
                    ],
                },
            },
        },
        "brightness": {"type": "number", "minimum": 0, "maximum": 1, "default": 1},
        "black_level": {"type": "number", "minimum": 0, "maximum": MAX_BLACK_LEVEL, "default": 0},
    },
}


def _op(
    summary: str,
    security: list[str],
    *,
    body: dict[str, Any] | None = None,
    status: int = 200,
    errors: tuple[int, ...] = (401, 403, 404),
    content: str = "application/json",
) -> dict[str, Any]:
    return operation(
        summary,
        security,
        texts=_TEXT,
        errors=errors,
        body=body,
        body_required=True,
        status=status,
        content=content,
    )


def mapping_paths(operator: list[str]) -> dict[str, Any]:
    viewer = operator
    base = "/api/v1/displays/{name}/outputs"
    one = base + "/{output}"
    edit = (400, 401, 403, 404, 415, 422)
    return {
        base: {
            "get": _op(
                "A display's outputs: size, current mapping, test pattern, the output path it reports "
                "(software/opengl) and why, and the pattern names (viewer)",
                viewer,
            )
        },
        one + "/mapping": {
            "put": _op(
                "Set the output's mapping; stored and sent to the display at once (operator)",
                operator,
                body=MAPPING,
                errors=edit,
            ),
            "delete": _op("Back to the identity (operator)", operator),
        },
        one + "/pattern": {
            "post": _op(
                "Show a test pattern through the output's mapping, or the show again with null (operator)",
                operator,
                body={
                    "type": "object",
                    "properties": {"pattern": {"type": ["string", "null"], "enum": [*PATTERN_NAMES, None]}},
                },
                errors=edit,
            )
        },
        one + "/picture.jpg": {
            "get": _op(
                "The output's picture as its projector gets it (warped), fresh from the display when it answers "
                "within about a second (viewer)",
                viewer,
                content="image/jpeg",
            )
        },
        one + "/calibrations": {
            "get": _op("Saved calibrations of the output (viewer)", viewer),
            "post": _op(
                "Save the current mapping (or `mapping`) under `name`; the same name replaces (operator)",
                operator,
                body={
                    "type": "object",
                    "required": ["name"],
                    "properties": {"name": {"type": "string", "maxLength": 64}, "mapping": MAPPING},
                },
                status=201,
                errors=edit,
            ),
        },
        one + "/calibrations/{calibration}/load": {
            "post": _op(
                "Make a saved calibration the output's mapping (422 `size` when made for another resolution) "
                "(operator)",
                operator,
                errors=(401, 403, 404, 422),
            )
        },
        one + "/calibrations/{calibration}": {
            "delete": _op("Delete a saved calibration (operator)", operator)
        },
    }
