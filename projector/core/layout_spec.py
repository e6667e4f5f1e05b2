"""Layouts without code: the declarative source the ``layout`` scene draws, parsed and checked.

A layout is TOML (or JSON) that a campaigner writes in the panel: a list of
regions, each a rectangle in fractions of the safe area (``x``, ``y``, ``w``,
``h`` from 0 to 1), so one layout serves a 1080x1920 tower and a 3840x1080
banner. A region shows text with live values (``{total}``,
``{by_case.ayse}``, ``{goal_percent}``, ``{by_country.TR}``, the campaign's
words), a picture (a media hash), the brand logo, a QR code, a case's
portrait, the ticker, the goal bar, a leaderboard, or a colour field::

    title = "Countdown"
    deadline = 2026-12-10T23:59:00Z

    [[regions]]
    kind = "text"
    x = 0.0
    y = 0.1
    w = 1.0
    h = 0.5
    text = "{days} DAYS {hours}:{minutes}:{seconds}"
    colour = "accent"

Every mistake raises :class:`ValidationError` naming the field
(``regions[2].x: must be between 0 and 1``), so the panel can point at it.
Pure: no pygame, no I/O; the values are filled in by :func:`fill`.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from projector.core.brand import parse_colour
from projector.core.model import (
    CASE_ID_PATTERN,
    CHANNEL_BY_VALUE,
    COUNTRY_CODES,
    MAX_LANGUAGES,
    ValidationError,
    parse_lang,
    parse_media_hash,
    parse_text,
)
from projector.core.safe_area import SafeArea
from projector.core.shipped_layouts import SHIPPED

#: A layout's name: what a cue's ``layout`` parameter says.
LAYOUT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MAX_LAYOUTS = 32
#: The longest layout source, in characters: a screenful of regions with comments.
MAX_LAYOUT_SOURCE = 20_000
MAX_REGIONS = 32
MAX_REGION_TEXT = 300
MAX_URL = 500

KINDS = ("text", "image", "logo", "qr", "portrait", "ticker", "bar", "leaderboard", "fill")
#: The brand kit's colours by name; a region may also give ``#rrggbb``.
COLOUR_NAMES = ("background", "text", "accent")
FONTS = ("display", "strong", "body")
ALIGNS = ("start", "centre", "end")
BOARDS = ("by_country", "by_case", "by_channel")
#: ``case = "of_the_day"``: the active cases in turn, one per calendar day (UTC).
OF_THE_DAY = "of_the_day"

_COMMON = ("kind", "x", "y", "w", "h", "fill", "tall", "wide")
#: The frame shapes a region may be placed differently on: a tower (``tall``) and a banner (``wide``).
SHAPES = ("tall", "wide")
Box = tuple[float, float, float, float]
#: The fields each kind of region takes (besides ``kind``, the rectangle and ``fill``).
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "text": ("text", "colour", "font", "align", "lines"),
    "image": ("media",),
    "logo": (),
    "qr": ("url",),
    "portrait": ("case",),
    "ticker": (),
    "bar": ("colour",),
    "leaderboard": ("of", "rows", "colour"),
    "fill": (),
}
TOP_FIELDS = ("title", "deadline", "case", "background", "regions")

#: Plain value names; ``by_case.<slug>``, ``by_country.<CC>`` and ``by_channel.<name>`` also.
VALUE_NAMES = (
    "total",
    "goal",
    "record",
    "goal_percent",
    "remaining",
    "days",
    "hours",
    "minutes",
    "seconds",
    "countdown",
    "campaign.name",
    "campaign.tagline",
    "campaign.call_to_action",
    "case.name",
    "case.country",
    "case.ask",
    "case.count",
)
#: Control characters and lone surrogates; a source keeps its line breaks and tabs.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
#: ``{name}`` in a region's text; ``{{`` and ``}}`` are literal braces.
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


@dataclass(frozen=True, slots=True)
class Region:
    """One rectangle of a layout, in fractions of the safe area, and what it shows."""

    kind: str
    x: float
    y: float
    w: float
    h: float
    fill: str | None = None
    text: str = ""
    colour: str = "text"
    font: str = "display"
    align: str = "centre"
    lines: int = 2
    media: str | None = None
    url: str = ""
    case: str | None = None
    of: str = "by_country"
    rows: int = 5
    #: The words per language (``text = { en = "...", tr = "..." }``), first the default;
    #: empty when ``text`` was one string for every language.
    texts: tuple[tuple[str, str], ...] = ()
    #: Where the region goes on a tower and on a banner instead (``[regions.tall]``): x, y, w, h.
    tall: Box | None = None
    wide: Box | None = None

    def box(self, shape: str | None = None) -> Box:
        """``(x, y, w, h)`` on a frame of ``shape`` (``tall``, ``wide``, None for any other)."""
        placed = self.tall if shape == "tall" else self.wide if shape == "wide" else None
        return placed or (self.x, self.y, self.w, self.h)


@dataclass(frozen=True, slots=True)
class Layout:
    title: str = ""
    deadline: float | None = None
    case: str | None = None
    background: str = "background"
    regions: tuple[Region, ...] = ()

    def media(self) -> tuple[str, ...]:
        """The pictures the layout shows (a display fetches them with the cases' portraits)."""
        return tuple(dict.fromkeys(r.media for r in self.regions if r.media))


def layout_source(layouts: Mapping[str, str], name: str) -> str | None:
    """The source of the layout ``name``: the campaign's own, else the shipped one of that name."""
    return layouts.get(name, SHIPPED.get(name))


def parse_layout_name(value: object, field: str = "name") -> str:
    if not isinstance(value, str) or not LAYOUT_NAME.match(value):
        raise ValidationError(field, "must be a layout name: lower-case letters, digits, '-' or '_' (1-40)")
    return value


def load_source(source: object, field: str = "source") -> dict[str, object]:
    """The layout's source as a table: JSON when it starts with ``{``, else TOML."""
    if not isinstance(source, str):
        raise ValidationError(field, "must be the layout's TOML or JSON text")
    if len(source) > MAX_LAYOUT_SOURCE:
        raise ValidationError(field, f"must be at most {MAX_LAYOUT_SOURCE} characters")
    if _CONTROL.search(source):
        raise ValidationError(field, "must not contain control characters (other than line breaks and tabs)")
    try:
        data = json.loads(source) if source.lstrip().startswith("{") else tomllib.loads(source)
    except (ValueError, RecursionError) as exc:  # TOMLDecodeError and JSONDecodeError are ValueErrors
        raise ValidationError(field, f"is not valid TOML or JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ValidationError(field, "must be a table (TOML) or an object (JSON)")
    return data


def parse_layout(source: object) -> Layout:
    """Parse and check a layout's source; ``ValidationError`` names the first field that is wrong."""
    data = load_source(source)
    unknown = sorted(set(data) - set(TOP_FIELDS))
    if unknown:
        raise ValidationError(unknown[0], "unknown field")
    title = parse_text(data.get("title", ""), "title", 100, required=False)
    deadline = _deadline(data["deadline"]) if "deadline" in data else None
    case = _case(data["case"], "case") if "case" in data else None
    background = _colour(data.get("background", "background"), "background")
    raw = data.get("regions", [])
    if not isinstance(raw, list):
        raise ValidationError("regions", "must be a list of regions ([[regions]] in TOML)")
    if len(raw) > MAX_REGIONS:
        raise ValidationError("regions", f"at most {MAX_REGIONS} regions")
    regions = tuple(_region(r, f"regions[{i}]") for i, r in enumerate(raw))
    layout = Layout(title, deadline, case, background, regions)
    for i, region in enumerate(regions):
        versions = [(f"regions[{i}].text.{lang}", words) for lang, words in region.texts]
        for field, words in versions or [(f"regions[{i}].text", region.text)]:
            for name in placeholders(words, field):
                check_value_name(name, field)
                if name in ("days", "hours", "minutes", "seconds", "countdown") and deadline is None:
                    raise ValidationError(field, f"{{{name}}} needs a deadline")
    return layout


def _deadline(value: object) -> float:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError(
                "deadline", "must be a date and time such as 2026-12-10T23:59:00Z"
            ) from None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValidationError("deadline", "needs a time zone, such as Z or +03:00")
        return value.timestamp()
    if isinstance(value, date):
        raise ValidationError("deadline", "needs a time of day and a time zone, e.g. 2026-12-10T23:59:00Z")
    raise ValidationError("deadline", "must be a date and time such as 2026-12-10T23:59:00Z")


def _case(value: object, field: str) -> str:
    if value == OF_THE_DAY:
        return OF_THE_DAY
    if not isinstance(value, str) or not CASE_ID_PATTERN.match(value):
        raise ValidationError(field, f"must be a case id or {OF_THE_DAY!r}")
    return value


def _colour(value: object, field: str) -> str:
    if isinstance(value, str) and value in COLOUR_NAMES:
        return value
    if isinstance(value, str) and value.startswith("#"):
        return parse_colour(value, field)
    raise ValidationError(field, f"must be one of {', '.join(COLOUR_NAMES)} or a colour written #rrggbb")


def _fraction(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(field, "must be a number between 0 and 1")
    if not 0 <= value <= 1:
        raise ValidationError(field, f"must be between 0 and 1, got {value}")
    return float(value)


def _choice(value: object, field: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValidationError(field, f"must be one of {', '.join(choices)}")
    return value


def _whole(value: object, field: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValidationError(field, f"must be a whole number from {lo} to {hi}")
    return value


def _region(raw: object, where: str) -> Region:
    if not isinstance(raw, dict):
        raise ValidationError(where, "must be a table with kind, x, y, w and h")
    kind = _choice(raw.get("kind"), f"{where}.kind", KINDS)
    unknown = sorted(set(raw) - set(_COMMON) - set(KIND_FIELDS[kind]))
    if unknown:
        raise ValidationError(f"{where}.{unknown[0]}", f"unknown field for a {kind} region")
    for name in ("x", "y", "w", "h"):
        if name not in raw:
            raise ValidationError(f"{where}.{name}", "is missing")
    x, y, w, h = _box(raw, where)
    fill = _colour(raw["fill"], f"{where}.fill") if "fill" in raw else None
    if kind == "fill" and fill is None:
        raise ValidationError(f"{where}.fill", "is missing: a fill region needs a colour")
    region = Region(kind, x, y, w, h, fill)
    fields: dict[str, object] = {}
    for shape in SHAPES:
        if shape in raw:
            other = raw[shape]
            if not isinstance(other, dict):
                raise ValidationError(f"{where}.{shape}", "must be a table of x, y, w and h")
            wrong = sorted(set(other) - {"x", "y", "w", "h"})
            if wrong:
                raise ValidationError(f"{where}.{shape}.{wrong[0]}", "unknown field")
            fields[shape] = _box({"x": x, "y": y, "w": w, "h": h, **other}, f"{where}.{shape}")
    if kind == "text":
        if "text" not in raw:
            raise ValidationError(f"{where}.text", "is missing")
        if isinstance(raw["text"], dict):
            texts = _texts(raw["text"], f"{where}.text")
            fields["texts"], fields["text"] = texts, texts[0][1]
        else:
            fields["text"] = parse_text(raw["text"], f"{where}.text", MAX_REGION_TEXT)
        fields["font"] = _choice(raw.get("font", "display"), f"{where}.font", FONTS)
        fields["align"] = _choice(raw.get("align", "centre"), f"{where}.align", ALIGNS)
        fields["lines"] = _whole(raw.get("lines", 2), f"{where}.lines", 1, 6)
    if "colour" in raw:
        fields["colour"] = _colour(raw["colour"], f"{where}.colour")
    elif kind == "leaderboard":
        fields["colour"] = "accent"
    if kind == "image":
        fields["media"] = parse_media_hash(raw.get("media"), f"{where}.media")
    if kind == "qr":
        url = parse_text(raw.get("url", ""), f"{where}.url", MAX_URL)
        if not url.startswith(("https://", "http://")):
            raise ValidationError(f"{where}.url", "must start with https:// or http://")
        fields["url"] = url
    if kind == "portrait" and "case" in raw:
        fields["case"] = _case(raw["case"], f"{where}.case")
    if kind == "leaderboard":
        fields["of"] = _choice(raw.get("of", "by_country"), f"{where}.of", BOARDS)
        fields["rows"] = _whole(raw.get("rows", 5), f"{where}.rows", 1, 10)
    return _with(region, fields)


def _texts(raw: Mapping[str, object], where: str) -> tuple[tuple[str, str], ...]:
    """``{ en = "...", tr = "..." }``: words per language tag, the first the default."""
    if not raw:
        raise ValidationError(where, "must give the words in at least one language")
    if len(raw) > MAX_LANGUAGES:
        raise ValidationError(where, f"at most {MAX_LANGUAGES} languages")
    return tuple(
        (parse_lang(lang, f"{where}.{lang}"), parse_text(words, f"{where}.{lang}", MAX_REGION_TEXT))
        for lang, words in raw.items()
    )


def words_for(region: Region, languages: Sequence[str]) -> str:
    """The region's words in the first of ``languages`` it has (exact tag, then the same base
    language), else its default: a display set to Turkish shows the Turkish words."""
    for wanted in languages:
        for lang, words in region.texts:
            if lang == wanted:
                return words
        base = wanted.split("-", 1)[0].lower()
        for lang, words in region.texts:
            if lang.split("-", 1)[0].lower() == base:
                return words
    return region.text


def _box(raw: Mapping[str, object], where: str) -> Box:
    x, y, w, h = (_fraction(raw[name], f"{where}.{name}") for name in ("x", "y", "w", "h"))
    if w <= 0 or h <= 0:
        raise ValidationError(f"{where}.{'w' if w <= 0 else 'h'}", "must be more than 0")
    # A hair of slack: 0.1 + 0.9 is 1.0000000000000002 in floating point.
    if x + w > 1 + 1e-9:
        raise ValidationError(f"{where}.w", f"the region reaches past the right edge (x + w = {x + w:g})")
    if y + h > 1 + 1e-9:
        raise ValidationError(f"{where}.h", f"the region reaches past the bottom edge (y + h = {y + h:g})")
    return (x, y, w, h)


def _with(region: Region, fields: Mapping[str, object]) -> Region:
    values = {name: getattr(region, name) for name in Region.__slots__}
    values.update(fields)
    return Region(**values)


def placeholders(text: str, field: str) -> list[str]:
    """The value names in ``text``'s ``{...}``; a lone brace is an error (``{{`` is a literal one)."""
    names = []
    for m in _PLACEHOLDER.finditer(text):
        token = m.group(0)
        if token in ("{{", "}}"):
            continue
        if m.group(1) is None:
            raise ValidationError(field, f"a lone {token!r}: write {token * 2} for a brace")
        names.append(m.group(1).strip())
    return names


def check_value_name(name: str, field: str) -> None:
    """Refuse a value name the scene could not fill: ``unknown value {totl}``."""
    if name in VALUE_NAMES:
        return
    group, _, key = name.partition(".")
    ok = (
        (group == "by_case" and CASE_ID_PATTERN.match(key) is not None)
        or (group == "by_country" and key in COUNTRY_CODES)
        or (group == "by_channel" and key in CHANNEL_BY_VALUE)
    )
    if not ok:
        known = ", ".join((*VALUE_NAMES, "by_case.<case id>", "by_country.<CC>", "by_channel.<channel>"))
        raise ValidationError(field, f"unknown value {{{name}}}; known: {known}")


def fill(text: str, value: Callable[[str], str]) -> str:
    """``text`` with every ``{name}`` replaced by ``value(name)`` and ``{{``/``}}`` by braces."""

    def one(m: re.Match[str]) -> str:
        token = m.group(0)
        if token in ("{{", "}}"):
            return token[0]
        return value(m.group(1).strip()) if m.group(1) is not None else ""

    return _PLACEHOLDER.sub(one, text)


def countdown_parts(deadline: float, now: float) -> dict[str, str]:
    """``days``, ``hours``, ``minutes``, ``seconds`` left (zero-padded) and ``countdown`` (``3d 04:12:09``)."""
    left = max(0, int(deadline - now))
    days, rest = divmod(left, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    return {
        "days": str(days),
        "hours": f"{hours:02d}",
        "minutes": f"{minutes:02d}",
        "seconds": f"{seconds:02d}",
        "countdown": f"{days}d {clock}" if days else clock,
    }


def case_of_the_day(active: list[str], now: float) -> str | None:
    """One of the active cases (in the order given) per calendar day, UTC; None when there are none."""
    if not active:
        return None
    return active[int(now // 86_400) % len(active)]


def keep_out_clash(
    layout: Layout, area: SafeArea, shapes: tuple[str | None, ...] = (None, *SHAPES)
) -> ValidationError | None:
    """The first region (colour fields aside) that overlaps one of ``area``'s keep-out boxes,
    placed as on a frame of each of ``shapes`` (every shape: a layout may meet any display).

    Regions are placed in the frame less the operator's margins; the boxes
    are in fractions of the whole frame, so the check holds at any resolution.
    """
    left, top = area.left, area.top
    width, height = 1 - area.left - area.right, 1 - area.top - area.bottom
    for i, r in enumerate(layout.regions):
        if r.kind == "fill":
            continue
        for shape in dict.fromkeys(shapes):
            x, y, w, h = r.box(shape)
            rx, ry, rw, rh = left + x * width, top + y * height, w * width, h * height
            for j, box in enumerate(area.avoid):
                if rx < box.x + box.w and box.x < rx + rw and ry < box.y + box.h and box.y < ry + rh:
                    return ValidationError(
                        f"regions[{i}]", f"overlaps the safe area's keep-out box {j + 1} (avoid[{j}])"
                    )
    return None
