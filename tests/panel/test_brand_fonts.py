"""Uploading a font in the panel's Brand card (a real browser): a font under another licence is
refused with the reason under the field; an OFL font joins the headline font select, chosen, and
the saved kit names it."""

from __future__ import annotations

import hashlib

from playwright.sync_api import Page, expect

from tests.media.font_files import anton, relicensed, renamed
from tests.panel.conftest import Panel


def test_an_ofl_font_is_uploaded_chosen_and_saved(server: Panel, page: Page) -> None:
    page.locator("#br-toggle").click()
    expect(page.locator("#br-font")).to_have_value("anton")
    upload = page.locator("#br-font-upload")
    upload.set_input_files(
        files=[
            {
                "name": "Closed.ttf",
                "mimeType": "font/ttf",
                "buffer": relicensed(anton(), "All rights reserved"),
            }
        ]
    )
    error = page.locator('[data-error-for="font"]')
    expect(error).to_have_text(
        "the font's licence is not the SIL Open Font License (name ID 13 says: All rights reserved)"
    )
    data = renamed(anton(), "Banner Grotesk")
    font = "upload:" + hashlib.sha256(data).hexdigest()
    upload.set_input_files(files=[{"name": "Banner.ttf", "mimeType": "font/ttf", "buffer": data}])
    select = page.locator("#br-font")
    expect(select).to_have_value(font)
    expect(error).to_have_text("")
    expect(select.locator(f'option[value="{font}"]')).to_contain_text("Banner Grotesk Regular")
    page.locator("#br-save").click()
    expect(page.locator("#br-form")).to_be_hidden()
    assert server.ok("GET", "/api/v1/brand")["font"] == font
    # Opened again, the select still offers the packaged fonts and the upload, which is chosen.
    page.locator("#br-toggle").click()
    expect(select).to_have_value(font)
    expect(select.locator("option")).to_have_count(3)
