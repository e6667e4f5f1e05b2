"""Checking a brand kit: colours, the headline font, the logo, and colour contrast.

The kit itself is :class:`projector.core.model.Brand`. The HTTP layer, the
wire decoder and the panel's contrast warning share these rules, so "valid"
and "readable" mean the same everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping

from projector.core.model import (
    BRAND_FONTS,
    COLOUR_PATTERN,
    UPLOADED_FONT_PREFIX,
    Brand,
    ValidationError,
    parse_media_hash,
    uploaded_font_hash,
)

#: The kit's fields, in the order the panel shows them.
BRAND_FIELDS = ("background", "text", "accent", "font", "logo")
#: WCAG 2 AA contrast for large text (a headline on a building is always large text).
AA_LARGE = 3.0

RGB = tuple[int, int, int]
#: The default kit: the house look.
HOUSE_BRAND = Brand()


def parse_colour(value: object, field: str) -> str:
    """``#rrggbb`` (any case in, lower-case out) or ``ValidationError`` naming ``field``."""
    if not isinstance(value, str) or not COLOUR_PATTERN.match(value.strip().lower()):
        raise ValidationError(field, "must be a colour written #rrggbb, e.g. #ffdd00")
    return value.strip().lower()


def parse_font(value: object, field: str = "font") -> str:
    """A packaged font's name, or ``upload:<hash>`` of an uploaded font (whether the server has
    that font is the HTTP layer's check: this one is pure)."""
    if isinstance(value, str) and (value in BRAND_FONTS or uploaded_font_hash(value) is not None):
        return value
    raise ValidationError(
        field,
        f"must be one of {', '.join(BRAND_FONTS)}, or {UPLOADED_FONT_PREFIX}<hash> of a font uploaded "
        "with POST /api/v1/fonts",
    )


def parse_brand(body: Mapping[str, object], current: Brand = HOUSE_BRAND, where: str = "") -> Brand:
    """A kit from ``body``; a field left out keeps ``current``'s. Errors name the field.

    ``logo`` may be null (no logo) or a media hash.
    """
    unknown = sorted(set(body) - set(BRAND_FIELDS))
    if unknown:
        raise ValidationError(f"{where}{unknown[0]}", "unknown field")
    logo = body.get("logo", current.logo)
    return Brand(
        background=parse_colour(body.get("background", current.background), f"{where}background"),
        text=parse_colour(body.get("text", current.text), f"{where}text"),
        accent=parse_colour(body.get("accent", current.accent), f"{where}accent"),
        font=parse_font(body.get("font", current.font), f"{where}font"),
        logo=None if logo is None else parse_media_hash(logo, f"{where}logo"),
    )


def brand_to_dict(brand: Brand) -> dict[str, str | None]:
    return {name: getattr(brand, name) for name in BRAND_FIELDS}


def rgb(colour: str) -> RGB:
    """``#rrggbb`` as an (r, g, b) triple; a colour that is not one is black (it was checked on entry)."""
    if not COLOUR_PATTERN.match(colour):
        return (0, 0, 0)
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(colour: RGB) -> float:
    """WCAG 2 relative luminance."""
    r, g, b = (_linear(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours, from 1 (same) to 21 (black on white)."""
    la, lb = luminance(rgb(a)), luminance(rgb(b))
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def contrast_warnings(brand: Brand) -> list[str]:
    """The kit's colour pairs below AA for large text (3:1), as field pairs: ``["background/accent"]``."""
    return [
        f"background/{name}"
        for name in ("text", "accent")
        if contrast(brand.background, getattr(brand, name)) < AA_LARGE
    ]
