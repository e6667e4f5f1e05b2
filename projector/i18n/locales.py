"""Which locale: parse a tag, fall back honestly, negotiate with a browser.

A display's locale is a BCP 47 tag (``tr-TR``, ``ar``, ``pt-BR``). A tag Babel
does not know (``xx-YY``, ``zz``) is an error where an operator typed it (the
API answers 422 naming the field), and English with one warning where a
display was started with it: a screen in the dark must still show something.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError

from projector.i18n.catalogs import SUPPORTED

log = logging.getLogger(__name__)

ENGLISH = "en"
#: The longest locale tag accepted (``zh-Hant-TW`` and friends, with room to spare).
MAX_TAG = 35
_warned: set[str] = set()


class UnknownLocale(ValueError):
    """A tag that names no locale; the message says which and what would do."""


@dataclass(frozen=True, slots=True)
class LocaleChoice:
    """A resolved locale: ``tag`` as BCP 47 (``tr-TR``), Babel's ``locale``, and its
    ``catalog``: the shipped language whose words it uses (None: English source text)."""

    tag: str
    locale: Locale
    catalog: str | None

    @property
    def rtl(self) -> bool:
        return self.locale.character_order == "right-to-left"

    @property
    def language(self) -> str:
        return self.locale.language


def parse_locale(tag: object) -> LocaleChoice:
    """The locale ``tag`` names, or :class:`UnknownLocale` saying why not."""
    if not isinstance(tag, str) or not tag.strip() or len(tag) > MAX_TAG:
        raise UnknownLocale(f"{tag!r} is not a locale tag such as en, tr-TR or pt-BR")
    raw = tag.strip()
    try:
        locale = Locale.parse(raw.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        shipped = ", ".join(SUPPORTED)
        raise UnknownLocale(f"{raw!r} is not a known locale (locales with words: {shipped})") from None
    return LocaleChoice(_bcp47(locale), locale, _catalog_for(locale))


def choose_locale(*candidates: str | None) -> LocaleChoice:
    """The first candidate that names a locale (None and "" are skipped), else English.

    A candidate that names no locale, or one with no catalog, is logged once
    (it falls back to English words); the next candidate is tried.
    """
    for tag in candidates:
        if not tag:
            continue
        try:
            choice = parse_locale(tag)
        except UnknownLocale as exc:
            _warn_once(tag, "locale: %s; falling back", exc)
            continue
        if choice.catalog is None and choice.language != ENGLISH:
            _warn_once(
                tag,
                "locale %s has no catalog (shipped: %s): English words, %s numbers and names",
                choice.tag,
                ", ".join(SUPPORTED),
                choice.tag,
            )
        return choice
    return parse_locale(ENGLISH)


def negotiate(accept_language: str | None, default: str = ENGLISH) -> str:
    """The shipped language a browser's ``Accept-Language`` prefers most, else ``default``."""
    wanted: list[tuple[float, int, str]] = []
    for i, part in enumerate((accept_language or "").split(",")[:32]):
        piece, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if piece and piece != "*":
            wanted.append((-quality, i, piece.strip()))
    for _, _, tag in sorted(wanted):
        base = tag.replace("_", "-").split("-", 1)[0].lower()
        if base in SUPPORTED:
            return base
    return default


def _catalog_for(locale: Locale) -> str | None:
    """The shipped catalog for a locale: its language's (``pt-BR`` -> ``pt``), if shipped."""
    return locale.language if locale.language in SUPPORTED else None


def _bcp47(locale: Locale) -> str:
    return "-".join(
        part for part in (locale.language, locale.script, locale.territory, locale.variant) if part
    )


def _warn_once(key: str, message: str, *args: object) -> None:
    if key not in _warned:
        _warned.add(key)
        log.warning(message, *args)
