"""The supporters' form in their language: the browser's Accept-Language (Khmer, Arabic right
to left), a switcher that is remembered, ``?lang=`` from a QR code, translated validation and
thanks, and a message written in Arabic that reaches the moderation queue.

The words are the shipped catalogs'. ``PROJECTOR_UPDATE_SCREENSHOTS=1`` writes docs/i18n/submit-km.png."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect

from tests.panel.conftest import PageErrors, Panel

DOCS = Path(__file__).resolve().parents[2] / "docs" / "i18n"
PHONE = {"width": 390, "height": 844}


def phone(new_context: Callable[..., BrowserContext], page_errors: PageErrors, locale: str) -> Page:
    """A phone set to ``locale``: Chromium sends it as Accept-Language (navigator.language too)."""
    page = new_context(viewport=PHONE, locale=locale).new_page()
    page_errors.attach(page)
    return page


def html_lang(page: Page) -> list[str]:
    lang_and_dir: list[str] = page.evaluate("[document.documentElement.lang, document.documentElement.dir]")
    return lang_and_dir


def test_a_khmer_browser_gets_the_form_in_khmer(
    server: Panel,
    new_context: Callable[..., BrowserContext],
    page_errors: PageErrors,
    tmp_path: Path,
) -> None:
    page = phone(new_context, page_errors, "km-KH")
    page.goto(server.base + "/submit")
    expect(page.locator("h1")).to_have_text("ផ្ញើសារសាមគ្គីភាព")
    assert html_lang(page) == ["km", "ltr"]
    expect(page.locator("#lang")).to_have_value("km")
    expect(page.locator("#lang option[value='km']")).to_have_text("ខ្មែរ")
    expect(page.locator("#lang option[value='th']")).to_have_text("ไทย")
    expect(page.locator("#lang option[value='ar']")).to_have_text("العربية")
    expect(page.locator("#send")).to_have_text("ផ្ញើ")
    expect(page.locator("#text")).to_have_attribute("placeholder", "សូមរឹងមាំ។ យើងនៅជាមួយអ្នក។")
    # Khmer glyphs come from a Khmer face, not a box per letter.
    assert page.evaluate("document.fonts.check('20px \"Noto Sans Khmer\"', 'ផ្ញើសារ')")
    page.click("#send")
    expect(page.locator("#result")).to_have_text("សូមសរសេរសារជាមុនសិន។")
    page.fill("#text", "សូមរឹងមាំ!")
    page.click("#send")
    expect(page.locator("#result")).to_have_class("ok")
    expect(page.locator("#result")).to_contain_text("សូមអរគុណ!")
    folder = DOCS if os.environ.get("PROJECTOR_UPDATE_SCREENSHOTS") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "submit-km.png"), animations="disabled", caret="hide")
    [message] = server.ok("GET", "/api/v1/messages?status=pending")["messages"]
    assert (message["text"], message["lang"]) == ("សូមរឹងមាំ!", "km-KH")


def test_an_arabic_browser_gets_a_right_to_left_form_and_its_message_reaches_the_queue(
    server: Panel, new_context: Callable[..., BrowserContext], page_errors: PageErrors
) -> None:
    page = phone(new_context, page_errors, "ar-EG")
    page.goto(server.base + "/submit")
    expect(page.locator("h1")).to_have_text("أرسل رسالة تضامن")
    assert html_lang(page) == ["ar", "rtl"]
    expect(page.locator("label[for='text']")).to_have_text("رسالتك")
    expect(page.locator("#send")).to_have_text("إرسال")
    # Right to left: the heading and labels start at the right, the switcher sits at the left.
    main = page.locator("main").bounding_box()
    title = page.locator("h1").bounding_box()
    label = page.locator("label[for='name'] span").first.bounding_box()
    switcher = page.locator(".lang").bounding_box()
    assert main and title and label and switcher
    right = main["x"] + main["width"]
    assert right - (title["x"] + title["width"]) < 30
    assert right - (label["x"] + label["width"]) < 30
    assert switcher["x"] - main["x"] < 30

    page.fill("#text", "نحن معكم. اصمدوا!")
    page.fill("#name", "ليلى")
    page.fill("#country", "eg")
    page.click("#send")
    expect(page.locator("#result")).to_have_class("ok")
    expect(page.locator("#result")).to_have_text("شكرًا لك! ستظهر رسالتك بعد أن يقرأها أحد المتطوعين.")
    pending = server.ok("GET", "/api/v1/messages?status=pending")["messages"]
    assert [(m["text"], m["name"], m["country"], m["lang"]) for m in pending] == [
        ("نحن معكم. اصمدوا!", "ليلى", "EG", "ar-EG")
    ]


def test_the_switcher_changes_the_language_and_the_choice_is_remembered(
    server: Panel, new_context: Callable[..., BrowserContext], page_errors: PageErrors
) -> None:
    page = phone(new_context, page_errors, "en-US")
    page.goto(server.base + "/submit")
    expect(page.locator("h1")).to_have_text("Send a message of solidarity")
    assert html_lang(page) == ["en", "ltr"]
    page.click("#send")
    expect(page.locator("#result")).to_have_text("Please write a message first.")

    page.select_option("#lang", "fr")
    expect(page.locator("h1")).to_have_text("Envoyez un message de solidarité")
    expect(page.locator("#result")).to_have_text("Veuillez d'abord écrire un message.")  # said again
    assert page.url.endswith("/submit?lang=fr")  # a reload or a shared link keeps it
    page.select_option("#lang", "ar")
    expect(page.locator("h1")).to_have_text("أرسل رسالة تضامن")
    assert html_lang(page) == ["ar", "rtl"]

    page.goto(server.base + "/submit")  # no ?lang=: this browser's earlier choice
    expect(page.locator("h1")).to_have_text("أرسل رسالة تضامن")
    expect(page.locator("#lang")).to_have_value("ar")
    page.goto(server.base + "/submit?lang=fr")  # a QR code's ?lang= comes first
    expect(page.locator("h1")).to_have_text("Envoyez un message de solidarité")
    assert html_lang(page) == ["fr", "ltr"]


def test_lang_in_the_address_wins_over_the_browsers_language(
    server: Panel, new_context: Callable[..., BrowserContext], page_errors: PageErrors
) -> None:
    page = phone(new_context, page_errors, "de-DE")
    page.goto(server.base + "/submit?lang=fr")
    expect(page.locator("h1")).to_have_text("Envoyez un message de solidarité")
    expect(page.locator("#lang")).to_have_value("fr")
    page.fill("#country", "1")
    page.fill("#text", "Courage")
    page.click("#send")
    expect(page.locator("#result")).to_have_text(
        "Veuillez vérifier votre pays\u00a0: deux lettres, comme FR."
    )
    assert server.ok("GET", "/api/v1/messages?status=pending")["messages"] == []
