"""The shipped catalogs: complete, with the same placeholders as English, compiled up to date.

A catalog entry with a bad placeholder is caught here, not on a building:
``"{number} HEDEF"`` for ``"GOAL {number}"`` passes, ``"{numero} HEDEF"`` fails.
"""

from __future__ import annotations

import gettext
import io
import string
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from projector.i18n.catalogs import DOMAINS, LOCALE_DIR, SUPPORTED

TRANSLATED = [lang for lang in SUPPORTED if lang != "en"]


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def catalog(lang: str, domain: str) -> Catalog:
    with (LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.po").open("rb") as fh:
        return read_po(fh, locale=lang)


def msgids(message_id: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """A message's ids or strings as a tuple: plural entries come as a tuple (.po) or a list (.mo)."""
    return tuple(message_id) if isinstance(message_id, tuple | list) else (message_id,)


def placeholder_errors(cat: Catalog) -> list[str]:
    errors = []
    for message in cat:
        if not message.id or not message.string:
            continue
        wanted = set().union(*(fields(i) for i in msgids(message.id)))
        for text in msgids(message.string):  # plural forms are a tuple
            if text and fields(text) != wanted:
                errors.append(f"{message.id!r} -> {text!r}: {sorted(fields(text))} != {sorted(wanted)}")
    return errors


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_catalog_is_complete_and_keeps_its_placeholders(lang: str, domain: str) -> None:
    cat = catalog(lang, domain)
    missing = [m.id for m in cat if m.id and (m.string is None or not all(msgids(m.string)))]
    fuzzy = [m.id for m in cat if m.id and m.fuzzy]
    assert not missing, f"{lang}/{domain}: {len(missing)} untranslated, e.g. {missing[:5]}"
    assert not fuzzy, f"{lang}/{domain}: fuzzy entries {fuzzy[:5]}"
    assert not placeholder_errors(cat), placeholder_errors(cat)


def test_a_bad_placeholder_is_caught() -> None:
    bad = Catalog(locale="tr")
    bad.add("GOAL {number}", "{numero} HEDEF")
    bad.add("LAST YEAR {number}", "GEÇEN YIL {number}")
    assert len(placeholder_errors(bad)) == 1


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("lang", SUPPORTED)
def test_the_compiled_catalog_is_its_source(lang: str, domain: str, tmp_path: Path) -> None:
    """The shipped .mo is what compiling its .po gives now (compiled here, compared as gettext reads it)."""
    shipped = LOCALE_DIR / lang / "LC_MESSAGES" / f"{domain}.mo"
    assert shipped.is_file(), f"run: pybabel compile -D {domain} -d projector/i18n/locales"
    fresh = tmp_path / "fresh.mo"
    with fresh.open("wb") as out:
        write_mo(out, catalog(lang, domain))
    expected = gettext.GNUTranslations(io.BytesIO(fresh.read_bytes()))
    actual = gettext.GNUTranslations(io.BytesIO(shipped.read_bytes()))
    assert expected._catalog == actual._catalog, (  # type: ignore[attr-defined]
        f"{shipped} is stale: pybabel compile -D {domain} -d projector/i18n/locales"
    )


def test_the_screen_template_has_every_word_the_scenes_mark() -> None:
    root = LOCALE_DIR.parents[2]
    with (root / "babel-projector.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)  # type: ignore[no-untyped-call]  # unannotated in babel
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    extracted = {
        text[0] if isinstance(text, tuple) else text
        for _, _, text, _, _ in extract_from_dir(str(root), method_map, options_map, keywords=keywords)
    }
    with (LOCALE_DIR / "projector.pot").open("rb") as fh:
        template = {m.id[0] if isinstance(m.id, tuple) else m.id for m in read_po(fh) if m.id}
    assert extracted == template, (
        "projector.pot is out of date (README, Languages): "
        f"new {sorted(extracted - template)[:5]}, gone {sorted(template - extracted)[:5]}"
    )
    for lang in SUPPORTED:
        ids = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog(lang, "projector") if m.id}
        assert ids == template, f"{lang}: run pybabel update -D projector"
