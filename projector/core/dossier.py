"""What a case dossier may contain, checked once for every way one arrives.

A case comes in as JSON from the panel or a script (``PUT /api/v1/cases/ID``),
as a ``case.toml`` in a folder of dossiers, or from the wire; all three go
through these rules, so a story that is too long or a focus point off the
picture is refused the same way, naming the same field.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from projector.core.model import (
    DEFAULT_LANG,
    MAX_EXTRA_PORTRAITS,
    MAX_LANGUAGES,
    MEDIA_HASH_PATTERN,
    Case,
    CaseStatus,
    CaseText,
    Portrait,
    ValidationError,
    parse_case_id,
    parse_country,
    parse_focus,
    parse_lang,
    parse_media_hash,
    parse_text,
)
from projector.core.protocol import case_to_wire

MAX_NAME_LENGTH = 200
MAX_STORY_LENGTH = 2000
MAX_ASK_LENGTH = 500
MAX_FILE_NAME_LENGTH = 200

#: Fields of a case as JSON (``PUT /api/v1/cases/ID`` and ``case_to_wire``).
CASE_FIELDS = frozenset(
    {
        "id",
        "name",
        "country",
        "story",
        "ask",
        "status",
        "portrait",
        "lang",
        "translations",
        "focus",
        "portraits",
    }
)


def parse_status(value: object, field: str = "status") -> CaseStatus:
    try:
        return CaseStatus(value)
    except ValueError:
        names = ", ".join(s.value for s in CaseStatus)
        raise ValidationError(field, f"{value!r} is not one of {names}") from None


def parse_portrait_ref(value: object, field: str = "portrait") -> str:
    """A media hash, or (dossiers read from a local folder) a plain file name with no path in it."""
    text = parse_text(value, field, MAX_FILE_NAME_LENGTH)
    if MEDIA_HASH_PATTERN.match(text):
        return text
    if "/" in text or "\\" in text or text.startswith(".") or text != text.strip():
        raise ValidationError(field, "must be a media hash or a plain file name")
    return text


def parse_translations(
    value: object, default_lang: str, field: str = "translations"
) -> Mapping[str, CaseText]:
    """``{lang: {"story": ..., "ask": ...}}``; the default language belongs in story/ask, not here."""
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        raise ValidationError(field, "must be an object of languages, each with a story and an ask")
    if len(value) > MAX_LANGUAGES - 1:
        raise ValidationError(field, f"at most {MAX_LANGUAGES - 1} languages besides the default")
    texts: dict[str, CaseText] = {}
    for raw_lang, body in value.items():
        lang = parse_lang(raw_lang, f"{field}.{raw_lang}")
        where = f"{field}.{lang}"
        if lang == default_lang:
            raise ValidationError(where, f"is the default language ({default_lang}): use story and ask")
        if lang in texts:
            raise ValidationError(where, "is given twice")
        if not isinstance(body, Mapping):
            raise ValidationError(where, "must be an object with story and ask")
        unknown = sorted(set(body) - {"story", "ask"})
        if unknown:
            raise ValidationError(f"{where}.{unknown[0]}", "unknown field (story and ask only)")
        texts[lang] = CaseText(
            story=parse_text(body.get("story", ""), f"{where}.story", MAX_STORY_LENGTH, required=False),
            ask=parse_text(body.get("ask", ""), f"{where}.ask", MAX_ASK_LENGTH, required=False),
        )
    return MappingProxyType(texts)


def parse_portraits(value: object, field: str = "portraits") -> tuple[Portrait, ...]:
    """Further portraits: ``[{"media": hash, "focus": [x, y]?}, ...]``."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise ValidationError(field, "must be a list of {media, focus}")
    if len(value) > MAX_EXTRA_PORTRAITS:
        raise ValidationError(field, f"at most {MAX_EXTRA_PORTRAITS} further portraits")
    portraits: list[Portrait] = []
    for i, item in enumerate(value):
        where = f"{field}[{i}]"
        if not isinstance(item, Mapping):
            raise ValidationError(where, "must be an object with media and focus")
        unknown = sorted(set(item) - {"media", "focus"})
        if unknown:
            raise ValidationError(f"{where}.{unknown[0]}", "unknown field (media and focus only)")
        media = parse_media_hash(item.get("media"), f"{where}.media")
        focus = None if item.get("focus") is None else parse_focus(item["focus"], f"{where}.focus")
        if any(p.media == media for p in portraits):
            raise ValidationError(f"{where}.media", "is already in the list")
        portraits.append(Portrait(media, focus))
    return tuple(portraits)


def case_from_json(case_id: str, body: object) -> Case:
    """A whole case from a JSON body (every field not given takes its default)."""
    if not isinstance(body, Mapping):
        raise ValidationError("body", "must be a JSON object")
    unknown = sorted(set(body) - CASE_FIELDS)
    if unknown:
        raise ValidationError(unknown[0], "unknown field")
    if "id" in body and body["id"] != case_id:
        raise ValidationError("id", "does not match the case id in the URL")
    lang = parse_lang(body.get("lang") or DEFAULT_LANG)
    portrait = body.get("portrait")
    focus = body.get("focus")
    return Case(
        id=parse_case_id(case_id, "id"),
        name=parse_text(body.get("name"), "name", MAX_NAME_LENGTH),
        country=parse_country(body.get("country")),
        story=parse_text(body.get("story", ""), "story", MAX_STORY_LENGTH, required=False),
        ask=parse_text(body.get("ask", ""), "ask", MAX_ASK_LENGTH, required=False),
        status=parse_status(body.get("status", "active")),
        portrait=None if portrait is None else parse_portrait_ref(portrait),
        lang=lang,
        translations=parse_translations(body.get("translations"), lang),
        focus=None if focus is None else parse_focus(focus),
        portraits=parse_portraits(body.get("portraits")),
    )


def case_json(case: Case) -> dict[str, Any]:
    """The JSON ``case_from_json`` reads (the same shape as the wire's)."""
    return case_to_wire(case)
