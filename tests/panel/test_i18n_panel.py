"""The operator panel in the operator's language: French and Arabic (right to left) chosen in
the header and remembered, the browser's language by default, a display's locale and the
campaign's words per language. ``PROJECTOR_UPDATE_SCREENSHOTS=1`` writes the Arabic picture
to docs/i18n/panel-ar.png; otherwise it goes to a temporary folder."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import BrowserContext, FloatRect, Page, expect

from tests.panel.conftest import THREE_CUES, FakeDisplay, PageErrors, Panel, open_logged_in

DOCS = Path(__file__).resolve().parents[2] / "docs" / "i18n"


def pick_language(page: Page, code: str) -> None:
    page.select_option("#panel-lang", code)
    page.wait_for_function("code => document.documentElement.lang === code", arg=code)


def box(page: Page, selector: str) -> FloatRect:
    found = page.locator(selector).bounding_box()
    assert found is not None, f"{selector} is not laid out"
    return found


def test_an_operator_switches_the_panel_to_french_and_it_stays_french(server: Panel, page: Page) -> None:
    server.load_show(THREE_CUES)
    expect(page.locator("#tab-operate")).to_have_text("Operate")
    expect(page.locator("#panel-lang")).to_have_value("en")
    pick_language(page, "fr")

    expect(page.locator("#tab-operate")).to_have_text("Régie")
    expect(page.locator("#tab-editor")).to_contain_text("Éditer le spectacle")
    expect(page.locator("#tab-cases")).to_contain_text("Dossiers")
    expect(page.locator("#btn-go .tbtn-label")).to_have_text("GO")  # a show-control word: GO everywhere
    expect(page.locator("#btn-back .tbtn-label")).to_have_text("RETOUR")
    expect(page.locator("#btn-hold .tbtn-label")).to_have_text("PAUSE")
    expect(page.locator("#btn-blackout .tbtn-label")).to_have_text("NOIR")
    expect(page.locator("#btn-panic .tbtn-label")).to_have_text("PANIQUE")
    expect(page.locator("#btn-jump")).to_contain_text("Aller à")
    expect(page.locator("#cues-title")).to_have_text("Liste des tops")
    expect(page.locator("#cue-count")).to_have_text("3 tops")  # a plural form from the catalog
    expect(page.locator("#conn-badge")).to_have_text("En direct")
    expect(page.locator("#totals-title")).to_have_text("Total en direct")
    expect(page.locator("#tally-channel option[value='letter']")).to_have_text("Lettres")
    expect(page.locator("#btn-panic")).to_have_attribute(
        "title", "Panique\u00a0: couper vers le top de secours"
    )
    assert page.evaluate("document.documentElement.dir") == "ltr"
    assert page.title() == "projector · panneau de régie"
    # A word the catalog does not have shows in English, never blank.
    assert page.evaluate("import('/panel/i18n.js').then(m => m.t('Not in any catalog {x}', {x: 1}))") == (
        "Not in any catalog 1"
    )

    # The words a script writes follow too, and the choice survives a reload.
    page.click("#btn-go")
    expect(page.locator("#program-label")).to_have_text("Opening ident")
    expect(page.locator("#cue-list .pill-onair")).to_have_text("À L'ANTENNE")
    page.reload()
    page.wait_for_selector("#app:not([hidden]) #conn-badge[data-state='live']")
    expect(page.locator("#tab-operate")).to_have_text("Régie")
    expect(page.locator("#panel-lang")).to_have_value("fr")
    expect(page.locator("#btn-back .tbtn-label")).to_have_text("RETOUR")
    expect(page.locator("#conn-badge")).to_have_text("En direct")

    # And back to English, without a reload.
    pick_language(page, "en")
    expect(page.locator("#tab-operate")).to_have_text("Operate")
    expect(page.locator("#cue-count")).to_have_text("3 cues")


def test_the_panel_in_arabic_reads_right_to_left(server: Panel, page: Page, tmp_path: Path) -> None:
    server.load_show(THREE_CUES)
    server.ok("POST", "/api/v1/actions", {"id": "a1", "channel": "letter", "country": "EG", "count": 1800})
    pick_language(page, "ar")

    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["ar", "rtl"]
    expect(page.locator("#tab-operate")).to_have_text("التشغيل")
    expect(page.locator("#tab-messages")).to_contain_text("الرسائل")
    expect(page.locator("#btn-go .tbtn-label")).to_have_text("GO")
    expect(page.locator("#btn-blackout .tbtn-label")).to_have_text("إظلام")
    expect(page.locator("#cues-title")).to_have_text("قائمة الإشارات")
    expect(page.locator("#cue-count")).to_have_text("3 إشارات")  # Arabic's "few" form (3 to 10)
    expect(page.locator("#total")).to_have_text("1,800")  # Latin digits, as the displays draw them

    # The layout mirrors: the first tab is right of the second, the brand on the right, the
    # user and the language on the left, the side column left of the cue list.
    first, second = box(page, "#tab-operate"), box(page, "#tab-editor")
    assert first["x"] > second["x"] + second["width"] - 1, (first, second)
    assert box(page, ".topbar .brand")["x"] > box(page, ".topbar-right")["x"]
    assert box(page, ".col-show")["x"] > box(page, ".col-side")["x"]
    goal_bar, goal_fill = box(page, ".goal-bar"), box(page, "#goal-fill")
    assert (
        abs((goal_fill["x"] + goal_fill["width"]) - (goal_bar["x"] + goal_bar["width"])) < 2
    )  # fills from the right

    page.click("#btn-go")
    expect(page.locator("#cue-list .pill-onair")).to_have_text("على الهواء")
    folder = DOCS if os.environ.get("PROJECTOR_UPDATE_SCREENSHOTS") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.mouse.move(0, 0)
    page.screenshot(path=str(folder / "panel-ar.png"), animations="disabled", caret="hide")


def test_a_new_operator_gets_the_browsers_language_when_it_ships(
    server: Panel, new_context: Callable[..., BrowserContext], page_errors: PageErrors
) -> None:
    page = new_context(locale="fr-CA").new_page()
    page_errors.attach(page)
    page.goto(server.url)
    expect(page.locator("#login-submit")).to_have_text("Se connecter")
    expect(page.locator("#login-lang")).to_have_value("fr")
    page.select_option("#login-lang", "ar")
    expect(page.locator("#login-submit")).to_have_text("تسجيل الدخول")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    open_logged_in(page, server)  # the choice made on the login card holds in the panel
    expect(page.locator("#tab-operate")).to_have_text("التشغيل")
    expect(page.locator("#panel-lang")).to_have_value("ar")

    other = new_context(locale="sw-KE").new_page()  # Swahili does not ship: English
    page_errors.attach(other)
    other.goto(server.url)
    expect(other.locator("#login-submit")).to_have_text("Log in")
    assert other.evaluate("document.documentElement.lang") == "en"


def test_the_locale_of_a_display_is_set_on_its_card_and_survives_a_reload(server: Panel, page: Page) -> None:
    with FakeDisplay(server, "lobby-tv"):
        lobby = page.locator("#display-grid .display[data-name='lobby-tv']")
        lobby.locator(".fleet-btn", has_text="Edit").click()
        select = lobby.locator(".fleet-in-locale")
        expect(select).to_have_value("")
        expect(select.locator("option").first).to_have_text("— display's own —")
        expect(select.locator("option[value='km']")).to_have_text("ខ្មែរ · km")
        select.select_option("tr")
        with page.expect_request(
            lambda r: r.method == "PUT" and r.url.endswith("/api/v1/displays/lobby-tv")
        ) as sent:
            lobby.locator(".fleet-form button[type='submit']").click()
        sent_body = sent.value.post_data_json
        assert sent_body is not None and sent_body["locale"] == "tr"
        expect(lobby.locator(".fleet-form")).to_have_count(0)
        expect(lobby.locator(".fleet-health")).to_contain_text("locale tr")
        [entry] = [d for d in server.ok("GET", "/api/v1/displays")["displays"] if d["name"] == "lobby-tv"]
        assert entry["locale"] == "tr"

        page.reload()
        page.wait_for_selector("#app:not([hidden]) #conn-badge[data-state='live']")
        lobby = page.locator("#display-grid .display[data-name='lobby-tv']")
        lobby.locator(".fleet-btn", has_text="Edit").click()
        expect(lobby.locator(".fleet-in-locale")).to_have_value("tr")

        # Back to the display's own: the panel sends null.
        lobby.locator(".fleet-in-locale").select_option("")
        with page.expect_request(
            lambda r: r.method == "PUT" and "/api/v1/displays/lobby-tv" in r.url
        ) as sent:
            lobby.locator(".fleet-form button[type='submit']").click()
        sent_body = sent.value.post_data_json
        assert sent_body is not None and sent_body["locale"] is None
        expect(lobby.locator(".fleet-form")).to_have_count(0)
        [entry] = [d for d in server.ok("GET", "/api/v1/displays")["displays"] if d["name"] == "lobby-tv"]
        assert entry["locale"] is None


def test_the_campaign_editor_saves_a_turkish_tagline(server: Panel, page: Page) -> None:
    expect(page.locator("#cp-summary")).to_contain_text("Write for Rights")
    page.click("#cp-toggle")
    expect(page.locator("#cp-form")).to_be_visible()
    expect(page.locator("#cp-goal")).to_have_value("10000")
    expect(page.locator("#cp-lang")).to_have_value("en")
    page.fill("#cp-tagline", "Actions for human rights")
    page.select_option("#cp-lang-add", "tr")
    expect(page.locator("#cp-lang-tabs [aria-selected='true']")).to_contain_text("tr")
    expect(page.locator("#cp-tagline")).to_have_value("")
    # An empty translation shows (and falls back to) the default language's words.
    expect(page.locator("#cp-tagline")).to_have_attribute("placeholder", "Actions for human rights")
    page.fill("#cp-tagline", "İnsan hakları için eylemler")
    page.fill("#cp-cta", "Mesajını gönder")
    page.click("#cp-save")
    expect(page.locator("#cp-form")).to_be_hidden()
    expect(page.locator(".toast")).to_contain_text("Campaign saved")
    expect(page.locator("#cp-summary")).to_contain_text("en, tr")

    campaign = server.ok("GET", "/api/v1/campaign")
    assert campaign["tagline"] == "Actions for human rights"
    assert campaign["translations"] == {
        "tr": {"name": "", "tagline": "İnsan hakları için eylemler", "call_to_action": "Mesajını gönder"}
    }

    # Opened again: the Turkish words are there; a refused field is shown next to itself.
    page.click("#cp-toggle")
    page.click("#cp-lang-tabs [data-lang='tr']")
    expect(page.locator("#cp-tagline")).to_have_value("İnsan hakları için eylemler")
    page.click("#cp-lang-tabs [data-lang='en']")
    page.fill("#cp-name", "")
    page.click("#cp-save")
    expect(page.locator("#cp-form [data-error-for='name']")).not_to_be_empty()
    expect(page.locator("#cp-name")).to_have_attribute("aria-invalid", "true")
