"""Locales: the words, numbers and names a screen, the panel and the public form show.

Two gettext domains, compiled from ``projector/i18n/locales/<lang>/LC_MESSAGES``:
``projector`` (what scenes draw on a screen) and ``panel`` (the operator's panel
and the supporters' ``/submit`` form). Numbers, percentages, dates and country
names follow CLDR through Babel. English is the source language: a string a
catalog lacks shows in English, never blank.
"""

from projector.i18n.catalogs import SUPPORTED, catalog_json, translations
from projector.i18n.locales import LocaleChoice, UnknownLocale, choose_locale, negotiate, parse_locale
from projector.i18n.localizer import Localizer

__all__ = [
    "SUPPORTED",
    "LocaleChoice",
    "Localizer",
    "UnknownLocale",
    "catalog_json",
    "choose_locale",
    "negotiate",
    "parse_locale",
    "translations",
]
