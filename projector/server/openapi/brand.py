"""OpenAPI paths for the campaign's look (issue 18, ``projector.server.routes.brand``): the brand
kit and the layouts of the ``layout`` scene. Merged into ``projector.server.openapi.document``."""

from __future__ import annotations

from typing import Any

from media.fonts import MAX_FONT_BYTES, MAX_FONT_GLYPHS
from projector.core.brand import AA_LARGE
from projector.core.layout_spec import KINDS, MAX_LAYOUT_SOURCE, MAX_LAYOUTS, VALUE_NAMES
from projector.core.model import BRAND_FONTS
from projector.server.layout_preview import SHAPES
from projector.server.openapi.common import endpoint, errors

_COLOUR = {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$", "description": "#rrggbb"}
BRAND = {
    "type": "object",
    "description": "The campaign's look. Every scene takes its colours and headline font from it at its "
    "next entry; the defaults are the house look (yellow on black, Anton).",
    "properties": {
        "background": _COLOUR,
        "text": _COLOUR,
        "accent": _COLOUR,
        "font": {
            "type": "string",
            "pattern": f"^({'|'.join(BRAND_FONTS)}|upload:[0-9a-f]{{64}})$",
            "description": "The headline font: a packaged one, or `upload:<hash>` of a font uploaded "
            "with POST /api/v1/fonts",
        },
        "logo": {
            "type": ["string", "null"],
            "pattern": "^[0-9a-f]{64}$",
            "description": "An uploaded picture's hash (POST /api/v1/media), shown by a layout's logo region",
        },
    },
    "additionalProperties": False,
}
_BRAND_REPLY = {
    "allOf": [
        BRAND,
        {
            "type": "object",
            "properties": {
                "fonts": {"type": "array", "items": {"type": "string"}},
                "warnings": {
                    "type": "array",
                    "items": {"type": "string", "enum": ["background/text", "background/accent"]},
                    "description": f"Colour pairs below WCAG AA for large text ({AA_LARGE:g}:1)",
                },
                "minimum_contrast": {"type": "number"},
                "rev": {"type": "integer"},
            },
        },
    ]
}
_VALUES = ", ".join(f"`{{{v}}}`" for v in VALUE_NAMES)
LAYOUT = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "title": {"type": "string"},
        "source": {"type": "string"},
        "shipped": {
            "type": "boolean",
            "description": "A layout the project ships (not saved by the campaign)",
        },
    },
}
_SOURCE = {
    "type": "object",
    "required": ["source"],
    "properties": {
        "source": {
            "type": "string",
            "maxLength": MAX_LAYOUT_SOURCE,
            "description": "The layout as TOML (or JSON, starting with `{`): `title`, `deadline`, `case`, "
            f"`background` and `[[regions]]` of kind {', '.join(KINDS)}, each placed with x, y, w, h in "
            "fractions of the safe area (with `tall`/`wide` placements for towers and banners). "
            f"Text may name live values: {_VALUES}, `{{by_case.<id>}}`, `{{by_country.<CC>}}`, "
            "`{by_channel.<channel>}`.",
        },
        "shape": {"type": "string", "enum": list(SHAPES), "description": "Previews only: the display shape"},
    },
    "additionalProperties": False,
}
_REFUSED = {
    422: "Refused: `error.field` names what is wrong (`regions[2].x`, `regions[0].text` for an unknown "
    "value, `regions[1]` for a region over a display's keep-out box); nothing is stored"
}


_FONT = {
    "type": "object",
    "properties": {
        "hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "font": {"type": "string", "description": "What the brand kit's `font` names it: `upload:<hash>`"},
        "family": {"type": ["string", "null"]},
        "style": {"type": ["string", "null"]},
        "licence": {"type": ["string", "null"], "description": "The licence line of its name table"},
        "glyphs": {"type": ["integer", "null"]},
        "mime": {"type": "string", "enum": ["font/ttf", "font/otf"]},
        "bytes": {"type": "integer"},
        "name": {"type": ["string", "null"], "description": "The file name it came with"},
        "uploaded_by": {"type": ["string", "null"]},
        "created_at": {"type": "string", "format": "date-time"},
    },
}


def font_paths() -> dict[str, Any]:
    return {
        "/api/v1/fonts": {
            "post": endpoint(
                "Upload one font for the brand kit's headline, raw bytes of a TTF or OTF file "
                f"({MAX_FONT_BYTES // (1024 * 1024)} MB, {MAX_FONT_GLYPHS:,} glyphs at most): checked to "
                "parse, to have the Latin letters, the digits and a family name, and to be under the SIL "
                "Open Font License (name ID 13 or 14); stored by hash",
                "operator",
                body={"type": "string", "format": "binary"},
                body_content="font/ttf",
                ok=_FONT,
                status=201,
                errors=errors(401, 403, 413, 415, 422),
            ),
            "get": endpoint(
                "The uploaded fonts, newest first",
                "viewer",
                ok={"type": "object", "properties": {"fonts": {"type": "array", "items": _FONT}}},
                errors=errors(401, 403),
            ),
        }
    }


def brand_paths() -> dict[str, Any]:
    return {
        **font_paths(),
        "/api/v1/brand": {
            "get": endpoint("The brand kit, with its contrast warnings", None, ok=_BRAND_REPLY, errors={}),
            "put": endpoint(
                "Change the brand kit; fields left out keep their value",
                "operator",
                body=BRAND,
                ok=_BRAND_REPLY,
                errors=errors(400, 401, 403, 415, 422),
            ),
        },
        "/api/v1/layouts": {
            "get": endpoint(
                "The campaign's layouts, then the shipped ones it has not replaced",
                None,
                ok={"type": "object", "properties": {"layouts": {"type": "array", "items": LAYOUT}}},
                errors={},
            )
        },
        "/api/v1/layouts/preview": {
            "post": endpoint(
                "A layout drawn by the real scene on the live totals, before it is saved (PNG)",
                "operator",
                body=_SOURCE,
                content="image/png",
                ok={"type": "string", "format": "binary"},
                errors=errors(400, 401, 403, 415, 422, special=_REFUSED),
            )
        },
        "/api/v1/layouts/{layout}": {
            "get": endpoint("One layout", None, ok=LAYOUT, errors=errors(404)),
            "put": endpoint(
                f"Save a layout of the campaign's own (at most {MAX_LAYOUTS}); a shipped name is replaced",
                "operator",
                body=_SOURCE,
                ok=LAYOUT,
                errors=errors(400, 401, 403, 415, 422, special=_REFUSED),
            ),
            "delete": endpoint(
                "Forget a layout of the campaign's own",
                "operator",
                content=None,
                status=204,
                errors=errors(401, 403, 404),
            ),
        },
    }
