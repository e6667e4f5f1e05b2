"""Locale choice: tags parsed the BCP 47 way, unknown ones refused or fallen back from once."""

from __future__ import annotations

import logging

import pytest

from projector.i18n import SUPPORTED, Localizer, UnknownLocale, choose_locale, negotiate, parse_locale
from projector.i18n import locales as locales_module


def test_a_tag_is_normalised_and_finds_its_catalog() -> None:
    choice = parse_locale("tr-tr")
    assert (choice.tag, choice.catalog, choice.rtl) == ("tr-TR", "tr", False)
    assert parse_locale("pt_BR").catalog == "pt"  # Brazil's Portuguese uses the pt words
    assert parse_locale("ar").rtl and parse_locale("ar-MA").tag == "ar-MA"
    assert parse_locale("it").catalog is None  # CLDR knows it; no catalog ships


@pytest.mark.parametrize("tag", ["xx-YY", "zz", "", "   ", "e" * 40, None, 7])
def test_a_tag_that_names_no_locale_is_refused_with_the_reason(tag: object) -> None:
    with pytest.raises(UnknownLocale) as exc:
        parse_locale(tag)
    assert "locale" in str(exc.value)


def test_a_display_with_an_unknown_locale_falls_back_to_english_with_one_warning(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(locales_module, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="projector.i18n.locales"):
        for _ in range(3):
            assert choose_locale("xx-YY").tag == "en"
            assert choose_locale("zz", None, "").tag == "en"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2  # one per bad tag, however often it is asked for
    assert "'xx-YY'" in warnings[0].getMessage() and "falling back" in warnings[0].getMessage()


def test_the_first_good_candidate_wins() -> None:
    # The operator's setting, then the display's flag, then the campaign's language.
    assert choose_locale(None, "fr-FR", "en").tag == "fr-FR"
    assert choose_locale("bogus-", "ar", "en").tag == "ar"
    assert choose_locale(None, None, None).tag == "en"


def test_a_browser_gets_the_shipped_language_it_prefers_most() -> None:
    assert negotiate("km-KH,km;q=0.9,en;q=0.8") == "km"
    assert negotiate("it;q=1.0, ar;q=0.5, fr;q=0.7") == "fr"
    assert negotiate("de-CH") == "de"
    assert negotiate("") == "en" and negotiate(None) == "en" and negotiate("*") == "en"
    assert negotiate("ja, zh;q=0.9") == "en"
    assert negotiate("fr;q=abc, tr") == "tr"  # a broken weight skips that entry only


def test_ten_languages_ship() -> None:
    assert set(SUPPORTED) >= {"en", "fr", "tr", "es", "ar", "ru", "km", "th", "pt", "de"}


@pytest.mark.parametrize(
    ("tag", "number", "percent"),
    [
        ("en", "1,234,567", "82%"),
        ("tr-TR", "1.234.567", "%82"),
        ("fr", "1\u202f234\u202f567", "82\u00a0%"),
        ("de", "1.234.567", "82\u00a0%"),
        ("ru", "1\u00a0234\u00a0567", "82\u00a0%"),
        ("ar-MA", "1.234.567", "82%"),
    ],
)
def test_numbers_follow_cldr(tag: str, number: str, percent: str) -> None:
    t = Localizer.for_tag(tag)
    assert t.number(1234567) == number
    assert t.percent(0.82).replace("\u200e", "") == percent.replace("\u200e", "")


def test_country_names_come_in_the_locales_language() -> None:
    assert Localizer.for_tag("tr").country("MA") == "Fas"
    assert Localizer.for_tag("fr").country("ma") == "Maroc"
    assert Localizer.for_tag("km").country("FR") == "បារាំង"
    assert Localizer.for_tag("de").country("XX") == "" and Localizer.for_tag("de").country(None) == ""


def test_turkish_capitals_keep_their_dots() -> None:
    assert Localizer.for_tag("tr").upper("istanbul için") == "İSTANBUL İÇİN"
    assert Localizer.for_tag("en").upper("istanbul") == "ISTANBUL"


def test_capitals_follow_the_language_the_words_are_in() -> None:
    tr = Localizer.for_tag("tr-TR")
    assert tr.upper("Write for Rights", "en") == "WRITE FOR RIGHTS"
    assert Localizer.for_tag("en").upper("istanbul için", "tr-TR") == "İSTANBUL İÇİN"
    assert Localizer.for_tag("fr").upper("bakı", "az") == "BAKI"


def test_an_isolate_wraps_a_name_and_nothing_stays_nothing() -> None:
    assert Localizer.isolate("ليلى") == "\u2068ليلى\u2069"
    assert Localizer.isolate("") == ""


def test_a_missing_string_comes_out_in_english_never_blank() -> None:
    t = Localizer.for_tag("tr")
    assert t.gettext("a string no catalog has") == "a string no catalog has"
    assert Localizer.for_tag("it").gettext("GOAL {number}") == "GOAL {number}"
