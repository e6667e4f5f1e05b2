"""The shipped message catalogs: gettext ``.mo`` files, read once per language and domain.

The ``.po`` sources sit beside the ``.mo`` files they compile to; both are
committed, so an install from a clone or a wheel needs no build step, and a
test checks that every ``.mo`` matches its ``.po`` (see the README, "Languages",
for the extract/update/compile commands).
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path

from babel.support import NullTranslations, Translations

#: Where ``<lang>/LC_MESSAGES/<domain>.po|.mo`` live.
LOCALE_DIR = Path(__file__).parent / "locales"
#: The languages whose catalogs ship complete (English is the source language).
SUPPORTED: tuple[str, ...] = ("en", "fr", "tr", "es", "ar", "ru", "km", "th", "pt", "de")
#: What scenes draw on a screen; what the panel and ``/submit`` show.
DOMAINS: tuple[str, ...] = ("projector", "panel")


@lru_cache(maxsize=64)
def translations(language: str | None, domain: str = "projector") -> gettext.NullTranslations:
    """The catalog of ``language`` in ``domain``; English (the msgids themselves) when none.

    gettext falls back per string: an entry a catalog lacks, or leaves empty,
    comes out in English, never blank.
    """
    if domain not in DOMAINS:
        raise ValueError(f"unknown message domain {domain!r}")
    if not language or language == "en":
        return NullTranslations()
    loaded = Translations.load(str(LOCALE_DIR), [language], domain)
    return loaded


@lru_cache(maxsize=64)
def catalog_json(language: str, domain: str = "panel") -> dict[str, str]:
    """A catalog as ``{msgid: msgstr}`` for the browser (translated entries only).

    Plural entries are left out: the panel's words are written without them.
    """
    found = translations(language, domain)
    catalog = getattr(found, "_catalog", {})
    return {
        key: value
        for key, value in catalog.items()
        if isinstance(key, str) and key and isinstance(value, str) and value
    }
