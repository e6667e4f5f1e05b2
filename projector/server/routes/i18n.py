"""The panel's and ``/submit``'s words in the reader's language.

``GET /i18n/panel/{lang}.json`` (public: these are UI words, no secrets) is the
``panel`` gettext domain for the browser::

    {"lang": "fr", "dir": "ltr",
     "messages": {msgid: msgstr},                 translated entries only
     "plurals": {msgid: [form, ...]},             counted words, in the catalog's order
     "plural_categories": ["one", "many", "other"]}   the CLDR category of each form

A msgid the catalog lacks (or leaves empty) is simply absent: the browser
shows the English msgid (``projector/panel/static/i18n.js``). The body is the
same for as long as the server runs, so it carries an ETag and is cached.

``GET /submit`` is the supporters' form in their language: ``?lang=km`` (a QR
code can carry it), else the best of the browser's ``Accept-Language`` that
ships (``negotiate``), else English. The page arrives with ``<html lang dir>``
set, so an Arabic reader never sees a left-to-right flash; the form's script
loads the words and offers a switcher.
"""

from __future__ import annotations

import hashlib
import html
import json
from functools import lru_cache
from typing import Any

from aiohttp import web
from babel import Locale

from projector.i18n import SUPPORTED, catalog_json, negotiate, parse_locale, translations
from projector.server.web.errors import ApiError
from projector.server.web.static import STATIC_DIR, STATIC_HEADERS

DOMAIN = "panel"
#: Long enough to spare a phone on a weak network the round trip; short enough that an
#: upgraded server's words arrive within minutes (the ETag makes the check cheap).
CACHE_CONTROL = "public, max-age=300"
_HTML_OPEN = '<html lang="en">'
#: CLDR's plural categories in the order Babel numbers a catalog's forms (``babel.plural.to_gettext``).
PLURAL_ORDER = ("zero", "one", "two", "few", "many", "other")


def _plural_categories(lang: str) -> list[str]:
    """The CLDR category of each plural form, in the order ``pybabel init`` numbers them.

    Babel writes ``Plural-Forms`` with one index per category the language uses, in
    CLDR's order (zero, one, two, few, many, other); the browser picks the category
    with ``Intl.PluralRules`` and so finds the index without evaluating C.
    """
    tags = Locale.parse(lang).plural_form.tags | {"other"}
    return [tag for tag in PLURAL_ORDER if tag in tags]


def _plural_entries(lang: str) -> dict[str, list[str]]:
    """``{singular msgid: [forms]}`` for plural entries whose every form is translated."""
    catalog: dict[Any, Any] = getattr(translations(lang, DOMAIN), "_catalog", {})
    forms: dict[str, dict[int, str]] = {}
    for key, value in catalog.items():
        if isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], str) and isinstance(value, str):
            forms.setdefault(key[0], {})[int(key[1])] = value
    entries: dict[str, list[str]] = {}
    for msgid, by_index in forms.items():
        if not msgid or sorted(by_index) != list(range(len(by_index))) or not all(by_index.values()):
            continue
        listed = [by_index[i] for i in range(len(by_index))]
        # pybabel compile writes an untranslated plural as the English forms (msgid, then
        # msgid_plural): left out, the browser's own English fallback says the same.
        if listed[0] == msgid and len(set(listed[1:])) <= 1:
            continue
        entries[msgid] = listed
    return entries


def catalog_document(lang: str) -> dict[str, Any]:
    """What ``GET /i18n/panel/{lang}.json`` answers for a shipped language."""
    return {
        "lang": lang,
        "dir": "rtl" if parse_locale(lang).rtl else "ltr",
        "messages": catalog_json(lang, DOMAIN) if lang != "en" else {},
        "plurals": _plural_entries(lang) if lang != "en" else {},
        "plural_categories": _plural_categories(lang),
    }


@lru_cache(maxsize=len(SUPPORTED))
def _catalog_body(lang: str) -> tuple[bytes, str]:
    """The JSON body and its ETag, made once: catalogs do not change while the server runs."""
    body = json.dumps(catalog_document(lang), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    data = body.encode("utf-8")
    return data, '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


async def panel_catalog(request: web.Request) -> web.Response:
    lang = request.match_info["lang"]
    if lang not in SUPPORTED:
        raise ApiError(
            404, "not_found", f"no panel words for language {lang!r}; shipped: {', '.join(SUPPORTED)}"
        )
    data, etag = _catalog_body(lang)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "X-Content-Type-Options": "nosniff"}
    wanted = request.headers.get("If-None-Match")
    if wanted is not None and (wanted.strip() == "*" or etag in [tag.strip() for tag in wanted.split(",")]):
        return web.Response(status=304, headers=headers)
    return web.Response(body=data, content_type="application/json", charset="utf-8", headers=headers)


def submit_language(request: web.Request) -> str:
    """``?lang=`` when it names a shipped language, else the browser's best, else English."""
    asked = request.query.get("lang", "").strip().replace("_", "-").split("-", 1)[0].lower()
    if asked in SUPPORTED:
        return asked
    return negotiate(request.headers.get("Accept-Language"))


def localised_submit_page(template: str, lang: str) -> str:
    """The form's page with ``<html lang dir>`` set and the words it will need preloaded.

    ``data-i18n-pending`` keeps the form hidden until its words are in (submit.css
    shows it after a moment anyway, should the script never run).
    """
    if lang == "en" or _HTML_OPEN not in template:
        return template
    direction = "rtl" if parse_locale(lang).rtl else "ltr"
    opened = template.replace(_HTML_OPEN, f'<html lang="{lang}" dir="{direction}" data-i18n-pending>', 1)
    href = html.escape(f"/i18n/panel/{lang}.json")
    preload = f'<link rel="preload" href="{href}" as="fetch" crossorigin>\n'
    return opened.replace("</head>", preload + "</head>", 1)


async def submit_page(request: web.Request) -> web.Response:
    """The public message form (mobile-first; what a QR code on a screen points at)."""
    lang = submit_language(request)
    template = (STATIC_DIR / "submit.html").read_text(encoding="utf-8")
    return web.Response(
        text=localised_submit_page(template, lang),
        content_type="text/html",
        charset="utf-8",
        headers={**STATIC_HEADERS, "Content-Language": lang, "Vary": "Accept-Language"},
    )


def add_routes(app: web.Application) -> None:
    """Register before ``http_panel.add_routes``: the first ``GET /submit`` wins, and this one
    speaks the reader's language (the plain file route there is the fallback it replaces)."""
    r = app.router
    r.add_get("/i18n/panel/{lang:[A-Za-z0-9_-]{1,35}}.json", panel_catalog)
    r.add_get("/submit", submit_page)
