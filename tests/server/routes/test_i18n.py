"""The panel's words for the browser (``GET /i18n/panel/{lang}.json``), ``/submit`` in the
reader's language, the HTML extractor, and the shipped ``panel`` catalogs themselves: every
translation keeps its msgid's {placeholders}, every ``.mo`` is its ``.po`` compiled, and the
template holds every word the panel's sources mark."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from projector.i18n import SUPPORTED
from projector.i18n.catalogs import LOCALE_DIR
from projector.i18n.extract_html import MarkupError, extract_messages
from projector.server.routes.i18n import catalog_document, localised_submit_page
from tests.conftest import RunningServer

ROOT = Path(__file__).resolve().parents[3]
PLACEHOLDER = re.compile(r"\{(\w+)\}")
TRANSLATED = ("fr", "ar")


def panel_po(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / "panel.po"


# --- the route ---------------------------------------------------------------------------------------------


async def test_a_catalog_is_served_with_its_direction_and_an_etag(live: RunningServer) -> None:
    async with live.session.get(live.base + "/i18n/panel/fr.json") as r:
        assert r.status == 200 and r.content_type == "application/json"
        etag = r.headers["ETag"]
        assert "max-age" in r.headers["Cache-Control"]
        body = await r.json()
    assert (body["lang"], body["dir"]) == ("fr", "ltr")
    assert body["messages"]["Live total"] == "Total en direct"
    assert body["plurals"]["{count} cue"] == ["{count} top", "{count} de tops", "{count} tops"]
    assert body["plural_categories"] == ["one", "many", "other"]

    async with live.session.get(live.base + "/i18n/panel/fr.json", headers={"If-None-Match": etag}) as r:
        assert r.status == 304 and r.headers["ETag"] == etag
        assert await r.read() == b""
    async with live.session.get(live.base + "/i18n/panel/fr.json", headers={"If-None-Match": '"other"'}) as r:
        assert r.status == 200

    async with live.session.get(live.base + "/i18n/panel/ar.json") as r:
        arabic = await r.json()
        assert r.headers["ETag"] != etag
    assert (arabic["dir"], len(arabic["plural_categories"])) == ("rtl", 6)
    assert all(len(forms) == 6 for forms in arabic["plurals"].values())


async def test_the_route_is_in_the_openapi_document(live: RunningServer) -> None:
    _, document = await live.get("/api/v1/openapi.json")
    route = document["paths"]["/i18n/panel/{lang}.json"]["get"]
    assert set(route["responses"]) == {"200", "404"} and "security" not in route


async def test_an_unknown_language_is_a_404_that_names_it(live: RunningServer) -> None:
    for lang in ("xx", "pt-BR", "FR"):
        async with live.session.get(live.base + f"/i18n/panel/{lang}.json") as r:
            assert r.status == 404, lang
            error = (await r.json())["error"]
        assert error["code"] == "not_found" and repr(lang) in error["message"] and "fr" in error["message"]


async def test_english_and_missing_entries_fall_back_to_the_english_msgid(live: RunningServer) -> None:
    status, english = await live.get("/i18n/panel/en.json")
    assert status == 200 and english["messages"] == {} and english["plurals"] == {}
    # An entry a catalog leaves empty is absent (never an empty string the page would show).
    french = catalog_document("fr")
    assert "" not in french["messages"].values()
    assert "A msgid no catalog has" not in french["messages"]


def test_every_shipped_language_answers() -> None:
    for lang in SUPPORTED:
        document = catalog_document(lang)
        assert document["lang"] == lang
        assert document["dir"] == ("rtl" if lang == "ar" else "ltr")
        assert document["plural_categories"][-1] == "other"


# --- /submit in the reader's language ----------------------------------------------------------------------


async def test_submit_is_sent_in_the_browsers_language_or_the_one_the_address_asks_for(
    live: RunningServer,
) -> None:
    cases = [
        ({"Accept-Language": "km-KH,km;q=0.9"}, "", '<html lang="km" dir="ltr" data-i18n-pending>'),
        ({"Accept-Language": "ar-EG,en;q=0.5"}, "", '<html lang="ar" dir="rtl" data-i18n-pending>'),
        ({"Accept-Language": "sw,fr;q=0.8"}, "", '<html lang="fr" dir="ltr" data-i18n-pending>'),
        ({"Accept-Language": "de-DE"}, "?lang=km", '<html lang="km" dir="ltr" data-i18n-pending>'),
        ({"Accept-Language": "sw-KE"}, "", '<html lang="en">'),
        ({}, "?lang=xx", '<html lang="en">'),
    ]
    for headers, query, opening in cases:
        async with live.session.get(live.base + "/submit" + query, headers=headers) as r:
            text = await r.text()
            assert r.status == 200 and opening in text, (headers, query)
            assert r.headers["Vary"] == "Accept-Language"
            assert "script-src 'self'" in r.headers["Content-Security-Policy"]
            lang = opening.split('"')[1]
            assert r.headers["Content-Language"] == lang
        preload = f'<link rel="preload" href="/i18n/panel/{lang}.json" as="fetch" crossorigin>'
        assert (preload in text) == (lang != "en")


def test_a_template_without_the_expected_opening_is_served_as_it_is() -> None:
    assert localised_submit_page("<html><body>hi</body></html>", "ar") == "<html><body>hi</body></html>"


# --- the HTML extractor ------------------------------------------------------------------------------------


def test_the_extractor_reads_text_arguments_attributes_and_comments() -> None:
    html = """<main>
      <h2 data-i18n>Live
        total</h2>
      <p data-i18n>Build one in <button data-i18n-arg="editor" data-i18n>Edit show</button> now.</p>
      <input placeholder="GB" data-i18n-placeholder aria-label="Country" data-i18n-aria-label>
      <span data-i18n="Explicit id" data-i18n-comment="a note  for translators">shown</span>
      <b title="Tip" data-i18n-title>x</b>
      <br><img alt="">
    </main>"""
    found = [(line, text, comments) for line, _, text, comments in extract_messages(html)]
    assert found == [
        (2, "Live total", []),
        (4, "Build one in {editor} now.", []),
        (4, "Edit show", []),
        (5, "GB", []),
        (5, "Country", []),
        (6, "Explicit id", ["a note for translators"]),
        (7, "Tip", []),
    ]


def test_the_extractor_refuses_markup_a_translation_would_drop() -> None:
    with pytest.raises(MarkupError, match="data-i18n-arg"):
        extract_messages("<p data-i18n>Press <kbd>J</kbd> to jump</p>", "x.html")
    with pytest.raises(MarkupError, match="has no text"):
        extract_messages("<p data-i18n> </p>", "x.html")
    with pytest.raises(MarkupError, match="without a placeholder"):
        extract_messages("<input data-i18n-placeholder>", "x.html")


# --- the shipped catalogs (completeness, placeholders, .mo: tests/i18n/test_catalogs.py) ----------------------------------------------------------------------------------


def test_the_template_has_every_word_the_sources_mark() -> None:
    with (ROOT / "babel-panel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)  # type: ignore[no-untyped-call]  # unannotated in babel
    extracted = {
        (text[0] if isinstance(text, tuple) else text)
        for _, _, text, _, _ in extract_from_dir(
            str(ROOT), method_map, options_map, keywords={"t": None, "tn": (1, 2)}
        )
    }
    with (LOCALE_DIR / "panel.pot").open("rb") as f:
        template = {m.id[0] if isinstance(m.id, tuple) else m.id for m in read_po(f) if m.id}
    assert extracted == template, (
        "panel.pot is out of date (see babel-panel.cfg for the extract command): "
        f"new {sorted(extracted - template)[:5]}, gone {sorted(template - extracted)[:5]}"
    )
    for lang in SUPPORTED:
        with panel_po(lang).open("rb") as f:
            ids = {m.id[0] if isinstance(m.id, tuple) else m.id for m in read_po(f, locale=lang) if m.id}
        assert ids == template, f"{lang}: run pybabel update -D panel"
