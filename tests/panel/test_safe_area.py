"""The safe area on the panel: an operator marks margins and a keep-out box on a display card,
sees them in red over the thumbnail, saves; the server stores them and the display lays its words
out around them. A refused value is shown next to the field the server names."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from projector.core.protocol import You
from projector.core.safe_area import Box, SafeArea
from projector.display.app import DisplayApp
from tests.panel.conftest import FakeDisplay, Panel, jpeg_from

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = Path("/tmp/safe-area-panel.png")
README_PICTURE = ROOT / "docs" / "panel" / "safe-area.png"


def card(page: Page, name: str) -> Locator:
    return page.locator(f"#display-grid .display[data-name='{name}']")


@pytest.fixture
def received(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, SafeArea]]:
    """(display name, the canvas safe area it now lays out in) each time a display hears ``you``."""
    seen: list[tuple[str, SafeArea]] = []
    lock = threading.Lock()
    original = DisplayApp._set_you

    def recording(self: DisplayApp, you: You, assets: Any) -> None:
        original(self, you, assets)
        with lock:
            seen.append((you.name, assets.safe_area))

    monkeypatch.setattr(DisplayApp, "_set_you", recording)
    return seen


def open_editor(page: Page, name: str) -> Locator:
    display = card(page, name)
    expect(display).to_be_visible()
    display.locator(".fleet-btn", has_text="Edit").click()
    expect(display.locator(".fleet-form .sa")).to_be_visible()
    return display


def test_a_margin_and_a_box_set_on_the_panel_are_stored_and_reach_the_display(
    server: Panel, page: Page, received: list[tuple[str, SafeArea]]
) -> None:
    display = server.display("facade")
    display.wait_connected()
    facade = open_editor(page, "facade")
    overlay = facade.locator(".thumb .sa-overlay")
    expect(overlay.locator(".sa-keepout")).to_have_count(0)
    facade.locator(".sa-m-top").fill("10")
    facade.locator(".sa-add").click()
    box = facade.locator(".sa-box").first
    for key, value in (("x", "10"), ("y", "20"), ("w", "15"), ("h", "30")):
        box.locator(f".sa-b-{key}").fill(value)
    # Drawn while it is typed: the top strip and the box, in red; the clear rectangle in green.
    expect(overlay.locator(".sa-keepout")).to_have_count(2)
    expect(overlay.locator(".sa-usable")).to_have_count(1)
    expect(facade.locator(".sa-room")).to_contain_text("Words go in")
    facade.locator(".fleet-form button[type='submit']").click()
    expect(facade.locator(".fleet-form")).to_have_count(0)
    expect(facade.locator(".thumb .sa-overlay")).to_have_count(0)  # the drawing goes with the form

    expected = SafeArea(top=0.1, avoid=(Box(0.1, 0.2, 0.15, 0.3),))
    [entry] = [d for d in server.ok("GET", "/api/v1/displays")["displays"] if d["name"] == "facade"]
    assert entry["safe_area"] == {
        "margins": {"top": 0.1, "right": 0.0, "bottom": 0.0, "left": 0.0},
        "avoid": [{"x": 0.1, "y": 0.2, "w": 0.15, "h": 0.3}],
    }
    display.wait_for(lambda: ("facade", expected) in received, "the safe area in a `you` frame")
    expect(facade.locator(".fleet-health")).to_contain_text("safe area set")

    # Opened again, the editor shows what is stored; Clear and Save remove it everywhere.
    facade = open_editor(page, "facade")
    expect(facade.locator(".sa-m-top")).to_have_value("10")
    expect(facade.locator(".sa-box .sa-b-w")).to_have_value("15")
    facade.locator(".sa-clear").click()
    expect(facade.locator(".sa-box")).to_have_count(0)
    facade.locator(".fleet-form button[type='submit']").click()
    expect(facade.locator(".fleet-form")).to_have_count(0)
    [entry] = [d for d in server.ok("GET", "/api/v1/displays")["displays"] if d["name"] == "facade"]
    assert entry["safe_area"] is None
    display.wait_for(lambda: received[-1] == ("facade", SafeArea()), "the cleared safe area")


def test_a_refused_value_is_shown_next_to_its_field_and_nothing_is_stored(server: Panel, page: Page) -> None:
    with FakeDisplay(server, "lobby"):
        lobby = open_editor(page, "lobby")
        lobby.locator(".sa-m-left").fill("60")  # more than 45 % of the width
        lobby.locator(".sa-add").click()
        lobby.locator(".sa-add").click()
        second = lobby.locator(".sa-box").nth(1)
        second.locator(".sa-b-x").fill("90")  # 90 + 20 runs off the right of the frame
        lobby.locator(".fleet-form button[type='submit']").click()
        margin_error = lobby.locator(".sa-margin").nth(3).locator(".field-error")
        expect(margin_error).to_contain_text("between 0 and 0.45")
        expect(lobby.locator(".sa-m-left")).to_have_attribute("aria-invalid", "true")
        expect(lobby.locator(".fleet-form")).to_have_count(1)  # stays open to be fixed
        lobby.locator(".sa-m-left").fill("5")
        lobby.locator(".fleet-form button[type='submit']").click()
        expect(second.locator(".field-error")).to_contain_text("runs off the right")
        expect(second.locator(".sa-b-w")).to_have_attribute("aria-invalid", "true")
        [entry] = [d for d in server.ok("GET", "/api/v1/displays")["displays"] if d["name"] == "lobby"]
        assert entry["safe_area"] is None
        # A latency the server refuses is named too, not only toasted.
        second.locator(".sa-b-x").fill("70")
        lobby.locator(".fleet-in-latency").fill("5000")
        lobby.locator(".fleet-form button[type='submit']").click()
        expect(lobby.locator(".field-error[data-for='latency_ms']")).to_contain_text("between 0 and")


def test_the_editor_over_a_live_thumbnail_for_the_readme(server: Panel, page: Page) -> None:
    """The picture in the README: a facade's windows and a bezel marked over the display's thumbnail.
    Always written to /tmp; to docs/panel/safe-area.png with ``PROJECTOR_UPDATE_SCREENSHOTS=1``."""
    thumbnail = jpeg_from(ROOT / "docs" / "scenes" / "totals.png", (640, 360))
    with FakeDisplay(server, "facade-left", thumbnail=thumbnail):
        page.set_viewport_size({"width": 900, "height": 1500})
        facade = card(page, "facade-left")
        expect(facade.locator(".thumb-img")).to_be_visible(timeout=15000)
        facade = open_editor(page, "facade-left")
        for side, value in (("top", "4"), ("right", "3"), ("bottom", "6"), ("left", "3")):
            facade.locator(f".sa-m-{side}").fill(value)
        for i, (x, y, w, h) in enumerate([("8", "40", "14", "30"), ("78", "40", "14", "30")]):
            facade.locator(".sa-add").click()
            row = facade.locator(".sa-box").nth(i)
            for key, value in zip("xywh", (x, y, w, h), strict=True):
                row.locator(f".sa-b-{key}").fill(value)
        expect(facade.locator(".thumb .sa-keepout")).to_have_count(6)
        page.evaluate("document.activeElement && document.activeElement.blur()")  # no focus ring
        page.screenshot(path=str(SCREENSHOT))
        facade.screenshot(path=str(SCREENSHOT.with_name("safe-area-card.png")))
        if os.environ.get("PROJECTOR_UPDATE_SCREENSHOTS") == "1":
            shutil.copyfile(SCREENSHOT.with_name("safe-area-card.png"), README_PICTURE)


def two_outputs(panel: Panel, name: str) -> FakeDisplay:
    """A display driving outputs ``left`` and ``right``, side by side."""
    return FakeDisplay(
        panel, name, resolution=(1920, 540), outputs=(("left", (960, 540)), ("right", (960, 540)))
    )


def test_an_output_of_a_display_with_several_gets_its_own_safe_area(server: Panel, page: Page) -> None:
    with two_outputs(server, "pair") as pair:
        editor = open_editor(page, "pair")
        target = editor.locator(".sa-target")
        expect(target.locator("option")).to_have_text(["Whole display", "Output left", "Output right"])
        target.select_option("right")
        editor.locator(".sa-m-bottom").fill("20")
        target.select_option("")  # back to the whole display: what was typed for "right" is kept
        expect(editor.locator(".sa-m-bottom")).to_have_value("0")
        editor.locator(".sa-m-top").fill("5")
        target.select_option("right")
        expect(editor.locator(".sa-m-bottom")).to_have_value("20")
        editor.locator(".fleet-form button[type='submit']").click()
        expect(editor.locator(".fleet-form")).to_have_count(0)
        status, body = server.request("GET", "/api/v1/displays/pair/outputs/right/safe-area")
        assert status == 200 and body["safe_area"]["margins"]["bottom"] == 0.2
        [entry] = [d for d in server.ok("GET", "/api/v1/displays")["displays"] if d["name"] == "pair"]
        assert entry["safe_area"]["margins"]["top"] == 0.05 and list(entry["output_safe_areas"]) == ["right"]
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and "right" not in pair.yous[-1].get("output_safe_areas", {}):
            time.sleep(0.05)
        assert pair.yous[-1]["output_safe_areas"]["right"]["margins"]["bottom"] == 0.2
        assert pair.yous[-1]["safe_area"]["margins"]["top"] == 0.05
