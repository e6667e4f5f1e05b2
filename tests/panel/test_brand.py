"""The campaign's look end to end: a brand kit changed over HTTP recolours a headless display at
its next scene entry; a layout made and previewed in the panel (a real browser) shows on a
headless display when a cue names it."""

from __future__ import annotations

import base64
import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.panel.conftest import Panel

SIZE = (320, 180)
NAVY = (10, 34, 64)
ORANGE = (255, 136, 0)
TONIGHT = """title = "Tonight"

[[regions]]
kind = "fill"
fill = "accent"
x = 0
y = 0
w = 1
h = 0.5

[[regions]]
kind = "text"
text = "{total} ACTIONS"
colour = "background"
x = 0
y = 0
w = 1
h = 0.5
"""


def corner_and_middle(info: Any) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """The top-left pixel (the scene's background) and one just inside the house margin."""
    if info.output is None:
        return None
    return (tuple(info.output.get_at((1, 1)))[:3], tuple(info.output.get_at((12, 12)))[:3])


def test_a_brand_kit_change_recolours_a_display_at_the_next_scene_entry(server: Panel) -> None:
    server.load_show(
        [
            {"id": "one", "scene": "totals", "transition": "cut"},
            {"id": "two", "scene": "totals", "transition": "cut"},
        ]
    )
    display = server.display("wall", size=SIZE, probe=corner_and_middle)
    display.wait_connected()
    server.ok("POST", "/api/v1/cue/jump", {"cue": "one"})
    display.wait_for(lambda: display.probed is not None and display.probed[0] == (0, 0, 0), "the house black")
    server.ok("PUT", "/api/v1/brand", {"background": "#0a2240", "accent": "#ff8800"})
    server.ok("POST", "/api/v1/cue/go", {})
    display.wait_for(lambda: display.probed is not None and display.probed[0] == NAVY, "the kit's background")


def test_a_layout_is_made_and_previewed_in_the_panel_and_shows_on_a_display(
    server: Panel, page: Page
) -> None:
    server.ok("PUT", "/api/v1/brand", {"accent": "#ff8800"})
    server.load_show(
        [{"id": "tonight", "scene": "layout", "params": {"layout": "tonight"}, "transition": "cut"}]
    )
    page.locator("#ly-toggle").click()
    editor = page.locator("#ly-source")
    page.locator("#ly-name").fill("tonight")
    editor.fill(TONIGHT.replace("{total}", "{totl}"))
    page.locator("#ly-check").click()
    expect(page.locator("#ly-error")).to_contain_text("regions[1].text")
    expect(page.locator("#ly-error")).to_contain_text("unknown value {totl}")
    editor.fill(TONIGHT)
    page.locator("#ly-check").click()
    preview = page.locator("#ly-preview")
    expect(preview).to_be_visible()
    expect(preview).to_have_attribute("src", re.compile("^blob:"))
    # The preview is the real scene's picture: its top half is the kit's accent.
    shot = base64.b64decode(preview.evaluate(_PNG_OF_IMAGE))
    assert len(shot) > 1000
    page.locator("#ly-save").click()
    expect(page.locator("#ly-list")).to_contain_text("tonight")
    assert server.ok("GET", "/api/v1/layouts/tonight")["source"] == TONIGHT

    display = server.display("wall", size=SIZE, probe=corner_and_middle)
    display.wait_connected()
    server.ok("POST", "/api/v1/cue/jump", {"cue": "tonight"})
    display.wait_for_scene("layout")
    display.wait_for(lambda: display.probed is not None and display.probed[1] == ORANGE, "the layout's fill")


#: The shown preview, drawn into a canvas and read back as PNG (base64), to prove it decoded.
_PNG_OF_IMAGE = """img => {
  const c = document.createElement("canvas");
  c.width = img.naturalWidth; c.height = img.naturalHeight;
  c.getContext("2d").drawImage(img, 0, 0);
  return c.toDataURL("image/png").split(",")[1];
}"""


def test_the_brand_card_warns_about_low_contrast_and_saves_the_kit(server: Panel, page: Page) -> None:
    page.locator("#br-toggle").click()
    expect(page.locator("#br-background")).to_have_value("#000000")
    expect(page.locator("#br-warning")).to_be_hidden()
    page.locator("#br-background").fill("#777777")
    page.locator("#br-text").fill("#888888")
    warning = page.locator("#br-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("1.3:1")  # grey text on grey: named, with its ratio
    page.locator("#br-font").select_option("noto-sans")
    page.locator("#br-save").click()
    expect(page.locator("#br-form")).to_be_hidden()
    kit = server.ok("GET", "/api/v1/brand")
    assert (kit["background"], kit["text"], kit["font"]) == ("#777777", "#888888", "noto-sans")
    assert kit["warnings"] == ["background/text"]
