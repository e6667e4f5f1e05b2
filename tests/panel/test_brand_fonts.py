"""Uploading a font in the panel's Brand card (a real browser): a font under another licence is
refused with the reason under the field; an OFL font joins the headline font select, chosen, and
the saved kit names it; a headless display fetches it and draws its headlines in it."""

from __future__ import annotations

import hashlib
import time
from typing import Any

from playwright.sync_api import FilePayload, Page, expect

from tests.display.screens import lit_pixels
from tests.media.font_files import anton, noto_italic, relicensed, renamed
from tests.panel.conftest import Panel
from tests.server.routes.test_fonts import post_font


def test_an_ofl_font_is_uploaded_chosen_and_saved(server: Panel, page: Page) -> None:
    page.locator("#br-toggle").click()
    expect(page.locator("#br-font")).to_have_value("anton")
    upload = page.locator("#br-font-upload")
    upload.set_input_files(
        files=[
            FilePayload(
                name="Closed.ttf",
                mimeType="font/ttf",
                buffer=relicensed(anton(), "All rights reserved"),
            )
        ]
    )
    error = page.locator('[data-error-for="font"]')
    expect(error).to_have_text(
        "the font's licence is not the SIL Open Font License (name ID 13 says: All rights reserved)"
    )
    data = renamed(anton(), "Banner Grotesk")
    font = "upload:" + hashlib.sha256(data).hexdigest()
    upload.set_input_files(files=[FilePayload(name="Banner.ttf", mimeType="font/ttf", buffer=data)])
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


HEADLINE = """title = "Headline"

[[regions]]
kind = "text"
text = "RELEASE THEM NOW"
colour = "text"
x = 0
y = 0.2
w = 1
h = 0.6
"""


def lit(info: Any) -> int | None:
    """How many pixels of the frame are lit: the headline's ink (nothing else is drawn)."""
    return None if info.output is None else lit_pixels(info.output)


def test_a_display_fetches_the_uploaded_font_and_draws_headlines_in_it(server: Panel) -> None:
    server.ok("PUT", "/api/v1/layouts/headline", {"source": HEADLINE})
    server.load_show(
        [
            {"id": "one", "scene": "layout", "params": {"layout": "headline"}, "transition": "cut"},
            {"id": "two", "scene": "layout", "params": {"layout": "headline"}, "transition": "cut"},
        ]
    )
    display = server.display("wall", size=(480, 270), probe=lit)
    display.wait_connected()
    server.ok("POST", "/api/v1/cue/jump", {"cue": "one"})
    display.wait_for(lambda: bool(display.probed), "the headline in the house face")
    time.sleep(0.3)
    house = display.probed
    status, font = server.loop.run(post_font(server.running, renamed(noto_italic(), "Campaign Italic")))
    assert status == 201, font
    server.ok("PUT", "/api/v1/brand", {"font": font["font"]})

    entries = iter(["two", "one"] * 50)

    def redrawn_in_the_upload() -> bool:
        # Each scene entry looks again: once the file is in the display's cache, the headline
        # is drawn in the light italic, with far less ink than Anton's.
        server.ok("POST", "/api/v1/cue/jump", {"cue": next(entries)})
        time.sleep(0.2)
        return display.probed is not None and display.probed < house * 0.8

    display.wait_for(redrawn_in_the_upload, "the headline in the uploaded font", timeout=20)
    assert display.probed > 500  # drawn, never a blank
