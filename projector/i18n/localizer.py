"""A display's locale in use: its words (gettext), its numbers and names (CLDR via Babel).

Scenes hold no strings of their own: they ask the display's :class:`Localizer`
for ``gettext("LAST YEAR")`` and ``number(1234567)`` ("1.234.567" in Turkish,
"1 234 567" in French, with a narrow no-break space). Everything here is cached
per localizer: a scene entering at 60 fps must not re-format a label.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache

from babel import dates, numbers

from projector.i18n.catalogs import translations
from projector.i18n.locales import LocaleChoice, choose_locale

log = logging.getLogger(__name__)

#: First-strong isolate and pop-directional isolate (UAX #9): a name, a country or a number
#: composed into a sentence keeps its own direction and does not reorder its neighbours.
FSI, PDI = "\u2068", "\u2069"


def gettext_noop(message: str) -> str:
    """Marks a string for extraction where it is defined; it is translated where drawn."""
    return message


N_ = gettext_noop


class Localizer:
    """Words, numbers, percentages, dates and country names for one locale."""

    def __init__(self, choice: LocaleChoice) -> None:
        self.choice = choice
        self.tag = choice.tag
        self.rtl = choice.rtl
        self._words = translations(choice.catalog, "projector")

    @classmethod
    def for_tag(cls, *candidates: str | None) -> Localizer:
        """The first candidate that names a locale (see :func:`choose_locale`), else English."""
        return _localizer(choose_locale(*candidates))

    @property
    def language(self) -> str:
        return self.choice.language

    def gettext(self, message: str) -> str:
        """``message`` in this locale; English when the catalog lacks it."""
        return self._words.gettext(message) or message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._words.ngettext(singular, plural, n) or (singular if n == 1 else plural)

    def number(self, value: int | float) -> str:
        """A count in the locale's digits and grouping (CLDR): 1,234,567 / 1.234.567 / 1 234 567."""
        return _format_number(self.choice.tag, int(value))

    def percent(self, fraction: float) -> str:
        """A whole percentage the locale's way: 82% / %82 / 82 %."""
        return _format_percent(self.choice.tag, int(fraction * 100))

    def date(self, when: dt.date | dt.datetime, style: str = "long") -> str:
        return dates.format_date(when, format=style, locale=self.choice.locale)

    def country(self, code: str | None) -> str:
        """A country's everyday name in this locale's language ("" for none or an unknown code)."""
        if not code:
            return ""
        return str(self.choice.locale.territories.get(code.upper()) or "")

    def upper(self, text: str, lang: str | None = None) -> str:
        """Capitals for a headline, by the casing rules of the language ``text`` is in.

        ``lang`` defaults to the locale's language: a Turkish "i" becomes "İ", not "I",
        but an English campaign name on a Turkish screen keeps its English capitals.
        """
        language = (lang or self.language).split("-", 1)[0].lower()
        if language in ("tr", "az"):
            text = text.replace("i", "\u0130")
        return text.upper()

    @staticmethod
    def isolate(text: str) -> str:
        """``text`` as a first-strong isolate, so a right-to-left name cannot reorder its line."""
        return f"{FSI}{text}{PDI}" if text else ""

    def __repr__(self) -> str:
        return f"Localizer({self.tag!r})"


@lru_cache(maxsize=32)
def _localizer(choice: LocaleChoice) -> Localizer:
    return Localizer(choice)


# Latin digits with the locale's grouping, decimal sign and percent pattern: Babel formats
# patterns and symbols but does not substitute digits, so asking it for a locale's native
# numbering system (Arabic-Indic in ar-EG) gives Latin digits with that system's separators,
# a mixture nobody writes. Where CLDR's default is Latin (ar, ar-MA, fa-AF, km, th) this is it.
@lru_cache(maxsize=4096)
def _format_number(tag: str, value: int) -> str:
    return numbers.format_decimal(value, locale=tag.replace("-", "_"), numbering_system="latn")


@lru_cache(maxsize=512)
def _format_percent(tag: str, whole: int) -> str:
    return numbers.format_percent(whole / 100, locale=tag.replace("-", "_"), numbering_system="latn")
