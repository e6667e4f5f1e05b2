"""The public message form in a real browser: a supporter's phone sends a message for moderation."""

from __future__ import annotations

from collections.abc import Callable

from playwright.sync_api import BrowserContext, expect

from tests.panel.conftest import PageErrors, Panel


def test_a_supporter_sends_a_message_from_a_phone(
    server: Panel, new_context: Callable[..., BrowserContext], page_errors: PageErrors
) -> None:
    context = new_context(viewport={"width": 390, "height": 844}, locale="fr-FR")
    page = context.new_page()
    page_errors.attach(page)
    page.goto(server.base + "/submit")
    expect(page.locator("#country")).to_have_value("FR")  # guessed from the phone's locale
    page.fill("#text", "Tenez bon ! <b>Nous sommes avec vous</b>")
    expect(page.locator("#count")).to_have_text(str(len("Tenez bon ! <b>Nous sommes avec vous</b>")))
    page.fill("#name", "Léa")
    page.click("#send")
    expect(page.locator("#result")).to_have_class("ok")
    expect(page.locator("#text")).to_have_value("")
    pending = server.ok("GET", "/api/v1/messages?status=pending")["messages"]
    assert [(m["name"], m["country"], m["text"]) for m in pending] == [
        ("Léa", "FR", "Tenez bon ! <b>Nous sommes avec vous</b>")
    ]
    assert pending[0]["lang"] == "fr-FR"


def test_an_empty_message_is_refused_in_the_page(
    server: Panel, new_context: Callable[..., BrowserContext], page_errors: PageErrors
) -> None:
    page = new_context(viewport={"width": 390, "height": 844}).new_page()
    page_errors.attach(page)
    page.goto(server.base + "/submit")
    page.fill("#country", "zz")
    page.fill("#text", "   ")
    page.click("#send")
    expect(page.locator("#result")).to_have_class("error")
    page.fill("#text", "Stay strong")
    page.click("#send")  # the server names the bad field: ZZ is no country
    expect(page.locator("#result")).to_contain_text("country")
    assert server.ok("GET", "/api/v1/messages?status=pending")["messages"] == []
